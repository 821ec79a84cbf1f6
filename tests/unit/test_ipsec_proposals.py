"""Azure's IPsec proposals: the emulated gateway accepts its lists, the device may differ, keys and diagnosis.

The lists are azure-facts §5.1 (Azure docs "About VPN devices and IPsec/IKE parameters"): six phase-1
proposals with DH group 2, six CHILD SA offers when Azure initiates, 26 entries it accepts as responder.
"""

from __future__ import annotations

from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.emulate import LabError, lab_keys, plan
from hybridnet.emulate.ike_diagnosis import proposal_mismatch
from hybridnet.model import Topology
from hybridnet.model.azure_ipsec import AZURE_ESP_INITIATOR, AZURE_ESP_RESPONDER, AZURE_IKE, EspProposal
from hybridnet.render import cisco_iosxe, junos
from hybridnet.render.strongswan import render_onprem
from tests.conftest import reference_document, topology_from

DEVICE_POLICY = {
    "ike_encryption": "AES128", "ike_integrity": "SHA256", "dh_group": "DHGroup2",
    "ipsec_encryption": "AES128", "ipsec_integrity": "SHA256", "pfs_group": "PFS2048",
}


def _gateway_conf(topology: Topology) -> dict[str, str]:
    lines = plan(topology).node("vpn-gateway-0").swanctl_config or ""
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition("=") for line in lines.splitlines())
        if key.strip() in ("proposals", "esp_proposals")
    }


def test_azure_lists_have_the_documented_sizes() -> None:
    assert len(AZURE_IKE) == 6 and {p.dh_group for p in AZURE_IKE} == {"DHGroup2"}
    assert len(AZURE_ESP_INITIATOR) == 6 and all(p.pfs_group == "None" for p in AZURE_ESP_INITIATOR)
    assert len(AZURE_ESP_RESPONDER) == 26 and AZURE_ESP_RESPONDER[:6] == AZURE_ESP_INITIATOR
    assert EspProposal("AES256", "SHA1", "PFS24") in AZURE_ESP_RESPONDER


def test_emulated_gateway_accepts_all_of_phase_1_and_pfs_at_rekey(reference: Topology) -> None:
    conf = _gateway_conf(reference)
    ike = conf["proposals"].split(",")
    assert ike == [
        "aes256-sha1-modp1024", "aes256-sha256-modp1024", "aes128-sha1-modp1024",
        "aes128-sha256-modp1024", "3des-sha1-modp1024", "3des-sha256-modp1024",
    ]
    esp = conf["esp_proposals"].split(",")
    assert len(esp) == 26 and esp[:7] == ["aes256gcm16", "aes256-sha1", "3des-sha1", "aes256-sha256",
                                          "aes128-sha1", "3des-sha256", "des-sha1"]
    # PFS accepted at rekey; "none" first so that this end's own rekeys offer no PFS, as Azure's do
    assert "aes256-sha1-modpnone-modp2048s256" in esp and "aes128-sha256-modpnone-modp2048" in esp
    assert "aes128-sha256" in esp and not any("aes192" in p or "ecp" in p for p in esp)


def test_custom_policy_replaces_both_lists_on_the_gateway() -> None:
    document = reference_document()
    document["connections"][1]["ipsec_policy"] = {**DEVICE_POLICY, "ike_encryption": "AES256"}
    conf = _gateway_conf(topology_from(document))
    assert conf == {"proposals": "aes256-sha256-modp1024", "esp_proposals": "aes128-sha256-modp2048"}


def _with_device_policy(**policy: Any) -> Topology:
    document = reference_document()
    document["onprem"]["vpn_appliance"]["ipsec_policy"] = {**DEVICE_POLICY, **policy}
    return topology_from(document)


