"""What every device of every site says, vendor-neutral: the estate's on-prem configs, computed once.

The legacy renderers (``frr``, ``device_context``) configure the reference's fixed shape: a core router
that is an iBGP route reflector, two customer edges and a separate VPN appliance on a star of /30s.
An estate's sites are devices holding roles (``model.estate``), so this module plans each device from
its roles and the site's links, and the vendors' templates (``templates/estate/``) only spell the plan:

* **wiring**: each site gets its own /24 from 100.64.0.0/10 (RFC 6598 shared space, the same space the
  legacy wiring uses): one /30 per link from its lower half (first device of ``between`` .1, second .2)
  and one loopback /32 per BGP speaker from its upper half;
* **iBGP** follows the model's docstring: the site's BGP speakers (core, edge, vpn) run a full mesh
  between their loopbacks; static /32 routes along the shortest path over the links make the loopbacks
  reachable whether or not two speakers share a link (no IGP to configure, nothing to converge);
* **edge**: eBGP with BFD to the two MSEE addresses of *its* circuit's link /30 only, local preference
  in, AS-path prepend and MED out, the advertised prefixes anchored on a discard route;
* **VPN end**: the device's own local network gateway and IPsec connection to the hub's VPN gateway
  instances, BGP over the tunnels, the connection's MSS clamp, prepend and MED out;
* **firewall**: stateful rules between an inside (the LAN and the links towards it) and an outside
  (ExpressRoute, the tunnels and the links towards the edge/VPN devices): inside to outside opens a
  flow, outside to inside only from Azure's prefixes (and sites that reach this one through Azure),
  replies come back on the flow's state; the site's own BGP sessions pass between loopbacks.

A device holding several roles gets every role's part in one plan (the firewall that is also the VPN
end and the core router is one box, one config).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.model import IpsecConnection, IpsecPolicy, Topology, TopologyError
from hybridnet.model.azure_ipsec import onprem_policy
from hybridnet.model.estate import Site, SiteDevice
from hybridnet.model.gateways import LocalNetworkGateway, VpnGateway
from hybridnet.render.device_context import WAN_NEXT_HOP_PLACEHOLDER, TunnelContext
from hybridnet.render.frr import INTERNAL_TIMERS
from hybridnet.render.strongswan import AZURE_CHILD_LIFETIME_S, AZURE_IKE_LIFETIME_S, dpd_delay_s

ESTATE_TRANSIT = IPv4Network("100.64.0.0/10")
"""Each site's wiring takes one /24 of it, in the order of ``topology.all_sites``."""



@dataclass(frozen=True)
class Port:
    """One interface of a device; ``key`` is what the vendors map to their interface names."""

    key: str
    kind: str  # "er", "wan", "link", "lan"
    description: str
    address: IPv4Interface | None
    zone: str = "inside"  # firewall zone: "inside", "outside" or "internet"
    peer: str | None = None
    peer_address: IPv4Address | None = None


@dataclass(frozen=True)
class StaticRoute:
    prefix: IPv4Network
    next_hops: tuple[IPv4Address, ...]
    why: str


@dataclass(frozen=True)
class IbgpPeer:
    name: str
    address: IPv4Address


@dataclass(frozen=True)
class EdgePlan:
    """The edge role: eBGP to the MSEE of the device's own circuit link."""

    circuit: str
    link: str
    vlan_id: int
    customer: IPv4Interface
    microsoft: IPv4Address
    azure_asn: int
    keepalive_s: int
    hold_s: int
    bfd_enabled: bool
    bfd_interval_ms: int
    bfd_multiplier: int
    md5_placeholder: str | None
    local_preference: int
    as_path_prepend: int
    med: int | None
    advertised: tuple[IPv4Network, ...]


