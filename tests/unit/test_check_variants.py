"""Valid-but-odd variants an outsider writes, and the messages `check` gives about them: no false
positive on a design Azure accepts, and a refusal that names the part that is wrong."""

from __future__ import annotations

import pytest

from hybridnet.model import TopologyError
from tests.conftest import reference_document, topology_from
from tests.unit.conftest import run_rule, setting

DEVICE = {
    "ike_encryption": "AES128", "ike_integrity": "SHA256", "dh_group": "DHGroup2",
    "ipsec_encryption": "AES256", "ipsec_integrity": "SHA1", "pfs_group": "None",
}


def _device_policy(**changes: str) -> dict[str, object]:
    document = reference_document()
    setting("onprem.vpn_appliance.ipsec_policy", {**DEVICE, **changes})(document)
    return document


def test_a_refused_esp_pfs_group_is_named_with_the_groups_azure_takes_for_that_cipher() -> None:
    (finding,) = run_rule("HN-IPSEC-010", _device_policy(pfs_group="ECP384"))
    assert "AES256/SHA1 ECP384" in finding.message
    assert "accept this cipher only with no PFS, PFS1, PFS2, PFS2048 or PFS24, not with ECP384" in finding.message
    assert len(finding.message) < 300, "the 26 accepted entries are summarised, not listed"


def test_a_refused_esp_cipher_lists_the_ciphers_once_not_every_pfs_variant() -> None:
    (finding,) = run_rule("HN-IPSEC-010", _device_policy(ipsec_encryption="GCMAES128", ipsec_integrity="GCMAES128"))
    assert "none with this cipher" in finding.message and "GCMAES256" in finding.message
    assert "PFS" not in finding.message and len(finding.message) < 300


def test_a_refused_ike_proposal_names_each_part_azure_does_not_take() -> None:
    (finding,) = run_rule("HN-IPSEC-010", _device_policy(ike_integrity="SHA384", dh_group="DHGroup24"))
    assert "AES128/SHA384/DHGroup24" in finding.message
    assert "integrity SHA384 is not accepted (SHA1 or SHA256)" in finding.message
    assert "DH group DHGroup24 is not accepted (DHGroup2)" in finding.message


def _nsg_document(source: str) -> dict[str, object]:
    document = reference_document()
    setting("nsgs.0.rules.0.source", source)(document)  # web-nsg allow-http, the load-balanced app's port
    return document


def test_an_nsg_source_list_that_covers_on_prem_lets_the_app_through() -> None:
    assert run_rule("HN-NSG-004", _nsg_document("172.16.0.0/12,192.168.0.0/16")) == []


def test_an_nsg_source_list_that_misses_on_prem_still_blocks_it() -> None:
    assert run_rule("HN-NSG-004", _nsg_document("172.16.0.0/12, 10.0.0.0/8"))


@pytest.mark.parametrize("value", ["*", "VirtualNetwork", "Storage.WestEurope", "10.0.0.0/8", "10.0.0.4",
                                   "10.0.0.0/8, 192.168.0.0/16", "2001:db8::/32"])
def test_nsg_addresses_azure_takes_load(value: str) -> None:
    topology_from(_nsg_document(value))


@pytest.mark.parametrize("value", ["$(id)", "a/b", "-j ACCEPT", "10.0.0.0/33", "{{7*7}}", "10.0.0.0/8;x", ""])
def test_an_nsg_address_that_is_none_is_a_located_load_error(value: str) -> None:
    with pytest.raises(TopologyError) as caught:
        topology_from(_nsg_document(value))
    assert "nsgs.0.rules.0.source" in str(caught.value) and "is not an NSG address" in str(caught.value)


@pytest.mark.parametrize("value", ["abc", "80-", "70000", "90-80", "-1", "8080;reboot", "", "\uff18\uff10"])
def test_an_nsg_port_that_is_none_is_a_located_load_error(value: str) -> None:
    document = reference_document()
    setting("nsgs.0.rules.0.destination_port", value)(document)
    with pytest.raises(TopologyError) as caught:
        topology_from(document)
    assert "nsgs.0.rules.0.destination_port" in str(caught.value) and "is not an NSG port" in str(caught.value)


@pytest.mark.parametrize("value", ["*", "80", "8000-8080", "80, 443", "0-65535"])
def test_nsg_ports_azure_takes_load(value: str) -> None:
    document = reference_document()
    setting("nsgs.0.rules.0.destination_port", value)(document)
    topology_from(document)
