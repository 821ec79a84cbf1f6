"""Who announces each on-prem prefix, and which prefixes behave alike.

Azure forwards traffic for an on-prem prefix by longest-prefix match over every route that covers
it: the announcements, and the user-defined routes of the subnet's route table. So two prefixes get
the same path in every scenario when the routes covering them, most specific first, are the same:
the same routers announce them and the same UDRs apply. The analysis decides once per distinct
chain, which is what makes 10,000 prefixes cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network

from hybridnet.routing.design import RoutingDesign, UserRoute

Announcers = frozenset[str]


@dataclass(frozen=True)
class ChainLink:
    """What exists for one covering prefix: who announces it, and the UDRs written for it."""

    announcers: Announcers
    user_routes: tuple[UserRoute, ...] = ()


@dataclass(frozen=True)
class PrefixClass:
    """Prefixes that are routed alike: their chain of covering routes (most specific first), and
    whether on-prem owns them (the core router delivers them) or merely announces them."""

    chain: tuple[ChainLink, ...]
    internal: bool


def announcements(design: RoutingDesign) -> dict[IPv4Network, Announcers]:
    """Each announced on-prem prefix → the routers that announce it to Azure (sessions Azure drops
    for exceeding the route limit announce nothing)."""
    found: dict[IPv4Network, set[str]] = {}
    for link in design.er_links:
        if not link.dropped:
            for prefix in link.advertised:
                found.setdefault(prefix, set()).add(link.edge_router)
    if design.vpn_appliance is not None and design.vpn_tunnels and not design.vpn_dropped:
        for prefix in design.vpn_advertised:
            found.setdefault(prefix, set()).add(design.vpn_appliance)
    return {prefix: frozenset(names) for prefix, names in found.items()}


class _CoverIndex:
    """Finds the prefixes of a set that cover an address block, with one dict lookup per length."""

    def __init__(self, prefixes: Iterable[IPv4Network]) -> None:
        self._by_key = {(int(p.network_address), p.prefixlen): p for p in prefixes}
        self._lengths = sorted({length for _, length in self._by_key}, reverse=True)

    def covering(self, prefix: IPv4Network) -> list[IPv4Network]:
        """Covering prefixes, the most specific first (the prefix itself included when present)."""
        address = int(prefix.network_address)
        found = []
        for length in self._lengths:
            if length <= prefix.prefixlen:
                key = (address & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF, length)
                match = self._by_key.get(key)
                if match is not None:
                    found.append(match)
        return found


def classify(
    design: RoutingDesign, prefixes: Iterable[IPv4Network]
) -> tuple[tuple[PrefixClass, ...], list[int]]:
    """Group on-prem prefixes by how they are routed: the distinct classes, and each prefix's class."""
    announced = announcements(design)
    udrs: dict[IPv4Network, list[UserRoute]] = {}
    for route in design.user_routes:
        udrs.setdefault(route.prefix, []).append(route)
    links = {
        prefix: ChainLink(announced.get(prefix, frozenset()), tuple(udrs.get(prefix, ())))
        for prefix in {*announced, *udrs}
    }
    route_index = _CoverIndex(links)
    space_index = _CoverIndex(design.onprem_space)
    classes: dict[PrefixClass, int] = {}
    membership = []
    for prefix in prefixes:
        key = PrefixClass(
            tuple(links[p] for p in route_index.covering(prefix)), bool(space_index.covering(prefix))
        )
        membership.append(classes.setdefault(key, len(classes)))
    return tuple(classes), membership