@dataclass(frozen=True)
class VpnPlan:
    """The VPN role: IKEv2/IPsec to every instance of the hub's VPN gateway, BGP over the tunnels."""

    public_ip: IPv4Address
    connection: IpsecConnection
    local_network_gateway: str | None
    gateway: str
    tunnels: tuple[TunnelContext, ...]
    policy: IpsecPolicy | None
    own_policy: IpsecPolicy | None
    azure_asn: int | None
    keepalive_s: int
    hold_s: int
    dpd_interval_s: int
    dpd_delay_s: int
    ike_lifetime_s: int
    child_lifetime_s: int
    child_lifetime_kb: int
    local_preference: int
    as_path_prepend: int
    med: int | None
    advertised: tuple[IPv4Network, ...]
    azure_prefixes: tuple[IPv4Network, ...]
    loopback_bgp: IPv4Address | None
    wan_next_hop: str


@dataclass(frozen=True)
class FirewallPlan:
    """The firewall role: which ports are inside and outside, and what may open a flow inwards."""

    stateful: bool
    ha_pair: bool
    site_prefixes: tuple[IPv4Network, ...]
    inbound_sources: tuple[IPv4Network, ...]
    """Azure's prefixes (hub and spokes) and the sites that reach this one through Azure."""
    infrastructure: tuple[IPv4Address, ...]
    """The site's BGP loopbacks: its iBGP sessions may cross the firewall."""
    vpn_peers: tuple[IPv4Address, ...]
    """The Azure VPN gateway instances' public IPs (IKE and ESP to this device)."""
    bgp_peers: tuple[IPv4Address, ...]
    bfd: bool


@dataclass(frozen=True)
class DevicePlan:
    """Everything one device's config says."""

    site: str
    site_asn: int
    name: str
    roles: tuple[str, ...]
    ports: tuple[Port, ...]
    loopback: IPv4Address | None
    router_id: IPv4Address
    ibgp: tuple[IbgpPeer, ...]
    statics: tuple[StaticRoute, ...]
    lans: tuple[Port, ...]
    lan_prefixes: tuple[IPv4Network, ...]
    originated: tuple[IPv4Network, ...]
    """Advertised prefixes this device anchors on a discard route (those not a LAN subnet)."""
    internal_timers: tuple[int, int]
    edge: EdgePlan | None = None
    vpn: VpnPlan | None = None
    firewall: FirewallPlan | None = None
    links: tuple[Port, ...] = field(default=())

    @property
    def speaks_bgp(self) -> bool:
        return self.loopback is not None

    @property
    def role_text(self) -> str:
        return ", ".join(self.roles)

    def port(self, kind: str) -> Port | None:
        return next((p for p in self.ports if p.kind == kind), None)


def azure_prefixes(topology: Topology) -> tuple[IPv4Network, ...]:
    """What on-prem reaches through the hub's gateways: the hub, and the spokes that use them."""
    spokes = (s for s in topology.spokes if s.peering.gateway_transit)
    return tuple(dict.fromkeys((*topology.vnet.address_space, *(p for s in spokes for p in s.address_space))))


def plan_estate(topology: Topology, wan_next_hop: str = WAN_NEXT_HOP_PLACEHOLDER) -> list[DevicePlan]:
    """One plan per device of every site, sites in ``all_sites`` order, devices in the site's order.
    Keys are not part of the plan: the renderers look each connection's up (``secret_for``)."""
    sites = topology.all_sites
    pools = list(ESTATE_TRANSIT.subnets(new_prefix=24))
    if len(sites) > len(pools):
        raise TopologyError(f"too many sites ({len(sites)}) for the wiring plan", field="sites")
    plans: list[DevicePlan] = []
    for index, site in enumerate(sites):
        plans += _plan_site(topology, site, pools[index], index, wan_next_hop)
    return plans


def _site_field(topology: Topology, site: Site, index: int) -> str:
    offset = 1 if topology.onprem is not None else 0
    return "onprem" if topology.onprem is not None and index == 0 else f"sites.{index - offset}"


