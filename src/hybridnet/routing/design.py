"""The routing view of a topology: who peers with whom, announcing what, with which policy.

Everything the route analysis needs is read from the model once, here, so the decision code never
has to know how the YAML is laid out. Node names are the ones the emulator gives its namespaces:
the model's own names for on-prem routers, fixed names for the Azure parts (which the model does
not name because the user cannot configure them individually).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import NamedTuple

from hybridnet.model import GATEWAY_SUBNET, MICROSOFT_ASN, Topology
from hybridnet.model.names import AZURE_GATEWAY_ASN, ER_GATEWAY_NODE, MSEE_NODES, VNET_FABRIC_NODE, vpn_gateway_node

MSEE_ASN = MICROSOFT_ASN
ER_GATEWAY = ER_GATEWAY_NODE
VNET_FABRIC = VNET_FABRIC_NODE
# The Azure side's node names and ASN come from ``hybridnet.model.names`` (one copy, shared with the
# emulator). Both virtual network gateways speak for the VNet as AS 65515 (azure-facts §2, §4): the
# ExpressRoute gateway always, the VPN gateway by default. The MSEEs remove that private AS towards
# the customer (Microsoft's published route tables, azure-facts §8), so on-prem sees VNet prefixes
# with the path ``12076`` over ExpressRoute and ``65515`` over the VPN: equally long, so without a
# higher local preference on the edges the BGP tie-break (origin, MED, eBGP over iBGP, router ID)
# decides, which is why on-prem must prefer ExpressRoute by local preference.

ER_AS_PATH_ONPREM: tuple[int, ...] = (MSEE_ASN,)
"""The AS path of VNet prefixes as a customer edge receives them over ExpressRoute."""

VPN_GATEWAY_ROUTE_LIMIT = 4000
"""Prefixes the VPN gateway accepts from one BGP peer before it drops the session (BGP FAQ)."""


Accepted = Callable[[tuple[IPv4Network, ...], str], tuple[IPv4Network, ...]]
"""Filters one session's announcements the way Azure does, noting what it drops."""


PrefixKey = tuple[int, int]
"""A prefix as (network address, length): hashing ``IPv4Network`` is slow at 10,000 prefixes."""


def key_of(prefix: IPv4Network) -> PrefixKey:
    return int(prefix.network_address), prefix.prefixlen


@dataclass(frozen=True)
class ErLink:
    """One link of the ExpressRoute circuit: a CE router peering eBGP with one MSEE."""

    link: str
    edge_router: str
    msee: str
    local_preference: int
    as_path: tuple[int, ...]
    """The AS path the MSEE sees on on-prem prefixes (peer ASN, prepended as configured)."""
    advertised: tuple[IPv4Network, ...]
    dropped: bool
    """The CE announces more prefixes than the circuit SKU accepts: Azure drops the session."""


@dataclass(frozen=True)
class VpnTunnel:
    """One IPsec tunnel, from the on-prem VPN appliance to one VPN gateway instance."""

    index: int
    gateway_node: str


@dataclass(frozen=True)
class UserRoute:
    """A user-defined route (UDR) in a route table: for the same prefix it beats gateway routes."""

    table: str
    prefix: IPv4Network
    next_hop_type: str
    next_hop_ip: IPv4Address | None


@dataclass(frozen=True)
class VnetSubnet:
    """A workload subnet and what decides its routes towards on-prem."""

    name: str
    prefix: IPv4Network
    route_table: str | None
    bgp_propagation: bool
    """False when its route table disables gateway route propagation: no BGP route reaches it."""


