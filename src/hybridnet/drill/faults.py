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
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hybridnet.drill.result import PathLabel
from hybridnet.errors import BadInput, HybridnetError
from hybridnet.model import Topology
from hybridnet.model.names import ER_GATEWAY_NODE, INTERNET_NODE, MSEE_NODES

if TYPE_CHECKING:
    from hybridnet.emulate import Lab

ActionKind = Literal["cut", "gray", "kill"]


class FaultError(BadInput, ValueError):
    """A fault cannot be built for this topology (e.g. no VPN to stop) or its name is unknown."""


@dataclass(frozen=True)
class FaultAction:
    """One change to the lab: cut the cable a–b, make it drop silently, or kill ``program`` on ``a``."""

    kind: ActionKind
    a: str
    b: str = ""

    @property
    def description(self) -> str:
        if self.kind == "cut":
            return f"cut the link {self.a} – {self.b}"
        if self.kind == "gray":
            return f"silently drop every packet on {self.a} – {self.b} (link stays up)"
        return f"kill {self.b} on {self.a} (SIGKILL)"

    def apply(self, lab: Lab) -> None:
        if self.kind == "cut":
            lab.set_link(self.a, self.b, up=False)
        elif self.kind == "gray":
            lab.set_gray_failure(self.a, self.b, active=True)
        else:
            lab.kill_daemon(self.a, self.b, 9)

    def undo(self, lab: Lab) -> None:
        if self.kind == "cut":
            lab.set_link(self.a, self.b, up=True)
        elif self.kind == "gray":
            lab.set_gray_failure(self.a, self.b, active=False)
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


def circuit_links(topology: Topology, links: tuple[str, ...] = ("primary", "secondary")) -> list[tuple[str, str]]:
    """(customer edge, MSEE) of the circuit's links, in the order given."""
    return [(router.name, MSEE_NODES[router.link]) for link in links
            for router in topology.onprem.edge_routers if router.link == link]


def vpn_link(topology: Topology) -> tuple[str, str]:
    appliance = topology.onprem.vpn_appliance
    if appliance is None or topology.vpn_gateway is None:
        raise FaultError("this topology has no site-to-site VPN to stop")
    return appliance.name, INTERNET_NODE


def _cuts(pairs: list[tuple[str, str]], kind: ActionKind = "cut") -> tuple[FaultAction, ...]:
    return tuple(FaultAction(kind, a, b) for a, b in pairs)


def _circuit_down(topology: Topology) -> Fault:
    return Fault("circuit-down", "circuit hard down (both links)", _cuts(circuit_links(topology)), "VPN", True,
                 "the provider stops the circuit: both links lose carrier, the eBGP sessions reset at once "
                 "and traffic must move to the VPN")


def _primary_link_down(topology: Topology) -> Fault:
    links = circuit_links(topology, ("primary",))
    if not links or not circuit_links(topology, ("secondary",)):
        raise FaultError("primary-link-down needs both a primary and a secondary link")
    return Fault("primary-link-down", "primary link down", _cuts(links), "ExpressRoute", False,
                 "one link of the circuit fails: the secondary link must carry everything, with no move to "
                 "the VPN and next to no loss")


def _gray_failure(topology: Topology) -> Fault:
    return Fault("gray-failure", "gray failure (links up, packets silently dropped)",
                 _cuts(circuit_links(topology), "gray"), "VPN", True,
                 "both links stay up but drop every packet: no carrier loss tells the routers, only BFD "
                 "(or, without it, the BGP hold timer) notices")


def _vpn_down(topology: Topology) -> Fault:
    return Fault("vpn-down", "VPN down while ExpressRoute is up", _cuts([vpn_link(topology)]), "ExpressRoute",
                 False, "the backup fails while the circuit works: traffic must not notice")


def _both_down(topology: Topology) -> Fault:
    return Fault("both-down", "circuit and VPN both down",
                 _cuts([*circuit_links(topology), vpn_link(topology)]), "VPN", False,
                 "no path is left: an outage, which the drill reports as such (it fails)")


def _gateway_daemon_killed(topology: Topology) -> Fault:
    return Fault("gateway-daemon-killed", "ExpressRoute gateway's BGP daemon killed",
                 (FaultAction("kill", ER_GATEWAY_NODE, "bgpd"),), "VPN", True,
                 "the ExpressRoute gateway loses its routing process: its sessions close, the VNet and "
                 "on-prem withdraw the ExpressRoute routes and traffic moves to the VPN")


FAULT_BUILDERS: dict[str, Callable[[Topology], Fault]] = {
    "circuit-down": _circuit_down,
    "primary-link-down": _primary_link_down,
    "gray-failure": _gray_failure,
    "vpn-down": _vpn_down,
    "both-down": _both_down,
    "gateway-daemon-killed": _gateway_daemon_killed,
}


def build_fault(name: str, topology: Topology) -> Fault:
    """The fault called ``name`` for ``topology``; FaultError names the known ones otherwise."""
    builder = FAULT_BUILDERS.get(name)
    if builder is None:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(FAULT_BUILDERS)}")
    fault = builder(topology)
    if not fault.actions:
        raise FaultError(f"{name}: this topology has no ExpressRoute link to act on")
    return fault


def _quietly(undo: Callable[[], None]) -> None:
    with contextlib.suppress(HybridnetError, OSError):
        undo()
