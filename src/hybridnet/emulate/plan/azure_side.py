"""The Azure half of the plan: what Azure runs, configured the way Azure documents it.

* two MSEE routers (AS 12076) on the circuit's /30s, eBGP and BFD to the customer edges with the
  peering's timers (removing the private 65515, so the customer sees the VNet as ``12076``), and
  eBGP to the ExpressRoute gateway behind them;
* the ExpressRoute gateway and the VPN gateway instance(s) (AS 65515) in the GatewaySubnet, each
  announcing the VNet address space; the ExpressRoute gateway passes the on-prem prefixes to the
  VPN instances over iBGP, which prefer them to their tunnels' (as Azure prefers ExpressRoute);
  the VPN gateway answers IKEv2 with Azure's proposals;
* the VNet fabric: the subnets' default gateway (x.x.x.1) and what Azure programs into them, an
  iBGP listener that prefers the ExpressRoute gateway's routes over the VPN gateway's for the same
  prefix (local preference) while the longest prefix still wins (the kernel FIB);
* one namespace per workload VM, its NSG as nftables, and the internal load balancer as nftables
  DNAT in the fabric, fed by a health prober that probes from 168.63.129.16 as Azure does.
"""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from jinja2 import Template

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan.addressing import (
    INTERNET_TO_ONPREM,
    azure_reserved,
    check_no_overlap,
    internet_address_towards_gateway,
    microsoft_link,
    peering_link,
    subnet_gateway,
)
from hybridnet.emulate.plan.estate_wiring import VpnEnd, edge_links, vpn_ends
from hybridnet.emulate.plan.nsg import nsg_ruleset
from hybridnet.emulate.plan.types import (
    AZURE_PROBE_SOURCE,
    ER_GATEWAY_NODE,
    INTERNET_NODE,
    LAB_COALESCE_MS,
    VNET_FABRIC_NODE,
    Address,
    BgpSession,
    Bridge,
    Endpoint,
    Link,
    Node,
    Route,
    Server,
    SidePlan,
    Tunnel,
    vpn_gateway_node,
)
from hybridnet.model import GATEWAY_SUBNET, Topology, TopologyError
from hybridnet.model.names import spoke_node
from hybridnet.model.vnet import Subnet, Workload
from hybridnet.render import strongswan as render_strongswan
from hybridnet.render.device_context import TunnelContext
from hybridnet.render.estate_plan import plan_estate
from hybridnet.render.templating import template

INTERNAL_TIMERS = (10, 30)
ER_GATEWAY_ASN = 65515
ER_LOCAL_PREFERENCE = 200
"""Local preference of ExpressRoute-learned routes in the fabric and in the VPN gateway instances:
Azure prefers ExpressRoute over VPN for the same prefix whatever the AS paths (azure-facts §3, §8)."""
VPN_LOCAL_PREFERENCE = 100