@dataclass(frozen=True)
class RoutingDesign:
    """The routing-relevant facts of one topology, named as the emulator names its nodes."""

    name: str
    core: str
    onprem_asn: int
    onprem_address_space: tuple[IPv4Network, ...]
    onprem_space: tuple[IPv4Network, ...]
    """Destinations the core router delivers itself (address space and subnets)."""
    vnet_prefixes: tuple[IPv4Network, ...]
    vnet_subnets: tuple[VnetSubnet, ...]
    user_routes: tuple[UserRoute, ...]
    er_links: tuple[ErLink, ...]
    er_gateway: bool
    er_connected: bool
    """An ExpressRoute connection joins the gateway to the circuit's private peering."""
    er_weight: int
    vpn_appliance: str | None
    vpn_tunnels: tuple[VpnTunnel, ...]
    vpn_bgp: bool
    vpn_asn: int
    vpn_local_preference: int
    vpn_as_path: tuple[int, ...]
    """The AS path the VPN gateway sees on on-prem prefixes (BGP), empty for static routing."""
    vpn_advertised: tuple[IPv4Network, ...]
    vpn_dropped: bool
    notes: tuple[str, ...]

    @property
    def edge_routers(self) -> tuple[str, ...]:
        return tuple(link.edge_router for link in self.er_links)

    @property
    def bgp_speakers(self) -> tuple[str, ...]:
        """The on-prem BGP speakers: the core (route reflector) first, then its clients."""
        appliance = (self.vpn_appliance,) if self.vpn_appliance and self.vpn_tunnels else ()
        return (self.core, *self.edge_routers, *appliance)

    def onprem_prefixes(self) -> tuple[IPv4Network, ...]:
        """The on-prem side of the flows: its address space and every prefix it announces."""
        every = {key_of(prefix): prefix for prefix in self.onprem_address_space}
        for prefixes in (self.vpn_advertised, *(link.advertised for link in self.er_links)):
            every.update((key_of(prefix), prefix) for prefix in prefixes)
        return tuple(every[key] for key in sorted(every))


def routing_design(topology: Topology) -> RoutingDesign:
    """Read the routing facts out of a topology (pure; the topology is already validated)."""
    onprem = topology.onprem
    vnet_prefixes = tuple(topology.vnet.address_space)
    notes: list[str] = []

    vnet_masks = [(int(vnet.network_address), int(vnet.netmask), vnet.prefixlen) for vnet in vnet_prefixes]

    def accepted(prefixes: tuple[IPv4Network, ...], session: str) -> tuple[IPv4Network, ...]:
        # Azure filters on-prem announcements equal to or inside a VNet prefix (azure-facts §3.7).
        # Integer arithmetic, not ipaddress: this runs for every one of 10,000 prefixes.
        kept: dict[PrefixKey, IPv4Network] = {}
        for prefix in prefixes:
            address, length = key_of(prefix)
            if any(length >= size and address & mask == network for network, mask, size in vnet_masks):
                notes.append(f"{session}: {prefix} lies inside the VNet address space; Azure ignores it")
            else:
                kept[(address, length)] = prefix
        return tuple(kept.values())

    er_links = _er_links(topology, accepted, notes)
    er_gateway = topology.er_gateway is not None
    er_connection = next(
        (
            c
            for c in topology.er_connections
            if topology.er_gateway is not None
            and c.gateway == topology.er_gateway.name
            and c.circuit == topology.circuit.name
        ),
        None,
    )
    if er_links and er_gateway and er_connection is None:
        notes.append(
            "no ExpressRoute connection joins the gateway to the circuit: ExpressRoute carries nothing"
        )

    vpn = _vpn_side(topology, accepted, notes)
    appliance = onprem.vpn_appliance
    tied = [link.edge_router for link in er_links if appliance and link.local_preference == appliance.local_preference]
    if vpn.bgp and appliance is not None and tied:
        notes.append(
            f"{', '.join(tied)} and {appliance.name} give the VNet the same local preference "
            f"({appliance.local_preference}) and equally long AS paths ({' '.join(map(str, ER_AS_PATH_ONPREM))} "
            f"over ExpressRoute, {vpn.asn} over the VPN); origin, MED (different neighbouring AS) and iBGP "
            "at the core tie too, so the lowest router ID decides between ExpressRoute and the VPN"
        )

    space = tuple(onprem.address_space) + tuple(subnet.prefix for subnet in onprem.subnets)
    subnets, user_routes = _vnet_subnets(topology)
    design = RoutingDesign(
        name=topology.name,
        core=onprem.core_router.name,
        onprem_asn=onprem.asn,
        onprem_address_space=tuple(onprem.address_space),
        onprem_space=space,
        vnet_prefixes=vnet_prefixes,
        vnet_subnets=subnets,
        user_routes=user_routes,
        er_links=er_links,
        er_gateway=er_gateway,
        er_connected=er_connection is not None,
        er_weight=er_connection.routing_weight if er_connection else 0,
        vpn_appliance=onprem.vpn_appliance.name if onprem.vpn_appliance is not None else None,
        vpn_tunnels=vpn.tunnels,
        vpn_bgp=vpn.bgp,
        vpn_asn=vpn.asn,
        vpn_local_preference=onprem.vpn_appliance.local_preference if onprem.vpn_appliance is not None else 0,
        vpn_as_path=vpn.as_path,
        vpn_advertised=vpn.advertised,
        vpn_dropped=vpn.dropped,
        notes=tuple(notes),
    )
    return design


