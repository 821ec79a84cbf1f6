"""The faults a drill injects into a running lab, each one undone cleanly.

A fault is described as data first — which cables to cut, which links to make silently drop, which
daemon to kill — so what a drill will do can be printed and unit-tested without root. ``apply`` and
``undo`` then make it real through the Lab's public methods (``set_link``, ``set_gray_failure``,
``kill_daemon``, ``spawn``). ``undo`` restores exactly what ``apply`` changed, so a drill leaves
the lab as it found it, also when a step fails half-way.

The faults follow the ways a hybrid network really fails: the provider stops the circuit (both
links), one link fails (the other must keep carrying traffic, without the VPN), a gray failure
(links stay up, packets vanish: only BFD or the BGP hold timer can notice), the VPN fails while the
circuit is fine (no impact expected), both fail (an outage), or a gateway's routing daemon dies.

Estates add faults that take an argument (``peering-location=<location>``, ``bgp-disconnect=<circuit>``,
``site-firewall-down=<site>``, ``spoke-peering-removed=<spoke>``, ``branch-vpn-down=<site>``). Every
fault also names the parts of the estate's routing design it fails (``parts``), so the route
analysis (``drill.expectations``) can say where each probed flow must be while it holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Literal

from hybridnet.drill.result import PathLabel
from hybridnet.emulate import edge_links
from hybridnet.errors import BadInput, HybridnetError
from hybridnet.model import Topology
from hybridnet.model.names import ER_GATEWAY_NODE, INTERNET_NODE, VNET_FABRIC_NODE, spoke_node

if TYPE_CHECKING:
    from hybridnet.emulate import Lab
    from hybridnet.routing.estate_design import EstateDesign

ActionKind = Literal["cut", "gray", "kill", "bgp"]
Cables = tuple[tuple[str, str], ...]
"""The lab's cables as node pairs (``LabPlan.links``), when a fault must find every cable of a device."""


class FaultError(BadInput, ValueError):
    """A fault cannot be built for this topology (e.g. no VPN to stop) or its name is unknown."""


@dataclass(frozen=True)
class FaultAction:
    """One change to the lab: cut the cable a–b, make it drop silently, kill ``program`` on ``a``, or
    shut ``a``'s BGP session with the neighbour address ``b`` (kind ``bgp``: links stay up)."""

    kind: ActionKind
    a: str
    b: str = ""

    @property
    def description(self) -> str:
        if self.kind == "cut":
            return f"cut the link {self.a} – {self.b}"
        if self.kind == "gray":
            return f"silently drop every packet on {self.a} – {self.b} (link stays up)"
        if self.kind == "bgp":
            return f"shut the BGP session of {self.a} with {self.b} (link stays up)"
        return f"kill {self.b} on {self.a} (SIGKILL)"

    def apply(self, lab: Lab) -> None:
        if self.kind == "cut":
            lab.set_link(self.a, self.b, up=False)
        elif self.kind == "gray":
            lab.set_gray_failure(self.a, self.b, active=True)
        elif self.kind == "bgp":
            lab.set_bgp_session(self.a, IPv4Address(self.b), up=False)
        else:
            lab.kill_daemon(self.a, self.b, 9)

    def undo(self, lab: Lab) -> None:
        if self.kind == "cut":
            lab.set_link(self.a, self.b, up=True)
        elif self.kind == "gray":
            lab.set_gray_failure(self.a, self.b, active=False)
        elif self.kind == "bgp":
            lab.set_bgp_session(self.a, IPv4Address(self.b), up=True)
        elif not lab.pids(self.a, self.b):
            lab.restart_daemon(self.a, self.b)


@dataclass(frozen=True)
class Fault:
    """A named fault: what it changes, and where the guidance says traffic must go meanwhile.

    ``expected_path`` is the path traffic should settle on while the fault holds; ``moves`` says
    whether the drill should wait for traffic to move there, or watch for a while and then look
    (when traffic should stay where it is, or — both paths down — cannot go anywhere).
    """

    name: str
    title: str
    actions: tuple[FaultAction, ...]
    expected_path: PathLabel
    moves: bool
    why: str
    parts: frozenset[str] = field(default=frozenset())
    """The parts of the estate's routing design (``routing.estate_design``) this fault fails: the
    analysis's scenario of the same failure, from which each flow's expected path comes."""

    @property
    def description(self) -> str:
        return "; ".join(action.description for action in self.actions)

    def apply(self, lab: Lab) -> None:
        """Make every change at once (the provider stops both links together, not one after the
        other); if one fails, undo those that were made before raising."""
        outcomes = self._in_parallel(lambda action: action.apply(lab))
        failed = [error for error in outcomes.values() if error is not None]
        if failed:
            for action, error in outcomes.items():
                if error is None:
                    _quietly(lambda a=action: a.undo(lab))
            raise failed[0]

    def undo(self, lab: Lab) -> list[str]:
        """Undo every change at once (all are tried); returns what could not be undone."""
        outcomes = self._in_parallel(lambda action: action.undo(lab))
        return [f"{action.description}: {error}" for action, error in outcomes.items() if error is not None]

    def _in_parallel(self, act: Callable[[FaultAction], None]) -> dict[FaultAction, BaseException | None]:
        def attempt(action: FaultAction) -> BaseException | None:
            try:
                act(action)
            except (HybridnetError, OSError) as error:
                return error
            return None

        with ThreadPoolExecutor(max_workers=len(self.actions)) as pool:
            return dict(zip(self.actions, pool.map(attempt, self.actions), strict=True))