def plan_azure(topology: Topology) -> SidePlan:
    _check_supported(topology)
    check_no_overlap(topology)
    gateway_subnet = topology.vnet.gateway_subnet
    assert gateway_subnet is not None
    fabric_gw = subnet_gateway(gateway_subnet.prefix)
    er_address = _er_gateway_address(topology)
    common = {
        "topology": topology,
        "vnet_prefixes": topology.vnet.address_space,
        "spoke_prefixes": _transit_prefixes(topology),
        "internal_timers": INTERNAL_TIMERS,
        "coalesce_ms": LAB_COALESCE_MS,
        "fabric": fabric_gw.ip,
    }
    nodes: list[Node] = []
    links: list[Link] = []
    sessions: list[BgpSession] = []
    bfd_peers: list[tuple[str, IPv4Address]] = []
    msees = []
    circuits = topology.all_circuits
    weights = _routing_weights(topology) if len(circuits) > 1 else {}
    for index, edge in enumerate(edge_links(topology)):
        circuit = circuits[edge.circuit_index]
        peering = circuit.private_peering
        assert peering is not None  # _check_supported
        msee_end, gw_end = microsoft_link(index)
        name = edge.msee
        prefix = peering.primary_prefix if edge.link == "primary" else peering.secondary_prefix
        microsoft = IPv4Interface(f"{peering.microsoft_address(edge.link)}/{prefix.prefixlen}")
        customer = peering.customer_address(edge.link)
        where = f"{edge.link} link" if len(circuits) == 1 else f"{circuit.name} {edge.link} link"
        nodes.append(
            Node(
                name=name,
                role=f"MSEE ({where}, AS {peering.azure_asn})",
                side="azure",
                forwarding=True,
                addresses=(Address("ce", microsoft), Address("gw", msee_end)),
                frr_config=_template("msee.conf.j2").render(
                    **common,
                    circuit=circuit,
                    name=name,
                    peering=peering,
                    microsoft=microsoft.ip,
                    customer=customer,
                    gateway=gw_end.ip,
                ),
            )
        )
        links.append(Link(Endpoint(name, "gw"), Endpoint(ER_GATEWAY_NODE, f"msee{index}"), role="microsoft-internal"))
        msees.append({"interface": f"msee{index}", "address": gw_end, "peer": msee_end.ip, "node": name,
                      "circuit": circuit.name, "weight": weights.get(circuit.name)})
        sessions += [
            BgpSession(name, customer, edge.device, f"ExpressRoute {edge.link}"),
            BgpSession(name, gw_end.ip, ER_GATEWAY_NODE, "MSEE to ExpressRoute gateway"),
            BgpSession(ER_GATEWAY_NODE, msee_end.ip, name, "MSEE to ExpressRoute gateway"),
        ]
        if peering.bfd.enabled:
            bfd_peers.append((name, customer))
    gateway_members = ["er"]
    er_node_at = len(nodes)  # the ExpressRoute gateway goes here once the VPN instances it peers with are known
    links.append(Link(Endpoint(ER_GATEWAY_NODE, "vnet"), Endpoint(VNET_FABRIC_NODE, "er"), role="gateway-subnet"))
    sessions += [
        BgpSession(ER_GATEWAY_NODE, fabric_gw.ip, VNET_FABRIC_NODE, "gateway to VNet fabric"),
        BgpSession(VNET_FABRIC_NODE, er_address, ER_GATEWAY_NODE, "gateway to VNet fabric"),
    ]
    vpn_addresses: list[IPv4Address] = []
    vpn_peers: list[dict[str, Any]] = []
    vpn_common = {**common, "er_address": er_address, "er_asn": ER_GATEWAY_ASN, "er_preference": ER_LOCAL_PREFERENCE}
    ends = vpn_ends(topology) if topology.vpn_gateway is not None else ()
    internet_addresses = [
        Address(end.internet_port, IPv4Interface(f"{INTERNET_TO_ONPREM}/32"), end.public_ip) for end in ends
    ]
    tunnels: list[tuple[str, str]] = []
    end_tunnels = _end_tunnels(topology, ends)
    gateway = topology.vpn_gateway
    for index in range(len(gateway.instances) if gateway is not None and ends else 0):
        node, address, peers = _vpn_gateway(topology, index, ends, end_tunnels, vpn_common)
        nodes.append(node)
        vpn_addresses.append(address)
        vpn_peers.append({"address": address, "asn": _vpn_asn(topology), "node": node.name})
        gateway_members.append(f"vpn{index}")
        public_ip = gateway.instances[index].public_ip.address
        internet_addresses.append(
            Address(f"gw{index}", IPv4Interface(f"{internet_address_towards_gateway(index)}/32"), public_ip)
        )
        links += [
            Link(Endpoint(node.name, "vnet"), Endpoint(VNET_FABRIC_NODE, f"vpn{index}"), role="gateway-subnet"),
            Link(Endpoint(INTERNET_NODE, f"gw{index}"), Endpoint(node.name, "inet"), role="internet"),
        ]
        sessions += [BgpSession(node.name, p["local"], p["device"], f"VPN tunnel {index}") for p in peers]
        sessions += [
            BgpSession(node.name, fabric_gw.ip, VNET_FABRIC_NODE, "gateway to VNet fabric"),
            BgpSession(VNET_FABRIC_NODE, address, node.name, "gateway to VNet fabric"),
            BgpSession(node.name, er_address, ER_GATEWAY_NODE, "ExpressRoute gateway to VPN gateway"),
            BgpSession(ER_GATEWAY_NODE, address, node.name, "ExpressRoute gateway to VPN gateway"),
        ]
        tunnels += [(node.name, end.gateway_connection) for end in ends]
    nodes.insert(
        er_node_at,
        Node(
            name=ER_GATEWAY_NODE,
            role=f"ExpressRoute gateway (AS {ER_GATEWAY_ASN})",
            side="azure",
            forwarding=True,
            addresses=(
                *(Address(m["interface"], m["address"]) for m in msees),
                Address("vnet", IPv4Interface(f"{er_address}/{gateway_subnet.prefix.prefixlen}")),
            ),
            frr_config=_template("er_gateway.conf.j2").render(
                **common, msees=msees, address=er_address, vpn_gateways=vpn_peers
            ),
        ),
    )
    if internet_addresses:
        nodes.append(
            Node(
                name=INTERNET_NODE,
                role="internet (between the VPN appliance and the gateway's public IPs)",
                side="internet",
                forwarding=True,
                addresses=tuple(internet_addresses),
            )
        )
    fabric, vm_nodes, vm_links = _vnet(topology, er_address, vpn_addresses, gateway_members, common)
    nodes += [fabric, *vm_nodes]
    links += vm_links
    spoke_nodes, spoke_links = _spokes(topology)
    nodes += spoke_nodes
    links += spoke_links
    return SidePlan(
        nodes=tuple(nodes),
        links=tuple(links),
        bgp_sessions=tuple(sessions),
        bfd_peers=tuple(bfd_peers),
        tunnels=tuple(tunnels),
    )


