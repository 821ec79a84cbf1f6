"""What every vendor's on-prem configuration says, computed once from the topology.

The Cisco IOS-XE and Junos renderers express the same design as the FRR/strongSwan configs the
emulator runs (see ``hybridnet.render.frr``): eBGP with BFD to the MSEEs on the /30s with a higher
local preference, eBGP over the IPsec tunnel(s) at the default one, iBGP to the core router over the
same default transit wiring, and the host routes that keep the Azure tunnel endpoints off the
ExpressRoute path. Only the syntax differs, so the facts live here and the templates only spell them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.model import EdgeRouter, IpsecConnection, IpsecPolicy, Topology, TopologyError
from hybridnet.model.azure_ipsec import onprem_policy
from hybridnet.render.frr import INTERNAL_TIMERS, LanAttachment, TransitLink, onprem_wiring, vpn_peerings
from hybridnet.render.strongswan import AZURE_CHILD_LIFETIME_S, AZURE_IKE_LIFETIME_S, dpd_delay_s
from hybridnet.render.templating import ConfigSecret, template

WAN_NEXT_HOP_PLACEHOLDER = "WAN-NEXT-HOP"
"""Stands for the internet next hop of the VPN appliance, which the model does not know."""


@dataclass(frozen=True)
class EdgeContext:
    """One customer-edge router: its ExpressRoute link, BGP policy and on-prem transit link."""

    router: EdgeRouter
    asn: int
    azure_asn: int
    customer: IPv4Interface
    microsoft: IPv4Address
    vlan_id: int
    keepalive_s: int
    hold_s: int
    bfd_enabled: bool
    bfd_interval_ms: int
    bfd_multiplier: int
    md5_placeholder: str | None
    advertised: tuple[IPv4Network, ...]
    originated: tuple[IPv4Network, ...]
    vpn_local_preference: int
    transit: TransitLink
    internal_timers: tuple[int, int]
    circuit: str


@dataclass(frozen=True)
class TunnelContext:
    """One IPsec tunnel to one Azure VPN gateway instance, with the BGP session it carries."""

    index: int
    azure_public_ip: IPv4Address
    local_bgp: IPv4Address | None
    azure_bgp: IPv4Address | None
    multihop: bool
    borrowed: bool = False
    """The local BGP address is shared with another tunnel: it lives on a loopback and the tunnel
    interface is unnumbered (one address on two tunnel units is invalid on IOS-XE and Junos)."""


@dataclass(frozen=True)
class VpnContext:
    """The VPN appliance: its tunnels, the algorithms Azure expects, and the BGP policy of the backup path."""

    name: str
    asn: int
    azure_asn: int | None
    public_ip: IPv4Address
    connection: IpsecConnection
    gateway: str
    tunnels: tuple[TunnelContext, ...]
    secret: str
    placeholder: bool
    dpd_interval_s: int
    ike_lifetime_s: int
    child_lifetime_s: int
    child_lifetime_kb: int
    keepalive_s: int
    hold_s: int
    local_preference: int
    as_path_prepend: int
    advertised: tuple[IPv4Network, ...]
    originated: tuple[IPv4Network, ...]
    vnet_prefixes: tuple[IPv4Network, ...]
    transit: TransitLink
    internal_timers: tuple[int, int]
    wan_next_hop: str
    loopback_bgp: IPv4Address | None = None
    """The local BGP address several tunnels share (see ``TunnelContext.borrowed``), if any."""


@dataclass(frozen=True)
class CoreContext:
    """The core router: iBGP route reflector for the edges and the VPN appliance, gateway of the LANs."""

    name: str
    asn: int
    transit: tuple[TransitLink, ...]
    lans: tuple[LanAttachment, ...]
    internal_timers: tuple[int, int]

    @property
    def router_id(self) -> IPv4Address | None:
        return self.transit[0].core_address.ip if self.transit else None


def core_context(topology: Topology) -> CoreContext:
    wiring = onprem_wiring(topology)
    return CoreContext(
        name=wiring.core,
        asn=topology.onprem.asn,
        transit=wiring.transit,
        lans=wiring.lans,
        internal_timers=INTERNAL_TIMERS,
    )


def edge_contexts(topology: Topology) -> list[EdgeContext]:
    onprem = topology.onprem
    if not onprem.edge_routers:
        return []
    peering = topology.circuit.private_peering
    if peering is None:
        raise TopologyError(
            "the circuit has no private peering: the edge routers have nothing to peer with",
            field="circuit.private_peering",
            fix="add private_peering with its two /30s",
        )
    wiring = onprem_wiring(topology)
    appliance = onprem.vpn_appliance
    contexts = []
    for router in onprem.edge_routers:
        prefix = peering.primary_prefix if router.link == "primary" else peering.secondary_prefix
        contexts.append(
            EdgeContext(
                router=router,
                asn=onprem.asn,
                azure_asn=peering.azure_asn,
                customer=IPv4Interface(f"{peering.customer_address(router.link)}/{prefix.prefixlen}"),
                microsoft=peering.microsoft_address(router.link),
                vlan_id=peering.vlan_id,
                keepalive_s=peering.bgp_timers.keepalive_s,
                hold_s=peering.bgp_timers.hold_s,
                bfd_enabled=peering.bfd.enabled,
                bfd_interval_ms=peering.bfd.interval_ms,
                bfd_multiplier=peering.bfd.multiplier,
                md5_placeholder=(
                    f"REPLACE-with-the-key-from-{_dashed(peering.md5_key.describe())}"
                    if peering.md5_key is not None
                    else None
                ),
                advertised=onprem.advertised_over_er(router),
                originated=onprem.originated_at_edge(onprem.advertised_over_er(router)),
                vpn_local_preference=appliance.local_preference if appliance is not None else 100,
                transit=wiring.transit_of(router.name),
                internal_timers=INTERNAL_TIMERS,
                circuit=topology.circuit.name,
            )
        )
    return contexts


def vpn_context(
    topology: Topology, shared_key: str | None, wan_next_hop: str = WAN_NEXT_HOP_PLACEHOLDER
) -> VpnContext | None:
    appliance, connection, gateway = (
        topology.onprem.vpn_appliance,
        topology.vpn_connection,
        topology.vpn_gateway,
    )
    if appliance is None or connection is None or gateway is None:
        return None
    if connection.connection_protocol != "IKEv2":
        raise TopologyError(
            "only IKEv2 connections are rendered (route-based, as Azure coexistence requires)",
            field="connections",
            fix="set connection_protocol: IKEv2 (Azure's default)",
        )
    bgp = gateway.bgp if connection.enable_bgp else None
    peerings = {p["index"]: p for p in vpn_peerings(topology)} if bgp is not None else {}
    tunnels = []
    for index, instance in enumerate(gateway.instances):
        if instance.public_ip.address is None:
            raise TopologyError(
                f"VPN gateway instance {index} has no public IP address to connect to",
                field=f"gateways.{gateway.name}.instances.{index}.public_ip.address",
                fix="give the address the gateway's public IP has (or will have)",
            )
        peer = peerings.get(index)
        shared = peer is not None and sum(p["local"] == peer["local"] for p in peerings.values()) > 1
        tunnels.append(
            TunnelContext(
                index=index,
                azure_public_ip=instance.public_ip.address,
                local_bgp=peer["local"] if peer else None,
                azure_bgp=peer["azure"] if peer else None,  # type: ignore[arg-type]
                # from a loopback the Azure peer is one routed hop away, not on a connected subnet
                multihop=bool(peer["multihop"]) or shared if peer else False,
                borrowed=shared,
            )
        )
    loopback_bgp = next((t.local_bgp for t in tunnels if t.borrowed), None)
    policy = onprem_policy(connection, appliance.ipsec_policy)
    secret = (
        shared_key
        if shared_key is not None
        else f"REPLACE-with-the-key-from-{_dashed(connection.shared_key.describe())}"
    )
    return VpnContext(
        name=appliance.name,
        asn=topology.onprem.asn,
        azure_asn=bgp.asn if bgp else None,
        public_ip=appliance.public_ip,
        connection=connection,
        gateway=gateway.name,
        tunnels=tuple(tunnels),
        secret=_checked_secret(secret),
        placeholder=shared_key is None,
        dpd_interval_s=min(60, max(10, dpd_delay_s(connection))),
        ike_lifetime_s=AZURE_IKE_LIFETIME_S,
        child_lifetime_s=max(policy.sa_lifetime_s, 300) if policy else AZURE_CHILD_LIFETIME_S,
        child_lifetime_kb=max(policy.sa_data_size_kb, 1024) if policy else 102400000,
        keepalive_s=bgp.timers.keepalive_s if bgp else 60,
        hold_s=bgp.timers.hold_s if bgp else 180,
        local_preference=appliance.local_preference,
        as_path_prepend=appliance.as_path_prepend,
        advertised=topology.onprem.advertised_over_vpn(),
        originated=topology.onprem.originated_at_edge(topology.onprem.advertised_over_vpn()),
        vnet_prefixes=_azure_prefixes(topology),
        transit=onprem_wiring(topology).transit_of(appliance.name),
        internal_timers=INTERNAL_TIMERS,
        wan_next_hop=wan_next_hop,
        loopback_bgp=loopback_bgp,
    )


def _azure_prefixes(topology: Topology) -> tuple[IPv4Network, ...]:
    """The hub's address space and the spokes' that use its gateways (static routing over the tunnels)."""
    from hybridnet.render.estate_plan import azure_prefixes

    return azure_prefixes(topology)


def _appliance_policy(topology: Topology) -> IpsecPolicy | None:
    appliance = topology.onprem.vpn_appliance
    return appliance.ipsec_policy if appliance is not None else None


def _dashed(text: str) -> str:
    return text.replace(" ", "-")


def _checked_secret(secret: str) -> ConfigSecret:
    """The key as IOS-XE (one word to the end of the line) and Junos (inside quotes) can both take it."""
    if any(c in secret for c in '"\\ ') or not secret.isprintable():
        raise TopologyError(
            "the shared key contains a quote, backslash, space or non-printable character",
            field="connections.shared_key",
            fix="use printable ASCII without quotes or spaces (as Azure requires)",
        )
    return ConfigSecret(secret)


def render_devices(
    topology: Topology,
    *,
    shared_key: str | None,
    wan_next_hop: str,
    vendor: str,
    file_name: str,
    common: dict[str, object],
    vpn_settings: Callable[[IpsecPolicy | None], dict[str, object]],
) -> dict[str, str]:
    """``<device>/<file_name>`` for the core, each customer edge and the VPN appliance of one vendor.

    Every vendor renders the same devices from the same contexts; only its templates (under
    ``templates/<vendor>/``, named like ``file_name``'s suffix) and its IPsec vocabulary
    (``vpn_settings``) differ.
    """
    suffix = file_name.rsplit(".", 1)[-1]
    common = {"topology": topology, **common}
    core = core_context(topology)
    files = {f"{core.name}/{file_name}": template(f"{vendor}/core_router.{suffix}.j2").render(**common, core=core)}
    for edge in edge_contexts(topology):
        files[f"{edge.router.name}/{file_name}"] = template(f"{vendor}/edge_router.{suffix}.j2").render(
            **common, edge=edge
        )
    vpn = vpn_context(topology, shared_key, wan_next_hop)
    if vpn is not None:
        files[f"{vpn.name}/{file_name}"] = template(f"{vendor}/vpn_appliance.{suffix}.j2").render(
            **common, vpn=vpn, **vpn_settings(onprem_policy(vpn.connection, _appliance_policy(topology)))
        )
    return files


# IOS-XE and Junos both name PFS groups by their IANA DH group number
_PFS_GROUP = {
    "PFS24": "group24",
    "ECP384": "group20",
    "ECP256": "group19",
    "PFS2048": "group14",
    "PFS14": "group14",
    "PFS2": "group2",
    "PFS1": "group1",
}


def pfs_group(policy: IpsecPolicy | None) -> str | None:
    """The vendors' ``groupN`` for the policy's PFS group; None for Azure's defaults or no PFS."""
    return _PFS_GROUP.get(policy.pfs_group) if policy is not None else None
