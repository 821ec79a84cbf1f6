"""The on-prem half of the plan for a topology with ``sites``: every device of every site, its hosts and links.

Every device runs exactly the files ``hybridnet render device --vendor frr/strongswan`` gives users for
it (``render.estate_plan`` wires the site, ``render.estate_devices`` writes the configs), so the lab
tests what users deploy: a firewall gets its nftables ruleset, a VPN end its swanctl.conf and
tunnel.sh, and a device holding several roles runs all of them in its one namespace (the firewall
that is also the VPN end and the core router runs FRR, strongSwan and nftables side by side).

Interface names are the renderer's (``frr_interfaces``: ``er``, ``wan``, ``link<N>``, ``lan<N>``),
because the rendered configs name them. The LAN of a subnet is a bridge on its first LAN device
(its ``lan<N>``, carrying that device's gateway address); hosts, and any other LAN device of the
subnet, plug into that bridge, as the legacy ``onprem_side`` plugs hosts into the core's bridge.

The cables that cross to Azure follow ``estate_wiring``: each edge's ``er`` to its MSEE's ``ce``, each
VPN end's ``wan`` to the internet node's port for it. Each VPN end's key is its own slot
(``VpnEnd.secret_slot``), never a key: the lab substitutes each connection's key per slot.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.emulate.plan.addressing import INTERNET_TO_ONPREM
from hybridnet.emulate.plan.estate_wiring import EdgeLink, VpnEnd, edge_links, vpn_ends
from hybridnet.emulate.plan.types import (
    INTERNET_NODE,
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
from hybridnet.model.estate import Site
from hybridnet.render.estate_devices import (
    TUNNEL_INTERFACE,
    device_frr_files,
    device_strongswan_files,
    frr_interfaces,
    ike_connection,
)
from hybridnet.render.estate_plan import DevicePlan, plan_estate

SITE_LINK = "site link"
SITE_IBGP = "site iBGP"


def plan_sites(topology: Topology) -> SidePlan:
    """Nodes, cables, BGP sessions, BFD peers and IPsec tunnels of every site of ``topology.all_sites``."""
    plans = plan_estate(topology, wan_next_hop=str(INTERNET_TO_ONPREM))
    edges = {edge.device: edge for edge in edge_links(topology)}
    ends = {end.device: end for end in vpn_ends(topology)}
    by_site: dict[str, list[DevicePlan]] = {}
    for device_plan in plans:
        by_site.setdefault(device_plan.site, []).append(device_plan)
    side = SidePlan()
    for site in topology.all_sites:
        part = _plan_site(topology, site, by_site.get(site.name, []), edges, ends)
        side.nodes += part.nodes
        side.links += part.links
        side.bgp_sessions += part.bgp_sessions
        side.bfd_peers += part.bfd_peers
        side.tunnels += part.tunnels
    return side


def _plan_site(topology: Topology, site: Site, plans: list[DevicePlan], edges: dict[str, EdgeLink],
               ends: dict[str, VpnEnd]) -> SidePlan:
    names = {p.name: frr_interfaces(p) for p in plans}
    addresses: dict[str, list[Address]] = {p.name: [] for p in plans}
    bridges: dict[str, list[Bridge]] = {p.name: [] for p in plans}
    hosts: list[Node] = []
    links: list[Link] = []
    # the LAN of each subnet: a bridge on its first LAN device; hosts and other LAN devices plug in
    for subnet in site.subnets:
        key = f"lan:{subnet.name}"
        attached = [p for p in plans if any(port.key == key for port in p.lans)]
        if not attached:
            continue
        first = attached[0]
        bridge = names[first.name][key]
        gateway = next(port.address for port in first.lans if port.key == key)
        assert gateway is not None
        members: list[str] = []
        for index, host in enumerate(subnet.hosts):
            port = f"{bridge}h{index}"
            members.append(port)
            links.append(Link(Endpoint(host.name, "eth0"), Endpoint(first.name, port), role="lan"))
            hosts.append(Node(
                name=host.name, role="on-prem host", side="onprem", site=site.name,
                addresses=(Address("eth0", IPv4Interface(f"{host.address}/{subnet.prefix.prefixlen}")),),
                routes=(Route(IPv4Network("0.0.0.0/0"), gateway=gateway.ip),),
            ))
        for index, other in enumerate(attached[1:]):
            port = f"{bridge}d{index}"
            members.append(port)
            links.append(Link(Endpoint(other.name, names[other.name][key]), Endpoint(first.name, port),
                              role="lan"))
        bridges[first.name].append(Bridge(bridge, tuple(members)))
    # the site's links: one cable each, both ends named as each device's config names them
    done: set[str] = set()
    for device_plan in plans:
        for port in device_plan.links:
            if port.key in done or port.peer is None:
                continue
            done.add(port.key)
            links.append(Link(Endpoint(device_plan.name, names[device_plan.name][port.key]),
                              Endpoint(port.peer, names[port.peer][port.key]), role=SITE_LINK))
    nodes: list[Node] = []
    sessions: list[BgpSession] = []
    bfd_peers: list[tuple[str, IPv4Address]] = []
    tunnels: list[tuple[str, str]] = []
    for device_plan in plans:
        ifname = names[device_plan.name]
        own = addresses[device_plan.name]
        if device_plan.loopback is not None:
            own.append(Address("lo", IPv4Interface(f"{device_plan.loopback}/32")))
        own += [Address(ifname[port.key], port.address) for port in device_plan.ports if port.address is not None]
        if device_plan.speaks_bgp:  # a firewall that only forwards has the mesh in its plan, not in its config
            sessions += [BgpSession(device_plan.name, peer.address, peer.name, SITE_IBGP)
                         for peer in device_plan.ibgp]
        files = device_frr_files(topology, device_plan)
        swanctl: str | None = None
        tunnel: Tunnel | None = None
        edge, vpn = device_plan.edge, device_plan.vpn
        if edge is not None:
            wiring = edges[device_plan.name]
            links.append(Link(Endpoint(device_plan.name, ifname["er"]), Endpoint(wiring.msee, "ce"),
                              role=f"expressroute-{wiring.link}"))
            sessions.append(BgpSession(device_plan.name, edge.microsoft, wiring.msee, f"ExpressRoute {wiring.link}"))
            if edge.bfd_enabled:
                bfd_peers.append((device_plan.name, edge.microsoft))
        if vpn is not None:
            end = ends[device_plan.name]
            own.append(Address(ifname["wan"], IPv4Interface(f"{vpn.public_ip}/32"), INTERNET_TO_ONPREM))
            own += _selector_sources(vpn.advertised, own)
            links.append(Link(Endpoint(device_plan.name, ifname["wan"]), Endpoint(INTERNET_NODE, end.internet_port),
                              role="internet"))
            ipsec = device_strongswan_files(topology, device_plan, end.secret_slot)
            swanctl = ipsec["swanctl.conf"]
            tunnel = Tunnel(
                addresses=tuple(Address(TUNNEL_INTERFACE, IPv4Interface(f"{t.local_bgp}/32"), t.azure_bgp)
                                for t in vpn.tunnels if t.azure_bgp is not None and t.local_bgp is not None),
                mtu=vpn.connection.tunnel_mtu,
                script=ipsec["tunnel.sh"],
                wan_gateway=INTERNET_TO_ONPREM,
                wan_interface=ifname["wan"],
            )
            for t in vpn.tunnels:
                tunnels.append((device_plan.name, ike_connection(t.index)))
                if t.azure_bgp is not None and vpn.azure_asn is not None:
                    sessions.append(BgpSession(device_plan.name, t.azure_bgp, vpn_gateway_node(t.index),
                                               f"VPN tunnel {t.index}"))
        nodes.append(Node(
            name=device_plan.name, role=role_text(device_plan), side="onprem", site=site.name, forwarding=True,
            addresses=tuple(own), bridges=tuple(bridges[device_plan.name]),
            frr_config=files["frr.conf"], swanctl_config=swanctl, tunnel=tunnel,
            nftables=files.get("nftables.conf"),
        ))
    return SidePlan(nodes=(*nodes, *hosts), links=tuple(links), bgp_sessions=tuple(sessions),
                    bfd_peers=tuple(bfd_peers), tunnels=tuple(tunnels))


def _selector_sources(advertised: tuple[IPv4Network, ...], own: list[Address]) -> list[Address]:
    """A loopback address in each advertised prefix the VPN end holds no address in (lab only).

    With several VPN ends on one gateway, the gateway narrows each CHILD SA to its end's prefixes, so
    this end's local selectors become its advertised prefixes; kernel-libipsec installs the outbound
    policy only with a source address of its own inside each local selector, and without one the CHILD
    SA fails ("error installing route with policy"). A core or firewall holding the VPN role has a LAN
    address there; a VPN box that only faces the internet (behind a firewall, or an edge that is also
    the VPN end) has none. The prefix's network address is never a host's (it is the network address of
    whichever subnet holds it), so the loopback takes nothing from the site; prefixes of /31 and /32
    have no such address and are left alone. Real devices with kernel ESP need none of this, so the
    rendered configs do not change.
    """
    held = [address.local.ip for address in own]
    return [Address("lo", IPv4Interface(f"{prefix.network_address}/32")) for prefix in advertised
            if prefix.prefixlen <= 30 and not any(ip in prefix for ip in held)]


def role_text(plan: DevicePlan) -> str:
    """What the device is, in the words of the on-prem side's other nodes (``on-prem core router``...)."""
    words = []
    for role in plan.roles:
        if role == "core":
            words.append("core router")
        elif role == "firewall":
            stateful = plan.firewall is None or plan.firewall.stateful
            words.append("stateful firewall" if stateful else "stateless firewall")
        elif role == "edge" and plan.edge is not None:
            words.append(f"customer edge ({plan.edge.circuit} {plan.edge.link} link)")
        elif role == "vpn":
            words.append("VPN end")
    return f"site {plan.site}: " + ", ".join(words)


__all__ = ["SITE_IBGP", "SITE_LINK", "plan_sites", "role_text"]
