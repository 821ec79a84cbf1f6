"""Offline route analysis: how every device chooses, and where each flow goes, in every failure.

Pure functions over the immutable topology. ``analyse(topology)`` gives the failover matrix;
``routing_table(topology, scenario)`` gives each node's chosen next hops per prefix, named as the
emulator names its nodes, so a lab test can compare the prediction with the routes FRR installed
(``crosscheck.compare_routes`` over ``tables.comparable_routes``; tests/lab/test_routing_crosscheck.py).
"""

from hybridnet.routing.analysis import Analysis, Flag, Flow, FlowResult, ScenarioResult, analyse
from hybridnet.routing.bestpath import Via
from hybridnet.routing.decisions import NextHop, OnPremBgp, RoutingError, default_router_ids
from hybridnet.routing.design import (
    ER_GATEWAY,
    MSEE_NODES,
    VNET_FABRIC,
    RoutingDesign,
    routing_design,
    vpn_gateway_node,
)
from hybridnet.routing.paths import Branch, Fate, GatewayKind, Path
from hybridnet.routing.scenarios import (
    ALL_UP,
    FailurePoint,
    Scenario,
    ScenarioError,
    failure_points,
    failure_scenarios,
    parse_scenario,
    scenario,
)
from hybridnet.routing.tables import RoutingTable, routing_table

__all__ = [
    "ALL_UP",
    "ER_GATEWAY",
    "MSEE_NODES",
    "VNET_FABRIC",
    "Analysis",
    "Branch",
    "FailurePoint",
    "Fate",
    "Flag",
    "Flow",
    "FlowResult",
    "GatewayKind",
    "NextHop",
    "OnPremBgp",
    "Path",
    "RoutingDesign",
    "RoutingError",
    "RoutingTable",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Via",
    "analyse",
    "default_router_ids",
    "failure_points",
    "failure_scenarios",
    "parse_scenario",
    "routing_design",
    "routing_table",
    "scenario",
    "vpn_gateway_node",
]
