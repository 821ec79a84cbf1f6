"""The lab's own addresses: the parts of the network the topology does not address itself.

The on-prem transit /30s come from the renderer's default wiring (``hybridnet.render.frr``, and one
/24 of ``ESTATE_TRANSIT`` per site, 100.64.<site>.0/24, for the estate wiring); the Microsoft-internal
links between each MSEE and the ExpressRoute gateway (100.64.254.0/25), the hub fabric's peering
links to the spoke VNets (100.64.254.128/25), and the "internet" between the VPN ends and the VPN
gateway's public IPs (100.64.255.0/24), come from RFC 6598 space here. A topology that uses these
ranges itself cannot be emulated as is, and the plan says so.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.emulate.errors import LabError
from hybridnet.model import Topology
from hybridnet.render.estate_plan import ESTATE_TRANSIT
from hybridnet.render.frr import ONPREM_TRANSIT

MICROSOFT_INTERNAL = IPv4Network("100.64.254.0/24")
"""MSEE <-> ExpressRoute gateway links (one /30 per MSEE, MSEE .1, gateway .2, in the lower half)
and the hub fabric's peering links to the spokes (upper half)."""

MSEE_LINKS = IPv4Network("100.64.254.0/25")
MAX_MSEES = MSEE_LINKS.num_addresses // 4
"""32 MSEEs: 16 circuits of two links each (an ExpressRoute gateway takes at most 16 circuits)."""

VNET_PEERING = IPv4Network("100.64.254.128/25")
"""Hub fabric <-> spoke VNet links: the fabric is .129 on every one (a /32 pair), spoke ``i`` .130+i."""
MAX_SPOKES = VNET_PEERING.num_addresses - 3

INTERNET = IPv4Network("100.64.255.0/24")
"""The internet router's side of each public-IP link (a /32 pair with the public address)."""

INTERNET_TO_ONPREM = IPv4Address("100.64.255.1")


MAX_SITES = (int(MICROSOFT_INTERNAL.network_address) - int(ESTATE_TRANSIT.network_address)) >> 8
"""Sites' wiring /24s (100.64.<site>.0/24) end below the Azure side's 100.64.254.0/23."""


def internet_address_towards_gateway(index: int) -> IPv4Address:
    return INTERNET.network_address + 2 + index


def microsoft_link(index: int) -> tuple[IPv4Interface, IPv4Interface]:
    """(MSEE end, ExpressRoute gateway end) of the internal link behind MSEE ``index`` (every MSEE of
    every circuit, in ``edge_links`` order)."""
    if not 0 <= index < MAX_MSEES:
        raise LabError(f"MSEE {index + 1} is more than the lab's {MAX_MSEES} (16 circuits of two links)",
                       fix="emulate at most 16 circuits")
    base = MICROSOFT_INTERNAL.network_address + 4 * index
    return IPv4Interface(f"{base + 1}/30"), IPv4Interface(f"{base + 2}/30")


def peering_link(index: int) -> tuple[IPv4Address, IPv4Address]:
    """(hub fabric end, spoke end) of the peering link to spoke ``index``: a /32 pair each side."""
    if not 0 <= index < MAX_SPOKES:
        raise LabError(f"spoke {index + 1} is more than the lab's {MAX_SPOKES} spokes", fix="emulate fewer spokes")
    return VNET_PEERING.network_address + 1, VNET_PEERING.network_address + 2 + index


def subnet_gateway(prefix: IPv4Network) -> IPv4Interface:
    """Azure's default gateway of a subnet: its first host address (x.x.x.1)."""
    return IPv4Interface(f"{prefix.network_address + 1}/{prefix.prefixlen}")


def azure_reserved(prefix: IPv4Network) -> set[IPv4Address]:
    """Addresses Azure keeps in every subnet: network, gateway, two DNS, broadcast."""
    base = prefix.network_address
    return {base, base + 1, base + 2, base + 3, prefix.broadcast_address}


def check_no_overlap(topology: Topology) -> None:
    """The lab's own ranges must not collide with anything the topology routes: every site's, VNet's
    (hub and spokes) and circuit peering's prefixes; and the sites' estate wiring (one /24 of
    ``ESTATE_TRANSIT`` per site) must stay clear of the Azure side's internal /24s."""
    used: list[tuple[str, IPv4Network]] = []
    for site in topology.all_sites:
        used += [(f"site {site.name}", p) for p in site.address_space]
    for vnet in topology.all_vnets:
        used += [(f"VNet {vnet.name}", p) for p in vnet.address_space]
    for circuit in topology.all_circuits:
        if circuit.private_peering is not None:
            used += [(f"circuit {circuit.name}", circuit.private_peering.primary_prefix),
                     (f"circuit {circuit.name}", circuit.private_peering.secondary_prefix)]
    for lab_range in (ONPREM_TRANSIT, MICROSOFT_INTERNAL, INTERNET):
        for owner, prefix in used:
            if lab_range.overlaps(prefix):
                raise LabError(
                    f"the topology uses {prefix} ({owner}), which overlaps the lab's internal range {lab_range}",
                    fix="pick addresses outside 100.64.0.0/24, 100.64.254.0/23 for the topology",
                )
    site_pools = list(ESTATE_TRANSIT.subnets(new_prefix=24))[: len(topology.all_sites)]
    for pool in site_pools:
        if pool.overlaps(MICROSOFT_INTERNAL) or pool.overlaps(INTERNET):
            raise LabError(
                f"{len(topology.all_sites)} sites: the site wiring would reach {pool}, the lab's Azure-side range",
                fix=f"emulate at most {MAX_SITES} sites",
            )