def _check_supported(topology: Topology) -> None:
    """What the Azure half needs before it can plan anything (``plan`` checks the reference's shape)."""
    for edge in edge_links(topology):
        circuit = topology.all_circuits[edge.circuit_index]
        if circuit.private_peering is None:
            raise LabError(f"circuit {circuit.name} has no private peering, so there is no ExpressRoute path "
                           "to emulate", fix=f"add private_peering to circuit {circuit.name}")
    if topology.vnet.gateway_subnet is None:
        raise LabError("the VNet has no GatewaySubnet for the gateways", fix="add a subnet named GatewaySubnet")
    if not edge_links(topology):
        raise LabError("no customer edge on any circuit: nothing terminates ExpressRoute",
                       fix="add edge routers (onprem.edge_routers, or site devices with the edge role)")
    hub = topology.vnet.name
    for i, lb in enumerate(topology.load_balancers):
        if lb.frontend.vnet not in (None, hub):
            raise LabError(f"load balancer {lb.name} is in spoke {lb.frontend.vnet}: the lab emulates load "
                           "balancers in the hub only", fix=f"drop load_balancers.{i} to emulate this estate")


def _routing_weights(topology: Topology) -> dict[str, int]:
    """Each circuit's connection ``routing_weight`` (Azure: higher wins, before AS-path length)."""
    return {c.circuit: c.routing_weight for c in topology.er_connections}


def _transit_prefixes(topology: Topology) -> list[IPv4Network]:
    """The address spaces of the spokes that use the hub's gateways (both sides of the peering agree):
    what the gateways advertise on-prem beside the hub's, while each spoke's peering is up."""
    hub = set(topology.vnet.address_space)
    found = [p for s in topology.spokes if s.peering.gateway_transit for p in s.address_space if p not in hub]
    return list(dict.fromkeys(found))


def _end_tunnels(topology: Topology, ends: tuple[VpnEnd, ...]) -> dict[int, tuple[TunnelContext, ...]]:
    """Each VPN end's tunnel to each gateway instance as the end's own device plan has it (its BGP
    address per instance, multihop when it borrows one address for both): both ends agree by construction."""
    if not ends:
        return {}
    try:
        plans = {(p.site, p.name): p for p in plan_estate(topology) if p.vpn is not None}
    except TopologyError as error:
        raise LabError(str(error), fix=error.fix or "fix the VPN device") from None
    found = {}
    for end in ends:
        device = plans.get((end.site, end.device))
        assert device is not None and device.vpn is not None
        found[end.index] = device.vpn.tunnels
    return found


