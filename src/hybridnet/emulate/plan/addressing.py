"""The lab's own addresses: the parts of the network the topology does not address itself.

The on-prem transit /30s come from the renderer's default wiring (``hybridnet.render.frr``); the
Microsoft-internal links between each MSEE and the ExpressRoute gateway, and the "internet" between
the VPN appliance and the VPN gateway's public IPs, come from RFC 6598 space here. A topology that
uses these ranges itself cannot be emulated as is, and the plan says so.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.emulate.errors import LabError
from hybridnet.model import Topology
from hybridnet.render.frr import ONPREM_TRANSIT

MICROSOFT_INTERNAL = IPv4Network("100.64.254.0/24")
"""MSEE <-> ExpressRoute gateway links: one /30 per MSEE, MSEE .1, gateway .2."""

INTERNET = IPv4Network("100.64.255.0/24")
"""The internet router's side of each public-IP link (a /32 pair with the public address)."""

INTERNET_TO_ONPREM = IPv4Address("100.64.255.1")


def internet_address_towards_gateway(index: int) -> IPv4Address:
    return INTERNET.network_address + 2 + index


def microsoft_link(index: int) -> tuple[IPv4Interface, IPv4Interface]:
    """(MSEE end, ExpressRoute gateway end) of the internal link behind MSEE ``index``."""
    base = MICROSOFT_INTERNAL.network_address + 4 * index
    return IPv4Interface(f"{base + 1}/30"), IPv4Interface(f"{base + 2}/30")


def subnet_gateway(prefix: IPv4Network) -> IPv4Interface:
    """Azure's default gateway of a subnet: its first host address (x.x.x.1)."""
    return IPv4Interface(f"{prefix.network_address + 1}/{prefix.prefixlen}")


def azure_reserved(prefix: IPv4Network) -> set[IPv4Address]:
    """Addresses Azure keeps in every subnet: network, gateway, two DNS, broadcast."""
    base = prefix.network_address
    return {base, base + 1, base + 2, base + 3, prefix.broadcast_address}


def check_no_overlap(topology: Topology) -> None:
    """The lab's own ranges must not collide with anything the topology routes."""
    used = [*topology.onprem.address_space, *topology.vnet.address_space]
    if topology.circuit.private_peering is not None:
        used += [
            topology.circuit.private_peering.primary_prefix,
            topology.circuit.private_peering.secondary_prefix,
        ]
    for lab_range in (ONPREM_TRANSIT, MICROSOFT_INTERNAL, INTERNET):
        for prefix in used:
            if lab_range.overlaps(prefix):
                raise LabError(
                    f"the topology uses {prefix}, which overlaps the lab's internal range {lab_range}",
                    fix="pick addresses outside 100.64.0.0/24, 100.64.254.0/23 for the topology",
                )
