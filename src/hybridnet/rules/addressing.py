"""Address plan: what must not overlap, and the shape of the ExpressRoute peering links.

Overlaps are the failure that shows late: Azure accepts most of them at deployment and then routes
the overlapping range to one side only, so half the flows silently go nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from hybridnet.model import MicrosoftPeering, PrivatePeering, Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import lng_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import BGP_FAQ, ER_ROUTING, TBB_VPN_README, VPN_SETTINGS


@rule("HN-ADDR-001", "On-premises address space does not overlap the VNet", Severity.ERROR, TBB_VPN_README)
def onprem_vnet_overlap(topology: Topology) -> Iterator[Problem]:
    """Traffic to an overlapping range stays inside whichever side the sender is on: the other side's hosts
    in that range are unreachable over ExpressRoute and VPN alike."""
    for index, space in enumerate(topology.onprem.address_space):
        for vnet_space in _overlapping(space, topology.vnet.address_space):
            yield Problem(f"onprem.address_space.{index}",
                          f"on-premises {space} overlaps VNet {topology.vnet.name} address space "
                          f"{vnet_space}",
                          "renumber one side; the two address plans must be disjoint")


@rule("HN-ADDR-002", "Local network gateway prefixes do not overlap the VNet", Severity.ERROR, TBB_VPN_README)
def lng_vnet_overlap(topology: Topology) -> Iterator[Problem]:
    """The local network gateway's prefixes are routed into the tunnel; one that overlaps the VNet is rejected
    or steals VNet traffic."""
    for lng in topology.local_network_gateways:
        for index, prefix in enumerate(lng.address_prefixes):
            for vnet_space in _overlapping(prefix, topology.vnet.address_space):
                yield Problem(f"{lng_path(topology, lng)}.address_prefixes.{index}",
                              f"local network gateway {lng.name} prefix {prefix} overlaps VNet space "
                              f"{vnet_space}",
                              "list only on-premises prefixes on the local network gateway")


@rule("HN-ADDR-003", "Peering link /30s do not overlap the VNet", Severity.ERROR, ER_ROUTING)
def peering_vnet_overlap(topology: Topology) -> Iterator[Problem]:
    """Microsoft requires the peering subnets to be outside every VNet linked to the circuit; an overlap
    breaks the BGP sessions or the VNet range."""
    for path, link, prefix in _peering_prefixes(topology):
        for vnet_space in _overlapping(prefix, topology.vnet.address_space):
            yield Problem(path, f"{link} link {prefix} overlaps VNet space {vnet_space}",
                          "pick /30s from a range used nowhere else (e.g. 172.16.0.0/30 and 172.16.0.4/30)")


@rule("HN-ADDR-004", "Peering link /30s do not overlap on-premises subnets", Severity.ERROR, ER_ROUTING)
def peering_onprem_overlap(topology: Topology) -> Iterator[Problem]:
    """The /30 is the point-to-point link between your edge router and the MSEE; the same addresses on a LAN
    make the edge router route the LAN's hosts to the link (or the reverse)."""
    for path, link, prefix in _peering_prefixes(topology):
        for subnet in topology.onprem.subnets:
            if prefix.overlaps(subnet.prefix):
                yield Problem(path, f"{link} link {prefix} overlaps on-premises subnet {subnet.name} "
                                    f"{subnet.prefix}",
                              "pick /30s that no on-premises subnet uses")


@rule("HN-ADDR-005", "Each peering link is a distinct /30", Severity.ERROR, ER_ROUTING)
def peering_prefix_shape(topology: Topology) -> Iterator[Problem]:
    """Azure takes exactly a /30 per link (customer .1, Microsoft .2), primary and secondary apart; anything
    else is rejected when the peering is configured."""
    for peering_name, peering in _peerings(topology):
        for link in ("primary", "secondary"):
            prefix: IPv4Network = getattr(peering, f"{link}_prefix")
            if prefix.prefixlen != 30:
                yield Problem(f"circuit.{peering_name}.{link}_prefix",
                              f"{peering_name} {link} link {prefix} is a /{prefix.prefixlen}; Azure needs a "
                              "/30 "
                              "(customer router .1, Microsoft .2)",
                              f"use a /30 such as {_first_30(prefix)}")
        if peering.primary_prefix.overlaps(peering.secondary_prefix):
            yield Problem(f"circuit.{peering_name}.secondary_prefix",
                          f"{peering_name} secondary link {peering.secondary_prefix} overlaps the primary "
                          "link "
                          f"{peering.primary_prefix}; the two links need two separate /30s",
                          "take the second /30 of a /29, e.g. primary x.x.x.0/30 and secondary x.x.x.4/30")