def circuit_links(topology: Topology, links: tuple[str, ...] = ("primary", "secondary"),
                  circuit: str | None = None) -> list[tuple[str, str]]:
    """(customer edge, MSEE) of one circuit's links (default: the first circuit), in the order given."""
    circuits = [c.name for c in topology.all_circuits]
    if not circuits:
        return []
    name = circuit or circuits[0]
    return [(edge.device, edge.msee) for link in links for edge in edge_links(topology)
            if edge.circuit == name and edge.link == link]


def vpn_devices(topology: Topology, site: str | None = None) -> list[tuple[str, str]]:
    """(site, device) of every VPN end (the devices holding the vpn role), optionally of one site."""
    return [(s.name, d.name) for s in topology.all_sites for d in s.with_role("vpn")
            if site is None or s.name == site]


def vpn_link(topology: Topology) -> tuple[str, str]:
    """The reference's one VPN cable (the VPN appliance – internet)."""
    links = vpn_links(topology)
    return links[0]


def vpn_links(topology: Topology, site: str | None = None) -> list[tuple[str, str]]:
    """(VPN end, internet) of every VPN end (of ``site``); FaultError when there is none to stop."""
    ends = vpn_devices(topology, site)
    if not ends or topology.vpn_gateway is None:
        raise FaultError("this topology has no site-to-site VPN to stop")
    return [(device, INTERNET_NODE) for _site, device in ends]


def _cuts(pairs: list[tuple[str, str]], kind: ActionKind = "cut") -> tuple[FaultAction, ...]:
    return tuple(FaultAction(kind, a, b) for a, b in pairs)


def _design(topology: Topology) -> EstateDesign:
    from hybridnet.routing.estate_design import estate_design

    return estate_design(topology)


def _circuit_parts(topology: Topology, circuit: str | None = None) -> frozenset[str]:
    design = _design(topology)
    name = circuit or (design.circuits[0].name if design.circuits else None)
    return frozenset(c.circuit_part for c in design.circuits if c.name == name)


def _tunnel_parts(topology: Topology, site: str | None = None) -> frozenset[str]:
    return frozenset(part for vpn in _design(topology).vpns if site is None or vpn.site == site
                     for _index, part in vpn.tunnels)


def _first_circuit(topology: Topology) -> str:
    return topology.all_circuits[0].name if topology.all_circuits else "none"


def _circuit_down(topology: Topology) -> Fault:
    circuit = _first_circuit(topology)
    title = "circuit hard down (both links)" if len(topology.all_circuits) <= 1 else \
        f"circuit {circuit} hard down (both links)"
    return Fault("circuit-down", title, _cuts(circuit_links(topology)), "VPN", True,
                 "the provider stops the circuit: both links lose carrier, the eBGP sessions reset at once "
                 "and traffic must move to the VPN", _circuit_parts(topology))


def _primary_link_down(topology: Topology) -> Fault:
    links = circuit_links(topology, ("primary",))
    if not links or not circuit_links(topology, ("secondary",)):
        raise FaultError("primary-link-down needs both a primary and a secondary link")
    design = _design(topology)
    parts = frozenset(e.link_part for e in design.edges if e.circuit == _first_circuit(topology)
                      and e.link == "primary")
    return Fault("primary-link-down", "primary link down", _cuts(links), "ExpressRoute", False,
                 "one link of the circuit fails: the secondary link must carry everything, with no move to "
                 "the VPN and next to no loss", parts)


def _gray_failure(topology: Topology) -> Fault:
    return Fault("gray-failure", "gray failure (links up, packets silently dropped)",
                 _cuts(circuit_links(topology), "gray"), "VPN", True,
                 "both links stay up but drop every packet: no carrier loss tells the routers, only BFD "
                 "(or, without it, the BGP hold timer) notices", _circuit_parts(topology))


def _vpn_down(topology: Topology) -> Fault:
    return Fault("vpn-down", "VPN down while ExpressRoute is up", _cuts(vpn_links(topology)), "ExpressRoute",
                 False, "the backup fails while the circuit works: traffic must not notice", _tunnel_parts(topology))


