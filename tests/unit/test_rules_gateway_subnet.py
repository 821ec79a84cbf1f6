"""GatewaySubnet rules: the one subnet both gateways share."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Case, assert_fails, assert_passes, fail, passes, removing, setting

DEFAULT_ROUTE_TABLE = {
    "name": "gw-rt",
    "routes": [
        {
            "name": "to-firewall",
            "prefix": "0.0.0.0/0",
            "next_hop_type": "VirtualAppliance",
            "next_hop_ip": "10.0.4.4",
        }
    ],
}
NARROW_ROUTE_TABLE = {
    "name": "gw-rt",
    "routes": [{"name": "to-lab", "prefix": "192.168.50.0/24", "next_hop_type": "VirtualNetworkGateway"}],
}
SELF_ROUTE_TABLE = {
    "name": "gw-rt",
    "routes": [
        {
            "name": "covers-gw",
            "prefix": "10.0.255.0/24",
            "next_hop_type": "VirtualAppliance",
            "next_hop_ip": "10.0.4.4",
        }
    ],
}


def _gateway_subnet_table(table: dict[str, object]) -> tuple[object, ...]:
    return (setting("route_tables", [table]), setting("vnet.subnets.0.route_table", "gw-rt"))


FAILING = [
    fail(
        "HN-GWS-001",
        "gateway-in-lowercase-subnet",
        setting("gateways.1.subnet", "gatewaysubnet"),
        path="gateways.1.subnet",
    ),
    fail(
        "HN-GWS-002", "subnet-misnamed", setting("vnet.subnets.0.name", "Gateway-Subnet"), path="vnet.subnets"
    ),
    fail(
        "HN-GWS-003",
        "slash-28-with-both-gateways",
        setting("vnet.subnets.0.prefix", "10.0.255.240/28"),
        path="vnet.subnets.0.prefix",
        severity="error",
    ),
    fail(
        "HN-GWS-003",
        "slash-28-with-one-gateway",
        setting("vnet.subnets.0.prefix", "10.0.255.240/28"),
        removing("connections.0"),
        removing("gateways.0"),
        path="vnet.subnets.0.prefix",
        severity="warning",
    ),
    fail(
        "HN-GWS-003",
        "slash-30-even-alone",
        setting("vnet.subnets.0.prefix", "10.0.255.252/30"),
        removing("connections.0"),
        removing("gateways.0"),
        path="vnet.subnets.0.prefix",
        severity="error",
    ),
    fail(
        "HN-GWS-004",
        "vm-in-gateway-subnet",
        setting("workloads.3.subnet", "GatewaySubnet"),
        setting("workloads.3.address", "10.0.255.230"),
        path="workloads.3.subnet",
    ),
    fail(
        "HN-GWS-004",
        "lb-frontend-in-gateway-subnet",
        setting("load_balancers.0.frontend.subnet", "GatewaySubnet"),
        path="load_balancers.0.frontend.subnet",
    ),
    fail(
        "HN-GWS-005",
        "nsg-on-gateway-subnet",
        setting("vnet.subnets.0.nsg", "web-nsg"),
        path="vnet.subnets.0.nsg",
    ),
    fail(
        "HN-GWS-006",
        "default-route-on-gateway-subnet",
        *_gateway_subnet_table(DEFAULT_ROUTE_TABLE),
        path="route_tables.0.routes.0.prefix",
    ),
    fail(
        "HN-GWS-007",
        "propagation-disabled",
        *_gateway_subnet_table({**NARROW_ROUTE_TABLE, "disable_bgp_route_propagation": True}),
        path="route_tables.0.disable_bgp_route_propagation",
    ),
    fail(
        "HN-GWS-008",
        "route-covers-gateway-subnet",
        *_gateway_subnet_table(SELF_ROUTE_TABLE),
        path="route_tables.0.routes.0.prefix",
    ),
    fail(
        "HN-GWS-008",
        "route-covers-gateway-public-ip",
        *_gateway_subnet_table(
            {
                "name": "gw-rt",
                "routes": [{"name": "pip", "prefix": "198.51.100.0/24", "next_hop_type": "Internet"}],
            }
        ),
        path="route_tables.0.routes.0.prefix",
    ),
]

PASSING = [
    passes("HN-GWS-001", "reference"),
    passes("HN-GWS-002", "reference"),
    passes(
        "HN-GWS-002",
        "no-gateways-no-subnet-needed",
        removing("connections.1"),
        removing("connections.0"),
        setting("gateways", []),
        removing("vnet.subnets.0"),
    ),
    passes("HN-GWS-003", "exactly-slash-27"),
    passes("HN-GWS-003", "slash-26", setting("vnet.subnets.0.prefix", "10.0.255.192/26")),
    passes("HN-GWS-004", "reference"),
    passes("HN-GWS-005", "nsg-on-application-subnets-only"),
    passes("HN-GWS-006", "narrow-route-on-gateway-subnet", *_gateway_subnet_table(NARROW_ROUTE_TABLE)),
    passes(
        "HN-GWS-006",
        "default-route-on-other-subnet",
        setting("route_tables", [DEFAULT_ROUTE_TABLE]),
        setting("vnet.subnets.1.route_table", "gw-rt"),
    ),
    passes("HN-GWS-007", "propagation-enabled", *_gateway_subnet_table(NARROW_ROUTE_TABLE)),
    passes("HN-GWS-008", "narrow-route", *_gateway_subnet_table(NARROW_ROUTE_TABLE)),
    passes("HN-GWS-008", "default-route-reported-by-006-only", *_gateway_subnet_table(DEFAULT_ROUTE_TABLE)),
]


@pytest.mark.parametrize("case", FAILING)
def test_gateway_subnet_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_gateway_subnet_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_slash_28_message_names_the_prefix_and_the_size_needed() -> None:
    case = Case("HN-GWS-003", "28", (setting("vnet.subnets.0.prefix", "10.0.255.240/28"),))
    [finding] = assert_fails(case)
    assert "10.0.255.240/28 is a /28" in finding.message
    assert "/27" in finding.message and "10.0.255.224/27" in finding.fix


def test_misnamed_subnet_hint_says_the_name_is_case_sensitive() -> None:
    case = Case(
        "HN-GWS-002",
        "lower",
        (
            setting("vnet.subnets.0.name", "gatewaysubnet"),
            setting("gateways.0.subnet", "gatewaysubnet"),
            setting("gateways.1.subnet", "gatewaysubnet"),
        ),
    )
    [finding] = assert_fails(case)
    assert "case-sensitive" in finding.message