@rule("HN-ADDR-006", "Every subnet lies inside the VNet address space", Severity.ERROR, VPN_SETTINGS)
def subnet_inside_vnet(topology: Topology) -> Iterator[Problem]:
    """Azure creates subnets only from the VNet's address space; one outside it fails at deployment."""
    for index, subnet in enumerate(topology.vnet.subnets):
        if not any(subnet.prefix.subnet_of(space) for space in topology.vnet.address_space):
            spaces = ", ".join(str(space) for space in topology.vnet.address_space)
            yield Problem(f"vnet.subnets.{index}.prefix",
                          f"subnet {subnet.name} {subnet.prefix} is outside VNet address space {spaces}",
                          "choose a prefix inside the address space, or add a range to vnet.address_space")


@rule("HN-ADDR-007", "VNet subnets do not overlap each other", Severity.ERROR, VPN_SETTINGS)
def subnets_disjoint(topology: Topology) -> Iterator[Problem]:
    """Azure rejects overlapping subnets in one VNet; a GatewaySubnet overlapping an application subnet is the
    usual way this happens when the gateway range is carved late."""
    subnets = topology.vnet.subnets
    for later in range(len(subnets)):
        for earlier in range(later):
            if subnets[later].prefix.overlaps(subnets[earlier].prefix):
                yield Problem(f"vnet.subnets.{later}.prefix",
                              f"subnet {subnets[later].name} {subnets[later].prefix} overlaps subnet "
                              f"{subnets[earlier].name} {subnets[earlier].prefix}",
                              "give each subnet its own range")


@rule("HN-ADDR-008", "On-premises does not advertise a VNet prefix or a part of one", Severity.ERROR, BGP_FAQ)
def onprem_advertises_vnet_prefix(topology: Topology) -> Iterator[Problem]:
    """Azure filters a prefix identical to (or inside) a VNet prefix; the rest of that advertisement still
    flows, so the on-prem side believes it reaches the range while Azure never uses it. Supersets such as
    10.0.0.0/8 for a 10.0.0.0/16 VNet are allowed."""
    for path, prefix in _advertised(topology):
        for vnet_space in topology.vnet.address_space:
            if prefix.subnet_of(vnet_space):
                yield Problem(path, f"on-premises advertises {prefix}, which is inside VNet space "
                                    f"{vnet_space}; "
                              "Azure filters it", "advertise only on-premises prefixes (a supernet is "
                                                  "allowed)")


def _peerings(topology: Topology) -> Iterator[tuple[str, PrivatePeering | MicrosoftPeering]]:
    if topology.circuit is None:
        return
    if topology.circuit.private_peering is not None:
        yield "private_peering", topology.circuit.private_peering
    if topology.circuit.microsoft_peering is not None:
        yield "microsoft_peering", topology.circuit.microsoft_peering


def _peering_prefixes(topology: Topology) -> Iterator[tuple[str, str, IPv4Network]]:
    for name, peering in _peerings(topology):
        for link in ("primary", "secondary"):
            yield f"circuit.{name}.{link}_prefix", f"{name} {link}", getattr(peering, f"{link}_prefix")


def _advertised(topology: Topology) -> Iterator[tuple[str, IPv4Network]]:
    onprem = topology.onprem
    for r_index, router in enumerate(onprem.edge_routers):
        for index, prefix in enumerate(router.advertised_prefixes or ()):
            yield f"onprem.edge_routers.{r_index}.advertised_prefixes.{index}", prefix
    appliance = onprem.vpn_appliance
    if appliance is not None:
        for index, prefix in enumerate(appliance.advertised_prefixes or ()):
            yield f"onprem.vpn_appliance.advertised_prefixes.{index}", prefix


def _overlapping(prefix: IPv4Network, spaces: tuple[IPv4Network, ...]) -> list[IPv4Network]:
    return [space for space in spaces if prefix.overlaps(space)]


def _first_30(prefix: IPv4Network) -> IPv4Network:
    return IPv4Network(f"{prefix.network_address}/30", strict=False)