def _er_gateway_address(topology: Topology) -> IPv4Address:
    """The first free GatewaySubnet address after Azure's reserved ones and the VPN instances'."""
    subnet = topology.vnet.gateway_subnet
    assert subnet is not None
    taken = azure_reserved(subnet.prefix)
    for gateway in topology.vpn_gateways:
        taken |= {i.bgp_address for i in gateway.instances if i.bgp_address is not None}
    for address in subnet.prefix.hosts():
        if address not in taken:
            return address
    raise LabError(
        f"the GatewaySubnet {subnet.prefix} has no free address for the ExpressRoute gateway",
        fix="make the GatewaySubnet /27 or larger",
    )


def _vpn_asn(topology: Topology) -> int:
    gateway = topology.vpn_gateway
    return gateway.bgp.asn if gateway is not None and gateway.bgp is not None else ER_GATEWAY_ASN


def _vpn_gateway(topology: Topology, index: int, ends: tuple[VpnEnd, ...],
                 end_tunnels: dict[int, tuple[TunnelContext, ...]], common: dict[str, Any]
                 ) -> tuple[Node, IPv4Address, list[dict[str, Any]]]:
    """Instance ``index`` of the VPN gateway: one IKE connection and one BGP neighbour per VPN end."""
    gateway = topology.vpn_gateway
    assert gateway is not None and ends
    if gateway.bgp is None:
        raise LabError("the emulator runs the VPN with BGP only; this topology routes it statically",
                       fix=f"set gateways.{gateway.name}.bgp and enable_bgp: true on its connections")
    instance = gateway.instances[index]
    subnet = topology.vnet.gateway_subnet
    assert subnet is not None
    reserved = azure_reserved(subnet.prefix)
    address = instance.bgp_address or list(subnet.prefix.hosts())[3 + index]
    if address in reserved or address not in subnet.prefix:
        raise LabError(
            f"VPN gateway instance {index} address {address} is not a usable GatewaySubnet address",
            fix=f"pick an address in {subnet.prefix} after the first four",
        )
    name = vpn_gateway_node(index)
    public_ip = instance.public_ip.address
    assert public_ip is not None  # the estate plan refuses an instance without one
    several = len(ends) > 1
    peers: list[dict[str, Any]] = []
    connections: list[dict[str, Any]] = []
    taken: dict[IPv4Address, str] = {}
    for end in ends:
        if end.gateway.name != gateway.name:
            raise LabError(f"VPN end {end.device} of site {end.site} connects to {end.gateway.name}, not to the "
                           f"hub's VPN gateway {gateway.name}", fix="connect every VPN end to the hub's VPN gateway")
        tunnel = end_tunnels[end.index][index]
        if tunnel.azure_bgp is None or tunnel.local_bgp is None or not end.connection.enable_bgp:
            raise LabError(f"connection {end.connection.name} runs without BGP: the emulator runs the VPN with "
                           "BGP only", fix=f"set enable_bgp: true on connection {end.connection.name}")
        if tunnel.local_bgp in taken:
            raise LabError(f"VPN ends {taken[tunnel.local_bgp]} and {end.device} both use BGP address "
                           f"{tunnel.local_bgp} towards instance {index}",
                           fix="give each VPN end its own BGP addresses")
        taken[tunnel.local_bgp] = end.device
        lng = end.local_network_gateway
        legacy = topology.onprem is not None and end.index == 0
        peers.append({
            "local": tunnel.local_bgp, "azure": tunnel.azure_bgp, "multihop": tunnel.multihop,
            "asn": lng.bgp.asn if lng is not None and lng.bgp is not None else _site_asn(topology, end.site),
            "device": end.device,
            "description": "on-prem VPN appliance" if legacy else f"VPN end {end.device} of site {end.site}",
        })
        connections.append({
            "name": end.gateway_connection,
            "connection": end.connection,
            "onprem_ip": end.public_ip,
            "proposals": render_strongswan.azure_end_proposals(end.connection),
            "dpd_delay_s": render_strongswan.dpd_delay_s(end.connection),
            "secret": f'"{end.secret_slot}"',
            # One TUN device (ipsec0) carries every connection, so libipsec picks the SA by its selectors:
            # with several ends each CHILD SA narrows to its end's BGP address and site prefixes.
            "remote_ts": [f"{tunnel.local_bgp}/32", *(str(p) for p in _end_prefixes(topology, end))]
            if several else ["0.0.0.0/0"],
        })
    frr_config = _template("vpn_gateway.conf.j2").render(
        **common, name=name, index=index, gateway=gateway, peers=peers, address=address
    )
    swanctl = _template("vpn_gateway.swanctl.conf.j2").render(
        topology=topology, gateway=gateway, public_ip=public_ip, connections=connections,
    )
    tunnel_mtu = min(end.connection.tunnel_mtu for end in ends)
    node = Node(
        name=name,
        role=f"VPN gateway instance {index} (AS {gateway.bgp.asn})",
        side="azure",
        forwarding=True,
        addresses=(
            Address("inet", IPv4Interface(f"{public_ip}/32"), internet_address_towards_gateway(index)),
            Address("vnet", IPv4Interface(f"{address}/{subnet.prefix.prefixlen}")),
            *_selector_sources(topology, address),
        ),
        routes=tuple(Route(IPv4Network(f"{end.public_ip}/32"), gateway=internet_address_towards_gateway(index))
                     for end in ends),
        frr_config=frr_config,
        swanctl_config=swanctl,
        tunnel=Tunnel(
            addresses=tuple(Address("ipsec0", IPv4Interface(f"{p['azure']}/32"), p["local"]) for p in peers),
            mtu=tunnel_mtu,
        ),
    )
    return node, address, peers


