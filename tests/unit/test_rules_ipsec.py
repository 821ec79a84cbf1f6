"""IPsec connection rules: the pre-shared key, custom policies, lifetimes, DPD and IKE version."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import reference_document
from tests.unit.conftest import Case, assert_fails, assert_passes, fail, passes, run_rule, setting

GOOD_POLICY = {
    "ike_encryption": "AES256",
    "ike_integrity": "SHA256",
    "dh_group": "DHGroup14",
    "ipsec_encryption": "GCMAES256",
    "ipsec_integrity": "GCMAES256",
    "pfs_group": "PFS2048",
}
STRONG_KEY = "Vt7qLx2mRk9pWz4sNc8bHy3"


def _key(value: str) -> Any:
    return setting("connections.1.shared_key", {"value": value})


def _policy(**changes: Any) -> Any:
    return setting("connections.1.ipsec_policy", {**GOOD_POLICY, **changes})


DEVICE_DEFAULTS_LIKE = {
    "ike_encryption": "AES128", "ike_integrity": "SHA256", "dh_group": "DHGroup2",
    "ipsec_encryption": "AES256", "ipsec_integrity": "SHA256", "pfs_group": "None",
}


def _device(**changes: Any) -> Any:
    """The on-prem VPN device's own policy (the connection keeps Azure's defaults unless set too)."""
    return setting("onprem.vpn_appliance.ipsec_policy", {**DEVICE_DEFAULTS_LIKE, **changes})


FAILING = [
    fail("HN-IPSEC-001", "hyphen-in-key", _key("Vt7qLx2m-Rk9pWz4sNc8bHy3"), path="connections.1.shared_key"),
    fail("HN-IPSEC-001", "space-in-key", _key("Vt7qLx2m Rk9pWz4sNc8bHy3"), path="connections.1.shared_key"),
    fail("HN-IPSEC-001", "non-ascii-key", _key("Vt7qLx2mRk9pWz4sNc8bHy3é"), path="connections.1.shared_key"),
    fail("HN-IPSEC-002", "the-2016-key", _key("123secret"), path="connections.1.shared_key"),
    fail("HN-IPSEC-002", "long-but-one-class", _key("a" * 40), path="connections.1.shared_key"),
    fail("HN-IPSEC-003", "inline-key", _key(STRONG_KEY), path="connections.1.shared_key"),
    fail(
        "HN-IPSEC-004",
        "gcm-encryption-sha-integrity",
        _policy(ipsec_integrity="SHA256"),
        path="connections.1.ipsec_policy.ipsec_integrity",
    ),
    fail(
        "HN-IPSEC-004",
        "gcm-key-lengths-differ",
        _policy(ipsec_integrity="GCMAES128"),
        path="connections.1.ipsec_policy.ipsec_integrity",
    ),
    fail(
        "HN-IPSEC-005", "dh-group-2", _policy(dh_group="DHGroup2"), path="connections.1.ipsec_policy.dh_group"
    ),
    fail(
        "HN-IPSEC-005",
        "esp-null",
        _policy(ipsec_encryption="None", ipsec_integrity="SHA256"),
        path="connections.1.ipsec_policy.ipsec_encryption",
    ),
    fail(
        "HN-IPSEC-006",
        "lifetime-below-300s",
        _policy(sa_lifetime_s=120),
        path="connections.1.ipsec_policy.sa_lifetime_s",
    ),
    fail(
        "HN-IPSEC-006",
        "data-size-below-1024kb",
        _policy(sa_data_size_kb=512),
        path="connections.1.ipsec_policy.sa_data_size_kb",
    ),
    fail(
        "HN-IPSEC-007",
        "dpd-too-short",
        setting("connections.1.dpd_timeout_s", 5),
        path="connections.1.dpd_timeout_s",
    ),
    fail(
        "HN-IPSEC-007",
        "dpd-too-long",
        setting("connections.1.dpd_timeout_s", 7200),
        path="connections.1.dpd_timeout_s",
    ),
    fail(
        "HN-IPSEC-008",
        "custom-policy-on-basic",
        setting("gateways.1.sku", "Basic"),
        _policy(),
        path="connections.1.ipsec_policy",
    ),
    fail(
        "HN-IPSEC-008",
        "ikev1-on-legacy-sku",
        setting("gateways.1.sku", "HighPerformance"),
        setting("connections.1.connection_protocol", "IKEv1"),
        path="connections.1.connection_protocol",
    ),
    fail(
        "HN-IPSEC-009",
        "ikev1",
        setting("connections.1.connection_protocol", "IKEv1"),
        path="connections.1.connection_protocol",
    ),
    fail("HN-IPSEC-010", "device-ike-aes192", _device(ike_encryption="AES192"),
         path="onprem.vpn_appliance.ipsec_policy"),
    fail("HN-IPSEC-010", "device-ike-dh14", _device(dh_group="DHGroup14"), path="onprem.vpn_appliance.ipsec_policy"),
    fail("HN-IPSEC-010", "device-esp-gcm128", _device(ipsec_encryption="GCMAES128", ipsec_integrity="GCMAES128"),
         path="onprem.vpn_appliance.ipsec_policy"),
    fail("HN-IPSEC-010", "device-pfs-ecp256-refused-at-rekey", _device(pfs_group="ECP256"),
         path="onprem.vpn_appliance.ipsec_policy"),
    fail("HN-IPSEC-010", "device-differs-from-custom-policy", _policy(), _device(),
         path="onprem.vpn_appliance.ipsec_policy"),
    fail("HN-IPSEC-011", "device-requires-pfs", _device(ipsec_encryption="AES256", ipsec_integrity="SHA1",
                                                       pfs_group="PFS2"), path="onprem.vpn_appliance.ipsec_policy"),
    fail("HN-IPSEC-011", "device-cipher-azure-never-offers", _device(ipsec_encryption="AES128"),
         path="onprem.vpn_appliance.ipsec_policy"),
]

PASSING = [
    passes("HN-IPSEC-001", "key-by-reference"),
    passes("HN-IPSEC-001", "strong-inline-key-with-punctuation", _key("Vt7qLx2m!Rk9pWz4sNc8bHy3")),
    passes("HN-IPSEC-002", "strong-key", _key(STRONG_KEY)),
    passes("HN-IPSEC-003", "key-from-file", setting("connections.1.shared_key", {"file": "vpn.key"})),
    passes("HN-IPSEC-004", "gcm-pair", _policy()),
    passes("HN-IPSEC-004", "cbc-with-sha", _policy(ipsec_encryption="AES256", ipsec_integrity="SHA256")),
    passes("HN-IPSEC-005", "strong-policy", _policy()),
    passes("HN-IPSEC-006", "minimums-exactly", _policy(sa_lifetime_s=300, sa_data_size_kb=1024)),
    passes("HN-IPSEC-007", "dpd-9s", setting("connections.1.dpd_timeout_s", 9)),
    passes("HN-IPSEC-007", "dpd-3600s", setting("connections.1.dpd_timeout_s", 3600)),
    passes("HN-IPSEC-008", "custom-policy-on-vpngw", _policy()),
    passes("HN-IPSEC-008", "ikev1-on-current-sku", setting("connections.1.connection_protocol", "IKEv1")),
    passes("HN-IPSEC-009", "ikev2"),
    passes("HN-IPSEC-010", "device-follows-the-connection"),
    passes("HN-IPSEC-010", "device-follows-a-custom-policy", _policy()),
    passes("HN-IPSEC-010", "device-aes128-phase1-and-responder-only-esp", _device(ipsec_encryption="AES128")),
    passes("HN-IPSEC-010", "device-pfs-group-azure-accepts-at-rekey",
           _device(ipsec_encryption="AES256", ipsec_integrity="SHA1", pfs_group="PFS24")),
    passes("HN-IPSEC-010", "device-equals-custom-policy", _policy(), setting("onprem.vpn_appliance.ipsec_policy",
                                                                              GOOD_POLICY)),
    passes("HN-IPSEC-011", "device-offers-one-of-azures-offers", _device()),
    passes("HN-IPSEC-011", "device-pfs-matches-custom-policy", _policy(),
           setting("onprem.vpn_appliance.ipsec_policy", GOOD_POLICY)),
]


def test_refused_device_proposal_is_named() -> None:
    document = reference_document()
    _device(ike_encryption="AES192", dh_group="DHGroup14")(document)
    (finding,) = run_rule("HN-IPSEC-010", document)
    assert "AES192/SHA256/DHGroup14" in finding.message
    assert "encryption AES192 is not accepted (AES256, AES128 or DES3)" in finding.message
    assert "DH group DHGroup14 is not accepted (DHGroup2)" in finding.message


@pytest.mark.parametrize("case", FAILING)
def test_ipsec_rule_fires(case: Case) -> None:
    assert_fails(case)


@pytest.mark.parametrize("case", PASSING)
def test_ipsec_rule_stays_quiet(case: Case) -> None:
    assert_passes(case)


@pytest.mark.parametrize("rule_id", ["HN-IPSEC-001", "HN-IPSEC-002", "HN-IPSEC-003"])
def test_findings_about_the_key_never_contain_the_key(rule_id: str) -> None:
    secret = "Sx9-qW 2~zzz"
    document = reference_document()
    _key(secret)(document)
    for finding in run_rule(rule_id, document):
        text = f"{finding.message} {finding.fix} {finding.path}"
        assert secret not in text and "Sx9" not in text