def _both_down(topology: Topology) -> Fault:
    return Fault("both-down", "circuit and VPN both down",
                 _cuts([*circuit_links(topology), *vpn_links(topology)]), "VPN", False,
                 "no path is left: an outage, which the drill reports as such (it fails)",
                 _circuit_parts(topology) | _tunnel_parts(topology))


def _gateway_daemon_killed(topology: Topology) -> Fault:
    return Fault("gateway-daemon-killed", "ExpressRoute gateway's BGP daemon killed",
                 (FaultAction("kill", ER_GATEWAY_NODE, "bgpd"),), "VPN", True,
                 "the ExpressRoute gateway loses its routing process: its sessions close, the VNet and "
                 "on-prem withdraw the ExpressRoute routes and traffic moves to the VPN", frozenset({"er-gateway"}))


FAULT_BUILDERS: dict[str, Callable[[Topology], Fault]] = {
    "circuit-down": _circuit_down,
    "primary-link-down": _primary_link_down,
    "gray-failure": _gray_failure,
    "vpn-down": _vpn_down,
    "both-down": _both_down,
    "gateway-daemon-killed": _gateway_daemon_killed,
}


# ------------------------------------------------------------------------------ faults with an argument

_NOUNS = {"peering-location": "peering location", "bgp-disconnect": "circuit",
          "site-firewall-down": "site or firewall device",
          "spoke-peering-removed": "spoke VNet", "branch-vpn-down": "site"}


def _choose(kind: str, value: str, choices: list[str]) -> str:
    """The choice ``value`` names (any case); FaultError naming the valid ones otherwise."""
    found = next((c for c in choices if c.lower() == value.strip().lower()), None)
    if found is None:
        raise FaultError(f"{kind}={value}: this topology has no {_NOUNS[kind]} named {value.strip()!r}; choose one "
                         f"of: {', '.join(dict.fromkeys(choices)) or 'none'}")
    return found


def _peering_location(topology: Topology, location: str, cables: Cables | None = None) -> Fault:
    chosen = _choose("peering-location", location, [c.peering_location for c in topology.all_circuits])
    circuits = [c.name for c in topology.all_circuits if c.peering_location == chosen]
    pairs = [pair for name in circuits for pair in circuit_links(topology, circuit=name)]
    design = _design(topology)
    parts = frozenset(c.location_part for c in design.circuits if c.name in circuits)
    return Fault(f"peering-location={chosen}", f"peering location {chosen} down ({', '.join(circuits)})",
                 _cuts(pairs), "VPN", True,
                 "every CE–MSEE link of every circuit at the peering location is cut, as Azure's site failover "
                 "simulation does: traffic must move to another circuit or to the VPN", parts)


def _bgp_disconnect(topology: Topology, circuit: str, cables: Cables | None = None) -> Fault:
    name = _choose("bgp-disconnect", circuit, [c.name for c in topology.all_circuits])
    model = topology.find_circuit(name)
    peering = model.private_peering if model is not None else None
    if peering is None:
        raise FaultError(f"bgp-disconnect={name}: the circuit has no private peering (no BGP session to shut)")
    actions = []
    for edge in edge_links(topology):
        if edge.circuit == name:
            actions.append(FaultAction("bgp", edge.msee, str(peering.customer_address(edge.link))))
    return Fault(f"bgp-disconnect={name}", f"circuit {name}: BGP disconnected, links up", tuple(actions), "VPN",
                 True, "the MSEEs shut their BGP sessions with the customer edges while the links stay up, as "
                 "disabling private peering or Azure's circuit link failover test does: the routes are withdrawn "
                 "at once (no carrier loss, no BFD needed)", _circuit_parts(topology, name))


def _site_firewall_down(topology: Topology, site: str, cables: Cables | None = None) -> Fault:
    """A site's firewalls (``=<site>``: every one of them, a whole cluster) or one firewall device
    (``=<device>``: the others must carry the site, if they can)."""
    holders = {d.name: s.name for s in topology.all_sites for d in s.with_role("firewall")}
    name = _choose("site-firewall-down", site, [*(s.name for s in topology.all_sites), *holders])
    one_device = name in holders and name not in {s.name for s in topology.all_sites}
    site_name = holders[name] if one_device else name
    found = next(s for s in topology.all_sites if s.name == site_name)
    firewalls = [name] if one_device else [d.name for d in found.with_role("firewall")]
    if not firewalls:
        raise FaultError(f"site-firewall-down={name}: site {name} has no device with the firewall role; sites and "
                         "firewalls to choose: " + (", ".join([*dict.fromkeys(holders.values()), *holders]) or "none"))
    pairs = _device_cables(topology, firewalls, cables)
    design = _design(topology)
    view = design.site(site_name)
    parts = frozenset(part for device in firewalls for part in view.device_parts.get(device, ()))
    what = f"firewall {name} down" if one_device else f"firewall down ({', '.join(firewalls)})"
    return Fault(f"site-firewall-down={name}", f"site {site_name}: {what}",
                 _cuts(pairs), "VPN", True,
                 "every link of the firewall is cut: flows through it must use the site's other firewall, or are "
                 "cut" if one_device else
                 "every link of the site's firewall(s) is cut (a whole cluster down): flows through them must use "
                 "another way out, or are cut", parts)


