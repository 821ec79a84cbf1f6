"""Routing intent: whether traffic really uses ExpressRoute while it is up, and really moves to the VPN
(fast, in both directions, with packets that fit) when it fails.

These are the rules the failover test in the reference guidance would catch in production: a path
that is asymmetric, a prefix pinned to the VPN, a prefix with no backup, a three-minute detection.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network, collapse_addresses

from hybridnet.model import IpsecConnection, Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import connection_path, lng_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import BGP_FAQ, COEXIST, ER_BFD, ER_ROUTING, TCP_TUNING

MSEE_HOLD_S = 180
VPN_PREFIX_LIMIT = 4000
IP_TCP_HEADERS = 40
_DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")


def _vpn_connection(topology: Topology) -> IpsecConnection | None:
    return topology.vpn_connection


def _over_vpn(topology: Topology) -> tuple[IPv4Network, ...]:
    """What Azure routes into the tunnel: BGP-learned from the appliance, or the LNG's static prefixes."""
    connection = _vpn_connection(topology)
    if connection is None:
        return ()
    if connection.enable_bgp:
        return topology.onprem.advertised_over_vpn()
    lng = topology.local_network_gateway(connection.local_network_gateway)
    return lng.address_prefixes if lng is not None else ()


def _over_er(topology: Topology) -> tuple[IPv4Network, ...]:
    seen: list[IPv4Network] = []
    for router in topology.onprem.edge_routers:
        seen += [p for p in topology.onprem.advertised_over_er(router) if p not in seen]
    return tuple(seen)


@rule("HN-RT-001", "On-premises prefers ExpressRoute over the VPN", Severity.ERROR, COEXIST)
def onprem_prefers_expressroute(topology: Topology) -> Iterator[Problem]:
    """Azure prefers ExpressRoute for equal prefixes, but on-prem routers pick by local preference first. After
    it, the AS paths are equally long (12076 over ExpressRoute, where the MSEE removes the gateway's private
    65515; 65515 over the VPN), origin is IGP on both, MED is not compared between different neighbouring ASes,
    and both reach the core over iBGP: the lowest router ID decides, by accident. Without a higher local
    preference on the edge routers, on-prem may send over the VPN while Azure answers over ExpressRoute: an
    asymmetric path that stateful firewalls drop."""
    appliance = topology.onprem.vpn_appliance
    connection = _vpn_connection(topology)
    if appliance is None or connection is None or not connection.enable_bgp:
        return
    gateway = topology.vpn_gateway
    vpn_path = str(gateway.bgp.asn) if gateway is not None and gateway.bgp is not None else "65515"
    for index, router in enumerate(topology.onprem.edge_routers):
        if router.local_preference < appliance.local_preference:
            why = (
                f"a lower local preference than the VPN appliance {appliance.name}'s "
                f"{appliance.local_preference}: on-prem sends over the VPN while Azure answers over "
                "ExpressRoute, an asymmetric path"
            )
        elif router.local_preference == appliance.local_preference:
            why = (
                f"the same local preference as the VPN appliance {appliance.name}, and the AS paths are "
                f"equally long (12076 over ExpressRoute, {vpn_path} over the VPN): origin, MED and iBGP at "
                "the core tie too, so the lower router ID picks the path; if the appliance's is lower, "
                "on-prem sends over the VPN while Azure answers over ExpressRoute, an asymmetric path"
            )
        else:
            continue
        yield Problem(
            f"onprem.edge_routers.{index}.local_preference",
            f"edge router {router.name} gives ExpressRoute routes local preference {router.local_preference}, "
            + why,
            f"set local_preference above {appliance.local_preference} on every edge router (e.g. 150)",
        )


@rule("HN-RT-002", "No prefix is more specific over the VPN than over ExpressRoute", Severity.ERROR, COEXIST)
def no_more_specific_over_vpn(topology: Topology) -> Iterator[Problem]:
    """Azure applies longest-prefix match before it prefers ExpressRoute: a /24 over the VPN beats a /16 over
    ExpressRoute, so that range uses the VPN all the time and gets no failover at all."""
    over_er = _over_er(topology)
    for prefix in _over_vpn(topology):
        if prefix in over_er:
            continue
        wider = [er for er in over_er if prefix.subnet_of(er)]
        if wider:
            yield Problem(_vpn_prefix_path(topology, prefix),
                          f"{prefix} is announced over the VPN but only {wider[0]} over ExpressRoute: Azure "
                          "sends "
                          f"traffic for {prefix} over the VPN even while ExpressRoute is up (longest prefix "
                          "wins)",
                          f"announce exactly the same prefixes on both paths (add {prefix} to ExpressRoute "
                          "or "
                          "remove it from the VPN)")


