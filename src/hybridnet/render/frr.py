"""FRR configurations for the on-premises routers: the customer edges, the core and the VPN appliance.

The design the configs encode (and the emulator runs, because it uses these very files):

* each customer-edge (CE) router runs eBGP to its MSEE on the link's /30 (customer .1, Microsoft .2),
  with BFD and the circuit's timers, and raises the local preference of what it learns (150 by
  default) so that on-prem prefers ExpressRoute and traffic stays symmetric;
* the VPN appliance runs eBGP over the tunnel(s) to the Azure VPN gateway at its default local
  preference (100), so it only carries traffic when the circuit's routes are gone;
* the core router is an iBGP route reflector for the CEs and the VPN appliance, and announces the
  on-prem subnets; the CEs and the appliance announce the aggregate on-prem address space to Azure,
  anchored on a Null0 route, and nothing else (an explicit prefix list).

The model does not describe the on-prem LAN wiring between these routers, so ``onprem_wiring``
derives a documented default (interface names, transit /30s from 100.64.0.0/24); the rendered files
say so, and a user adapts those lines to their own LAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import TypedDict

from jinja2 import Template

from hybridnet.model import EdgeRouter, OnPremHost, Topology, TopologyError
from hybridnet.render.templating import template

ONPREM_TRANSIT = IPv4Network("100.64.0.0/24")
"""Where the default wiring takes the core's point-to-point links from (RFC 6598 shared space)."""

INTERNAL_TIMERS = (10, 30)
"""Keepalive/hold of the on-prem iBGP sessions: inside one site, failures are seen in seconds."""


@dataclass(frozen=True)
class TransitLink:
    """A point-to-point link between the core router and an edge device (a CE or the VPN appliance)."""

    device: str
    device_interface: str
    device_address: IPv4Interface
    core_interface: str
    core_address: IPv4Interface


@dataclass(frozen=True)
class LanAttachment:
    """An on-prem subnet behind the core: the core's interface and gateway address in it."""

    subnet: str
    prefix: IPv4Network
    interface: str
    gateway: IPv4Interface


@dataclass(frozen=True)
class OnPremWiring:
    """The on-prem LAN the configs assume: which interface leads where, with which address."""

    core: str
    lans: tuple[LanAttachment, ...]
    transit: tuple[TransitLink, ...]
    er_interface: str = "er"
    wan_interface: str = "wan"
    tunnel_interface: str = "ipsec0"

    def transit_of(self, device: str) -> TransitLink:
        return next(link for link in self.transit if link.device == device)


def onprem_wiring(topology: Topology) -> OnPremWiring:
    """The default on-prem wiring: one /30 per edge device from 100.64.0.0/24, core .1, device .2."""
    onprem = topology.onprem
    devices = [router.name for router in onprem.edge_routers]
    if onprem.vpn_appliance is not None:
        devices.append(onprem.vpn_appliance.name)
    subnets = list(ONPREM_TRANSIT.subnets(new_prefix=30))
    if len(devices) > len(subnets):
        raise TopologyError(
            f"too many on-prem edge devices ({len(devices)}) for the transit plan",
            field="onprem.edge_routers",
        )
    transit = tuple(
        TransitLink(
            device=name,
            device_interface="core",
            device_address=IPv4Interface(f"{subnet.network_address + 2}/30"),
            core_interface=f"edge{index}",
            core_address=IPv4Interface(f"{subnet.network_address + 1}/30"),
        )
        for index, (name, subnet) in enumerate(zip(devices, subnets, strict=False))
    )
    lans = tuple(
        LanAttachment(
            subnet=subnet.name,
            prefix=subnet.prefix,
            interface=f"lan{index}",
            gateway=_gateway_interface(subnet.prefix, subnet.hosts),
        )
        for index, subnet in enumerate(onprem.subnets)
    )
    return OnPremWiring(core=onprem.core_router.name, lans=lans, transit=transit)


def _gateway_interface(prefix: IPv4Network, hosts: tuple[OnPremHost, ...]) -> IPv4Interface:
    """The first address of the subnet no host uses: the default gateway hosts point at."""
    taken = {host.address for host in hosts}
    for address in prefix.hosts():
        if address not in taken:
            return IPv4Interface(f"{address}/{prefix.prefixlen}")
    raise TopologyError(f"subnet {prefix} has no free address for the core router's gateway", field="onprem.subnets")


class VpnPeering(TypedDict):
    """One BGP peering over the tunnel to one VPN gateway instance."""

    index: int
    local: IPv4Address
    azure: IPv4Address
    multihop: bool
    public_ip: IPv4Address | None


