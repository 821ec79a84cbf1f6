"""How each kind of router chooses among routes to one prefix.

Two decision processes, written out step by step because the analysis is only as good as they are:

* on-prem routers run BGP (FRR): weight, local preference, locally originated, AS-path length,
  origin, MED (same neighbouring AS only), eBGP over iBGP, then router ID and peer name as the
  deterministic tie-break. Routes equal down to eBGP/iBGP with an identical AS path are kept
  together as equal-cost multipath, as ``maximum-paths`` does;
* Azure (azure-facts §3): ExpressRoute over VPN for the same prefix, then the ExpressRoute
  connection weight (it only exists on ExpressRoute), then the shorter AS path; whatever is still
  equal is used as ECMP (both MSEE links, both instances of an active-active VPN gateway).

Longest-prefix match happens before either of these, in the forwarding walk (``paths``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Via(StrEnum):
    """Where a route came from: through which gateway, or from inside one side of the network."""

    ER = "ER"
    VPN = "VPN"
    INTERNAL = "internal"


class Origin(IntEnum):
    """BGP origin; lower is preferred."""

    IGP = 0
    EGP = 1
    INCOMPLETE = 2


LOCAL_WEIGHT = 32768
"""FRR gives routes a router originates itself (a redistributed static) this weight."""


@dataclass(frozen=True)
class BgpRoute:
    """One path to a prefix as one on-prem router holds it."""

    next_hop: str
    """The BGP next hop: the router that announced it (next-hop-self on the iBGP mesh)."""
    via: Via
    as_path: tuple[int, ...]
    local_preference: int = 100
    weight: int = 0
    origin: Origin = Origin.IGP
    med: int = 0
    ebgp: bool = True
    local: bool = False
    """Originated by this router (a static route into the tunnel, redistributed)."""


def _router_rank(route: BgpRoute, router_ids: Mapping[str, int]) -> tuple[int, str]:
    return (router_ids.get(route.next_hop, len(router_ids)), route.next_hop)


def bgp_best(
    routes: Sequence[BgpRoute], router_ids: Mapping[str, int], multipath: bool = True
) -> tuple[BgpRoute, ...]:
    """The best path first, then any equal-cost multipaths; empty when there is no route."""
    candidates = list(routes)
    if not candidates:
        return ()
    for step in (
        lambda r: -r.weight,
        lambda r: -r.local_preference,
        lambda r: 0 if r.local else 1,
        lambda r: len(r.as_path),
        lambda r: r.origin,
    ):
        best_value = min(step(route) for route in candidates)
        candidates = [route for route in candidates if step(route) == best_value]
    candidates = _lowest_med_per_neighbour_as(candidates)
    if any(route.ebgp for route in candidates):
        candidates = [route for route in candidates if route.ebgp]
    candidates.sort(key=lambda route: _router_rank(route, router_ids))
    best = candidates[0]
    if not multipath:
        return (best,)
    return (best, *(route for route in candidates[1:] if route.as_path == best.as_path))


def _lowest_med_per_neighbour_as(routes: list[BgpRoute]) -> list[BgpRoute]:
    """MED is only compared between routes from the same neighbouring AS (FRR's default)."""
    lowest: dict[int | None, int] = {}
    for route in routes:
        neighbour = route.as_path[0] if route.as_path else None
        lowest[neighbour] = min(lowest.get(neighbour, route.med), route.med)
    return [route for route in routes if route.med == lowest[route.as_path[0] if route.as_path else None]]


@dataclass(frozen=True)
class AzureRoute:
    """One route a VNet gateway offers the fabric (or the MSEE offers the ExpressRoute gateway)."""

    next_hop: str
    via: Via
    as_path: tuple[int, ...]
    weight: int = 0


def azure_best(routes: Sequence[AzureRoute]) -> tuple[AzureRoute, ...]:
    """Azure's order for one prefix: ExpressRoute over VPN, connection weight, AS path; rest is ECMP."""
    candidates = list(routes)
    if not candidates:
        return ()
    if any(route.via is Via.ER for route in candidates):
        candidates = [route for route in candidates if route.via is Via.ER]
        top_weight = max(route.weight for route in candidates)
        candidates = [route for route in candidates if route.weight == top_weight]
    shortest = min(len(route.as_path) for route in candidates)
    candidates = [route for route in candidates if len(route.as_path) == shortest]
    return tuple(sorted(candidates, key=lambda route: route.next_hop))