def _site_asn(topology: Topology, site: str) -> int:
    return next(s.asn for s in topology.all_sites if s.name == site)


def _end_prefixes(topology: Topology, end: VpnEnd) -> tuple[IPv4Network, ...]:
    """What a VPN end carries for its site: what it advertises (its site's address space by default)."""
    site = next(s for s in topology.all_sites if s.name == end.site)
    device = next(d for d in site.devices if d.name == end.device)
    assert device.vpn is not None
    advertised = device.vpn.advertised_prefixes
    return tuple(advertised) if advertised is not None else tuple(site.address_space)


def _selector_sources(topology: Topology, address: IPv4Address) -> tuple[Address, ...]:
    """One address in each VNet address space the gateway has none in, so libipsec can route its selectors.

    When the on-prem end narrows its selectors to the VNet's address spaces (active-active tunnels,
    or policy-based selectors), this end's local selectors become those spaces, and kernel-libipsec
    installs a CHILD SA's outbound policy only with a source address of its own inside each local
    selector; without one it refuses the policy and answers TS_UNACCEPTABLE (a second address space
    got no VPN). The network address of an address space is never a VM's (Azure reserves the first
    address of every subnet), so giving it to the gateway's loopback takes nothing from the VNet.
    """
    return tuple(
        Address("lo", IPv4Interface(f"{space.network_address}/32"))
        for space in (*topology.vnet.address_space, *_transit_prefixes(topology))
        if address not in space
    )