def _plan_site(topology: Topology, site: Site, pool: IPv4Network, index: int, wan_next_hop: str) -> list[DevicePlan]:
    where = _site_field(topology, site, index)
    links = site.effective_links
    halves = list(pool.subnets(new_prefix=25))
    link_nets = list(halves[0].subnets(new_prefix=30))
    if len(links) > len(link_nets):
        raise TopologyError(f"site {site.name} has {len(links)} links; the wiring plan has room for {len(link_nets)}",
                            field=f"{where}.links")
    speakers = [d for d in site.devices if d.speaks_bgp]
    loopbacks = {d.name: halves[1].network_address + 1 + i for i, d in enumerate(speakers)}
    # link addresses: first device of 'between' .1, second .2
    ends: dict[str, list[tuple[str, str, IPv4Interface, IPv4Address]]] = {d.name: [] for d in site.devices}
    adjacency: dict[str, list[tuple[str, IPv4Address]]] = {d.name: [] for d in site.devices}
    for link, net in zip(links, link_nets, strict=False):
        a, b = link.between
        ia, ib = IPv4Interface(f"{net.network_address + 1}/30"), IPv4Interface(f"{net.network_address + 2}/30")
        ends[a].append((link.node_name, b, ia, ib.ip))
        ends[b].append((link.node_name, a, ib, ia.ip))
        adjacency[a].append((b, ib.ip))
        adjacency[b].append((a, ia.ip))
    lan_devices = [d.name for d in site.lan_devices]
    lan_gateways = _lan_gateways(site, lan_devices, where)
    azure = azure_prefixes(topology)
    reached_by = tuple(dict.fromkeys(
        p for other in topology.all_sites if site.name in other.reach for p in other.address_space))
    plans = []
    for device in site.devices:
        hops = _first_hops(adjacency, device.name)
        inner = _inner_neighbours(adjacency, device.name, set(lan_devices))
        ports: list[Port] = []
        edge = _edge_plan(topology, site, device, where) if device.has("edge") else None
        if edge is not None:
            ports.append(Port("er", "er", f"ExpressRoute {edge.link} link (circuit {edge.circuit})", edge.customer,
                              "outside", "MSEE", edge.microsoft))
        vpn = _vpn_plan(topology, site, device, azure, wan_next_hop, where) if device.has("vpn") else None
        if vpn is not None:
            ports.append(Port("wan", "wan", f"internet uplink (public IP {vpn.public_ip})", None, "internet"))
        link_ports = tuple(
            Port(f"link:{name}", "link", f"to {peer} (link {name})", local, "inside" if peer in inner else "outside",
                 peer, peer_ip)
            for name, peer, local, peer_ip in ends[device.name]
        )
        lans = tuple(
            Port(f"lan:{subnet}", "lan", f"gateway of subnet {subnet} ({gateway.network})", gateway, "inside")
            for subnet, gateway in lan_gateways.get(device.name, ())
        )
        ports += [*link_ports, *lans]
        statics = []
        for speaker, address in loopbacks.items():
            if speaker != device.name and speaker in hops:
                statics.append(StaticRoute(IPv4Network(f"{address}/32"), (hops[speaker],),
                                           f"loopback of {speaker} (iBGP)"))
        # subnets behind a LAN device that speaks no BGP: every other device routes to them statically;
        # a device that speaks no BGP (a firewall between the core and the edges) routes statically to
        # every subnet, or replies to the LAN would find no route there
        behind: dict[IPv4Network, tuple[list[IPv4Address], list[str]]] = {}
        for lan_device, attached in lan_gateways.items():
            if lan_device == device.name or lan_device not in hops:
                continue
            if lan_device in loopbacks and device.speaks_bgp:
                continue
            for _, gateway in attached:
                hops_to, names = behind.setdefault(gateway.network, ([], []))  # one route per subnet
                if hops[lan_device] not in hops_to:
                    hops_to.append(hops[lan_device])
                names.append(lan_device)
        statics += [StaticRoute(prefix, tuple(hops_to), f"subnet {prefix} behind {' and '.join(names)}")
                    for prefix, (hops_to, names) in behind.items()]
        if not device.speaks_bgp:
            outer = tuple(peer_ip for _, peer, _, peer_ip in ends[device.name] if peer not in inner)
            if outer:
                statics += [StaticRoute(p, outer, "Azure, towards the edge/VPN devices") for p in azure]
        advertised = tuple(dict.fromkeys((*(edge.advertised if edge else ()), *(vpn.advertised if vpn else ()))))
        subnets = {s.prefix for s in site.subnets}
        loopback = loopbacks.get(device.name)
        router_id = loopback or next((p.address.ip for p in ports if p.address is not None), None)
        if router_id is None:
            router_id = vpn.public_ip if vpn is not None else halves[1].network_address + 1
        firewall = None
        if device.has("firewall"):
            firewall = FirewallPlan(
                stateful=device.is_stateful_firewall,
                ha_pair=device.firewall.ha_pair if device.firewall is not None else False,
                site_prefixes=site.address_space,
                inbound_sources=tuple(dict.fromkeys((*azure, *reached_by))),
                infrastructure=tuple(loopbacks.values()),
                vpn_peers=tuple(t.azure_public_ip for t in vpn.tunnels) if vpn else (),
                bgp_peers=tuple(dict.fromkeys((
                    *((edge.microsoft,) if edge else ()),
                    *((t.azure_bgp for t in vpn.tunnels if t.azure_bgp) if vpn else ()),
                ))),
                bfd=bool(edge and edge.bfd_enabled),
            )
        plans.append(DevicePlan(
            site=site.name, site_asn=site.asn, name=device.name, roles=device.roles, ports=tuple(ports),
            loopback=loopback, router_id=router_id,
            ibgp=tuple(IbgpPeer(s, loopbacks[s]) for s in loopbacks if s != device.name),
            statics=tuple(statics), lans=lans,
            lan_prefixes=tuple(gateway.network for _, gateway in lan_gateways.get(device.name, ())),
            originated=tuple(p for p in advertised if p not in subnets), internal_timers=INTERNAL_TIMERS,
            edge=edge, vpn=vpn, firewall=firewall, links=link_ports,
        ))
    return plans