class _VpnSide(NamedTuple):
    tunnels: tuple[VpnTunnel, ...] = ()
    bgp: bool = False
    asn: int = AZURE_GATEWAY_ASN
    as_path: tuple[int, ...] = ()
    advertised: tuple[IPv4Network, ...] = ()
    dropped: bool = False


def _vpn_side(topology: Topology, accepted: Accepted, notes: list[str]) -> _VpnSide:
    """The VPN as Azure sees it: one tunnel per gateway instance, BGP or static, what it carries."""
    appliance = topology.onprem.vpn_appliance
    gateway = topology.vpn_gateway
    connection = next(
        (c for c in topology.ipsec_connections if gateway is not None and c.vpn_gateway == gateway.name), None
    )
    if appliance is None or gateway is None or connection is None:
        if appliance is not None or gateway is not None:
            notes.append(
                "the VPN is incomplete (it needs an appliance, a VPN gateway and an IPsec connection): "
                "no VPN path"
            )
        return _VpnSide()
    tunnels = tuple(VpnTunnel(i, vpn_gateway_node(i)) for i in range(len(gateway.instances)))
    lng = topology.local_network_gateway(connection.local_network_gateway)
    if gateway.bgp is None or not connection.enable_bgp:
        notes.append("the VPN uses static routing: Azure sends the local network gateway's prefixes over it")
        prefixes = tuple(lng.address_prefixes) if lng is not None else ()
        return _VpnSide(tunnels, advertised=accepted(prefixes, f"local network gateway of {connection.name}"))
    lng_asn = lng.bgp.asn if lng is not None and lng.bgp is not None else topology.onprem.asn
    advertised = accepted(topology.onprem.advertised_over_vpn(), f"VPN appliance {appliance.name}")
    dropped = len(advertised) > VPN_GATEWAY_ROUTE_LIMIT
    if dropped:
        notes.append(
            f"{appliance.name} announces {len(advertised)} prefixes over the VPN, more than "
            f"the {VPN_GATEWAY_ROUTE_LIMIT} the VPN gateway accepts: it drops the BGP session"
        )
    as_path = (lng_asn,) * (1 + appliance.as_path_prepend)
    return _VpnSide(tunnels, True, gateway.bgp.asn, as_path, advertised, dropped)


def _er_links(
    topology: Topology,
    accepted: Accepted,
    notes: list[str],
) -> tuple[ErLink, ...]:
    peering = topology.circuit.private_peering
    if peering is None:
        if topology.onprem.edge_routers:
            notes.append("the circuit has no private peering: ExpressRoute carries nothing")
        return ()
    links: list[ErLink] = []
    for router in topology.onprem.edge_routers:  # in the model's order, as the renderer numbers them
        link = router.link
        if any(known.link == link for known in links):
            notes.append(f"{router.name} is a second CE on the {link} link; the analysis ignores it")
            continue
        advertised = accepted(topology.onprem.advertised_over_er(router), f"edge router {router.name}")
        limit = topology.circuit.route_limit
        dropped = len(advertised) > limit
        if dropped:
            notes.append(
                f"{router.name} announces {len(advertised)} prefixes, more than the {limit} the "
                f"{topology.circuit.sku_tier} circuit accepts: Azure drops its BGP session"
            )
        links.append(
            ErLink(
                link=link,
                edge_router=router.name,
                msee=MSEE_NODES[link],
                local_preference=router.local_preference,
                as_path=(peering.peer_asn,) * (1 + router.as_path_prepend),
                advertised=advertised,
                dropped=dropped,
            )
        )
    return tuple(links)


def _vnet_subnets(topology: Topology) -> tuple[tuple[VnetSubnet, ...], tuple[UserRoute, ...]]:
    """The workload subnets (every VNet prefix stands in when there are none) and the UDRs they use."""
    subnets = []
    used_tables = set()
    for subnet in topology.vnet.subnets:
        if subnet.name == GATEWAY_SUBNET:
            continue
        table = topology.route_table(subnet.route_table) if subnet.route_table else None
        subnets.append(
            VnetSubnet(
                subnet.name,
                subnet.prefix,
                table.name if table else None,
                not (table and table.disable_bgp_route_propagation),
            )
        )
        if table is not None:
            used_tables.add(table.name)
    if not subnets:
        subnets = [VnetSubnet(str(prefix), prefix, None, True) for prefix in topology.vnet.address_space]
    routes = tuple(
        UserRoute(table.name, route.prefix, route.next_hop_type, route.next_hop_ip)
        for table in topology.route_tables
        if table.name in used_tables
        for route in table.routes
    )
    return tuple(subnets), routes
