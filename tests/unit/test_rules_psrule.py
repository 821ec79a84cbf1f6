"""Rules that reach PSRule for Azure's verdicts, and carry PSRule's rule names."""

from __future__ import annotations

import pytest

from hybridnet.rules import all_rules
from tests.unit.conftest import Case, assert_fails, assert_passes, fail, passes, removing, setting

FAILING = [
    fail("HN-PSR-001", "vpn-standard-sku", setting("gateways.1.sku", "Standard"), path="gateways.1.sku"),
    fail(
        "HN-PSR-001",
        "vpn-highperformance-sku",
        setting("gateways.1.sku", "HighPerformance"),
        path="gateways.1.sku",
    ),
    fail(
        "HN-PSR-002",
        "active-standby",
        setting("gateways.1.active_active", False),
        removing("gateways.1.instances.1"),
        path="gateways.1.active_active",
    ),
    fail("HN-PSR-003", "er-basic", setting("gateways.0.sku", "Basic"), path="gateways.0.sku"),
    fail("HN-PSR-004", "vpn-not-zone-redundant", setting("gateways.1.sku", "VpnGw2"), path="gateways.1.sku"),
    fail(
        "HN-PSR-005",
        "er-not-zone-redundant",
        setting("gateways.0.sku", "HighPerformance"),
        path="gateways.0.sku",
    ),
    fail(
        "HN-PSR-006",
        "gateway-name-ends-with-dot",
        setting("gateways.0.name", "er-gw."),
        setting("connections.0.gateway", "er-gw."),
        path="gateways.0.name",
    ),
    fail(
        "HN-PSR-006",
        "gateway-name-ends-with-dash",
        setting("gateways.0.name", "er-gw-"),
        setting("connections.0.gateway", "er-gw-"),
        path="gateways.0.name",
    ),
    fail(
        "HN-PSR-007",
        "connection-name-ends-with-dot",
        setting("connections.1.name", "vpn-cn."),
        path="connections.1.name",
    ),
    fail("HN-PSR-008", "vnet-name-one-char", setting("vnet.name", "v"), path="vnet.name"),
    fail(
        "HN-PSR-009",
        "subnet-name-ends-with-dot",
        setting("vnet.subnets.1.name", "web."),
        setting("workloads.0.subnet", "web."),
        setting("workloads.1.subnet", "web."),
        setting("load_balancers.0.frontend.subnet", "web."),
        path="vnet.subnets.1.name",
    ),
    fail("HN-PSR-010", "web-subnet-without-nsg", removing("vnet.subnets.1.nsg"), path="vnet.subnets.1.nsg"),
    fail(
        "HN-PSR-011", "single-dns-server", setting("vnet.dns_servers", ["10.0.3.10"]), path="vnet.dns_servers"
    ),
    fail(
        "HN-PSR-012",
        "dns-on-prem",
        setting("vnet.dns_servers", ["192.168.1.53", "10.0.3.10"]),
        path="vnet.dns_servers.0",
    ),
]

PASSING = [
    passes("HN-PSR-001", "vpngw1az"),
    passes("HN-PSR-001", "vpngw1-is-current", setting("gateways.1.sku", "VpnGw1")),
    passes("HN-PSR-002", "active-active"),
    passes("HN-PSR-003", "er-standard-is-not-basic", setting("gateways.0.sku", "Standard")),
    passes("HN-PSR-004", "vpngw3az", setting("gateways.1.sku", "VpnGw3AZ")),
    passes("HN-PSR-005", "ergw2az", setting("gateways.0.sku", "ErGw2AZ")),
    passes(
        "HN-PSR-006",
        "upper-case-matches-case-insensitively",
        setting("gateways.0.name", "VGW-001"),
        setting("connections.0.gateway", "VGW-001"),
    ),
    passes("HN-PSR-007", "reference-names"),
    passes("HN-PSR-008", "reference-vnet-name"),
    passes("HN-PSR-009", "reference-subnet-names"),
    passes("HN-PSR-010", "gateway-subnet-is-exempt"),
    passes("HN-PSR-011", "azure-dns"),
    passes("HN-PSR-011", "two-servers", setting("vnet.dns_servers", ["10.0.3.10", "10.0.3.11"])),
    passes("HN-PSR-012", "dns-in-vnet", setting("vnet.dns_servers", ["10.0.3.10", "192.168.1.53"])),
]


@pytest.mark.parametrize("case", FAILING)
def test_psrule_equivalent_fires(case: Case) -> None:
    findings = assert_fails(case)
    assert all(f.psrule and f.psrule.startswith("Azure.") for f in findings)


@pytest.mark.parametrize("case", PASSING)
def test_psrule_equivalent_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_psrule_rules_carry_psrule_names() -> None:
    names = {rule.id: rule.psrule for rule in all_rules() if rule.id.startswith("HN-PSR-")}
    assert names["HN-PSR-001"] == "Azure.VNG.VPNLegacySKU"
    assert names["HN-PSR-002"] == "Azure.VNG.VPNActiveActive"
    assert names["HN-PSR-010"] == "Azure.VNET.UseNSGs"
    assert all(names.values())


def test_az_sku_reason_matches_psrule_wording() -> None:
    [finding] = assert_fails(Case("HN-PSR-004", "az", (setting("gateways.1.sku", "VpnGw2"),)))
    assert finding.message.startswith(
        "The VPN gateway (ra-hybrid-vpn-vgw) should be using one of the following "
        "AZ SKUs (VpnGw1AZ, VpnGw2AZ, VpnGw3AZ, VpnGw4AZ, VpnGw5AZ)"
    )
