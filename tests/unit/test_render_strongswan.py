"""strongSwan for the VPN appliance: Azure's proposals, DPD, MSS clamp, and no key unless given."""

from __future__ import annotations

from hybridnet.model import Topology
from hybridnet.render.strongswan import AZURE_ESP_PROPOSALS, AZURE_IKE_PROPOSALS, render_onprem
from tests.conftest import reference_document, topology_from


def test_default_proposals_are_azures(reference: Topology) -> None:
    text = render_onprem(reference)["onprem-vpn/swanctl.conf"]
    assert f"proposals = {','.join(AZURE_IKE_PROPOSALS)}" in text
    assert f"esp_proposals = {','.join(AZURE_ESP_PROPOSALS)}" in text
    assert "version = 2" in text and "dpd_delay = 15s" in text


def test_without_a_key_the_secret_is_a_placeholder_naming_its_source(reference: Topology) -> None:
    text = render_onprem(reference)["onprem-vpn/swanctl.conf"]
    assert "HYBRIDNET_VPN_SHARED_KEY" in text
    assert 'secret = "REPLACE' in text


def test_with_a_key_it_is_written_into_the_secrets(reference: Topology) -> None:
    text = render_onprem(reference, shared_key="abc123XYZ")["onprem-vpn/swanctl.conf"]
    assert text.count('secret = "abc123XYZ"') == 2


def test_active_active_tunnels_have_distinct_selectors(reference: Topology) -> None:
    text = render_onprem(reference)["onprem-vpn/swanctl.conf"]
    assert "remote_ts = 169.254.21.1/32,10.0.0.0/16" in text
    assert "remote_ts = 169.254.22.1/32,10.0.0.0/16" in text
    assert "remote_addrs = 198.51.100.10" in text and "remote_addrs = 198.51.100.11" in text


def test_tunnel_script_clamps_mss_and_pins_the_endpoints_to_the_internet(reference: Topology) -> None:
    script = render_onprem(reference)["onprem-vpn/tunnel.sh"]
    assert "maxseg size set 1350" in script
    assert 'ip route replace 198.51.100.10/32 via "$WAN_GW" dev "$WAN_IF"' in script
    assert "mtu 1400" in script


def test_custom_policy_replaces_the_defaults() -> None:
    document = reference_document()
    document["connections"][1]["ipsec_policy"] = {
        "ike_encryption": "AES256", "ike_integrity": "SHA256", "dh_group": "DHGroup14",
        "ipsec_encryption": "GCMAES256", "ipsec_integrity": "GCMAES256", "pfs_group": "PFS2048",
        "sa_lifetime_s": 3600}
    text = render_onprem(topology_from(document))["onprem-vpn/swanctl.conf"]
    assert "proposals = aes256-sha256-modp2048" in text
    assert "esp_proposals = aes256gcm16-modp2048" in text
    assert "life_time = 3600s" in text