def test_device_policy_changes_only_the_device_side() -> None:
    topology = _with_device_policy()
    device = render_onprem(topology)["onprem-vpn/swanctl.conf"]
    assert "proposals = aes128-sha256-modp1024\n" in device
    assert "esp_proposals = aes128-sha256-modp2048\n" in device
    assert "this device's own IPsec policy" in device
    assert len(_gateway_conf(topology)["esp_proposals"].split(",")) == 26  # Azure keeps its defaults
    iosxe = cisco_iosxe.render_onprem(topology)["onprem-vpn/ios-xe.cfg"]
    assert "aes-cbc-128" in iosxe and "group14" in iosxe
    assert "aes-128-cbc" in junos.render_onprem(topology)["onprem-vpn/junos.conf"]


def test_without_a_device_policy_every_file_means_the_same(reference: Topology) -> None:
    document = reference_document()
    document["onprem"]["vpn_appliance"]["ipsec_policy"] = None
    assert render_onprem(topology_from(document)) == render_onprem(reference)


def test_gateway_owns_an_address_in_every_vnet_address_space() -> None:
    document = reference_document()
    document["vnet"]["address_space"] = ["10.0.0.0/16", "10.1.0.0/16", "172.20.0.0/20"]
    for node in ("vpn-gateway-0", "vpn-gateway-1"):
        loopback = {a.local for a in plan(topology_from(document)).node(node).addresses if a.interface == "lo"}
        assert loopback == {IPv4Interface("10.1.0.0/32"), IPv4Interface("172.20.0.0/32")}


@pytest.mark.parametrize("key", ['Abc"def1234567', "Abc\\def1234567", "Abc-def1234567", "Abc def1234567",
                                 "Abc~def1234567", "Abcdéf1234567"])
def test_a_key_azure_or_swanctl_would_refuse_stops_the_lab(key: str, monkeypatch: pytest.MonkeyPatch,
                                                            reference: Topology) -> None:
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", key)
    with pytest.raises(LabError) as raised:
        lab_keys(reference)
    assert key not in str(raised.value) and "HYBRIDNET_VPN_SHARED_KEY" in str(raised.value)
    result = CliRunner().invoke(app, ["up", "--lab", "keytest"])
    assert result.exit_code == 2
    assert key not in result.output and "cannot be used" in result.output


def test_a_key_azure_accepts_is_used(monkeypatch: pytest.MonkeyPatch, reference: Topology) -> None:
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", "Vt7qLx2m!Rk9pWz4s'Nc8bHy3")
    keys = lab_keys(reference)
    assert not keys.generated and keys.onprem == keys.azure == "Vt7qLx2m!Rk9pWz4s'Nc8bHy3"


CHARON_LOG = """\
03:38:22 13[CFG] received proposals: IKE:AES_CBC_192/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
03:38:22 13[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024
03:38:22 13[IKE] received proposals unacceptable
"""


def test_a_proposal_mismatch_is_read_from_the_responders_log(tmp_path: Path) -> None:
    log = tmp_path / "charon.log"
    log.write_text(CHARON_LOG)
    assert proposal_mismatch(log) == (
        "IKE:AES_CBC_192/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
        "IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
    )
    log.write_text(CHARON_LOG + "03:38:30 01[IKE] CHILD_SA onprem{2} established with SPIs c1_i c2_o\n")
    assert proposal_mismatch(log) is None


def test_a_gcm_ike_proposal_takes_its_prf_from_the_policys_integrity() -> None:
    """Azure does not document the PRF with GCM; hybridnet follows the policy's SHA-2 integrity, so a
    SHA384 policy is not silently run with a SHA-256 PRF (both ends render the same)."""
    from hybridnet.model.azure_ipsec import IkeProposal

    assert IkeProposal("GCMAES256", "SHA384", "ECP384").strongswan() == "aes256gcm16-prfsha384-ecp384"
    assert IkeProposal("GCMAES128", "SHA256", "ECP256").strongswan() == "aes128gcm16-prfsha256-ecp256"
    assert IkeProposal("GCMAES256", "GCMAES256", "DHGroup14").strongswan() == "aes256gcm16-prfsha256-modp2048"
