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
    subnet_gateway,
)
from hybridnet.emulate.plan.nsg import nsg_ruleset
from hybridnet.emulate.plan.types import (
    AZURE_PROBE_SOURCE,
    ER_GATEWAY_NODE,
    INTERNET_NODE,
    LAB_COALESCE_MS,
    MSEE_NODES,
    SECRET_SLOT,
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
from hybridnet.model import GATEWAY_SUBNET, Topology
from hybridnet.render import frr as render_frr
from hybridnet.render import strongswan as render_strongswan
from hybridnet.render.frr import VpnPeering
from hybridnet.render.templating import template

INTERNAL_TIMERS = (10, 30)
ER_GATEWAY_ASN = 65515
ER_LOCAL_PREFERENCE = 200
"""Local preference of ExpressRoute-learned routes in the fabric and in the VPN gateway instances:
Azure prefers ExpressRoute over VPN for the same prefix whatever the AS paths (azure-facts §3, §8)."""
VPN_LOCAL_PREFERENCE = 100


def plan_azure(topology: Topology) -> SidePlan:
    check_no_overlap(topology)
    peering = topology.circuit.private_peering
    assert peering is not None
    gateway_subnet = topology.vnet.gateway_subnet
    assert gateway_subnet is not None
    fabric_gw = subnet_gateway(gateway_subnet.prefix)
    er_address = _er_gateway_address(topology)
    common = {
        "topology": topology,
        "vnet_prefixes": topology.vnet.address_space,
        "internal_timers": INTERNAL_TIMERS,
        "coalesce_ms": LAB_COALESCE_MS,
        "fabric": fabric_gw.ip,
    }
    nodes: list[Node] = []
    links: list[Link] = []
    sessions: list[BgpSession] = []
    bfd_peers: list[tuple[str, IPv4Address]] = []
    msees = []
    for index, router in enumerate(topology.onprem.edge_routers):
        msee_end, gw_end = microsoft_link(index)
        name = MSEE_NODES[router.link]
        prefix = peering.primary_prefix if router.link == "primary" else peering.secondary_prefix
        microsoft = IPv4Interface(f"{peering.microsoft_address(router.link)}/{prefix.prefixlen}")
        customer = peering.customer_address(router.link)
        nodes.append(
            Node(
                name=name,
                role=f"MSEE ({router.link} link, AS {peering.azure_asn})",
                side="azure",
                forwarding=True,
                addresses=(Address("ce", microsoft), Address("gw", msee_end)),
                frr_config=_template("msee.conf.j2").render(
                    **common,
                    name=name,
                    peering=peering,
                    microsoft=microsoft.ip,
                    customer=customer,
                    gateway=gw_end.ip,
                ),
            )
        )
        links.append(Link(Endpoint(name, "gw"), Endpoint(ER_GATEWAY_NODE, f"msee{index}"), role="microsoft-internal"))
        msees.append({"interface": f"msee{index}", "address": gw_end, "peer": msee_end.ip, "node": name})
        sessions += [
            BgpSession(name, customer, router.name, f"ExpressRoute {router.link}"),
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
    internet_addresses = (
        [Address("onprem", IPv4Interface(f"{INTERNET_TO_ONPREM}/32"), topology.onprem.vpn_appliance.public_ip)]
        if topology.onprem.vpn_appliance
        else []
    )
    tunnels: list[tuple[str, str]] = []
    for peering_vpn in render_frr.vpn_peerings(topology):
        node, address = _vpn_gateway(topology, peering_vpn, vpn_common)
        index = peering_vpn["index"]
        nodes.append(node)
        vpn_addresses.append(address)
        vpn_peers.append({"address": address, "asn": _vpn_asn(topology), "node": node.name})
        gateway_members.append(f"vpn{index}")
        internet_addresses.append(
            Address(
                f"gw{index}",
                IPv4Interface(f"{internet_address_towards_gateway(index)}/32"),
                peering_vpn["public_ip"],
            )
        )
        links += [
            Link(Endpoint(node.name, "vnet"), Endpoint(VNET_FABRIC_NODE, f"vpn{index}"), role="gateway-subnet"),
            Link(Endpoint(INTERNET_NODE, f"gw{index}"), Endpoint(node.name, "inet"), role="internet"),
        ]
        sessions += [
            BgpSession(node.name, peering_vpn["local"], topology.onprem.vpn_appliance.name, f"VPN tunnel {index}"),
            BgpSession(node.name, fabric_gw.ip, VNET_FABRIC_NODE, "gateway to VNet fabric"),
            BgpSession(VNET_FABRIC_NODE, address, node.name, "gateway to VNet fabric"),
            BgpSession(node.name, er_address, ER_GATEWAY_NODE, "ExpressRoute gateway to VPN gateway"),
            BgpSession(ER_GATEWAY_NODE, address, node.name, "ExpressRoute gateway to VPN gateway"),
        ]
        tunnels.append((node.name, "onprem"))
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
    return SidePlan(
        nodes=tuple(nodes),
        links=tuple(links),
        bgp_sessions=tuple(sessions),
        bfd_peers=tuple(bfd_peers),
        tunnels=tuple(tunnels),
    )


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


def _vpn_gateway(topology: Topology, peering_vpn: VpnPeering, common: dict[str, Any]) -> tuple[Node, IPv4Address]:
    gateway = topology.vpn_gateway
    connection = topology.vpn_connection
    appliance = topology.onprem.vpn_appliance
    assert gateway is not None and gateway.bgp is not None and appliance is not None and connection is not None
    index = peering_vpn["index"]
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
    public_ip = peering_vpn["public_ip"]
    lng = topology.local_network_gateway(connection.local_network_gateway)
    onprem_asn = lng.bgp.asn if lng is not None and lng.bgp is not None else topology.onprem.asn
    frr_config = _template("vpn_gateway.conf.j2").render(
        **common, name=name, gateway=gateway, peering=peering_vpn, onprem_asn=onprem_asn, address=address
    )
    chosen = render_strongswan.azure_end_proposals(connection)
    swanctl = _template("vpn_gateway.swanctl.conf.j2").render(
        topology=topology,
        gateway=gateway,
        connection=connection,
        public_ip=public_ip,
        onprem_ip=appliance.public_ip,
        proposals=chosen,
        dpd_delay_s=render_strongswan.dpd_delay_s(connection),
        secret=f'"{SECRET_SLOT}"',
    )
    tunnel = Tunnel(
        addresses=(Address("ipsec0", IPv4Interface(f"{peering_vpn['azure']}/32"), peering_vpn["local"]),),
        mtu=connection.tunnel_mtu,
    )
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
        routes=(Route(IPv4Network(f"{appliance.public_ip}/32"), gateway=internet_address_towards_gateway(index)),),
        frr_config=frr_config,
        swanctl_config=swanctl,
        tunnel=tunnel,
    )
    return node, address


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
        for space in topology.vnet.address_space
        if address not in space
    )


