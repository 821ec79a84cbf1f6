"""Autonomous system numbers: the ones Azure keeps for itself, the ones IANA reserves, and clashes.

A wrong ASN fails quietly: the session is refused or the routes are dropped as loops, and the
circuit looks configured while nothing is learned.
"""

from __future__ import annotations

from collections.abc import Iterator

from hybridnet.model import Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import gateway_path, lng_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import BGP_FAQ, BGP_HOWTO, ER_ROUTING

AZURE_RESERVED = frozenset({8074, 8075, 12076, 65515, 65517, 65518, 65519, 65520})
ER_RESERVED = range(65515, 65521)


def iana_reserved(asn: int) -> bool:
    """ASNs Azure refuses because IANA reserves them (AS_TRANS, documentation, the last ASNs)."""
    return asn == 23456 or 64496 <= asn <= 64511 or 65535 <= asn <= 65551 or asn == 4294967295


def _onprem_asns(topology: Topology) -> Iterator[tuple[str, str, int]]:
    yield "onprem.asn", "on-premises ASN", topology.onprem.asn
    for lng in topology.local_network_gateways:
        if lng.bgp is not None:
            yield f"{lng_path(topology, lng)}.bgp.asn", f"local network gateway {lng.name} ASN", lng.bgp.asn


@rule("HN-ASN-001", "On-premises ASNs avoid the ASNs Azure reserves", Severity.ERROR, BGP_FAQ)
def onprem_asn_not_azure_reserved(topology: Topology) -> Iterator[Problem]:
    """Azure uses 8074, 8075, 12076 and 65515-65520 itself; an on-prem device with one of them sees Azure's
    routes as its own (AS-path loop) and drops them, or Azure refuses the peer."""
    for path, what, asn in _onprem_asns(topology):
        if asn in AZURE_RESERVED:
            yield Problem(path, f"{what} {asn} is reserved by Azure (8074, 8075, 12076, 65515, 65517-65520)",
                          "use another private ASN, e.g. 65010 (64512-65514 are free for private use)")


@rule("HN-ASN-002", "No IANA-reserved ASN on either side of the VPN", Severity.ERROR, BGP_FAQ)
def asn_not_iana_reserved(topology: Topology) -> Iterator[Problem]:
    """Azure refuses 23456, 64496-64511, 65535-65551 and 4294967295 on its VPN gateway and local network
    gateways: they are AS_TRANS, documentation or last-of-range numbers."""
    asns = list(_onprem_asns(topology))
    for gateway in topology.vpn_gateways:
        if gateway.bgp is not None:
            asns.append((f"{gateway_path(topology, gateway)}.bgp.asn", f"VPN gateway {gateway.name} ASN",
                         gateway.bgp.asn))
    for path, what, asn in asns:
        if iana_reserved(asn):
            yield Problem(path, f"{what} {asn} is reserved by IANA (23456, 64496-64511, 65535-65551, "
                                "4294967295)",
                          "use a private ASN from 64512-65514 (or 4200000000-4294967294)")


@rule("HN-ASN-003", "The private-peering ASN avoids ExpressRoute's reserved "
                    "range", Severity.ERROR, ER_ROUTING)
def peering_asn_not_er_reserved(topology: Topology) -> Iterator[Problem]:
    """Microsoft reserves 65515-65520 on ExpressRoute and 12076 is the MSEE's own ASN; a peering with either
    is rejected or loops."""
    peering = topology.circuit.private_peering if topology.circuit is not None else None
    if peering is None:
        return
    if peering.peer_asn in ER_RESERVED or peering.peer_asn == peering.azure_asn:
        yield Problem("circuit.private_peering.peer_asn",
                      f"private peering ASN {peering.peer_asn} is reserved on ExpressRoute (65515-65520, and "
                      f"{peering.azure_asn} is Microsoft's)", "use your on-premises ASN, e.g. 65010")


@rule("HN-ASN-004", "On-premises and Azure use different ASNs", Severity.ERROR, BGP_FAQ)
def onprem_asn_differs_from_azure(topology: Topology) -> Iterator[Problem]:
    """eBGP needs two different ASNs; with the same number on both sides each drops the other's routes as
    loops and the VPN learns nothing."""
    for gateway in topology.vpn_gateways:
        azure = gateway.bgp.asn if gateway.bgp is not None else 65515
        for path, what, asn in _onprem_asns(topology):
            if asn == azure:
                yield Problem(path, f"{what} {asn} is the same as VPN gateway {gateway.name}'s ASN {azure}",
                              "give on-premises its own private ASN, e.g. 65010")


@rule("HN-ASN-005", "The ASN Azure expects is the one the on-prem routers speak", Severity.ERROR, BGP_HOWTO)
def asn_consistent(topology: Topology) -> Iterator[Problem]:
    """The local network gateway's and the private peering's ASN are what Azure expects from the on-prem
    routers; the model's routers speak the on-prem ASN, so any other value means a session that never
    establishes."""
    onprem = topology.onprem.asn
    for lng in topology.local_network_gateways:
        if lng.bgp is not None and lng.bgp.asn != onprem:
            yield Problem(f"{lng_path(topology, lng)}.bgp.asn",
                          f"local network gateway {lng.name} expects ASN {lng.bgp.asn} but the on-prem VPN "
                          "appliance "
                          f"speaks {onprem}: the BGP session over the tunnel will not come up",
                          f"set bgp.asn: {onprem}")
    peering = topology.circuit.private_peering if topology.circuit is not None else None
    if peering is not None and peering.peer_asn != onprem:
        yield Problem("circuit.private_peering.peer_asn",
                      f"private peering expects ASN {peering.peer_asn} but the on-prem edge routers speak "
                      f"{onprem}: "
                      "the ExpressRoute BGP sessions will not come up", f"set peer_asn: {onprem}")
