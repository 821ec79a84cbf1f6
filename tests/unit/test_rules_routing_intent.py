"""Routing-intent rules: ExpressRoute preferred both ways, no pinned prefixes, backup coverage, detection
time, MSS, limits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.conftest import Case, assert_fails, assert_passes, fail, passes, removing, setting


def _static_vpn(*lng_prefixes: str) -> tuple[Any, ...]:
    return (
        setting("connections.1.enable_bgp", False),
        removing("local_network_gateways.0.bgp"),
        setting("local_network_gateways.0.address_prefixes", list(lng_prefixes)),
    )


MANY = [f"192.168.{i // 256}.{i % 256}/32" for i in range(4001)]

FAILING = [
    fail(
        "HN-RT-001",
        "equal-local-preference",
        setting("onprem.edge_routers.0.local_preference", 100),
        path="onprem.edge_routers.0.local_preference",
    ),
    fail(
        "HN-RT-001",
        "vpn-preferred",
        setting("onprem.vpn_appliance.local_preference", 200),
        path="onprem.edge_routers.1.local_preference",
    ),
    fail(
        "HN-RT-002",
        "more-specific-over-vpn",
        setting("onprem.vpn_appliance.advertised_prefixes", ["192.168.0.0/16", "192.168.1.0/24"]),
        path="onprem.vpn_appliance.advertised_prefixes.1",
    ),
    fail(
        "HN-RT-002",
        "static-lng-more-specific",
        *_static_vpn("192.168.0.0/16", "192.168.1.0/24"),
        path="local_network_gateways.0.address_prefixes.1",
    ),
    fail(
        "HN-RT-003",
        "range-missing-over-vpn",
        setting("onprem.vpn_appliance.advertised_prefixes", ["192.168.1.0/24"]),
        path="onprem.edge_routers.0",
    ),
    fail(
        "HN-RT-004",
        "bfd-off",
        setting("circuit.private_peering.bfd.enabled", False),
        path="circuit.private_peering.bfd.enabled",
    ),
    fail(
        "HN-RT-005",
        "no-mss-clamp",
        setting("connections.1.tcp_mss_clamp", None),
        path="connections.1.tcp_mss_clamp",
    ),
    fail(
        "HN-RT-006",
        "clamp-bigger-than-mtu-allows",
        setting("connections.1.tcp_mss_clamp", 1380),
        path="connections.1.tcp_mss_clamp",
    ),
    fail(
        "HN-RT-007",
        "too-many-over-expressroute",
        setting("onprem.edge_routers.0.advertised_prefixes", MANY),
        setting("circuit.sku_tier", "Standard"),
        path="onprem.edge_routers.0.advertised_prefixes",
    ),
    fail(
        "HN-RT-007",
        "too-many-over-vpn",
        setting("onprem.vpn_appliance.advertised_prefixes", MANY),
        path="onprem.vpn_appliance.advertised_prefixes",
    ),
    fail("HN-RT-008", "static-vpn", *_static_vpn("192.168.0.0/16"), path="connections.1.enable_bgp"),
    fail(
        "HN-RT-009",
        "static-vpn-without-prefixes",
        *_static_vpn(),
        path="local_network_gateways.0.address_prefixes",
    ),
    fail(
        "HN-RT-009",
        "static-vpn-missing-a-range",
        *_static_vpn("192.168.0.0/17"),
        path="local_network_gateways.0.address_prefixes",
    ),
    fail(
        "HN-RT-010",
        "default-over-expressroute",
        setting("onprem.edge_routers.0.advertised_prefixes", ["192.168.0.0/16", "0.0.0.0/0"]),
        path="onprem.edge_routers.0.advertised_prefixes",
    ),
]

HALVES = ["192.168.0.0/17", "192.168.128.0/17"]

FAILING += [
    fail(
        "HN-RT-011",
        "half-the-space-only-over-vpn",
        setting("onprem.edge_routers.0.advertised_prefixes", ["192.168.0.0/17"]),
        setting("onprem.edge_routers.1.advertised_prefixes", ["192.168.0.0/17"]),
        path="onprem.address_space",
    ),
]

PASSING = [
    passes("HN-RT-001", "edge-150-vpn-100"),
    passes(
        "HN-RT-001",
        "static-vpn-has-no-local-preference",
        *_static_vpn("192.168.0.0/16"),
        setting("onprem.edge_routers.0.local_preference", 100),
    ),
    passes("HN-RT-002", "same-prefixes-both-ways"),
    passes(
        "HN-RT-002",
        "more-specific-on-both-paths",
        setting("onprem.vpn_appliance.advertised_prefixes", ["192.168.0.0/16", "192.168.1.0/24"]),
        setting("onprem.edge_routers.0.advertised_prefixes", ["192.168.0.0/16", "192.168.1.0/24"]),
        setting("onprem.edge_routers.1.advertised_prefixes", ["192.168.0.0/16", "192.168.1.0/24"]),
    ),
    passes(
        "HN-RT-003",
        "covered-by-supernet-over-vpn",
        setting("onprem.edge_routers.0.advertised_prefixes", ["192.168.1.0/24"]),
    ),
    passes("HN-RT-004", "bfd-on"),
    passes("HN-RT-005", "clamped-1350"),
    passes("HN-RT-006", "exactly-mtu-minus-40", setting("connections.1.tcp_mss_clamp", 1360)),
    passes("HN-RT-007", "premium-takes-4001", setting("onprem.edge_routers.0.advertised_prefixes", MANY)),
    passes(
        "HN-RT-007",
        "standard-takes-exactly-4000",
        setting("onprem.edge_routers.0.advertised_prefixes", MANY[:4000]),
        setting("circuit.sku_tier", "Standard"),
    ),
    passes("HN-RT-008", "bgp-vpn"),
    passes("HN-RT-009", "static-vpn-covering", *_static_vpn("192.168.0.0/16")),
    passes("HN-RT-010", "onprem-prefixes-only"),
    passes("HN-RT-011", "same-ranges-both-ways"),
    passes(
        "HN-RT-011",
        "halves-over-expressroute-cover-the-vpn-aggregate",
        setting("onprem.edge_routers.0.advertised_prefixes", HALVES),
        setting("onprem.edge_routers.1.advertised_prefixes", HALVES),
    ),
    passes("HN-RT-011", "no-expressroute-edge-is-reported-elsewhere", setting("onprem.edge_routers", [])),
]


@pytest.mark.parametrize("case", FAILING)
def test_routing_intent_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_routing_intent_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_bfd_off_says_how_many_seconds_detection_takes() -> None:
    [finding] = assert_fails(Case("HN-RT-004", "bfd", (setting("circuit.private_peering.bfd.enabled", False),)))
    assert "after 180 s" in finding.message


def test_lower_customer_hold_time_wins() -> None:
    [finding] = assert_fails(
        Case(
            "HN-RT-004",
            "bfd",
            (
                setting("circuit.private_peering.bfd.enabled", False),
                setting("circuit.private_peering.bgp_timers", {"keepalive_s": 10, "hold_s": 30}),
            ),
        )
    )
    assert "after 30 s" in finding.message


def test_pinned_prefix_message_explains_longest_prefix_wins() -> None:
    [finding] = assert_fails(
        Case(
            "HN-RT-002",
            "pin",
            (setting("onprem.vpn_appliance.advertised_prefixes", ["192.168.0.0/16", "192.168.1.0/24"]),),
        )
    )
    assert "192.168.1.0/24" in finding.message and "192.168.0.0/16" in finding.message
    assert "longest prefix" in finding.message


def test_uncovered_range_is_named() -> None:
    [finding] = assert_fails(
        Case(
            "HN-RT-011",
            "half",
            (
                setting("onprem.edge_routers.0.advertised_prefixes", ["192.168.0.0/17"]),
                setting("onprem.edge_routers.1.advertised_prefixes", ["192.168.0.0/17"]),
            ),
        )
    )
    assert "192.168.128.0/17 of it is not announced over ExpressRoute" in finding.message


def test_equal_local_preference_message_says_the_as_paths_tie_and_the_router_id_decides() -> None:
    [finding] = assert_fails(
        Case("HN-RT-001", "tie", (setting("onprem.edge_routers.0.local_preference", 100),))
    )
    assert "equally long (12076 over ExpressRoute, 65515 over the VPN)" in finding.message
    assert "router ID" in finding.message
    assert "12076 65515" not in finding.message


def test_lower_local_preference_message_says_on_prem_sends_over_the_vpn() -> None:
    [finding] = assert_fails(
        Case("HN-RT-001", "below", (setting("onprem.edge_routers.0.local_preference", 90),))
    )
    assert "lower local preference than the VPN appliance onprem-vpn's 100" in finding.message
    assert "on-prem sends over the VPN" in finding.message and "router ID" not in finding.message
