"""Coexistence rules: what Azure requires for ExpressRoute and VPN gateways in one VNet."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Case, appending, assert_fails, assert_passes, fail, passes, removing, setting

SECOND_ER_GATEWAY = {"type": "ExpressRoute", "name": "second-er-vgw", "sku": "ErGw2AZ"}


def _no_er_side(document: dict[str, object]) -> None:
    removing("connections.0")(document)
    removing("gateways.0")(document)


FAILING = [
    fail(
        "HN-COEX-001",
        "vpn-gateway-in-other-vnet",
        setting("gateways.1.vnet", "spoke-vnet"),
        path="gateways.1.vnet",
    ),
    fail(
        "HN-COEX-002",
        "two-expressroute-gateways",
        appending("gateways", SECOND_ER_GATEWAY),
        path="gateways.2",
    ),
    fail(
        "HN-COEX-003",
        "policy-based-vpn",
        setting("gateways.1.vpn_type", "PolicyBased"),
        path="gateways.1.vpn_type",
    ),
    fail("HN-COEX-004", "basic-vpn-gateway", setting("gateways.1.sku", "Basic"), path="gateways.1.sku"),
    fail("HN-COEX-004", "basic-er-gateway", setting("gateways.0.sku", "Basic"), path="gateways.0.sku"),
    fail("HN-COEX-005", "vpn-asn-changed", setting("gateways.1.bgp.asn", 65100), path="gateways.1.bgp.asn"),
    fail("HN-COEX-006", "no-expressroute-gateway", _no_er_side, path="gateways"),
    fail("HN-COEX-006", "er-gateway-not-connected", removing("connections.0"), path="connections"),
    fail("HN-COEX-006", "no-vpn-connection", removing("connections.1"), path="connections"),
]

PASSING = [
    passes("HN-COEX-001", "gateway-names-the-same-vnet", setting("gateways.1.vnet", "ra-hybrid-vpn-er-vnet")),
    passes("HN-COEX-002", "one-of-each"),
    passes("HN-COEX-003", "route-based"),
    passes(
        "HN-COEX-004",
        "basic-vpn-alone-is-not-a-coexistence-problem",
        setting("gateways.1.sku", "Basic"),
        _no_er_side,
    ),
    passes("HN-COEX-004", "current-skus"),
    passes("HN-COEX-005", "asn-65515"),
    passes("HN-COEX-005", "static-vpn-has-no-asn-to-check", removing("gateways.1.bgp")),
    passes("HN-COEX-006", "both-paths"),
]


@pytest.mark.parametrize("case", FAILING)
def test_coexistence_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_coexistence_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_policy_based_vpn_message_says_why_it_cannot_coexist() -> None:
    [finding] = assert_fails(Case("HN-COEX-003", "pb", (setting("gateways.1.vpn_type", "PolicyBased"),)))
    assert "PolicyBased" in finding.message and "RouteBased" in finding.message
