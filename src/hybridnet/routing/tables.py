"""Each node's routing table as the analysis predicts it: what a lab test compares with FRR's.

Only the routes that cross between on-prem and Azure are predicted: every node's next hops towards
each VNet prefix and each announced on-prem prefix, in one scenario. Nodes carry the emulator's
names, next hops name the next node and the kind of route (ER, VPN, or internal to one side).
"""

from __future__ import annotations

from ipaddress import IPv4Network

from hybridnet.model import Topology
from hybridnet.routing.decisions import NextHop, OnPremBgp, onprem_prefix_choices, vnet_choices
from hybridnet.routing.design import ER_GATEWAY, VNET_FABRIC, RoutingDesign, routing_design
from hybridnet.routing.prefixes import announcements
from hybridnet.routing.scenarios import Scenario, live_state

RoutingTable = dict[str, dict[IPv4Network, tuple[NextHop, ...]]]
"""Node name → prefix → next hops (several under ECMP). A prefix a node has no route for is absent."""


def routing_table(
    topology: Topology | RoutingDesign,
    scenario: Scenario,
    *,
    bgp: OnPremBgp = OnPremBgp(),
) -> RoutingTable:
    """Predict every node's chosen next hop for every prefix that crosses the hybrid link."""
    design = topology if isinstance(topology, RoutingDesign) else routing_design(topology)
    state = live_state(design, scenario.failed)
    table: RoutingTable = {}
    for node, hops in vnet_choices(design, state, bgp).items():
        for prefix in design.vnet_prefixes:
            table.setdefault(node, {})[prefix] = hops
    by_announcers: dict[frozenset[str], dict[str, tuple[NextHop, ...]]] = {}
    for prefix, announcers in sorted(announcements(design).items()):
        if announcers not in by_announcers:
            by_announcers[announcers] = onprem_prefix_choices(design, state, announcers)
        for node, hops in by_announcers[announcers].items():
            table.setdefault(node, {})[prefix] = hops
    return table


def comparable_routes(topology: Topology | RoutingDesign) -> dict[str, tuple[IPv4Network, ...]]:
    """Per node, the prefixes whose route the prediction covers: a lab test compares these only.

    On-prem routers: the VNet prefixes (their on-prem routes are the LAN's business). MSEEs and
    gateways: the VNet prefixes and every announced on-prem prefix. The fabric: the on-prem
    prefixes (the VNet's own subnets are connected to it).
    """
    design = topology if isinstance(topology, RoutingDesign) else routing_design(topology)
    vnet = tuple(design.vnet_prefixes)
    onprem = tuple(sorted(announcements(design)))
    scope = {speaker: vnet for speaker in design.bgp_speakers}
    for node in (*(link.msee for link in design.er_links), *(t.gateway_node for t in design.vpn_tunnels)):
        scope[node] = vnet + onprem
    if design.er_gateway:
        scope[ER_GATEWAY] = vnet + onprem
    scope[VNET_FABRIC] = onprem
    return scope
