"""`render device` on estates: every device of every site, per role, for the four vendors.

Goldens (``golden/render/estate/<example>/<vendor>/<site>/<device>.*``) hold the reviewed output for
sites.yaml and two-circuits.yaml; the property checks say what must hold for any estate: every device
gets a config, the BGP knobs appear where set, a firewall that is also the VPN end carries both its IPsec
and its stateful rules, and an edge peers only with its own circuit's MSEE addresses.
HYBRIDNET_UPDATE_GOLDEN=1 rewrites the goldens (review the diff before committing).
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from hybridnet.model import load, loads
from hybridnet.render import cisco_iosxe, frr, junos, strongswan
from hybridnet.render.estate_plan import plan_estate
from tests.unit.conftest import assert_golden

REPO = Path(__file__).resolve().parents[2]
ESTATES = REPO / "examples" / "estates"
VENDORS = {"frr": frr, "strongswan": strongswan, "cisco-iosxe": cisco_iosxe, "junos": junos}
SUFFIX = {"frr": "frr.conf", "cisco-iosxe": "ios-xe.cfg", "junos": "junos.conf"}
ROUTERS = ("frr", "cisco-iosxe", "junos")


def _render(example: str, vendor: str) -> dict[str, str]:
    return VENDORS[vendor].render_estate(load(ESTATES / f"{example}.yaml"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("example", ["sites", "two-circuits"])
@pytest.mark.parametrize("vendor", list(VENDORS))
def test_estate_configs_match_their_golden_files(example: str, vendor: str) -> None:
    files = _render(example, vendor)
    assert files
    for name, text in sorted(files.items()):
        assert_golden(f"render/estate/{example}/{vendor}/{name}", text)
    golden = REPO / "tests" / "unit" / "golden" / "render" / "estate" / example / vendor
    assert {str(p.relative_to(golden)) for p in golden.rglob("*") if p.is_file()} == set(files)


@pytest.mark.parametrize("example", ["sites", "two-circuits"])
@pytest.mark.parametrize("vendor", ROUTERS)
def test_every_device_of_every_site_gets_a_config(example: str, vendor: str) -> None:
    topology = load(ESTATES / f"{example}.yaml")
    files = _render(example, vendor)
    expected = {f"{s.name}/{d.name}.{SUFFIX[vendor]}" for s in topology.all_sites for d in s.devices}
    assert expected <= set(files)
    for site in topology.all_sites:
        for device in site.devices:
            text = files[f"{site.name}/{device.name}.{SUFFIX[vendor]}"]
            assert device.name in text and f"site {site.name}" in text


@pytest.mark.parametrize("example", ["sites", "two-circuits"])
def test_every_vpn_end_gets_its_own_ipsec_connection(example: str) -> None:
    topology = load(ESTATES / f"{example}.yaml")
    files = _render(example, "strongswan")
    for site in topology.all_sites:
        for device in site.with_role("vpn"):
            assert device.vpn is not None
            swanctl = files[f"{site.name}/{device.name}.swanctl.conf"]
            assert f"local_addrs = {device.vpn.public_ip}" in swanctl
            connection = next(c for c in topology.ipsec_connections
                              if c.local_network_gateway == device.vpn.local_network_gateway)
            assert f"({connection.name}," in swanctl
            assert connection.shared_key.describe().replace(" ", "-") in swanctl
            assert f"{site.name}/{device.name}.tunnel.sh" in files


def _edges(example: str):  # type: ignore[no-untyped-def]
    topology = load(ESTATES / f"{example}.yaml")
    for site in topology.all_sites:
        for device in site.with_role("edge"):
            assert device.edge is not None
            yield topology, site, device


@pytest.mark.parametrize("example", ["sites", "two-circuits"])
@pytest.mark.parametrize("vendor", ROUTERS)
def test_edges_peer_only_with_their_own_circuits_msee(example: str, vendor: str) -> None:
    files = _render(example, vendor)
    for topology, site, device in _edges(example):
        circuit = topology.find_circuit(device.edge.circuit)
        peering = circuit.private_peering
        own = peering.microsoft_address(device.edge.link)
        msees = {c.private_peering.microsoft_address(link) for c in topology.all_circuits
                 for link in ("primary", "secondary") if c.private_peering is not None}
        text = files[f"{site.name}/{device.name}.{SUFFIX[vendor]}"]
        addresses = {IPv4Address(a) for a in re.findall(r"\b(?:\d{1,3}\.){3}\d{1,3}\b", text)}
        assert own in addresses
        assert addresses & msees == {own}, (device.name, addresses & msees)
        customer = peering.customer_address(device.edge.link)
        assert customer in addresses


@pytest.mark.parametrize("vendor", ROUTERS)
def test_prepend_and_local_preference_appear_where_set(vendor: str) -> None:
    files = _render("two-circuits", vendor)
    prepend = {"frr": "set as-path prepend 65010 65010", "cisco-iosxe": "set as-path prepend 65010 65010",
               "junos": 'as-path-prepend "65010 65010"'}[vendor]
    local_pref = {"frr": "set local-preference {}", "cisco-iosxe": "set local-preference {}",
                  "junos": "local-preference {};"}[vendor]
    for name in ("hq-ce3", "hq-ce4"):
        assert prepend in files[f"hq/{name}.{SUFFIX[vendor]}"]
        assert local_pref.format(150) in files[f"hq/{name}.{SUFFIX[vendor]}"]
    for name in ("hq-ce1", "hq-ce2", "hq-vpn", "hq-core"):
        assert "prepend" not in files[f"hq/{name}.{SUFFIX[vendor]}"]
    for name in ("hq-ce1", "hq-ce2"):
        assert local_pref.format(200) in files[f"hq/{name}.{SUFFIX[vendor]}"]


@pytest.mark.parametrize("vendor", ROUTERS)
def test_med_appears_where_set_and_nowhere_else(vendor: str) -> None:
    text = (ESTATES / "two-circuits.yaml").read_text(encoding="utf-8")
    text = text.replace("edge: {circuit: la-erc, link: primary, local_preference: 150, as_path_prepend: 2}",
                        "edge: {circuit: la-erc, link: primary, local_preference: 150, as_path_prepend: 2, med: 70}")
    text = text.replace("local_preference: 100  # the VPN is the last resort",
                        "local_preference: 100\n          med: 90")
    files = VENDORS[vendor].render_estate(loads(text))
    med = {"frr": "set metric {}", "cisco-iosxe": "set metric {}", "junos": "metric {};"}[vendor]
    assert med.format(70) in files[f"hq/hq-ce3.{SUFFIX[vendor]}"]
    assert med.format(90) in files[f"hq/hq-vpn.{SUFFIX[vendor]}"]
    for name in ("hq-ce1", "hq-ce2", "hq-ce4", "hq-core"):
        assert "metric" not in files[f"hq/{name}.{SUFFIX[vendor]}"]


def test_a_firewall_that_is_the_vpn_end_carries_ipsec_and_stateful_rules() -> None:
    frr_files, swan = _render("sites", "frr"), _render("sites", "strongswan")
    nft = frr_files["hq/hq-fw.nftables.conf"]
    assert "ct state established,related accept" in nft and "ct state invalid drop" in nft
    assert "policy drop" in nft and '"ipsec0"' in nft and 'udp dport { 500, 4500 }' in nft
    assert "connections {" in swan["hq/hq-fw.swanctl.conf"]
    assert "maxseg size set 1350" in swan["hq/hq-fw.tunnel.sh"]
    assert "neighbor 169.254.21.1 remote-as 65515" in frr_files["hq/hq-fw.frr.conf"]
    assert not any(name.endswith("nftables.conf") and "hq-fw" not in name for name in frr_files)
    ios = _render("sites", "cisco-iosxe")["hq/hq-fw.ios-xe.cfg"]
    for needle in ("crypto ikev2 profile", "tunnel protection ipsec profile", "zone-pair security",
                   "policy-map type inspect", "  inspect", "zone-member security OUTSIDE", "ip tcp adjust-mss 1350"):
        assert needle in ios, needle
    junos_text = _render("sites", "junos")["hq/hq-fw.junos.conf"]
    for needle in ("security {", "ike {", "ipsec {", "bind-interface st0.0", "from-zone trust to-zone azure",
                   "source-address INBOUND-SOURCES", "mss 1350"):
        assert needle in junos_text, needle
    # a device that is no firewall gets no stateful rules
    assert "zone-pair" not in _render("sites", "cisco-iosxe")["dc2/dc2-core.ios-xe.cfg"]


@pytest.mark.parametrize("example", ["sites", "two-circuits"])
def test_ibgp_is_a_full_mesh_between_loopbacks_reachable_by_static_routes(example: str) -> None:
    topology = load(ESTATES / f"{example}.yaml")
    plans = plan_estate(topology)
    for site in topology.all_sites:
        speakers = {p.name: p for p in plans if p.site == site.name and p.speaks_bgp}
        sessions = {frozenset((p.name, peer.name)) for p in speakers.values() for peer in p.ibgp}
        assert sessions == {frozenset(pair) for pair in site.ibgp_sessions()}
        for plan in speakers.values():
            routed = {r.prefix.network_address for r in plan.statics}
            assert {peer.address for peer in plan.ibgp} <= routed


def test_the_reference_topology_renders_as_before_through_the_legacy_path() -> None:
    from hybridnet.model import default_topology

    assert "onprem-core/frr.conf" in frr.render_onprem(default_topology())
    # the converted legacy site renders through the estate path too (when a topology also has sites)
    plans = plan_estate(default_topology())
    assert {p.name for p in plans} == {"onprem-core", "onprem-ce1", "onprem-ce2", "onprem-vpn"}


def test_with_key_writes_each_vpn_end_its_own_connections_key_0600(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hybridnet.cli import app

    keys = {"HYBRIDNET_VPN_SHARED_KEY": "hq-key-1", "HYBRIDNET_BRANCH1_KEY": "b1-key-2",
            "HYBRIDNET_BRANCH2_KEY": "b2-key-3"}
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["render", "device", "--vendor", "strongswan", str(ESTATES / "sites.yaml"),
                                      "-o", str(out), "--with-key"])
    assert result.exit_code == 0, result.output
    for device, key in (("hq/hq-fw", "hq-key-1"), ("branch1/branch1-rtr", "b1-key-2"),
                        ("branch2/branch2-rtr", "b2-key-3")):
        path = out / f"{device}.swanctl.conf"
        assert f'secret = "{key}"' in path.read_text(encoding="utf-8")
        assert path.stat().st_mode & 0o777 == 0o600
        assert sum(k in path.read_text(encoding="utf-8") for k in keys.values()) == 1


def test_the_tunnels_of_a_hub_with_spokes_carry_the_spokes_that_use_its_gateways() -> None:
    files = strongswan.render_onprem(load(ESTATES / "hub-spoke.yaml"))
    assert "remote_ts = 169.254.21.1/32,10.0.0.0/16,10.1.0.0/16,10.2.0.0/16,172.20.0.0/24" in files[
        "onprem-vpn/swanctl.conf"]
