"""ExpressRoute rules: private peering present, both links used, Microsoft peering, BGP timers."""

from __future__ import annotations

import pytest

from tests.unit.conftest import Case, assert_fails, assert_passes, fail, passes, removing, setting

MICROSOFT_PEERING = {
    "peer_asn": 65010,
    "primary_prefix": "203.0.113.0/30",
    "secondary_prefix": "203.0.113.4/30",
    "vlan_id": 400,
}

FAILING = [
    fail("HN-ER-001", "no-private-peering", removing("circuit.private_peering"), path="circuit"),
    fail("HN-ER-002", "one-edge-router", removing("onprem.edge_routers.1"), path="onprem.edge_routers"),
    fail(
        "HN-ER-003",
        "microsoft-peering",
        setting("circuit.microsoft_peering", MICROSOFT_PEERING),
        path="circuit.microsoft_peering",
    ),
    fail(
        "HN-ER-004",
        "below-msee-minimum",
        setting("circuit.private_peering.bgp_timers", {"keepalive_s": 1, "hold_s": 3}),
        path="circuit.private_peering.bgp_timers",
        severity="error",
    ),
    fail(
        "HN-ER-004",
        "hold-under-three-keepalives",
        setting("circuit.private_peering.bgp_timers", {"keepalive_s": 10, "hold_s": 20}),
        path="circuit.private_peering.bgp_timers",
        severity="warning",
    ),
    fail("HN-ER-005", "partial-inventory-without-circuit", removing("connections.0"), removing("circuit"),
         path="circuit"),
]

PASSING = [
    passes("HN-ER-005", "circuit-present"),
    passes("HN-ER-001", "private-peering"),
    passes("HN-ER-002", "both-links"),
    passes(
        "HN-ER-002",
        "no-peering-reported-by-001-only",
        removing("circuit.private_peering"),
        removing("onprem.edge_routers.1"),
    ),
    passes("HN-ER-003", "private-only"),
    passes("HN-ER-004", "azure-defaults"),
    passes(
        "HN-ER-004",
        "lowest-accepted",
        setting("circuit.private_peering.bgp_timers", {"keepalive_s": 3, "hold_s": 10}),
    ),
]


@pytest.mark.parametrize("case", FAILING)
def test_expressroute_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_expressroute_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


def test_without_a_circuit_every_rule_runs_and_only_the_missing_part_is_an_error() -> None:
    """A partial inventory (a VPN-only hub) is checked, not refused: the circuit rules skip cleanly and
    HN-ER-005 says what is missing."""
    from hybridnet.rules import Severity, check
    from tests.conftest import reference_document, topology_from

    document = reference_document()
    del document["connections"][0], document["circuit"]
    findings = check(topology_from(document))
    assert [f.rule_id for f in findings if f.severity is Severity.ERROR] == ["HN-ER-005"]
