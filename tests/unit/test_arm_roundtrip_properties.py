"""For any reasonable variant of the reference, the template validates and import gives it back."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridnet.importer import azure_side, import_files
from hybridnet.model.gateways import ER_GATEWAY_SKUS, VPN_GATEWAY_SKUS
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
