"""Following the next hops: the path a packet takes, hop by hop, including every ECMP branch.

A path ends where the packet is delivered, where a node has no route (a black hole) or where it
would come back to a node it already crossed (a loop, which drops it as surely). The gateway a
path used is read off the nodes it crossed, so it cannot disagree with the hop list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from hybridnet.model.names import is_msee_node, is_vpn_gateway_node
from hybridnet.routing.decisions import NextHop
from hybridnet.routing.design import ER_GATEWAY

MAX_BRANCHES = 64
"""ECMP branches followed per path; the designs modelled here have at most four."""


class GatewayKind(StrEnum):
    """Which way a path crossed between on-prem and Azure."""

    ER = "ER"
    VPN = "VPN"
    MIXED = "ER+VPN"
    NONE = "none"


class Fate(StrEnum):
    DELIVERED = "delivered"
    NO_ROUTE = "no-route"
    LOOP = "loop"
    UNMODELLED = "unmodelled"
    """Handed to something the analysis does not model (a virtual appliance a UDR points at)."""


@dataclass(frozen=True)
class Branch:
    hops: tuple[str, ...]
    fate: Fate

    @property
    def gateway(self) -> GatewayKind:
        return _gateway_of(self.hops)


@dataclass(frozen=True)
class Path:
    """Every branch a flow's packets can take in one direction."""

    branches: tuple[Branch, ...]

    @property
    def hops(self) -> tuple[str, ...]:
        """The first branch's hops: the path, when there is no ECMP."""
        return self.branches[0].hops

    @property
    def delivered(self) -> bool:
        return all(branch.fate is Fate.DELIVERED for branch in self.branches)

    @property
    def blackhole(self) -> bool:
        """Some (or all) of the traffic is dropped on the way."""
        return any(branch.fate in (Fate.NO_ROUTE, Fate.LOOP) for branch in self.branches)

    @property
    def unmodelled(self) -> bool:
        return any(branch.fate is Fate.UNMODELLED for branch in self.branches)

    @property
    def gateway(self) -> GatewayKind:
        kinds = {branch.gateway for branch in self.branches if branch.fate is Fate.DELIVERED}
        kinds.discard(GatewayKind.NONE)
        if not kinds:
            return GatewayKind.NONE
        if len(kinds) == 1:
            return kinds.pop()
        return GatewayKind.MIXED

    @property
    def uses_vpn(self) -> bool:
        return any(branch.gateway in (GatewayKind.VPN, GatewayKind.MIXED) for branch in self.branches)

    @property
    def dropped_at(self) -> tuple[str, ...]:
        """Where traffic is dropped: the last hop of each failed branch."""
        dropped = (Fate.NO_ROUTE, Fate.LOOP)
        return tuple(dict.fromkeys(b.hops[-1] for b in self.branches if b.fate in dropped))


def _gateway_of(hops: tuple[str, ...]) -> GatewayKind:
    er = any(hop == ER_GATEWAY or is_msee_node(hop) for hop in hops)
    vpn = any(is_vpn_gateway_node(hop) for hop in hops)
    if er and vpn:
        return GatewayKind.MIXED
    if er:
        return GatewayKind.ER
    return GatewayKind.VPN if vpn else GatewayKind.NONE




def trace(
    start: str, next_hops: Callable[[str], tuple[NextHop, ...]], end_of: Callable[[str], Fate | None]
) -> Path:
    """Walk from ``start`` until every branch ends: ``end_of`` says where traffic is delivered (or
    leaves the model), a node without next hops drops it, a node seen twice loops it."""
    done: list[Branch] = []
    pending: list[tuple[str, ...]] = [(start,)]
    while pending:
        hops = pending.pop()
        node = hops[-1]
        fate = end_of(node)
        if fate is not None:
            done.append(Branch(hops, fate))
            continue
        choices = next_hops(node)
        if not choices:
            done.append(Branch(hops, Fate.NO_ROUTE))
            continue
        for choice in reversed(choices):
            if choice.node in hops:
                done.append(Branch((*hops, choice.node), Fate.LOOP))
            elif len(done) + len(pending) < MAX_BRANCHES:
                pending.append((*hops, choice.node))
    return Path(tuple(done))
