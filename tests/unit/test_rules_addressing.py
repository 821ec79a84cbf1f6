"""Addressing rules: overlaps between on-prem, the VNet and the peering links, and the /30 shape."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Case, appending, assert_fails, assert_passes, fail, passes, setting

MICROSOFT_PEERING = {
    "peer_asn": 65010,
    "primary_prefix": "203.0.113.0/30",
    "secondary_prefix": "203.0.113.4/30",
    "vlan_id": 400,
}

FAILING = [
    fail(
        "HN-ADDR-001",
        "onprem-contains-vnet",
        setting("onprem.address_space", ["10.0.0.0/8"]),
        path="onprem.address_space.0",
    ),
    fail(
        "HN-ADDR-001",
        "onprem-second-range-overlaps",
        appending("onprem.address_space", "10.0.3.0/24"),
        path="onprem.address_space.1",
    ),
    fail(
        "HN-ADDR-002",
        "lng-lists-vnet-range",
        setting("local_network_gateways.0.address_prefixes", ["10.0.1.0/24"]),
        path="local_network_gateways.0.address_prefixes.0",
    ),
    fail(
        "HN-ADDR-003",
        "primary-link-inside-vnet",
        setting("circuit.private_peering.primary_prefix", "10.0.9.0/30"),
        path="circuit.private_peering.primary_prefix",
    ),
    fail(
        "HN-ADDR-003",
        "microsoft-peering-link-inside-vnet",
        setting("circuit.microsoft_peering", {**MICROSOFT_PEERING, "secondary_prefix": "10.0.9.4/30"}),
        path="circuit.microsoft_peering.secondary_prefix",
    ),
    fail(
        "HN-ADDR-004",
        "secondary-link-on-the-lan",
        setting("circuit.private_peering.secondary_prefix", "192.168.1.4/30"),
        path="circuit.private_peering.secondary_prefix",
    ),
    fail(
        "HN-ADDR-005",
        "link-is-a-slash-29",
        setting("circuit.private_peering.primary_prefix", "172.16.0.8/29"),
        path="circuit.private_peering.primary_prefix",
    ),
    fail(
        "HN-ADDR-005",
        "both-links-the-same-30",
        setting("circuit.private_peering.secondary_prefix", "172.16.0.0/30"),
        path="circuit.private_peering.secondary_prefix",
    ),
    fail(
        "HN-ADDR-006",
        "subnet-outside-vnet",
        setting("vnet.subnets.3.prefix", "10.1.3.0/24"),
        path="vnet.subnets.3.prefix",
    ),
    fail(
        "HN-ADDR-007",
        "gateway-subnet-overlaps-web",
        setting("vnet.subnets.0.prefix", "10.0.1.0/27"),
        path="vnet.subnets.1.prefix",
    ),  # the later subnet is reported, naming the earlier one
    fail(
        "HN-ADDR-008",
        "vpn-announces-a-vnet-subnet",
        setting("onprem.vpn_appliance.advertised_prefixes", ["192.168.0.0/16", "10.0.1.0/24"]),
        path="onprem.vpn_appliance.advertised_prefixes.1",
    ),
    fail(
        "HN-ADDR-008",
        "edge-announces-the-vnet-itself",
        setting("onprem.edge_routers.0.advertised_prefixes", ["192.168.0.0/16", "10.0.0.0/16"]),
        path="onprem.edge_routers.0.advertised_prefixes.1",
    ),
]

PASSING = [
    passes("HN-ADDR-001", "disjoint-plans"),
    passes(
        "HN-ADDR-001",
        "adjacent-ranges",
        setting("onprem.address_space", ["10.1.0.0/16"]),
        setting("onprem.subnets.0.prefix", "10.1.1.0/24"),
        setting("onprem.subnets.0.hosts.0.address", "10.1.1.10"),
    ),
    passes(
        "HN-ADDR-002",
        "lng-lists-onprem-only",
        setting("local_network_gateways.0.address_prefixes", ["192.168.0.0/16"]),
    ),
    passes("HN-ADDR-003", "links-outside-vnet"),
    passes(
        "HN-ADDR-004",
        "links-inside-onprem-space-but-off-the-lan",
        setting("circuit.private_peering.primary_prefix", "192.168.100.128/30"),
        setting("circuit.private_peering.secondary_prefix", "192.168.100.132/30"),
    ),
    passes("HN-ADDR-005", "two-distinct-30s"),
    passes("HN-ADDR-006", "all-subnets-inside"),
    passes("HN-ADDR-007", "disjoint-subnets"),
    passes(
        "HN-ADDR-008",
        "a-supernet-of-the-vnet-is-allowed",
        setting("onprem.vpn_appliance.advertised_prefixes", ["192.168.0.0/16", "10.0.0.0/8"]),
    ),
]


@pytest.mark.parametrize("case", FAILING)
def test_addressing_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_addressing_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_overlap_message_names_both_ranges() -> None:
    [finding] = assert_fails(Case("HN-ADDR-001", "o", (setting("onprem.address_space", ["10.0.0.0/8"]),)))
    assert "10.0.0.0/8" in finding.message and "10.0.0.0/16" in finding.message