def _lan_gateways(site: Site, lan_devices: list[str], where: str) -> dict[str, list[tuple[str, IPv4Interface]]]:
    """Each subnet on every LAN device, each device taking the next address no host uses."""
    result: dict[str, list[tuple[str, IPv4Interface]]] = {}
    for k, subnet in enumerate(site.subnets):
        taken = {host.address for host in subnet.hosts}
        free = (a for a in subnet.prefix.hosts() if a not in taken)
        for device in lan_devices:
            address = next(free, None)
            if address is None:
                raise TopologyError(f"subnet {subnet.prefix} has no free address for {device}'s gateway",
                                    field=f"{where}.subnets.{k}.hosts")
            result.setdefault(device, []).append((subnet.name, IPv4Interface(f"{address}/{subnet.prefix.prefixlen}")))
    return result


def _first_hops(adjacency: dict[str, list[tuple[str, IPv4Address]]], start: str) -> dict[str, IPv4Address]:
    """For every device reachable from ``start``: the next-hop address of the first link of a shortest path
    (neighbours in link order, so the choice is deterministic)."""
    hops: dict[str, IPv4Address] = {}
    queue: deque[tuple[str, IPv4Address | None]] = deque([(start, None)])
    seen = {start}
    while queue:
        node, first = queue.popleft()
        for neighbour, address in adjacency[node]:
            if neighbour in seen:
                continue
            seen.add(neighbour)
            hop = first if first is not None else address
            hops[neighbour] = hop
            queue.append((neighbour, hop))
    return hops