def _vnet(
    topology: Topology,
    er_address: IPv4Address,
    vpn_addresses: list[IPv4Address],
    gateway_members: list[str],
    common: dict[str, Any],
) -> tuple[Node, list[Node], list[Link]]:
    """The fabric (subnet gateways, iBGP with the gateways, the ILB, the peering links to the spokes)
    and one node per workload VM of the hub."""
    addresses: list[Address] = []
    bridges: list[Bridge] = []
    vms: list[Node] = []
    links: list[Link] = []
    hub = topology.vnet
    virtual_network = virtual_network_tag(topology, hub.name)
    for index, subnet in enumerate(hub.subnets):
        bridge = "gwsubnet" if subnet.name == GATEWAY_SUBNET else f"sub{index}"
        addresses.append(Address(bridge, subnet_gateway(subnet.prefix)))
        members = list(gateway_members) if subnet.name == GATEWAY_SUBNET else []
        for workload in _workloads(topology, hub.name, subnet.name):
            port = f"vm{len(vms)}"
            members.append(port)
            links.append(Link(Endpoint(workload.name, "eth0"), Endpoint(VNET_FABRIC_NODE, port), role="vnet"))
            vms.append(_vm(topology, workload, subnet, virtual_network, hub.name))
        if members:
            bridges.append(Bridge(bridge, tuple(members)))
    balancers = []
    for lb in topology.load_balancers:
        subnet = topology.vnet.subnet(lb.frontend.subnet)
        assert subnet is not None
        bridge = next(b.name for b in bridges if b.name == f"sub{topology.vnet.subnets.index(subnet)}")
        addresses.append(Address(bridge, IPv4Interface(f"{lb.frontend.address}/32")))
        backends = [str(w.address) for w in (topology.workload(m) for m in lb.backend_pool) if w is not None]
        balancers.append(
            {
                "name": lb.name,
                "frontend": str(lb.frontend.address),
                "backends": backends,
                "rules": [r.model_dump() for r in lb.rules],
                "probe": lb.probe.model_dump(),
            }
        )
    addresses.append(Address("lo", IPv4Interface(f"{AZURE_PROBE_SOURCE}/32")))
    spokes = []
    for index, spoke in enumerate(topology.spokes):
        fabric_end, spoke_end = peering_link(index)
        port = spoke_port(index)
        addresses.append(Address(port, IPv4Interface(f"{fabric_end}/32"), spoke_end))
        spokes.append({"name": spoke.name, "port": port, "peer": spoke_end, "address_space": spoke.address_space,
                       "transit": spoke.peering.gateway_transit})
    fabric = Node(
        name=VNET_FABRIC_NODE,
        role="VNet fabric (subnet gateways, Azure's route selection, ILB)",
        side="azure",
        forwarding=True,
        addresses=tuple(addresses),
        bridges=tuple(bridges),
        frr_config=_template("vnet_fabric.conf.j2").render(
            **common,
            er_address=er_address,
            vpn_addresses=vpn_addresses,
            er_preference=ER_LOCAL_PREFERENCE,
            vpn_preference=VPN_LOCAL_PREFERENCE,
            spokes=spokes,
        ),
        nftables=_fabric_ruleset(spokes) if spokes else None,
        load_balancer=json.dumps({"source": str(AZURE_PROBE_SOURCE), "balancers": balancers}, indent=1)
        if balancers
        else None,
        vnet=hub.name,
    )
    return fabric, vms, links


FABRIC_TABLE = "hybridnet_fabric"
"""The nftables table (family inet) of the hub fabric: what VNet peering does not forward."""


def spoke_port(index: int) -> str:
    """The hub fabric's interface towards spoke ``index`` (``spoke1``, ... like ``vnet-spoke1``)."""
    return f"spoke{index + 1}"


def _fabric_ruleset(spokes: list[dict[str, Any]]) -> str:
    """Peering is not transitive: the hub forwards nothing from one spoke to another (no NVA or route
    table in the hub routes it in the lab), and a spoke without gateway transit neither reaches
    on-premises through the hub's gateways nor is reached from there."""
    ports = ", ".join(f'"{s["port"]}"' for s in spokes)
    lines = [
        f"table inet {FABRIC_TABLE}",
        f"delete table inet {FABRIC_TABLE}",
        f"table inet {FABRIC_TABLE} {{",
        "    chain forward {",
        "        type filter hook forward priority filter; policy accept;",
        f'        iifname {{ {ports} }} oifname {{ {ports} }} counter drop comment "peering is not transitive"',
    ]
    for spoke in spokes:
        if not spoke["transit"]:
            why = f'comment "{spoke["name"]}: no gateway transit"'
            lines += [
                f'        iifname "{spoke["port"]}" oifname "gwsubnet" drop {why}',
                f'        iifname "gwsubnet" oifname "{spoke["port"]}" drop {why}',
            ]
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


def _spoke_routes(topology: Topology, transit: bool, fabric_end: IPv4Address) -> tuple[Route, ...]:
    """A spoke's system routes towards the hub. With gateway transit, everything goes to the hub (its
    gateways carry the on-prem prefixes; the fabric's ruleset stops spoke-to-spoke). Without it, Azure
    gives the spoke a peering route to the hub's address spaces only and no route to on-premises, so
    neither does the lab: a default route would have the installed routes (what `status` and the drill
    trace) say a spoke VM reaches on-prem over ExpressRoute, where `analyse` and Azure say no route."""
    if transit:
        return (Route(IPv4Network("0.0.0.0/0"), gateway=fabric_end),)
    return tuple(Route(space, gateway=fabric_end) for space in topology.vnet.address_space)