@rule("HN-RT-003", "Every prefix announced over ExpressRoute has a VPN backup", Severity.ERROR, COEXIST)
def every_prefix_has_backup(topology: Topology) -> Iterator[Problem]:
    """When the circuit fails, Azure can only send to on-prem ranges the VPN also covers; anything else is
    unreachable for the whole outage."""
    if _vpn_connection(topology) is None:
        return
    over_vpn = _over_vpn(topology)
    for index, router in enumerate(topology.onprem.edge_routers):
        for prefix in topology.onprem.advertised_over_er(router):
            if not any(prefix.subnet_of(vpn) for vpn in over_vpn):
                yield Problem(f"onprem.edge_routers.{index}", f"{prefix} is announced over ExpressRoute by "
                              f"{router.name} but not covered over the VPN: no failover for it",
                              "announce it (or a covering prefix) over the VPN too")


@rule("HN-RT-004", "BFD detects ExpressRoute failures in under a second", Severity.WARNING, ER_BFD)
def bfd_enabled(topology: Topology) -> Iterator[Problem]:
    """Without BFD a failure that keeps the link up (a provider fault, a silent drop) is noticed only when the
    BGP hold timer expires; the lower hold time of the two sides applies, and the MSEE uses 180 s."""
    peering = topology.circuit.private_peering if topology.circuit is not None else None
    if peering is None or peering.bfd.enabled:
        return
    hold = min(peering.bgp_timers.hold_s, MSEE_HOLD_S)
    yield Problem("circuit.private_peering.bfd.enabled",
                  "BFD is off: a silent ExpressRoute failure is detected only when the BGP hold timer "
                  "expires, "
                  f"after {hold} s, and traffic is black-holed until the VPN takes over",
                  "enable BFD on the edge routers (interval 300 ms, multiplier 3: about 0.9 s)")


@rule("HN-RT-005", "The VPN path clamps TCP MSS", Severity.WARNING, TCP_TUNING)
def mss_clamp_present(topology: Topology) -> Iterator[Problem]:
    """Over ExpressRoute full 1500-byte packets pass; inside the tunnel only 1400 do. Without MSS clamping,
    TCP sessions that moved to the VPN stall on large packets wherever path-MTU discovery is blocked."""
    for connection in topology.ipsec_connections:
        if connection.tcp_mss_clamp is None:
            yield Problem(f"{connection_path(topology, connection)}.tcp_mss_clamp",
                          f"no TCP MSS clamping on {connection.name}: after failover, TCP segments of 1460 "
                          "bytes do "
                          f"not fit the {connection.tunnel_mtu}-byte tunnel", "set tcp_mss_clamp: 1350 "
                                                                              "(Azure's "
                          "recommendation, with tunnel_mtu: 1400)")


@rule("HN-RT-006", "The clamped MSS fits the tunnel MTU", Severity.WARNING, TCP_TUNING)
def mss_fits_mtu(topology: Topology) -> Iterator[Problem]:
    """An MSS above tunnel MTU minus 40 bytes of IP and TCP headers still produces packets the tunnel must
    fragment or drop."""
    for connection in topology.ipsec_connections:
        clamp = connection.tcp_mss_clamp
        if clamp is not None and clamp > connection.tunnel_mtu - IP_TCP_HEADERS:
            yield Problem(f"{connection_path(topology, connection)}.tcp_mss_clamp",
                          f"MSS {clamp} + {IP_TCP_HEADERS} bytes of headers exceeds the tunnel MTU "
                          f"{connection.tunnel_mtu}", "clamp to "
                                                      f"{connection.tunnel_mtu - IP_TCP_HEADERS - 10} or "
                          "less (1350 for a 1400 MTU)")


@rule("HN-RT-007", "Announced prefixes stay under Azure's limits", Severity.ERROR, ER_ROUTING)
def prefix_limits(topology: Topology) -> Iterator[Problem]:
    """Azure drops the BGP session when a peer announces more than 4000 prefixes (10000 on private peering
    with Premium); the whole path goes down, not just the excess."""
    circuit = topology.circuit
    for index, router in enumerate(topology.onprem.edge_routers if circuit is not None else ()):
        limit = circuit.route_limit
        count = len(topology.onprem.advertised_over_er(router))
        if count > limit:
            yield Problem(f"onprem.edge_routers.{index}.advertised_prefixes",
                          f"{router.name} announces {count} prefixes; circuit {circuit.name} "
                          f"({circuit.sku_tier}) accepts {limit}, then drops the session",
                          "summarise the prefixes, or use the Premium add-on (10000)")
    connection = _vpn_connection(topology)
    count = len(_over_vpn(topology))
    if connection is not None and connection.enable_bgp and count > VPN_PREFIX_LIMIT:
        yield Problem("onprem.vpn_appliance.advertised_prefixes",
                      f"the VPN appliance announces {count} prefixes; the VPN gateway accepts "
                      f"{VPN_PREFIX_LIMIT}, "
                      "then drops the session", "summarise the prefixes announced over the VPN")


