"""Any reasonable variant of the reference renders for IOS-XE and Junos, and says what the variant says."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridnet.model.gateways import DH_GROUPS, IKE_ENCRYPTIONS, PFS_GROUPS
from hybridnet.render import cisco_iosxe, junos
from tests.conftest import reference_document, topology_from

ESP_ENCRYPTIONS = ("GCMAES256", "GCMAES192", "GCMAES128", "AES256", "AES192", "AES128", "DES3", "DES")


@st.composite
def variants(draw: st.DrawFn) -> dict[str, Any]:
    document = reference_document()
    vpn = document["gateways"][1]
    if not draw(st.booleans()):
        vpn["active_active"] = False
        vpn["instances"] = vpn["instances"][:1]
    if draw(st.booleans()):
        vpn.pop("bgp")
        document["local_network_gateways"][0].pop("bgp")
        next(c for c in document["connections"] if c["type"] == "IPsec")["enable_bgp"] = False
    ipsec = next(c for c in document["connections"] if c["type"] == "IPsec")
    ipsec["tcp_mss_clamp"] = draw(st.one_of(st.none(), st.integers(500, 1460)))
    ipsec["tunnel_mtu"] = draw(st.integers(576, 1500))
    if draw(st.booleans()):  # a policy Azure accepts: GCM integrity only with the same GCM cipher
        ike = draw(st.sampled_from(IKE_ENCRYPTIONS))
        esp = draw(st.sampled_from(ESP_ENCRYPTIONS))
        ipsec["ipsec_policy"] = {
            "ike_encryption": ike,
            "ike_integrity": ike if ike.startswith("GCM") else draw(st.sampled_from(("SHA384", "SHA256", "SHA1"))),
            "dh_group": draw(st.sampled_from(DH_GROUPS)),
            "ipsec_encryption": esp,
            "ipsec_integrity": esp if esp.startswith("GCM") else draw(st.sampled_from(("SHA256", "SHA1", "MD5"))),
            "pfs_group": draw(st.sampled_from(PFS_GROUPS)),
        }
    for router in document["onprem"]["edge_routers"]:
        router["local_preference"] = draw(st.integers(101, 1000))
        router["as_path_prepend"] = draw(st.integers(0, 3))
    document["onprem"]["vpn_appliance"]["as_path_prepend"] = draw(st.integers(0, 3))
    document["circuit"]["private_peering"]["bfd"] = {
        "enabled": draw(st.booleans()),
        "interval_ms": draw(st.integers(50, 1000)),
        "multiplier": 3,
    }
    return document


@settings(max_examples=30, deadline=None)
@given(variants())
def test_any_variant_renders_for_both_vendors_and_keeps_its_settings(document: dict[str, Any]) -> None:
    topology = topology_from(document)
    ios, jun = cisco_iosxe.render_onprem(topology), junos.render_onprem(topology)
    connection = topology.vpn_connection
    ce = topology.onprem.edge_routers[0]
    assert f" set local-preference {ce.local_preference}" in ios["onprem-ce1/ios-xe.cfg"]
    assert f"local-preference {ce.local_preference};" in jun["onprem-ce1/junos.conf"]
    bfd = topology.circuit.private_peering.bfd
    assert (" fall-over bfd" in ios["onprem-ce1/ios-xe.cfg"]) is bfd.enabled
    assert ("bfd-liveness-detection" in jun["onprem-ce1/junos.conf"]) is bfd.enabled
    tunnels = len(topology.vpn_gateway.instances)
    assert ios["onprem-vpn/ios-xe.cfg"].count("tunnel protection ipsec profile") == tunnels
    assert jun["onprem-vpn/junos.conf"].count("bind-interface st0.") == tunnels
    clamp = connection.tcp_mss_clamp
    assert (f" ip tcp adjust-mss {clamp}" in ios["onprem-vpn/ios-xe.cfg"]) is (clamp is not None)
    assert (f"mss {clamp};" in jun["onprem-vpn/junos.conf"]) is (clamp is not None)
    bgp = topology.vpn_gateway.bgp is not None and connection.enable_bgp
    assert ("remote-as 65515" in ios["onprem-vpn/ios-xe.cfg"]) is bgp
    assert ("group azure-vpn" in jun["onprem-vpn/junos.conf"]) is bgp
    for text in (*ios.values(), *jun.values()):
        assert "None" not in text and "{{" not in text