def vpn_peerings(topology: Topology) -> list[VpnPeering]:
    """One BGP peering per VPN gateway instance: (on-prem address, Azure address, multihop?).

    Azure peers from its APIPA address when one is set (directly on the tunnel), else from its
    GatewaySubnet address, which the on-prem side reaches over the tunnel with eBGP multihop.
    """
    gateway = topology.vpn_gateway
    appliance = topology.onprem.vpn_appliance
    if gateway is None or appliance is None:
        return []
    lng = next((topology.local_network_gateway(c.local_network_gateway) for c in topology.ipsec_connections), None)
    peerings = []
    for index, instance in enumerate(gateway.instances):
        if instance.apipa_addresses:
            azure, multihop = instance.apipa_addresses[0], False
        elif instance.bgp_address is not None:
            azure, multihop = instance.bgp_address, True
        else:
            raise TopologyError(
                f"VPN gateway instance {index} has neither an APIPA nor a BGP address",
                field=f"gateways.{gateway.name}.instances.{index}",
                fix="set bgp_address or apipa_addresses",
            )
        if appliance.bgp_addresses:
            local = appliance.bgp_addresses[min(index, len(appliance.bgp_addresses) - 1)]
        elif lng is not None and lng.bgp is not None:
            local = lng.bgp.peer_address
        else:
            raise TopologyError(
                "the VPN appliance has no BGP address for the tunnel",
                field="onprem.vpn_appliance.bgp_addresses",
                fix="give one address per gateway instance (APIPA 169.254.21.x, 22.x)",
            )
        peerings.append(
            VpnPeering(index=index, local=local, azure=azure, multihop=multihop, public_ip=instance.public_ip.address)
        )
    return peerings


def render_onprem(topology: Topology, shared_key: str | None = None) -> dict[str, str]:
    """Render ``<device>/frr.conf`` for every on-prem router of the topology.

    ``shared_key`` is accepted for a uniform renderer signature; FRR configs carry no IPsec key.
    """
    del shared_key
    onprem = topology.onprem
    wiring = onprem_wiring(topology)
    core_peers = [link.device_address.ip for link in wiring.transit]
    files: dict[str, str] = {}
    common = {"topology": topology, "onprem": onprem, "wiring": wiring, "internal_timers": INTERNAL_TIMERS}
    files[f"{onprem.core_router.name}/frr.conf"] = _template("core_router.conf.j2").render(
        **common, router_id=wiring.transit[0].core_address.ip if wiring.transit else None, peers=core_peers
    )
    for router in onprem.edge_routers:
        files[f"{router.name}/frr.conf"] = _render_edge(topology, wiring, router, common)
    appliance = onprem.vpn_appliance
    if appliance is not None and topology.vpn_gateway is not None:
        gateway = topology.vpn_gateway
        bgp = gateway.bgp
        link = wiring.transit_of(appliance.name)
        files[f"{appliance.name}/frr.conf"] = _template("vpn_appliance.conf.j2").render(
            **common,
            appliance=appliance,
            gateway=gateway,
            link=link,
            peerings=vpn_peerings(topology) if bgp is not None else [],
            azure_asn=bgp.asn if bgp is not None else None,
            timers=bgp.timers if bgp is not None else None,
            advertised=onprem.advertised_over_vpn(),
            originated=onprem.originated_at_edge(onprem.advertised_over_vpn()),
        )
    return files


def _render_edge(topology: Topology, wiring: OnPremWiring, router: EdgeRouter, common: dict[str, object]) -> str:
    peering = topology.circuit.private_peering
    if peering is None:
        raise TopologyError(
            "the circuit has no private peering: the edge routers have nothing to peer with",
            field="circuit.private_peering",
            fix="add private_peering with its two /30s",
        )
    link = wiring.transit_of(router.name)
    return _template("edge_router.conf.j2").render(
        **common,
        router=router,
        link=link,
        peering=peering,
        customer=peering.customer_address(router.link),
        microsoft=peering.microsoft_address(router.link),
        prefix=peering.primary_prefix if router.link == "primary" else peering.secondary_prefix,
        advertised=topology.onprem.advertised_over_er(router),
        originated=topology.onprem.originated_at_edge(topology.onprem.advertised_over_er(router)),
    )




def _template(name: str) -> Template:
    return template(f"frr/{name}")


def render_estate(topology: Topology, shared_keys: dict[str, str] | None = None) -> dict[str, str]:
    """``<site>/<device>.frr.conf`` for every device of every site, and ``<site>/<device>.nftables.conf``
    for each firewall (see ``render.estate_devices``). FRR configs carry no IPsec key."""
    from hybridnet.render.estate_devices import render_frr

    del shared_keys
    return render_frr(topology)