def _vnet(
    topology: Topology,
    er_address: IPv4Address,
    vpn_addresses: list[IPv4Address],
    gateway_members: list[str],
    common: dict[str, Any],
) -> tuple[Node, list[Node], list[Link]]:
    """The fabric (subnet gateways, iBGP with the gateways, the ILB) and one node per workload VM."""
    addresses: list[Address] = []
    bridges: list[Bridge] = []
    vms: list[Node] = []
    links: list[Link] = []
    virtual_network = [*topology.vnet.address_space, *topology.onprem.address_space]
    for index, subnet in enumerate(topology.vnet.subnets):
        bridge = "gwsubnet" if subnet.name == GATEWAY_SUBNET else f"sub{index}"
        addresses.append(Address(bridge, subnet_gateway(subnet.prefix)))
        members = list(gateway_members) if subnet.name == GATEWAY_SUBNET else []
        for workload in topology.workloads:
            if workload.subnet != subnet.name:
                continue
            if workload.address in azure_reserved(subnet.prefix) or workload.address not in subnet.prefix:
                raise LabError(
                    f"workload {workload.name} has address {workload.address}, which Azure reserves "
                    f"or is outside subnet {subnet.name} ({subnet.prefix})",
                    fix="use an address from the fifth one of the subnet on",
                )
            port = f"vm{len(vms)}"
            members.append(port)
            links.append(Link(Endpoint(workload.name, "eth0"), Endpoint(VNET_FABRIC_NODE, port), role="vnet"))
            nsg = topology.nsg(subnet.nsg) if subnet.nsg else None
            vms.append(
                Node(
                    name=workload.name,
                    role=f"workload VM in subnet {subnet.name}",
                    side="azure",
                    addresses=(Address("eth0", IPv4Interface(f"{workload.address}/{subnet.prefix.prefixlen}")),),
                    routes=(Route(IPv4Network("0.0.0.0/0"), gateway=subnet_gateway(subnet.prefix).ip),),
                    nftables=nsg_ruleset(nsg, virtual_network),
                    servers=(Server(workload.port, workload.protocol),),
                )
            )
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
        ),
        load_balancer=json.dumps({"source": str(AZURE_PROBE_SOURCE), "balancers": balancers}, indent=1)
        if balancers
        else None,
    )
    return fabric, vms, links




def _template(name: str) -> Template:
    return template(name, "hybridnet.emulate")


__all__ = ["plan_azure"]
