"""Scenarios → what to do to the lab to produce them, as data first, then done and undone.

Each failed part of a scenario becomes lab actions through the Lab's public methods only:

- ``cut``: the cable between two nodes goes down at both ends (a fibre cut: a circuit link);
- ``silent``: every packet on a link is dropped while the link stays up. Used where a cut would
  poison the scenarios after it: on the internet side (a cut makes charon give up the IKE SA, which
  takes minutes to come back), inside a site (the lab's iBGP), and between a VPN gateway and the fabric;
- ``stop``: a node that is down also stops its BGP daemon (SIGTERM: bgpd tells its peers, Cease), so
  the peers drop its routes at once rather than when their 30 s iBGP hold timer (a silenced link, the
  fabric's GatewaySubnet bridge) runs out; the route choice that follows is the same, only sooner. The
  daemon is started again on undo;
- ``drop``: for an estate with several VPN ends, one device's tunnel to one gateway instance: the
  internet node drops what passes between the two public addresses (nftables, through ``Lab.run``).

A part is a link, a whole node (CE, VPN end, MSEE, gateway instance, ER gateway) or a set of these
(a circuit: its MSEEs; a peering location: the MSEEs of its circuits). A part the lab cannot produce
is reported as such: the scenario is then not verified (it never passes silently).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hybridnet.errors import HybridnetError
from hybridnet.model import Topology
from hybridnet.model.names import (
    ER_GATEWAY_NODE,
    INTERNET_NODE,
    VNET_FABRIC_NODE,
    is_msee_node,
    is_vpn_gateway_node,
    msee_node,
)
from hybridnet.routing import Scenario, routing_design, vpn_gateway_node
from hybridnet.routing.estate_design import EstateDesign, estate_design, is_estate
from hybridnet.routing.scenarios import CIRCUIT
from hybridnet.waiting import poll_until

if TYPE_CHECKING:
    from hybridnet.emulate import Lab, LabPlan

ActionKind = Literal["cut", "silent", "stop", "drop"]
DROP_TABLE = "hybridnet_verify"
STOP_S = 5.0
"""A stopped bgpd exits within this (it closes its sessions first)."""


class CannotProduce(HybridnetError):
    """A failed part the lab has no way to produce (e.g. a node this lab does not have)."""


@dataclass(frozen=True)
class LabAction:
    kind: ActionKind
    a: str
    b: str = ""
    via: str = ""
    """``drop`` only: the node that drops (the internet node)."""

    @property
    def description(self) -> str:
        if self.kind == "cut":
            return f"cut {self.a} – {self.b}"
        if self.kind == "silent":
            return f"silence {self.a} – {self.b}"
        if self.kind == "stop":
            return f"stop bgpd on {self.a}"
        return f"drop {self.a} ↔ {self.b} at {self.via}"


def actions_for(lab_plan: LabPlan, item: Scenario) -> tuple[LabAction, ...]:
    """Every action that produces ``item`` in a lab of ``lab_plan`` (stops first, then links), without
    repeats; raises ``CannotProduce`` naming the part the lab cannot fail."""
    topology = lab_plan.topology
    known = {node.name for node in lab_plan.nodes}
    found: list[LabAction] = []
    for part in sorted(item.failed):
        if _cluster_unit(topology, part):
            continue  # the lab runs an HA pair as one node: one unit failing leaves it running, as it should
        down, links, drops = _part(topology, part)
        for node in down:
            if node not in known:
                raise CannotProduce(f"scenario {item.name}: part {part} is node {node}, which lab "
                                    f"{lab_plan.lab} does not have")
            found += node_down(lab_plan, node)
        for a, b in links:
            found.append(LabAction(_link_kind(lab_plan, a, b), a, b))
        found += drops
        if not (down or links or drops):
            raise CannotProduce(f"scenario {item.name}: the lab has no way to produce part {part}")
    unique = list(dict.fromkeys(found))
    return tuple(sorted(unique, key=lambda action: action.kind != "stop"))


def _cluster_unit(topology: Topology, part: str) -> bool:
    """Whether ``part`` is one unit of a firewall HA pair (``<device>-unit-<n>``, the analysis's name)."""
    device, _, unit = part.rpartition("-unit-")
    return unit.isdigit() and any(
        d.name == device and d.firewall is not None and d.firewall.ha_pair
        for site in topology.all_sites for d in site.devices)


def down_nodes(lab_plan: LabPlan, item: Scenario) -> frozenset[str]:
    """The nodes a scenario takes down: their own tables mean nothing (in the lab they live on, cut off)."""
    return frozenset(action.a for action in actions_for(lab_plan, item) if action.kind == "stop")


def node_down(lab_plan: LabPlan, node: str) -> list[LabAction]:
    """A node down: its BGP stopped (when it runs FRR) and every cable of it cut or silenced."""
    spec = lab_plan.node(node)
    found = [LabAction("stop", node)] if spec.frr_config else []
    for link in lab_plan.links:
        ends = (link.a.node, link.b.node)
        if node in ends:
            a, b = ends if ends[0] == node else ends[::-1]
            found.append(LabAction(_link_kind(lab_plan, a, b), a, b))
    return found


def _link_kind(lab_plan: LabPlan, a: str, b: str) -> ActionKind:
    """Silence, where a cut would disturb what follows (see the module's docstring); cut elsewhere."""
    ends = (a, b)
    if INTERNET_NODE in ends or any(is_vpn_gateway_node(end) for end in ends):
        return "silent"
    sides = {lab_plan.node(end).side for end in ends}
    return "silent" if sides == {"onprem"} else "cut"


def _part(topology: Topology, part: str) -> tuple[list[str], list[tuple[str, str]], list[LabAction]]:
    """(nodes down, links cut, drops) for one failed part."""
    if is_estate(topology):
        return _estate_part(topology, estate_design(topology), part)
    design = routing_design(topology)
    for link in design.er_links:
        if part == f"{link.link}-link":
            return [], [(link.edge_router, link.msee)], []
    if part == CIRCUIT:
        return sorted({link.msee for link in design.er_links}), [], []
    for tunnel in design.vpn_tunnels:
        if part == f"vpn-tunnel-{tunnel.index}":
            return [], [(INTERNET_NODE, tunnel.gateway_node)], []
    return [part], [], []  # the ER gateway, a VPN gateway instance, a CE or the VPN appliance: a node


def _estate_part(topology: Topology, design: EstateDesign, part: str
                 ) -> tuple[list[str], list[tuple[str, str]], list[LabAction]]:
    circuits = topology.all_circuits
    index = {circuit.name: i for i, circuit in enumerate(circuits)}

    def msees(names: set[str]) -> list[str]:
        return sorted({msee_node(index[e.circuit], e.link) for e in design.edges if e.circuit in names})

    for edge in design.edges:
        if part == edge.link_part:
            return [], [(edge.device, msee_node(index[edge.circuit], edge.link))], []
    for circuit in design.circuits:
        if part == circuit.circuit_part:
            return msees({circuit.name}), [], []
    located = {c.name for c in design.circuits if c.location_part == part}
    if located:
        return msees(located), [], []
    vpn_ends = [vpn for vpn in design.vpns if vpn.tunnels]
    for vpn in vpn_ends:
        for instance, tunnel_part in vpn.tunnels:
            if part != tunnel_part:
                continue
            gateway = vpn_gateway_node(instance)
            if len(vpn_ends) == 1:
                return [], [(INTERNET_NODE, gateway)], []
            return [], [], [LabAction("drop", vpn.device, gateway, via=INTERNET_NODE)]
    for vnet in design.vnets:
        if part == vnet.peering_part:
            return [], [(VNET_FABRIC_NODE, vnet.node)], []
    for site in design.sites:
        for device, parts in site.device_parts.items():
            if part in parts and len(parts) == 1:
                return [device], [], []
            if part in parts:
                return [], [], []  # one unit of a cluster: the lab runs the cluster as one node, unchanged
    if part == ER_GATEWAY_NODE or is_vpn_gateway_node(part) or is_msee_node(part):
        return [part], [], []
    return [], [], []


# ----------------------------------------------------------------------------------------- doing it


def apply(lab: Lab, actions: tuple[LabAction, ...]) -> None:
    """Make every change (stops first: a stopped bgpd must still reach its peers to tell them)."""
    stopped = [action.a for action in actions if action.kind == "stop"]
    for node in stopped:
        lab.kill_daemon(node, "bgpd", signal.SIGTERM)
    # bgpd sends its Cease while it exits: the links change only once it is gone, or a silenced link
    # could swallow the notice and leave the peers waiting for their hold timer
    poll_until(lambda: not any(lab.pids(node, "bgpd") for node in stopped), STOP_S, 0.02)
    for action in actions:
        if action.kind == "stop":
            continue
        elif action.kind == "cut":
            lab.set_link(action.a, action.b, up=False)
        elif action.kind == "silent":
            lab.set_gray_failure(action.a, action.b, active=True)
        else:
            _drop(lab, action, True)


def undo(lab: Lab, actions: tuple[LabAction, ...]) -> list[str]:
    """Undo every change, links first, then start the stopped daemons; what could not be undone."""
    problems = []
    for action in sorted(actions, key=lambda a: a.kind == "stop"):
        try:
            if action.kind == "cut":
                lab.set_link(action.a, action.b, up=True)
            elif action.kind == "silent":
                lab.set_gray_failure(action.a, action.b, active=False)
            elif action.kind == "drop":
                _drop(lab, action, False)
            elif not lab.pids(action.a, "bgpd"):
                lab.restart_daemon(action.a, "bgpd")
        except (HybridnetError, OSError) as error:
            problems.append(f"{action.description}: {error}")
    return problems


def _drop(lab: Lab, action: LabAction, active: bool) -> None:
    """Drop (or stop dropping) what passes between two nodes' addresses on the internet segment."""
    table = f"{DROP_TABLE}_{action.a}_{action.b}".replace("-", "_")
    if not active:
        lab.run(action.via, ["nft", "delete", "table", "inet", table])
        return
    first, second = (_public_address(lab.plan, node, action.via) for node in (action.a, action.b))
    script = (f"table inet {table} {{\n chain forward {{\n  type filter hook forward priority -10; policy accept;\n"
              f"  ip saddr {first} ip daddr {second} drop\n  ip saddr {second} ip daddr {first} drop\n }}\n}}\n")
    result = lab.run(action.via, ["nft", script])
    if result.returncode != 0:
        raise CannotProduce(f"cannot {action.description}: {result.stderr.strip()[:200]}")


def _public_address(lab_plan: LabPlan, node: str, segment: str) -> str:
    """``node``'s address on its cable to ``segment`` (the internet node)."""
    for link in lab_plan.links:
        for mine, other in ((link.a, link.b), (link.b, link.a)):
            if mine.node == node and other.node == segment:
                for address in lab_plan.node(node).addresses:
                    if address.interface == mine.interface:
                        return str(address.local.ip)
    raise CannotProduce(f"{node} has no address towards {segment} in lab {lab_plan.lab}")
