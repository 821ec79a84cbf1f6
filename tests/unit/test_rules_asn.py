"""ASN rules: Azure's and IANA's reserved numbers, and the numbers each side expects."""

from __future__ import annotations

import pytest

from hybridnet.rules.asn import iana_reserved
from tests.unit.conftest import Case, assert_fails, assert_passes, fail, passes, setting


def _onprem_asn(asn: int) -> tuple[object, ...]:
    """Change the on-prem ASN everywhere it appears, so only the rule under test can object."""
    return (
        setting("onprem.asn", asn),
        setting("circuit.private_peering.peer_asn", asn),
        setting("local_network_gateways.0.bgp.asn", asn),
    )


FAILING = [
    fail("HN-ASN-001", "onprem-uses-65515", *_onprem_asn(65515), path="onprem.asn"),
    fail("HN-ASN-001", "onprem-uses-12076", *_onprem_asn(12076), path="onprem.asn"),
    fail(
        "HN-ASN-001",
        "lng-uses-8075",
        setting("local_network_gateways.0.bgp.asn", 8075),
        path="local_network_gateways.0.bgp.asn",
    ),
    fail("HN-ASN-002", "onprem-uses-documentation-asn", *_onprem_asn(64500), path="onprem.asn"),
    fail("HN-ASN-002", "onprem-uses-as-trans", *_onprem_asn(23456), path="onprem.asn"),
    fail(
        "HN-ASN-002",
        "vpn-gateway-uses-65535",
        setting("gateways.1.bgp.asn", 65535),
        path="gateways.1.bgp.asn",
    ),
    fail(
        "HN-ASN-003",
        "peering-uses-65516",
        setting("circuit.private_peering.peer_asn", 65516),
        path="circuit.private_peering.peer_asn",
    ),
    fail(
        "HN-ASN-003",
        "peering-uses-microsofts-asn",
        setting("circuit.private_peering.peer_asn", 12076),
        path="circuit.private_peering.peer_asn",
    ),
    fail(
        "HN-ASN-004",
        "onprem-same-as-vpn-gateway",
        *_onprem_asn(65100),
        setting("gateways.1.bgp.asn", 65100),
        path="onprem.asn",
    ),
    fail("HN-ASN-004", "onprem-65515-equals-azure-default", *_onprem_asn(65515), path="onprem.asn"),
    fail(
        "HN-ASN-005",
        "lng-expects-another-asn",
        setting("local_network_gateways.0.bgp.asn", 65011),
        path="local_network_gateways.0.bgp.asn",
    ),
    fail(
        "HN-ASN-005",
        "peering-expects-another-asn",
        setting("circuit.private_peering.peer_asn", 65011),
        path="circuit.private_peering.peer_asn",
    ),
]

PASSING = [
    passes("HN-ASN-001", "private-asn"),
    passes(
        "HN-ASN-001",
        "65516-is-not-on-the-vpn-list",
        setting("local_network_gateways.0.bgp.asn", 65516),
        setting("onprem.asn", 65516),
        setting("circuit.private_peering.peer_asn", 65516),
    ),
    passes("HN-ASN-002", "32-bit-private-asn", *_onprem_asn(4200000001)),
    passes("HN-ASN-003", "peering-uses-onprem-asn"),
    passes("HN-ASN-004", "different-asns"),
    passes("HN-ASN-005", "consistent"),
]


@pytest.mark.parametrize("case", FAILING)
def test_asn_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_asn_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


@pytest.mark.parametrize(
    ("asn", "reserved"),
    [
        (23456, True),
        (64496, True),
        (64511, True),
        (64512, False),
        (65534, False),
        (65535, True),
        (65551, True),
        (65552, False),
        (4294967295, True),
        (4294967294, False),
    ],
)
def test_iana_reserved_boundaries(asn: int, reserved: bool) -> None:
    assert iana_reserved(asn) is reserved
