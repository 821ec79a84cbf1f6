"""The routing view of an estate: every site's devices by role, one pair of MSEEs per circuit, the hub's
gateways, and the spokes that reach on-premises through them.

``design.routing_design`` reads the reference's single shape; this module reads ``topology.all_sites``,
``all_circuits`` and ``all_vnets``, so one analysis covers spokes, several sites and several circuits.
Node names are the emulator's (``model.names``): the model's device names on-premises; ``msee-primary`` /
``msee-secondary`` for the first circuit, ``msee2-primary`` … for the next ones; ``er-gateway``,
``vpn-gateway-<i>`` and ``vnet-fabric`` for the hub; ``vnet-spoke<N>`` for each spoke.

What the model leaves open is read as ``hybridnet`` describes estates (``model.estate``): the BGP speakers of
a site run iBGP in a full mesh with next-hop-self, and a device that is only a firewall forwards along the
site's BGP choice (static routes that track the exits); traffic between two devices of a site follows the
shortest live chain of site links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from hybridnet.errors import BadInput
from hybridnet.model import GATEWAY_SUBNET, MICROSOFT_ASN, Topology
from hybridnet.model.estate import Site
from hybridnet.model.gateways import IpsecConnection, LocalNetworkGateway
from hybridnet.model.names import msee_node, spoke_node
from hybridnet.routing.design import (
    AZURE_GATEWAY_ASN,
    ER_GATEWAY,
    VNET_FABRIC,
    VPN_GATEWAY_ROUTE_LIMIT,
    PrefixKey,
    RoutingDesign,
    UserRoute,
    VnetSubnet,
    VpnTunnel,
    key_of,
    routing_design,
    vpn_gateway_node,
)
from hybridnet.routing.scenarios import CIRCUIT, ER_GATEWAY_FAILURE, FailurePoint


class EstateDesignError(BadInput, ValueError):
    """The estate cannot be analysed as written (e.g. a device named like an Azure-side node)."""


def slug(text: str) -> str:
    """A part name from free text (``Silicon Valley`` → ``silicon-valley``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


@dataclass(frozen=True)
class EdgeView:
    """An edge device on one link of one circuit: a CE peering eBGP with that link's MSEE."""

    device: str
    site: str
    circuit: str
    link: str
    link_part: str
    msee: str
    local_preference: int
    as_path: tuple[int, ...]
    """The AS path the MSEE sees on the site's prefixes (site ASN, prepended as configured)."""
    advertised: tuple[IPv4Network, ...]
    dropped: bool


@dataclass(frozen=True)
class VpnView:
    """A VPN device: one tunnel per VPN gateway instance, BGP (or static routes) over them."""

    device: str
    site: str
    tunnels: tuple[tuple[int, str], ...]
    """(gateway instance, failure part of the tunnel); empty when Azure has no connection for it."""
    bgp: bool
    as_path: tuple[int, ...]
    local_preference: int
    advertised: tuple[IPv4Network, ...]
    dropped: bool


@dataclass(frozen=True)
class SiteView:
    name: str
    asn: int
    devices: tuple[str, ...]
    lan: tuple[str, ...]
    """Where the LAN attaches (``Site.lan_devices``): flows start and end there."""
    speakers: frozenset[str]
    firewalls: frozenset[str]
    """Stateful firewalls: a flow must come back through the one it left by."""
    adjacency: dict[str, frozenset[str]] = field(hash=False, compare=False)
    device_parts: dict[str, tuple[str, ...]] = field(hash=False, compare=False)
    """Device → the parts that must all fail for it to be down (a cluster: both units; a device that
    only routes the LAN: none, as the reference's core)."""
    address_space: tuple[IPv4Network, ...]
    space: tuple[IPv4Network, ...]
    """What the site owns and delivers itself: its address space and subnets."""
    reach: tuple[str, ...]
    part: str
    """The named part ``site-<name>``: the whole site down (``--scenario site=<name>``)."""


@dataclass(frozen=True)
class CircuitView:
    name: str
    location: str
    circuit_part: str
    location_part: str
    connected: bool
    """An ExpressRoute connection joins the hub's gateway to this circuit's private peering."""
    weight: int


@dataclass(frozen=True)
class VnetView:
    name: str
    node: str
    prefixes: tuple[IPv4Network, ...]
    subnets: tuple[VnetSubnet, ...]
    hub: bool
    transit: bool
    """Hub: always. Spoke: the hub allows gateway transit and the spoke uses the remote gateways."""
    peering_part: str | None


@dataclass(frozen=True)
class EstateDesign:
    """The routing-relevant facts of an estate, named as the emulator names its nodes."""

    name: str
    sites: tuple[SiteView, ...]
    edges: tuple[EdgeView, ...]
    vpns: tuple[VpnView, ...]
    circuits: tuple[CircuitView, ...]
    er_gateway: bool
    vpn_tunnels: tuple[VpnTunnel, ...]
    """One per VPN gateway instance (``subnet_routes`` spreads a UDR to the gateway over these)."""
    vpn_asn: int
    vnets: tuple[VnetView, ...]
    user_routes: tuple[UserRoute, ...]
    points: tuple[FailurePoint, ...]
    hidden_parts: tuple[str, ...]
    """Parts a named scenario may fail that the generated scenarios leave out (sites, lone locations)."""
    deliberate_parts: frozenset[str]
    """Parts whose loss is a change someone makes (removing a peering, a whole site), not a failure."""
    notes: tuple[str, ...]

    @property
    def vnet_prefixes(self) -> tuple[IPv4Network, ...]:
        return tuple(prefix for vnet in self.vnets for prefix in vnet.prefixes)

    def site(self, name: str) -> SiteView:
        return next(site for site in self.sites if site.name == name)

    def onprem_prefixes(self) -> tuple[IPv4Network, ...]:
        every: dict[PrefixKey, IPv4Network] = {}
        for site in self.sites:
            every.update((key_of(p), p) for p in self.site_prefixes(site))
        return tuple(every[key] for key in sorted(every))

    def site_prefixes(self, site: SiteView) -> tuple[IPv4Network, ...]:
        """A site's side of the flows: its address space and every prefix its devices announce."""
        every = {key_of(prefix): prefix for prefix in site.address_space}
        for announced in (
            *(e.advertised for e in self.edges if e.site == site.name),
            *(v.advertised for v in self.vpns if v.site == site.name),
        ):
            every.update((key_of(prefix), prefix) for prefix in announced)
        return tuple(every[key] for key in sorted(every))


def is_estate(topology: Topology) -> bool:
    return bool(topology.estate_features())


def design_of(topology: Topology) -> RoutingDesign | EstateDesign:
    """The routing view the analysis uses: the reference's shape, or the estate's."""
    return estate_design(topology) if is_estate(topology) else routing_design(topology)


def estate_design(topology: Topology) -> EstateDesign:
    """Read an estate's routing facts (pure; the topology is already validated)."""
    notes: list[str] = []
    vnet_masks = [
        (int(p.network_address), int(p.netmask), p.prefixlen) for vnet in topology.all_vnets for p in vnet.address_space
    ]

    def accepted(prefixes: tuple[IPv4Network, ...], session: str) -> tuple[IPv4Network, ...]:
        kept: dict[PrefixKey, IPv4Network] = {}
        for prefix in prefixes:
            address, length = key_of(prefix)
            if any(length >= size and address & mask == network for network, mask, size in vnet_masks):
                notes.append(f"{session}: {prefix} lies inside a VNet address space; Azure ignores it")
            else:
                kept[(address, length)] = prefix
        return tuple(kept.values())

    circuits = _circuits(topology, notes)
    single = len(circuits) == 1
    gateway = topology.vpn_gateway
    vpn_tunnels = tuple(VpnTunnel(i, vpn_gateway_node(i)) for i in range(len(gateway.instances) if gateway else 0))
    vpn_asn = gateway.bgp.asn if gateway is not None and gateway.bgp is not None else AZURE_GATEWAY_ASN
    vpn_devices = [d.name for s in topology.all_sites for d in s.with_role("vpn")]
    points: list[FailurePoint] = []
    hidden: list[str] = []
    edges: list[EdgeView] = []
    vpns: list[VpnView] = []
    sites: list[SiteView] = []
    by_circuit = {c.name: c for c in circuits}
    for site in topology.all_sites:
        site_edges = _edges(topology, site, by_circuit, single, accepted, notes)
        edges += site_edges
        vpns += _vpns(topology, site, vpn_tunnels, len(vpn_devices) == 1, accepted, notes)
        sites.append(_site_view(site))

    used_links = {e.link_part for e in edges}
    for circuit in circuits:
        for link in ("primary", "secondary"):
            part = _link_part(circuit.name, link, single)
            if part in used_links:
                points.append(FailurePoint(part, f"the {link} link of circuit {circuit.name} (CE ↔ MSEE) is cut"))
        points.append(FailurePoint(circuit.circuit_part, f"circuit {circuit.name} is down (both links, both MSEEs)"))
    locations: dict[str, list[CircuitView]] = {}
    for circuit in circuits:
        locations.setdefault(circuit.location_part, []).append(circuit)
    for part, members in locations.items():
        if len(members) > 1:
            names = ", ".join(c.name for c in members)
            points.append(FailurePoint(part, f"peering location {members[0].location} is down ({names})"))
        else:
            hidden.append(part)
    if topology.er_gateway is not None:
        points.append(FailurePoint(ER_GATEWAY_FAILURE, "the ExpressRoute virtual network gateway is down"))
    for vpn in vpns:
        for index, part in vpn.tunnels:
            points.append(FailurePoint(part, f"the IPsec tunnel from {vpn.device} to VPN gateway instance {index} "
                                             "is down"))
    for tunnel in vpn_tunnels:
        points.append(FailurePoint(tunnel.gateway_node, f"VPN gateway instance {tunnel.index} is down"))
    for view in sites:
        for device in view.devices:
            for part in view.device_parts[device]:
                what = f"unit {part[-1]} of cluster {device}" if part != device else f"device {device}"
                points.append(FailurePoint(part, f"{what} of site {view.name} is down"))
        hidden.append(view.part)

    vnets, user_routes = _vnets(topology)
    for vnet in vnets:
        if vnet.peering_part is not None:
            points.append(FailurePoint(vnet.peering_part, f"the peering between the hub and {vnet.name} is removed"))
        if not vnet.hub and not vnet.transit:
            notes.append(f"spoke {vnet.name} does not use the hub's gateways (the hub's allow_gateway_transit and "
                         "the spoke's use_remote_gateways must both be true): it has no route to on-premises")

    azure_nodes = {ER_GATEWAY, VNET_FABRIC, *(t.gateway_node for t in vpn_tunnels), *(e.msee for e in edges),
                   *(v.node for v in vnets)}
    clash = sorted(azure_nodes & {d for s in sites for d in s.devices})
    if clash:
        raise EstateDesignError(f"device(s) {', '.join(clash)} have the name of an Azure-side node of the analysis; "
                                "rename them")
    deliberate = frozenset({*(v.peering_part for v in vnets if v.peering_part), *(s.part for s in sites)})
    return EstateDesign(
        name=topology.name,
        sites=tuple(sites),
        edges=tuple(edges),
        vpns=tuple(vpns),
        circuits=tuple(circuits),
        er_gateway=topology.er_gateway is not None,
        vpn_tunnels=vpn_tunnels,
        vpn_asn=vpn_asn,
        vnets=vnets,
        user_routes=user_routes,
        points=tuple(points),
        hidden_parts=tuple(hidden),
        deliberate_parts=deliberate,
        notes=tuple(dict.fromkeys(notes)),
    )


def _link_part(circuit: str, link: str, single: bool) -> str:
    return f"{link}-link" if single else f"{circuit}-{link}-link"


def _circuits(topology: Topology, notes: list[str]) -> list[CircuitView]:
    single = len(topology.all_circuits) == 1
    views = []
    gateway = topology.er_gateway
    for circuit in topology.all_circuits:
        connection = next((c for c in topology.er_connections
                           if gateway is not None and c.gateway == gateway.name and c.circuit == circuit.name), None)
        if gateway is not None and connection is None:
            notes.append(f"no ExpressRoute connection joins the gateway to circuit {circuit.name}: it carries nothing")
        if circuit.private_peering is None:
            notes.append(f"circuit {circuit.name} has no private peering: it carries nothing")
        views.append(CircuitView(
            name=circuit.name,
            location=circuit.peering_location,
            circuit_part=CIRCUIT if single else f"circuit-{circuit.name}",
            location_part=f"peering-location-{slug(circuit.peering_location)}",
            connected=connection is not None and circuit.private_peering is not None,
            weight=connection.routing_weight if connection is not None else 0,
        ))
    return views


def _edges(topology: Topology, site: Site, circuits: dict[str, CircuitView], single: bool, accepted, notes: list[str]
           ) -> list[EdgeView]:
    views: list[EdgeView] = []
    default_circuit = next(iter(circuits)) if len(circuits) == 1 else None
    for device in site.with_role("edge"):
        edge = device.edge
        assert edge is not None
        circuit = edge.circuit or default_circuit
        if circuit not in circuits:
            notes.append(f"edge {device.name} has no circuit to peer with: the analysis ignores it")
            continue
        msee = msee_node(next(i for i, c in enumerate(topology.all_circuits) if c.name == circuit), edge.link)
        if any(v.msee == msee for v in views):
            notes.append(f"{device.name} is a second CE on {msee}; the analysis ignores it")
            continue
        prefixes = edge.advertised_prefixes if edge.advertised_prefixes is not None else site.address_space
        advertised = accepted(tuple(prefixes), f"edge {device.name}")
        model = topology.find_circuit(circuit)
        limit = model.route_limit if model is not None else 4000
        dropped = len(advertised) > limit
        if dropped:
            notes.append(f"{device.name} announces {len(advertised)} prefixes, more than the {limit} circuit "
                         f"{circuit} accepts: Azure drops its BGP session")
        views.append(EdgeView(
            device=device.name, site=site.name, circuit=circuit, link=edge.link,
            link_part=_link_part(circuit, edge.link, single), msee=msee,
            local_preference=edge.local_preference, as_path=(site.asn,) * (1 + edge.as_path_prepend),
            advertised=advertised, dropped=dropped,
        ))
    return views


def _lng_of(topology: Topology, public_ip: object, name: str | None) -> LocalNetworkGateway | None:
    if name is not None:
        return topology.local_network_gateway(name)
    return next((g for g in topology.local_network_gateways if g.gateway_ip == public_ip), None)


def _vpns(topology: Topology, site: Site, instances: tuple[VpnTunnel, ...], only: bool, accepted,
          notes: list[str]) -> list[VpnView]:
    views = []
    gateway = topology.vpn_gateway
    for device in site.with_role("vpn"):
        vpn = device.vpn
        assert vpn is not None
        lng = _lng_of(topology, vpn.public_ip, vpn.local_network_gateway)
        connection: IpsecConnection | None = next(
            (c for c in topology.ipsec_connections
             if gateway is not None and lng is not None and c.vpn_gateway == gateway.name
             and c.local_network_gateway == lng.name), None)
        if connection is None:
            notes.append(f"VPN device {device.name} has no local network gateway and IPsec connection to the VPN "
                         "gateway: no VPN path")
            views.append(VpnView(device.name, site.name, (), False, (), vpn.local_preference, (), False))
            continue
        tunnels = tuple(
            (t.index, f"vpn-tunnel-{t.index}" if only else f"vpn-tunnel-{device.name}-{t.index}") for t in instances
        )
        assert gateway is not None and lng is not None
        if gateway.bgp is None or not connection.enable_bgp:
            notes.append(f"the VPN of {device.name} uses static routing: Azure sends its local network gateway's "
                         "prefixes over it")
            advertised = accepted(tuple(lng.address_prefixes), f"local network gateway {lng.name}")
            views.append(VpnView(device.name, site.name, tunnels, False, (), vpn.local_preference, advertised, False))
            continue
        prefixes = vpn.advertised_prefixes if vpn.advertised_prefixes is not None else site.address_space
        advertised = accepted(tuple(prefixes), f"VPN device {device.name}")
        dropped = len(advertised) > VPN_GATEWAY_ROUTE_LIMIT
        if dropped:
            notes.append(f"{device.name} announces {len(advertised)} prefixes over the VPN, more than the "
                         f"{VPN_GATEWAY_ROUTE_LIMIT} the VPN gateway accepts: it drops the BGP session")
        asn = lng.bgp.asn if lng.bgp is not None else site.asn
        views.append(VpnView(device.name, site.name, tunnels, True, (asn,) * (1 + vpn.as_path_prepend),
                             vpn.local_preference, advertised, dropped))
    return views


def _site_view(site: Site) -> SiteView:
    adjacency: dict[str, set[str]] = {d.name: set() for d in site.devices}
    for link in site.effective_links:
        a, b = link.between
        adjacency[a].add(b)
        adjacency[b].add(a)
    parts: dict[str, tuple[str, ...]] = {}
    for device in site.devices:
        if device.has("firewall") and device.firewall is not None and device.firewall.ha_pair:
            parts[device.name] = (f"{device.name}-unit-0", f"{device.name}-unit-1")
        elif device.has("firewall") or not device.has("core"):
            parts[device.name] = (device.name,)
        else:  # the LAN's own router: its loss is the site's, not a failover question (as the reference's core)
            parts[device.name] = ()
    return SiteView(
        name=site.name,
        asn=site.asn,
        devices=tuple(d.name for d in site.devices),
        lan=tuple(d.name for d in site.lan_devices),
        speakers=frozenset(d.name for d in site.devices if d.speaks_bgp),
        firewalls=frozenset(d.name for d in site.devices if d.is_stateful_firewall),
        adjacency={name: frozenset(nbrs) for name, nbrs in adjacency.items()},
        device_parts=parts,
        address_space=tuple(site.address_space),
        space=tuple(site.address_space) + tuple(subnet.prefix for subnet in site.subnets),
        reach=tuple(site.reach),
        part=f"site-{site.name}",
    )


def _vnets(topology: Topology) -> tuple[tuple[VnetView, ...], tuple[UserRoute, ...]]:
    views = []
    used_tables: set[str] = set()
    for vnet in topology.all_vnets:
        hub = vnet is topology.vnet
        subnets = []
        for subnet in vnet.subnets:
            if subnet.name == GATEWAY_SUBNET:
                continue
            table = topology.route_table(subnet.route_table) if subnet.route_table else None
            label = subnet.name if hub else f"{vnet.name}/{subnet.name}"
            subnets.append(VnetSubnet(label, subnet.prefix, table.name if table else None,
                                      not (table and table.disable_bgp_route_propagation)))
            if table is not None:
                used_tables.add(table.name)
        if not subnets:
            subnets = [VnetSubnet(str(p) if hub else f"{vnet.name}/{p}", p, None, True) for p in vnet.address_space]
        transit = hub or bool(getattr(vnet, "peering", None) and vnet.peering.gateway_transit  # type: ignore[attr-defined]
                              and getattr(vnet, "own_gateway", None) is None)
        views.append(VnetView(
            name=vnet.name,
            node=VNET_FABRIC if hub else spoke_node(topology.spokes.index(vnet)),
            prefixes=tuple(vnet.address_space),
            subnets=tuple(subnets),
            hub=hub,
            transit=transit,
            peering_part=None if hub or not transit else f"peering-{vnet.name}",
        ))
    routes = tuple(
        UserRoute(table.name, route.prefix, route.next_hop_type, route.next_hop_ip)
        for table in topology.route_tables
        if table.name in used_tables
        for route in table.routes
    )
    return tuple(views), routes


MSEE_ASN = MICROSOFT_ASN
