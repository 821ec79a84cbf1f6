"""The on-prem half of the plan: hosts, core, customer edges and the VPN appliance.

Every router here runs exactly the configuration ``hybridnet.render`` gives users, wired the way
the rendered files' header says (``onprem_wiring``), so the lab tests what users deploy.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.emulate.plan.addressing import INTERNET_TO_ONPREM
from hybridnet.emulate.plan.types import (
    INTERNET_NODE,
    MSEE_NODES,
    SECRET_SLOT,
    Address,
    BgpSession,
    Bridge,
    Endpoint,
    Link,
    Node,
    Route,
    SidePlan,
    Tunnel,
    vpn_gateway_node,
)
from hybridnet.model import Topology
from hybridnet.render import frr as render_frr
from hybridnet.render import strongswan as render_strongswan


def plan_onprem(topology: Topology) -> SidePlan:
    onprem = topology.onprem
    wiring = render_frr.onprem_wiring(topology)
    configs = render_frr.render_onprem(topology)
    side = SidePlan()
    core_addresses: list[Address] = []
    core_bridges: list[Bridge] = []
    nodes: list[Node] = []
    links: list[Link] = []
    for lan, subnet in zip(wiring.lans, onprem.subnets, strict=True):
        members = []
        for index, host in enumerate(subnet.hosts):
            port = f"{lan.interface}h{index}"
            members.append(port)
            links.append(Link(Endpoint(host.name, "eth0"), Endpoint(onprem.core_router.name, port), role="lan"))
            nodes.append(
                Node(
                    name=host.name,
                    role="on-prem host",
                    side="onprem",
                    site=onprem.name,
                    addresses=(Address("eth0", IPv4Interface(f"{host.address}/{subnet.prefix.prefixlen}")),),
                    routes=(Route(IPv4Network("0.0.0.0/0"), gateway=lan.gateway.ip),),
                )
            )
        core_bridges.append(Bridge(lan.interface, tuple(members)))
        core_addresses.append(Address(lan.interface, lan.gateway))
    sessions: list[BgpSession] = []
    for link in wiring.transit:
        core_addresses.append(Address(link.core_interface, link.core_address))
        links.append(
            Link(
                Endpoint(onprem.core_router.name, link.core_interface),
                Endpoint(link.device, link.device_interface),
                role="on-prem transit",
            )
        )
        sessions.append(BgpSession(onprem.core_router.name, link.device_address.ip, link.device, "on-prem iBGP"))
        sessions.append(BgpSession(link.device, link.core_address.ip, onprem.core_router.name, "on-prem iBGP"))
    nodes.insert(
        0,
        Node(
            name=onprem.core_router.name,
            role="on-prem core router",
            side="onprem",
            site=onprem.name,
            forwarding=True,
            addresses=tuple(core_addresses),
            bridges=tuple(core_bridges),
            frr_config=configs[f"{onprem.core_router.name}/frr.conf"],
        ),
    )
    peering = topology.circuit.private_peering
    assert peering is not None
    bfd_peers: list[tuple[str, IPv4Address]] = []
    for router in onprem.edge_routers:
        link = wiring.transit_of(router.name)
        prefix = peering.primary_prefix if router.link == "primary" else peering.secondary_prefix
        customer = IPv4Interface(f"{peering.customer_address(router.link)}/{prefix.prefixlen}")
        nodes.append(
            Node(
                name=router.name,
                role=f"customer edge ({router.link} link)",
                side="onprem",
                site=onprem.name,
                forwarding=True,
                addresses=(
                    Address(link.device_interface, link.device_address),
                    Address(wiring.er_interface, customer),
                ),
                frr_config=configs[f"{router.name}/frr.conf"],
                )
        )
        links.append(
            Link(
                Endpoint(router.name, wiring.er_interface),
                Endpoint(MSEE_NODES[router.link], "ce"),
                role=f"expressroute-{router.link}",
            )
        )
        microsoft = peering.microsoft_address(router.link)
        sessions.append(BgpSession(router.name, microsoft, MSEE_NODES[router.link], f"ExpressRoute {router.link}"))
        if peering.bfd.enabled:
            bfd_peers.append((router.name, microsoft))
    tunnels: list[tuple[str, str]] = []
    appliance = onprem.vpn_appliance
    if appliance is not None and topology.vpn_gateway is not None:
        node, appliance_sessions, appliance_tunnels = _vpn_appliance(topology, wiring, configs)
        nodes.append(node)
        sessions += appliance_sessions
        tunnels += appliance_tunnels
        links.append(
            Link(
                Endpoint(appliance.name, wiring.wan_interface),
                Endpoint(INTERNET_NODE, "onprem"),
                role="internet",
            )
        )
    side.nodes, side.links, side.bgp_sessions = tuple(nodes), tuple(links), tuple(sessions)
    side.bfd_peers, side.tunnels = tuple(bfd_peers), tuple(tunnels)
    return side


def _vpn_appliance(
    topology: Topology, wiring: render_frr.OnPremWiring, configs: dict[str, str]
) -> tuple[Node, list[BgpSession], list[tuple[str, str]]]:
    appliance = topology.onprem.vpn_appliance
    connection = topology.vpn_connection
    gateway = topology.vpn_gateway
    assert appliance is not None and gateway is not None
    link = wiring.transit_of(appliance.name)
    ipsec = render_strongswan.render_onprem(topology, shared_key=SECRET_SLOT)
    peerings = render_frr.vpn_peerings(topology)
    sessions = [
        BgpSession(appliance.name, p["azure"], vpn_gateway_node(p["index"]), f"VPN tunnel {p['index']}")
        for p in peerings
    ]
    tunnel_addresses = tuple(
        Address(wiring.tunnel_interface, IPv4Interface(f"{p['local']}/32"), p["azure"]) for p in peerings
    )
    tunnel = Tunnel(
        addresses=tunnel_addresses,
        mtu=connection.tunnel_mtu if connection else 1400,
        script=ipsec.get(f"{appliance.name}/tunnel.sh"),
        wan_gateway=INTERNET_TO_ONPREM,
        wan_interface=wiring.wan_interface,
    )
    node = Node(
        name=appliance.name,
        role="on-prem VPN appliance",
        side="onprem",
        site=topology.onprem.name,
        forwarding=True,
        addresses=(
            Address(link.device_interface, link.device_address),
            Address(wiring.wan_interface, IPv4Interface(f"{appliance.public_ip}/32"), INTERNET_TO_ONPREM),
        ),
        frr_config=configs[f"{appliance.name}/frr.conf"],
        swanctl_config=ipsec.get(f"{appliance.name}/swanctl.conf"),
        tunnel=tunnel,
    )
    names = [(appliance.name, f"azure-{index}") for index in range(len(gateway.instances))]
    return node, sessions, names
