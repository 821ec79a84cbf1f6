"""What the IOS-XE and Junos configs must say, whatever their layout: the guidance, line by line."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import TopologyError, default_topology, load
from hybridnet.render import cisco_iosxe, junos
from tests.conftest import reference_document, topology_from

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.fixture(scope="module")
def ios() -> dict[str, str]:
    return cisco_iosxe.render_onprem(default_topology())


@pytest.fixture(scope="module")
def jun() -> dict[str, str]:
    return junos.render_onprem(default_topology())


def test_edge_routers_peer_with_the_msee_on_their_30_with_bfd_and_prefer_expressroute(
    ios: dict[str, str], jun: dict[str, str]
) -> None:
    ce1, ce2 = ios["onprem-ce1/ios-xe.cfg"], ios["onprem-ce2/ios-xe.cfg"]
    assert " ip address 172.16.0.1 255.255.255.252" in ce1 and " encapsulation dot1Q 300" in ce1
    assert " neighbor 172.16.0.2 remote-as 12076" in ce1 and " neighbor 172.16.0.2 fall-over bfd" in ce1
    assert " bfd interval 300 min_rx 300 multiplier 3" in ce1
    assert " set local-preference 150" in ce1 and " neighbor 172.16.0.2 route-map EXPRESSROUTE-IN in" in ce1
    assert " neighbor 172.16.0.6 remote-as 12076" in ce2 and " ip address 172.16.0.5 255.255.255.252" in ce2
    assert " network 192.168.0.0 mask 255.255.0.0" in ce1
    jce1 = jun["onprem-ce1/junos.conf"]
    assert "address 172.16.0.1/30;" in jce1 and "vlan-id 300;" in jce1
    assert "peer-as 12076;" in jce1 and "neighbor 172.16.0.2 {" in jce1
    assert "bfd-liveness-detection {\n                minimum-interval 300;\n                multiplier 3;" in jce1
    assert "local-preference 150;" in jce1 and "import EXPRESSROUTE-IN;" in jce1


def test_vpn_appliance_runs_ikev2_route_based_tunnels_with_bgp_mss_clamp_and_endpoint_routes(
    ios: dict[str, str], jun: dict[str, str]
) -> None:
    vpn = ios["onprem-vpn/ios-xe.cfg"]
    for index, (azure_ip, apipa, local) in enumerate(
        (("198.51.100.10", "169.254.21.1", "169.254.21.2"), ("198.51.100.11", "169.254.22.1", "169.254.22.2"))
    ):
        assert f"interface Tunnel{index}\n" in vpn
        assert f" tunnel destination {azure_ip}" in vpn
        assert f"ip route {azure_ip} 255.255.255.255 GigabitEthernet1 WAN-NEXT-HOP" in vpn
        assert f" neighbor {apipa} remote-as 65515" in vpn and f" ip address {local} 255.255.255.255" in vpn
    assert vpn.count(" tunnel protection ipsec profile AZURE-IPSEC") == 2
    assert vpn.count(" ip tcp adjust-mss 1350") == 2 and vpn.count(" ip mtu 1400") == 2
    assert "crypto ikev2 proposal AZURE-PROPOSAL" in vpn and "crypto ikev2 keyring AZURE-KEYRING" in vpn
    assert " dpd 15 5 periodic" in vpn and " set local-preference 100" in vpn
    jvpn = jun["onprem-vpn/junos.conf"]
    assert "version v2-only;" in jvpn and "bind-interface st0.1;" in jvpn
    assert "tcp-mss {\n            ipsec-vpn {\n                mss 1350;" in jvpn
    assert "route 198.51.100.10/32 next-hop WAN-NEXT-HOP;" in jvpn
    assert "peer-as 65515;" in jvpn and "local-address 169.254.22.2;" in jvpn
    assert "from-zone trust to-zone azure {" in jvpn and "from-zone azure to-zone trust {" in jvpn


def test_core_router_reflects_routes_between_the_edges_and_the_vpn_appliance(
    ios: dict[str, str], jun: dict[str, str]
) -> None:
    core = ios["onprem-core/ios-xe.cfg"]
    for device in ("100.64.0.2", "100.64.0.6", "100.64.0.10"):
        assert f"  neighbor {device} route-reflector-client" in core
    assert "  network 192.168.1.0 mask 255.255.255.0" in core
    jcore = jun["onprem-core/junos.conf"]
    assert "cluster 100.64.0.1;" in jcore and "neighbor 100.64.0.10 {" in jcore
    assert "prefix-list ONPREM-LANS {\n        192.168.1.0/24;" in jcore


def test_shared_key_is_a_placeholder_unless_given(ios: dict[str, str], jun: dict[str, str]) -> None:
    placeholder = "REPLACE-with-the-key-from-environment-variable-HYBRIDNET_VPN_SHARED_KEY"
    assert ios["onprem-vpn/ios-xe.cfg"].count(f"pre-shared-key {placeholder}") == 2
    assert f'pre-shared-key ascii-text "{placeholder}";' in jun["onprem-vpn/junos.conf"]
    keyed = cisco_iosxe.render_onprem(default_topology(), shared_key="s3cret.Key")["onprem-vpn/ios-xe.cfg"]
    assert "pre-shared-key s3cret.Key" in keyed and placeholder not in keyed
    with pytest.raises(TopologyError, match="quote"):
        junos.render_onprem(default_topology(), shared_key='bad"key')


def test_custom_ipsec_policy_replaces_azures_default_offers() -> None:
    document = reference_document()
    next(c for c in document["connections"] if c["type"] == "IPsec")["ipsec_policy"] = {
        "ike_encryption": "GCMAES256",
        "ike_integrity": "GCMAES256",
        "dh_group": "ECP384",
        "ipsec_encryption": "AES256",
        "ipsec_integrity": "SHA256",
        "pfs_group": "PFS2048",
        "sa_lifetime_s": 3600,
        "sa_data_size_kb": 102400000,
    }
    topology = topology_from(document)
    vpn = cisco_iosxe.render_onprem(topology)["onprem-vpn/ios-xe.cfg"]
    assert " encryption aes-gcm-256\n prf sha256\n group 20\n" in vpn
    assert "crypto ipsec transform-set AZURE-TRANSFORM esp-aes 256 esp-sha256-hmac" in vpn
    assert " set pfs group14" in vpn and " set security-association lifetime seconds 3600" in vpn
    jvpn = junos.render_onprem(topology)["onprem-vpn/junos.conf"]
    assert "dh-group group20;" in jvpn and "encryption-algorithm aes-256-gcm;" in jvpn
    assert "authentication-algorithm hmac-sha-256-128;" in jvpn and "keys group14;" in jvpn


def test_as_path_prepend_and_md5_key_are_rendered() -> None:
    document = reference_document()
    document["onprem"]["vpn_appliance"]["as_path_prepend"] = 2
    document["circuit"]["private_peering"]["md5_key"] = {"env": "PEERING_MD5"}
    topology = topology_from(document)
    ios = cisco_iosxe.render_onprem(topology)
    assert " set as-path prepend 65010 65010" in ios["onprem-vpn/ios-xe.cfg"]
    assert "password REPLACE-with-the-key-from-environment-variable-PEERING_MD5" in ios["onprem-ce1/ios-xe.cfg"]
    assert 'as-path-prepend "65010 65010";' in junos.render_onprem(topology)["onprem-vpn/junos.conf"]


def test_a_vpn_gateway_without_a_known_public_ip_is_a_clear_error() -> None:
    legacy = load(EXAMPLES / "ra-2016.yaml")
    with pytest.raises(TopologyError, match="no public IP address") as error:
        cisco_iosxe.render_onprem(legacy)
    assert error.value.field.endswith("public_ip.address")


def test_render_device_cli_writes_files_and_keeps_keys_out_of_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["render", "device", "--vendor", "junos", "-o", str(tmp_path / "plain")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plain" / "onprem-vpn" / "junos.conf").is_file()
    result = runner.invoke(app, ["render", "device", "--vendor", "cisco-iosxe", "--with-key"])
    assert result.exit_code == 2 and "-o DIR" in result.output
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", "from.the.env")
    result = runner.invoke(
        app, ["render", "device", "--vendor", "cisco-iosxe", "--with-key", "-o", str(tmp_path / "keyed")]
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / "keyed" / "onprem-vpn" / "ios-xe.cfg"
    assert "pre-shared-key from.the.env" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "from.the.env" not in result.output


def test_render_device_cli_to_stdout_and_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "device", "--vendor", "frr"])
    assert result.exit_code == 0 and "# ===== onprem-ce1/frr.conf =====" in result.output
    result = runner.invoke(app, ["render", "device", "--vendor", "cisco-iosxe", str(EXAMPLES / "ra-2016.yaml")])
    assert result.exit_code == 2 and "no public IP address" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["render", "device", "--vendor", "nokia"])
    assert result.exit_code == 2


def test_the_wan_next_hop_replaces_the_placeholder_where_the_vendor_needs_it() -> None:
    result = runner.invoke(app, ["render", "device", "--vendor", "junos", "--wan-next-hop", "40.50.60.1"])
    assert result.exit_code == 0
    assert "route 198.51.100.10/32 next-hop 40.50.60.1;" in result.output and "WAN-NEXT-HOP" not in result.output
    result = runner.invoke(app, ["render", "device", "--vendor", "strongswan", "--wan-next-hop", "40.50.60.1"])
    assert result.exit_code == 2 and "WAN_GW" in result.output


@pytest.mark.parametrize("renderer", [cisco_iosxe.render_onprem, junos.render_onprem], ids=["ios-xe", "junos"])
def test_a_gcm_integrity_with_a_cbc_cipher_is_refused_clearly(renderer: Any) -> None:
    document = reference_document()
    next(c for c in document["connections"] if c["type"] == "IPsec")["ipsec_policy"] = {
        "ike_encryption": "AES256",
        "ike_integrity": "SHA256",
        "dh_group": "DHGroup14",
        "ipsec_encryption": "AES256",
        "ipsec_integrity": "GCMAES256",
        "pfs_group": "None",
    }
    with pytest.raises(TopologyError, match="pairs ipsec_integrity GCMAES256 with encryption AES256"):
        renderer(topology_from(document))


def test_a_vendor_whose_renderer_is_not_installed_gets_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridnet.cli import render as render_cli

    monkeypatch.setitem(render_cli.RENDERERS, render_cli.Vendor.junos, "hybridnet.render.no_such_renderer")
    result = runner.invoke(app, ["render", "device", "--vendor", "junos"])
    assert result.exit_code == 2
    assert "junos renderer (hybridnet.render.no_such_renderer) is not part of this installation" in " ".join(
        result.output.split()
    )