def _inner_neighbours(adjacency: dict[str, list[tuple[str, IPv4Address]]], device: str, lan: set[str]) -> set[str]:
    """Neighbours on the LAN side: a LAN device, or one that reaches a LAN device without crossing ``device``."""
    inner = set()
    for neighbour, _ in adjacency[device]:
        if neighbour in lan:
            inner.add(neighbour)
            continue
        if device in lan:
            continue  # the LAN is here: every other neighbour is on the way out
        seen, stack = {device, neighbour}, [neighbour]
        while stack:
            node = stack.pop()
            if node in lan:
                inner.add(neighbour)
                break
            for nxt, _ in adjacency[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return inner


def _edge_plan(topology: Topology, site: Site, device: SiteDevice, where: str) -> EdgePlan:
    role = device.edge
    assert role is not None  # the model requires the block with the role
    name = role.circuit or (topology.circuit.name if topology.circuit is not None else None)
    circuit = topology.find_circuit(name) if name is not None else None
    if circuit is None or circuit.private_peering is None:
        raise TopologyError(
            f"edge device {device.name} of site {site.name} names circuit {name!r}, which "
            + ("does not exist" if circuit is None else "has no private peering to peer with"),
            field=f"{where}.devices.{site.devices.index(device)}.edge.circuit",
            fix="name a circuit of 'circuit'/'circuits' that has private_peering with its two /30s",
        )
    peering = circuit.private_peering
    prefix = peering.primary_prefix if role.link == "primary" else peering.secondary_prefix
    return EdgePlan(
        circuit=circuit.name, link=role.link, vlan_id=peering.vlan_id,
        customer=IPv4Interface(f"{peering.customer_address(role.link)}/{prefix.prefixlen}"),
        microsoft=peering.microsoft_address(role.link), azure_asn=peering.azure_asn,
        keepalive_s=peering.bgp_timers.keepalive_s, hold_s=peering.bgp_timers.hold_s,
        bfd_enabled=peering.bfd.enabled, bfd_interval_ms=peering.bfd.interval_ms,
        bfd_multiplier=peering.bfd.multiplier,
        md5_placeholder=(f"REPLACE-with-the-key-from-{peering.md5_key.describe().replace(' ', '-')}"
                         if peering.md5_key is not None else None),
        local_preference=role.local_preference, as_path_prepend=role.as_path_prepend, med=role.med,
        advertised=role.advertised_prefixes if role.advertised_prefixes is not None else site.address_space,
    )


def device_connection(topology: Topology, site: Site, device: SiteDevice, where: str
                      ) -> tuple[IpsecConnection, LocalNetworkGateway | None, VpnGateway]:
    """The device's own IPsec connection: through its local network gateway (named, or the one whose
    gateway_ip is its public IP); a topology with one connection and no match uses that one."""
    role = device.vpn
    assert role is not None
    field_path = f"{where}.devices.{site.devices.index(device)}.vpn"
    lng = (topology.local_network_gateway(role.local_network_gateway) if role.local_network_gateway
           else next((g for g in topology.local_network_gateways if g.gateway_ip == role.public_ip), None))
    connections = topology.ipsec_connections
    connection = next((c for c in connections if lng is not None and c.local_network_gateway == lng.name), None)
    if connection is None and len(connections) == 1 and role.local_network_gateway is None:
        connection = connections[0]
        lng = topology.local_network_gateway(connection.local_network_gateway)
    if connection is None:
        through = (f"local network gateway {role.local_network_gateway!r}" if role.local_network_gateway
                   else "a local network gateway with its public IP")
        raise TopologyError(
            f"VPN device {device.name} of site {site.name} has no IPsec connection (through {through})",
            field=f"{field_path}.local_network_gateway",
            fix="add the local network gateway and an IPsec connection that names it",
        )
    gateway = topology.gateway(connection.vpn_gateway)
    if not isinstance(gateway, VpnGateway):
        raise TopologyError(f"connection {connection.name} names no VPN gateway", field="connections")
    return connection, lng, gateway


def _vpn_plan(topology: Topology, site: Site, device: SiteDevice, azure: tuple[IPv4Network, ...],
              wan_next_hop: str, where: str) -> VpnPlan:
    role = device.vpn
    assert role is not None
    connection, lng, gateway = device_connection(topology, site, device, where)
    if connection.connection_protocol != "IKEv2":
        raise TopologyError(
            f"connection {connection.name}: only IKEv2 connections are rendered (route-based, as Azure "
            "coexistence requires)", field="connections", fix="set connection_protocol: IKEv2 (Azure's default)")
    bgp = gateway.bgp if connection.enable_bgp else None
    locals_: list[IPv4Address | None] = []
    tunnels = []
    for index, instance in enumerate(gateway.instances):
        if instance.public_ip.address is None:
            raise TopologyError(
                f"VPN gateway instance {index} has no public IP address to connect to",
                field=f"gateways.{gateway.name}.instances.{index}.public_ip.address",
                fix="give the address the gateway's public IP has (or will have)")
        azure_bgp: IPv4Address | None = None
        local: IPv4Address | None = None
        multihop = False
        if bgp is not None:
            if instance.apipa_addresses:
                azure_bgp = instance.apipa_addresses[0]
            elif instance.bgp_address is not None:
                azure_bgp, multihop = instance.bgp_address, True
            else:
                raise TopologyError(f"VPN gateway instance {index} has neither an APIPA nor a BGP address",
                                    field=f"gateways.{gateway.name}.instances.{index}",
                                    fix="set bgp_address or apipa_addresses")
            if role.bgp_addresses:
                local = role.bgp_addresses[min(index, len(role.bgp_addresses) - 1)]
            elif lng is not None and lng.bgp is not None:
                local = lng.bgp.peer_address
            else:
                raise TopologyError(
                    f"VPN device {device.name} has no BGP address for the tunnel",
                    field=f"{where}.devices.{site.devices.index(device)}.vpn.bgp_addresses",
                    fix="give one address per gateway instance (APIPA 169.254.21.x, 22.x)")
        locals_.append(local)
        tunnels.append((index, instance.public_ip.address, local, azure_bgp, multihop))
    contexts = []
    for index, public, local, azure_bgp, multihop in tunnels:
        shared = local is not None and locals_.count(local) > 1
        contexts.append(TunnelContext(index=index, azure_public_ip=public, local_bgp=local, azure_bgp=azure_bgp,
                                      multihop=multihop or shared, borrowed=shared))
    policy = onprem_policy(connection, role.ipsec_policy)
    return VpnPlan(
        public_ip=role.public_ip, connection=connection, local_network_gateway=lng.name if lng else None,
        gateway=gateway.name, tunnels=tuple(contexts), policy=policy, own_policy=role.ipsec_policy,
        azure_asn=bgp.asn if bgp else None,
        keepalive_s=bgp.timers.keepalive_s if bgp else 60, hold_s=bgp.timers.hold_s if bgp else 180,
        dpd_interval_s=min(60, max(10, dpd_delay_s(connection))), dpd_delay_s=dpd_delay_s(connection),
        ike_lifetime_s=AZURE_IKE_LIFETIME_S,
        child_lifetime_s=max(policy.sa_lifetime_s, 300) if policy else AZURE_CHILD_LIFETIME_S,
        child_lifetime_kb=max(policy.sa_data_size_kb, 1024) if policy else 102400000,
        local_preference=role.local_preference, as_path_prepend=role.as_path_prepend, med=role.med,
        advertised=role.advertised_prefixes if role.advertised_prefixes is not None else site.address_space,
        azure_prefixes=azure,
        loopback_bgp=next((t.local_bgp for t in contexts if t.borrowed), None), wan_next_hop=wan_next_hop,
    )


def secret_for(connection: IpsecConnection, shared_keys: dict[str, str] | None) -> tuple[str, bool]:
    """The connection's key (from ``shared_keys``) or a placeholder that names where it lives; and
    whether it is the placeholder."""
    if shared_keys is not None and shared_keys.get(connection.name) is not None:
        return shared_keys[connection.name], False
    return f"REPLACE-with-the-key-from-{connection.shared_key.describe().replace(' ', '-')}", True


def file_name(plan: DevicePlan, suffix: str) -> str:
    """``<site>/<device>.<suffix>``: the estate output layout."""
    return f"{plan.site}/{plan.name}.{suffix}"
