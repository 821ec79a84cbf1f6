"""NSG rules, judged with Azure's evaluation order and default rules."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from hybridnet.model import NetworkSecurityGroup, SecurityRule, default_topology
from hybridnet.rules.nsg import Flow, deciding_rule, virtual_network_tag
from tests.unit.conftest import Case, appending, assert_fails, assert_passes, fail, passes, removing, setting

DENY_ALL = {"name": "deny-all", "priority": 4090, "access": "Deny", "protocol": "*", "source": "*"}
DENY_SSH = {
    "name": "deny-ssh",
    "priority": 4090,
    "access": "Deny",
    "protocol": "Tcp",
    "source": "*",
    "destination_port": "22",
}

FAILING = [
    fail("HN-NSG-001", "allow-from-anywhere", setting("nsgs.0.rules.0.source", "*"), path="nsgs.0.rules.0.source"),
    fail("HN-NSG-002", "deny-all-inbound", appending("nsgs.0.rules", DENY_ALL), path="nsgs.0.rules.4"),
    fail("HN-NSG-003", "orphan-nsg", appending("nsgs", {"name": "orphan-nsg"}), path="nsgs.3"),
    fail(
        "HN-NSG-004",
        "web-allows-only-the-vnet",
        setting("nsgs.0.rules.0.source", "10.0.0.0/16"),
        path="load_balancers.0.backend_pool",
    ),
    fail(
        "HN-NSG-004",
        "probes-blocked-by-deny-all",
        appending("nsgs.0.rules", DENY_ALL),
        path="load_balancers.0.backend_pool",
    ),
]

PASSING = [
    passes("HN-NSG-001", "named-sources"),
    passes("HN-NSG-001", "deny-from-anywhere-is-not-an-allow", appending("nsgs.0.rules", DENY_SSH)),
    passes("HN-NSG-002", "deny-only-virtualnetwork"),
    passes("HN-NSG-002", "deny-one-port-from-anywhere", appending("nsgs.0.rules", DENY_SSH)),
    passes("HN-NSG-003", "all-associated"),
    passes("HN-NSG-004", "reference-application"),
    passes("HN-NSG-004", "web-subnet-without-nsg-uses-defaults", removing("vnet.subnets.1.nsg"), removing("nsgs.0")),
]


@pytest.mark.parametrize("case", FAILING)
def test_nsg_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_nsg_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_blocked_application_names_the_client_and_the_deciding_rule() -> None:
    findings = assert_fails(Case("HN-NSG-004", "vnet-only", (setting("nsgs.0.rules.0.source", "10.0.0.0/16"),)))
    assert any("192.168.1.10" in f.message and "deny-other-vnet-inbound (priority 4000)" in f.message for f in findings)


def _nsg(*rules: SecurityRule) -> NetworkSecurityGroup:
    return NetworkSecurityGroup(name="t", rules=rules)


TAG = virtual_network_tag(default_topology())
ONPREM = IPv4Address("192.168.1.10")
VM = IPv4Address("10.0.1.4")


@pytest.mark.parametrize(
    ("flow", "decided_by", "allowed"),
    [
        (Flow(ONPREM, VM, "Tcp", 443), "AllowVnetInBound", True),
        (Flow(IPv4Address("203.0.113.9"), VM, "Tcp", 443), "DenyAllInBound", False),
        (
            Flow(IPv4Address("168.63.129.16"), VM, "Tcp", 80, from_load_balancer=True),
            "AllowAzureLoadBalancerInBound",
            True,
        ),
    ],
    ids=["onprem-is-in-virtualnetwork", "internet-is-denied", "probes-are-allowed"],
)
def test_azure_default_rules_apply_when_no_custom_rule_matches(flow: Flow, decided_by: str, allowed: bool) -> None:
    name, verdict = deciding_rule(_nsg(), flow, TAG)
    assert name.startswith(decided_by) and verdict is allowed


def test_lowest_priority_number_wins_and_port_ranges_and_lists_match() -> None:
    nsg = _nsg(
        SecurityRule(
            name="deny-range", priority=200, access="Deny", source="VirtualNetwork", destination_port="8000-8100"
        ),
        SecurityRule(
            name="allow-list", priority=100, access="Allow", source="192.168.0.0/16", destination_port="80,8080"
        ),
    )
    assert deciding_rule(nsg, Flow(ONPREM, VM, "Tcp", 8080), TAG) == ("allow-list (priority 100)", True)
    assert deciding_rule(nsg, Flow(ONPREM, VM, "Tcp", 8050), TAG) == ("deny-range (priority 200)", False)
    assert deciding_rule(nsg, Flow(ONPREM, VM, "Udp", 8080), TAG)[0].startswith("AllowVnetInBound")