def _device_cables(topology: Topology, devices: list[str], cables: Cables | None) -> list[tuple[str, str]]:
    """Every cable of ``devices``: from the lab plan's cables when known, else from the model (site links,
    circuit links, the VPN end's internet cable)."""
    if cables is not None:
        return list(dict.fromkeys((a, b) if a in devices else (b, a) for a, b in cables
                                  if a in devices or b in devices))
    pairs: list[tuple[str, str]] = []
    for site in topology.all_sites:
        for link in site.effective_links:
            a, b = link.between
            if a in devices or b in devices:
                pairs.append((a, b) if a in devices else (b, a))
    pairs += [(e.device, e.msee) for e in edge_links(topology) if e.device in devices]
    pairs += [(device, INTERNET_NODE) for _site, device in vpn_devices(topology) if device in devices]
    return list(dict.fromkeys(pairs))


def _spoke_peering_removed(topology: Topology, spoke: str, cables: Cables | None = None) -> Fault:
    names = [v.name for v in topology.spokes]
    if not names:
        raise FaultError("spoke-peering-removed: this topology has no spoke VNets")
    name = _choose("spoke-peering-removed", spoke, names)
    index = names.index(name)
    design = _design(topology)
    parts = frozenset(v.peering_part for v in design.vnets if v.name == name and v.peering_part)
    return Fault(f"spoke-peering-removed={name}", f"peering to spoke {name} removed",
                 (FaultAction("cut", VNET_FABRIC_NODE, spoke_node(index)),), "none", False,
                 "the hub–spoke peering is removed: the spoke loses the hub's gateways, its flows to on-premises "
                 "are cut, every other flow must not notice", parts)


def _branch_vpn_down(topology: Topology, site: str, cables: Cables | None = None) -> Fault:
    with_vpn = [s for s, _d in vpn_devices(topology)]
    name = _choose("branch-vpn-down", site, [s.name for s in topology.all_sites])
    if name not in with_vpn:
        raise FaultError(f"branch-vpn-down={name}: site {name} has no VPN end; sites with one: "
                         f"{', '.join(dict.fromkeys(with_vpn)) or 'none'}")
    return Fault(f"branch-vpn-down={name}", f"site {name}: VPN down", _cuts(vpn_links(topology, name)), "none",
                 False, "the site's VPN end loses the internet: a site that has ExpressRoute must not notice, a "
                 "VPN-only branch is cut", _tunnel_parts(topology, name))


ARGUMENT_FAULTS: dict[str, tuple[str, Callable[[Topology, str, Cables | None], Fault]]] = {
    "peering-location": ("<location>", _peering_location),
    "bgp-disconnect": ("<circuit>", _bgp_disconnect),
    "site-firewall-down": ("<site or firewall>", _site_firewall_down),
    "spoke-peering-removed": ("<spoke>", _spoke_peering_removed),
    "branch-vpn-down": ("<site>", _branch_vpn_down),
}
"""Faults that name what they fail: ``<name>=<argument>``."""


def fault_names() -> list[str]:
    return [*FAULT_BUILDERS, *(f"{name}={arg}" for name, (arg, _builder) in ARGUMENT_FAULTS.items())]


def build_fault(name: str, topology: Topology, cables: Cables | None = None) -> Fault:
    """The fault called ``name`` (``circuit-down``, or ``site-firewall-down=hq``) for ``topology``;
    FaultError names the known ones otherwise. ``cables``: the lab plan's, for faults that cut every
    cable of a device."""
    kind, equals, argument = name.partition("=")
    if equals and kind in ARGUMENT_FAULTS:
        if not argument.strip():
            raise FaultError(f"{kind} needs an argument: {kind}={ARGUMENT_FAULTS[kind][0]}")
        fault = ARGUMENT_FAULTS[kind][1](topology, argument, cables)
    elif kind in ARGUMENT_FAULTS:
        raise FaultError(f"{kind} needs an argument: {kind}={ARGUMENT_FAULTS[kind][0]}")
    else:
        builder = FAULT_BUILDERS.get(name)
        if builder is None:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(fault_names())}")
        fault = builder(topology)
    if not fault.actions:
        raise FaultError(f"{name}: this topology has no ExpressRoute link to act on")
    return fault


def _quietly(undo: Callable[[], None]) -> None:
    with contextlib.suppress(HybridnetError, OSError):
        undo()
