"""VPN gateway rules: APIPA addresses, active-active instances, public IPs, BGP on both ends."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Case, appending, assert_fails, assert_passes, fail, passes, removing, setting

FAILING = [
    fail(
        "HN-VPN-001",
        "apipa-outside-azure-range",
        setting("gateways.1.instances.0.apipa_addresses", ["169.254.30.1"]),
        path="gateways.1.instances.0.apipa_addresses.0",
    ),
    fail(
        "HN-VPN-002",
        "active-active-with-one-instance",
        removing("gateways.1.instances.1"),
        path="gateways.1.instances",
    ),
    fail(
        "HN-VPN-002",
        "active-standby-with-two-instances",
        setting("gateways.1.active_active", False),
        path="gateways.1.instances",
    ),
    fail(
        "HN-VPN-002",
        "same-apipa-on-both-instances",
        setting("gateways.1.instances.1.apipa_addresses", ["169.254.21.1"]),
        path="gateways.1.instances",
    ),
    fail(
        "HN-VPN-003",
        "basic-dynamic-public-ip",
        setting("gateways.1.instances.0.public_ip.sku", "Basic"),
        setting("gateways.1.instances.0.public_ip.allocation", "Dynamic"),
        path="gateways.1.instances.0.public_ip",
    ),
    fail("HN-VPN-004", "gateway-without-bgp", removing("gateways.1.bgp"), path="connections.1.enable_bgp"),
    fail(
        "HN-VPN-004",
        "lng-without-bgp",
        removing("local_network_gateways.0.bgp"),
        path="connections.1.enable_bgp",
    ),
    fail(
        "HN-VPN-005",
        "peer-is-the-public-ip",
        setting("local_network_gateways.0.bgp.peer_address", "40.50.60.70"),
        path="local_network_gateways.0.bgp.peer_address",
    ),
    fail(
        "HN-VPN-005",
        "peer-the-appliance-does-not-have",
        setting("local_network_gateways.0.bgp.peer_address", "169.254.21.9"),
        path="local_network_gateways.0.bgp.peer_address",
    ),
    fail(
        "HN-VPN-006",
        "weight-on-vpn-connection",
        setting("connections.1.routing_weight", 10),
        path="connections.1.routing_weight",
    ),
    fail(
        "HN-VPN-007",
        "policy-based-selectors",
        setting("connections.1.use_policy_based_traffic_selectors", True),
        appending("onprem.address_space", "172.20.0.0/16"),
        path="connections.1.use_policy_based_traffic_selectors",
    ),
]

FAILING += [
    fail(
        "HN-VPN-008",
        "bgp-address-outside-gateway-subnet",
        setting("gateways.1.instances.0.bgp_address", "10.0.1.228"),
        path="gateways.1.instances.0.bgp_address",
    ),
    fail(
        "HN-VPN-009",
        "lng-points-elsewhere",
        setting("local_network_gateways.0.gateway_ip", "40.50.60.71"),
        path="local_network_gateways.0.gateway_ip",
    ),
    fail(
        "HN-VPN-010",
        "instance-without-bgp-address",
        removing("gateways.1.instances.1.bgp_address"),
        removing("gateways.1.instances.1.apipa_addresses"),
        path="gateways.1.instances.1",
    ),
    fail(
        "HN-VPN-010",
        "appliance-without-bgp-address",
        setting("onprem.vpn_appliance.bgp_addresses", []),
        removing("local_network_gateways.0.bgp"),
        path="onprem.vpn_appliance.bgp_addresses",
    ),
]

PASSING = [
    passes(
        "HN-VPN-001",
        "apipa-edges",
        setting("gateways.1.instances.0.apipa_addresses", ["169.254.21.0"]),
        setting("gateways.1.instances.1.apipa_addresses", ["169.254.22.255"]),
    ),
    passes("HN-VPN-002", "active-active-two-instances"),
    passes(
        "HN-VPN-002",
        "active-standby-one-instance",
        setting("gateways.1.active_active", False),
        removing("gateways.1.instances.1"),
    ),
    passes("HN-VPN-003", "standard-static"),
    passes("HN-VPN-004", "bgp-both-ends"),
    passes(
        "HN-VPN-004",
        "static-connection-needs-no-bgp",
        setting("connections.1.enable_bgp", False),
        removing("gateways.1.bgp"),
        removing("local_network_gateways.0.bgp"),
    ),
    passes("HN-VPN-005", "peer-is-an-appliance-address"),
    passes("HN-VPN-006", "weight-on-expressroute-only"),
    passes("HN-VPN-007", "any-to-any-selectors"),
    passes("HN-VPN-008", "bgp-addresses-in-gateway-subnet"),
    passes("HN-VPN-008", "no-default-bgp-address", removing("gateways.1.instances.0.bgp_address")),
    passes("HN-VPN-009", "lng-points-at-appliance"),
    passes("HN-VPN-010", "one-address-per-instance"),
    # Azure's active-active design with one on-prem device: one BGP address peers with both instances
    passes(
        "HN-VPN-010",
        "one-bgp-address-for-both-instances",
        setting("onprem.vpn_appliance.bgp_addresses", ["169.254.21.2"]),
    ),
    passes(
        "HN-VPN-010",
        "active-standby-needs-one",
        setting("gateways.1.active_active", False),
        removing("gateways.1.instances.1"),
        setting("onprem.vpn_appliance.bgp_addresses", ["169.254.21.2"]),
    ),
]


@pytest.mark.parametrize("case", FAILING)
def test_vpn_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_vpn_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_policy_based_selector_count_is_on_prem_times_vnet_prefixes() -> None:
    case = Case(
        "HN-VPN-007",
        "count",
        (
            setting("connections.1.use_policy_based_traffic_selectors", True),
            appending("onprem.address_space", "172.20.0.0/16"),
            appending("vnet.address_space", "10.1.0.0/16"),
        ),
    )
    [finding] = assert_fails(case)
    assert "2 x 2 = 4 selector" in finding.message