def _spokes(topology: Topology) -> tuple[list[Node], list[Link]]:
    """One node per spoke VNet (its subnets' gateways, its system routes: everything else through the
    peering to the hub) and one per workload VM in it."""
    nodes: list[Node] = []
    links: list[Link] = []
    for index, spoke in enumerate(topology.spokes):
        name = spoke_node(index)
        fabric_end, spoke_end = peering_link(index)
        links.append(Link(Endpoint(VNET_FABRIC_NODE, spoke_port(index)), Endpoint(name, "hub"), role="vnet-peering"))
        virtual_network = virtual_network_tag(topology, spoke.name)
        addresses = [Address("hub", IPv4Interface(f"{spoke_end}/32"), fabric_end)]
        bridges: list[Bridge] = []
        vms: list[Node] = []
        for s_index, subnet in enumerate(spoke.subnets):
            members = []
            for workload in _workloads(topology, spoke.name, subnet.name):
                port = f"vm{len(vms)}"
                members.append(port)
                links.append(Link(Endpoint(workload.name, "eth0"), Endpoint(name, port), role="vnet"))
                vms.append(_vm(topology, workload, subnet, virtual_network, spoke.name))
            if members:  # a subnet without VMs needs no segment: the peering routes cover its space
                addresses.append(Address(f"sub{s_index}", subnet_gateway(subnet.prefix)))
                bridges.append(Bridge(f"sub{s_index}", tuple(members)))
        transit = "uses the hub's gateways" if spoke.peering.gateway_transit else "no gateway transit"
        nodes.append(Node(
            name=name,
            role=f"spoke VNet {spoke.name} (peered to the hub, {transit})",
            side="azure",
            forwarding=True,
            addresses=tuple(addresses),
            routes=_spoke_routes(topology, spoke.peering.gateway_transit, fabric_end),
            bridges=tuple(bridges),
            vnet=spoke.name,
        ))
        nodes += vms
    return nodes, links


def _workloads(topology: Topology, vnet: str, subnet: str) -> list[Workload]:
    hub = topology.vnet.name
    return [w for w in topology.workloads if (w.vnet or hub) == vnet and w.subnet == subnet]


def _vm(topology: Topology, workload: Workload, subnet: Subnet, virtual_network: list[IPv4Network],
        vnet: str) -> Node:
    if workload.address in azure_reserved(subnet.prefix) or workload.address not in subnet.prefix:
        raise LabError(
            f"workload {workload.name} has address {workload.address}, which Azure reserves "
            f"or is outside subnet {subnet.name} ({subnet.prefix})",
            fix="use an address from the fifth one of the subnet on",
        )
    nsg = topology.nsg(subnet.nsg) if subnet.nsg else None
    where = f"subnet {subnet.name}" if vnet == topology.vnet.name else f"subnet {subnet.name} of spoke {vnet}"
    return Node(
        name=workload.name,
        role=f"workload VM in {where}",
        side="azure",
        addresses=(Address("eth0", IPv4Interface(f"{workload.address}/{subnet.prefix.prefixlen}")),),
        routes=(Route(IPv4Network("0.0.0.0/0"), gateway=subnet_gateway(subnet.prefix).ip),),
        nftables=nsg_ruleset(nsg, virtual_network),
        servers=(Server(workload.port, workload.protocol),),
        vnet=vnet,
    )


def virtual_network_tag(topology: Topology, vnet: str) -> list[IPv4Network]:
    """The ``VirtualNetwork`` service tag as seen from a VNet: its own address space, the VNets peered
    with it (the hub sees every spoke; a spoke sees the hub only: peering is not transitive) and the
    on-premises address spaces it is connected to through a gateway (every site's, for the hub and for
    a spoke that uses the hub's gateways)."""
    sites = [p for site in topology.all_sites for p in site.address_space]
    if vnet == topology.vnet.name:
        spaces = [*topology.vnet.address_space, *(p for s in topology.spokes for p in s.address_space), *sites]
    else:
        spoke = next(s for s in topology.spokes if s.name == vnet)
        spaces = [*spoke.address_space, *topology.vnet.address_space,
                  *(sites if spoke.peering.gateway_transit else [])]
    return list(dict.fromkeys(spaces))


def _template(name: str) -> Template:
    return template(name, "hybridnet.emulate")


__all__ = ["plan_azure"]
