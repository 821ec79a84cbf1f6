"""ExpressRoute and site-to-site VPN coexisting in one VNet: the conditions Azure sets for it.

The failover design only exists if both gateways can live side by side; each rule here is a reason
Azure refuses or silently breaks that arrangement.
"""

from __future__ import annotations

from collections.abc import Iterator

from hybridnet.model import Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import gateway_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import COEXIST, ER_GATEWAYS, RA_ARTICLE

AZURE_VPN_ASN = 65515


@rule("HN-COEX-001", "Both gateways are in the same VNet", Severity.ERROR, RA_ARTICLE)
def gateways_in_one_vnet(topology: Topology) -> Iterator[Problem]:
    """The VPN backs up ExpressRoute only for the VNet both gateways are attached to; a gateway in another
    VNet protects nothing here."""
    for gateway in topology.gateways:
        if gateway.vnet is not None and gateway.vnet != topology.vnet.name:
            yield Problem(f"{gateway_path(topology, gateway)}.vnet",
                          f"gateway {gateway.name} is in VNet {gateway.vnet!r}, not in "
                          f"{topology.vnet.name!r} with "
                          "the other gateway", f"deploy it into {topology.vnet.name} (or remove the field)")


@rule("HN-COEX-002", "At most one gateway of each type per VNet", Severity.ERROR, ER_GATEWAYS)
def one_gateway_per_type(topology: Topology) -> Iterator[Problem]:
    """A VNet takes one ExpressRoute gateway and one VPN gateway; Azure rejects a second of either type."""
    for kind, gateways in (("ExpressRoute", topology.er_gateways), ("VPN", topology.vpn_gateways)):
        for extra in gateways[1:]:
            yield Problem(gateway_path(topology, extra),
                          f"{kind} gateway {extra.name} is one of {len(gateways)} {kind} gateways in VNet "
                          f"{topology.vnet.name}; a VNet can have only one",
                          f"remove it; use {gateways[0].name}, or use active-active for a second VPN "
                          "instance")


@rule("HN-COEX-003", "The VPN gateway is route-based", Severity.ERROR, COEXIST)
def vpn_gateway_route_based(topology: Topology) -> Iterator[Problem]:
    """Coexistence with ExpressRoute, BGP and active-active all need a RouteBased VPN gateway; the type cannot
    be changed after creation (delete and re-create: about an hour, and a new public IP)."""
    for gateway in topology.vpn_gateways:
        if gateway.vpn_type != "RouteBased":
            yield Problem(f"{gateway_path(topology, gateway)}.vpn_type",
                          f"VPN gateway {gateway.name} is {gateway.vpn_type}; a VPN gateway coexisting with "
                          "ExpressRoute must be RouteBased (PolicyBased also means IKEv1, one tunnel, no "
                          "BGP)",
                          "set vpn_type: RouteBased (on-prem devices can keep policy-based selectors with "
                          "use_policy_based_traffic_selectors)")


@rule("HN-COEX-004", "No Basic SKU on a gateway that must coexist", Severity.ERROR, COEXIST)
def no_basic_sku(topology: Topology) -> Iterator[Problem]:
    """Basic gateways cannot coexist with the other gateway type (and Basic VPN has no BGP), so the
    failover design cannot be built on them."""
    if not (topology.er_gateways and topology.vpn_gateways):
        return
    for gateway in topology.gateways:
        if gateway.sku == "Basic":
            better = "ErGw1AZ" if gateway.type == "ExpressRoute" else "VpnGw1AZ"
            yield Problem(f"{gateway_path(topology, gateway)}.sku",
                          f"{gateway.type} gateway {gateway.name} uses the Basic SKU, which cannot coexist "
                          "with "
                          f"the {'VPN' if gateway.type == 'ExpressRoute' else 'ExpressRoute'} gateway",
                          f"use {better} (or another non-Basic SKU)")


@rule("HN-COEX-005", "The VPN gateway keeps ASN 65515", Severity.WARNING, COEXIST)
def vpn_gateway_asn(topology: Topology) -> Iterator[Problem]:
    """Azure says to keep 65515 on the VPN gateway for ExpressRoute and VPN to work together; changing it
    needs a gateway reset and breaks transit through Azure Route Server."""
    for gateway in topology.vpn_gateways:
        if gateway.bgp is not None and gateway.bgp.asn != AZURE_VPN_ASN:
            yield Problem(f"{gateway_path(topology, gateway)}.bgp.asn",
                          f"VPN gateway {gateway.name} uses ASN {gateway.bgp.asn}, not Azure's "
                          f"{AZURE_VPN_ASN}",
                          f"set bgp.asn: {AZURE_VPN_ASN}")


@rule("HN-COEX-006", "Both paths exist: ExpressRoute gateway and connection, VPN gateway and connection",
      Severity.ERROR, RA_ARTICLE)
def both_paths_present(topology: Topology) -> Iterator[Problem]:
    """The design is ExpressRoute with VPN failover: without either gateway or its connection there is no
    primary path or nothing to fail over to."""
    if not topology.er_gateways:
        yield Problem("gateways", "there is no ExpressRoute gateway: nothing carries traffic over the "
                                  "circuit",
                      "add a gateway of type ExpressRoute (e.g. sku ErGw1AZ)")
    elif not topology.er_connections and topology.circuit is not None:  # no circuit: HN-ER-005 says so
        yield Problem("connections", f"ExpressRoute gateway {topology.er_gateways[0].name} is not connected "
                                     "to "
                      f"circuit {topology.circuit.name}", "add a connection of type ExpressRoute")
    if not topology.vpn_gateways:
        yield Problem("gateways", "there is no VPN gateway: nothing takes over when ExpressRoute fails",
                      "add a gateway of type Vpn (RouteBased, e.g. sku VpnGw1AZ)")
    elif not topology.ipsec_connections:
        yield Problem("connections", f"VPN gateway {topology.vpn_gateways[0].name} has no IPsec connection "
                                     "to "
                      "on-prem: the backup path is never up", "add a connection of type IPsec")