@rule("HN-RT-008", "The VPN uses BGP", Severity.WARNING, BGP_FAQ)
def vpn_uses_bgp(topology: Topology) -> Iterator[Problem]:
    """With static routing, Azure's side fails over (the local network gateway's prefixes stay routed into the
    tunnel), but on-prem needs hand-kept floating static routes, an active-active gateway's second tunnel
    cannot be used, and nothing withdraws a route when the tunnel is down."""
    for connection in topology.ipsec_connections:
        if not connection.enable_bgp:
            yield Problem(f"{connection_path(topology, connection)}.enable_bgp",
                          f"{connection.name} has no BGP: the VPN is static-routed, so failover on-prem "
                          "relies on "
                          "floating static routes and never sees the tunnel go down",
                          "enable BGP: enable_bgp: true, bgp on the VPN gateway and the local network "
                          "gateway")


@rule("HN-RT-009", "A static VPN lists every on-premises range on the local network gateway", Severity.ERROR,
      COEXIST)
def static_vpn_covers_onprem(topology: Topology) -> Iterator[Problem]:
    """Without BGP, the local network gateway's prefixes are the only on-prem routes Azure has over the VPN; a
    range missing there has no path when ExpressRoute fails."""
    for connection in topology.ipsec_connections:
        lng = topology.local_network_gateway(connection.local_network_gateway)
        if connection.enable_bgp or lng is None:
            continue
        for space in topology.onprem.address_space:
            if not any(space.subnet_of(prefix) for prefix in lng.address_prefixes):
                yield Problem(f"{lng_path(topology, lng)}.address_prefixes",
                              f"static VPN {connection.name}: on-premises {space} is not in local network "
                              "gateway "
                              f"{lng.name}'s prefixes, so it has no route over the VPN", f"add {space}")


@rule("HN-RT-010", "On-premises does not announce a default route over ExpressRoute", Severity.WARNING,
      ER_ROUTING)
def no_default_over_er(topology: Topology) -> Iterator[Problem]:
    """A 0.0.0.0/0 learned over private peering replaces the VNet's internet path: all VM egress goes on-prem
    and, during an outage, over the VPN too."""
    for index, router in enumerate(topology.onprem.edge_routers):
        if _DEFAULT_ROUTE in topology.onprem.advertised_over_er(router):
            yield Problem(f"onprem.edge_routers.{index}.advertised_prefixes",
                          f"{router.name} announces 0.0.0.0/0 over ExpressRoute: VNet internet traffic is "
                          "forced "
                          "on-prem", "announce only on-prem prefixes, unless forced tunnelling is intended")


@rule("HN-RT-011", "Every range announced over the VPN is also announced over ExpressRoute", Severity.WARNING,
      COEXIST)
def vpn_ranges_covered_by_expressroute(topology: Topology) -> Iterator[Problem]:
    """Addresses Azure learns only over the VPN use the VPN all the time, not as a backup: ExpressRoute's
    bandwidth and latency never apply to them, and losing the tunnel cuts them off while ExpressRoute is
    fine."""
    over_er = _over_er(topology)
    if not topology.onprem.edge_routers:
        return  # no ExpressRoute edge at all: HN-ER-001/HN-ER-002 say so
    for prefix in _over_vpn(topology):
        uncovered = _uncovered(prefix, over_er)
        if uncovered:
            ranges = ", ".join(str(piece) for piece in uncovered[:4]) + (" ..." if len(uncovered) > 4 else "")
            yield Problem(_vpn_prefix_path(topology, prefix),
                          f"{prefix} is announced over the VPN but {ranges} of it is not announced over "
                          "ExpressRoute: Azure reaches that part only through the tunnel, even while ExpressRoute "
                          "is up", "announce the same ranges on both paths")


def _uncovered(prefix: IPv4Network, covering: tuple[IPv4Network, ...]) -> list[IPv4Network]:
    """The parts of ``prefix`` that no network in ``covering`` contains."""
    pieces = [prefix]
    for cover in collapse_addresses(covering):
        remaining: list[IPv4Network] = []
        for piece in pieces:
            if piece.subnet_of(cover):
                continue
            remaining += list(piece.address_exclude(cover)) if cover.subnet_of(piece) else [piece]
        pieces = remaining
    return list(collapse_addresses(pieces))


def _vpn_prefix_path(topology: Topology, prefix: IPv4Network) -> str:
    connection = _vpn_connection(topology)
    appliance = topology.onprem.vpn_appliance
    if connection is not None and not connection.enable_bgp:
        lng = topology.local_network_gateway(connection.local_network_gateway)
        if lng is not None and prefix in lng.address_prefixes:
            return f"{lng_path(topology, lng)}.address_prefixes.{lng.address_prefixes.index(prefix)}"
    announced = appliance.advertised_prefixes if appliance is not None else None
    if announced is not None and prefix in announced:
        return f"onprem.vpn_appliance.advertised_prefixes.{announced.index(prefix)}"
    return "onprem.address_space"
