"""For any reasonable variant of the reference, the template validates and import gives it back."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridnet.importer import azure_side, import_files
from hybridnet.model.gateways import (
    DH_GROUPS,
    ER_GATEWAY_SKUS,
    IKE_ENCRYPTIONS,
    IKE_INTEGRITIES,
    IPSEC_ENCRYPTIONS,
    IPSEC_INTEGRITIES,
    PFS_GROUPS,
    VPN_GATEWAY_SKUS,
)
from hybridnet.render.arm import render_arm
from hybridnet.render.arm_schema import validate_parameters, validate_template
from tests.conftest import reference_document, topology_from


@st.composite
def variants(draw: st.DrawFn) -> dict[str, Any]:
    document = reference_document()
    er, vpn = document["gateways"]
    er["sku"] = draw(st.sampled_from(ER_GATEWAY_SKUS))
    vpn["sku"] = draw(st.sampled_from(VPN_GATEWAY_SKUS))
    vpn["generation"] = draw(st.sampled_from(["Generation1", "Generation2"]))
    if not draw(st.booleans()):  # active-standby: one instance
        vpn["active_active"] = False
        vpn["instances"] = vpn["instances"][:1]
    if draw(st.booleans()):  # static routing
        vpn.pop("bgp")
        document["local_network_gateways"][0].pop("bgp")
        document["local_network_gateways"][0]["address_prefixes"] = ["192.168.0.0/16"]
        next(c for c in document["connections"] if c["type"] == "IPsec")["enable_bgp"] = False
    document["circuit"]["sku_tier"] = draw(st.sampled_from(["Standard", "Premium", "Local"]))
    document["circuit"]["bandwidth_mbps"] = draw(st.sampled_from([50, 200, 1000, 10000]))
    document["circuit"]["private_peering"]["vlan_id"] = draw(st.integers(1, 4094))
    if draw(st.booleans()):
        document.pop("load_balancers")
    if draw(st.booleans()):
        next(c for c in document["connections"] if c["type"] == "IPsec")["ipsec_policy"] = {
            "ike_encryption": draw(st.sampled_from(IKE_ENCRYPTIONS)),
            "ike_integrity": draw(st.sampled_from(IKE_INTEGRITIES)),
            "dh_group": draw(st.sampled_from(DH_GROUPS)),
            "ipsec_encryption": draw(st.sampled_from(IPSEC_ENCRYPTIONS)),
            "ipsec_integrity": draw(st.sampled_from(IPSEC_INTEGRITIES)),
            "pfs_group": draw(st.sampled_from(PFS_GROUPS)),
            "sa_lifetime_s": draw(st.integers(300, 172799)),
            "sa_data_size_kb": draw(st.integers(1024, 2147483647)),
        }
    if draw(st.booleans()):
        document["circuit"]["microsoft_peering"] = {
            "peer_asn": 65010,
            "primary_prefix": "203.0.113.0/30",
            "secondary_prefix": "203.0.113.4/30",
            "vlan_id": 200,
            "advertised_public_prefixes": ["203.0.113.64/27"],
        }
    if draw(st.booleans()):
        document["vnet"]["dns_servers"] = ["10.0.2.4", "10.0.2.5"]
        document["route_tables"] = [
            {
                "name": "rt-app",
                "disable_bgp_route_propagation": draw(st.booleans()),
                "routes": [
                    {
                        "name": "default",
                        "prefix": "0.0.0.0/0",
                        "next_hop_type": "VirtualAppliance",
                        "next_hop_ip": "10.0.2.10",
                    }
                ],
            }
        ]
        document["vnet"]["subnets"][2]["route_table"] = "rt-app"
    for connection in document["connections"]:
        connection["routing_weight"] = draw(st.integers(0, 32000))
    return document


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_any_variant_validates_and_round_trips(document: dict[str, Any]) -> None:
    topology = topology_from(document)
    deployment = render_arm(topology)
    assert validate_template(deployment.template) == []
    assert validate_parameters(deployment.parameters) == []
    with tempfile.TemporaryDirectory() as directory:
        imported = import_files(deployment.write(Path(directory))).topology
    assert azure_side(imported) == azure_side(topology)
