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

from hybridnet.routing.design import PrefixKey, RoutingDesign, UserRoute, key_of

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
    return dict(_announced(design).values())


def _announced(design: RoutingDesign) -> dict[PrefixKey, tuple[IPv4Network, Announcers]]:
    found: dict[PrefixKey, tuple[IPv4Network, set[str]]] = {}
    sessions = [(link.edge_router, link.advertised) for link in design.er_links if not link.dropped]
    if design.vpn_appliance is not None and design.vpn_tunnels and not design.vpn_dropped:
        sessions.append((design.vpn_appliance, design.vpn_advertised))
    for announcer, prefixes in sessions:
        for prefix in prefixes:
            found.setdefault(key_of(prefix), (prefix, set()))[1].add(announcer)
    return {key: (prefix, frozenset(names)) for key, (prefix, names) in found.items()}


class _CoverIndex:
    """Finds the prefixes of a set that cover an address block, with one dict lookup per length."""

    def __init__(self, keys: Iterable[PrefixKey]) -> None:
        self._keys = set(keys)
        self._lengths = sorted({length for _, length in self._keys}, reverse=True)

    def covering(self, key: PrefixKey) -> list[PrefixKey]:
        """Covering prefixes, the most specific first (the prefix itself included when present)."""
        address, own_length = key
        found = []
        for length in self._lengths:
            if length <= own_length:
                candidate = (address & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF, length)
                if candidate in self._keys:
                    found.append(candidate)
        return found


def classify(
    design: RoutingDesign, prefixes: Iterable[IPv4Network]
) -> tuple[tuple[PrefixClass, ...], list[int]]:
    """Group on-prem prefixes by how they are routed: the distinct classes, and each prefix's class."""
    announced = _announced(design)
    udrs: dict[PrefixKey, list[UserRoute]] = {}
    for route in design.user_routes:
        udrs.setdefault(key_of(route.prefix), []).append(route)
    nobody: Announcers = frozenset()
    links = {
        key: ChainLink(announced[key][1] if key in announced else nobody, tuple(udrs.get(key, ())))
        for key in {*announced, *udrs}
    }
    route_index = _CoverIndex(links)
    space_index = _CoverIndex(key_of(prefix) for prefix in design.onprem_space)
    classes: dict[PrefixClass, int] = {}
    membership = []
    for prefix in prefixes:
        key = key_of(prefix)
        found = PrefixClass(
            tuple(links[k] for k in route_index.covering(key)), bool(space_index.covering(key))
        )
        membership.append(classes.setdefault(found, len(classes)))
    return tuple(classes), membership
