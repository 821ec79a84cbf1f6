"""Import from an export of deployed resources, and the gateway verdicts PSRule for Azure gives on them.

The fixture is one ``az resource list``-style export of a subscription with five hubs, one per gateway SKU
family (legacy Standard, Basic, HighPerformance, VpnGw generation, AZ). The expected verdicts below are
written from PSRule's rule conditions (Azure.VNG.Rule.yaml/.ps1), not computed by hybridnet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridnet.importer import import_files
from hybridnet.model import TopologyError
from hybridnet.rules import check

EXPORT = Path(__file__).parent / "fixtures" / "import" / "exported-gateways.json"

PSRULE_GATEWAY_RULES = (
    "Azure.VNG.VPNLegacySKU",
    "Azure.VNG.VPNActiveActive",
    "Azure.VNG.ERLegacySKU",
    "Azure.VNG.VPNAvailabilityZoneSKU",
    "Azure.VNG.ERAvailabilityZoneSKU",
)

# resource group -> (ER SKU, VPN SKU, the PSRule gateway rules that fail)
EXPECTED = {
    "rg-hub-legacy": (
        "Standard",
        "Standard",
        {
            "Azure.VNG.VPNLegacySKU",
            "Azure.VNG.VPNActiveActive",
            "Azure.VNG.VPNAvailabilityZoneSKU",
            "Azure.VNG.ERAvailabilityZoneSKU",
        },
    ),
    "rg-hub-basic": ("Basic", "Basic", set(PSRULE_GATEWAY_RULES)),
    "rg-hub-highperf": (
        "HighPerformance",
        "HighPerformance",
        {"Azure.VNG.VPNLegacySKU", "Azure.VNG.VPNAvailabilityZoneSKU", "Azure.VNG.ERAvailabilityZoneSKU"},
    ),
    "rg-hub-vpngw": (
        "UltraPerformance",
        "VpnGw2",
        {"Azure.VNG.VPNAvailabilityZoneSKU", "Azure.VNG.ERAvailabilityZoneSKU"},
    ),
    "rg-hub-az": ("ErGw2AZ", "VpnGw3AZ", set()),
}


@pytest.mark.parametrize("group", sorted(EXPECTED))
def test_check_gives_psrules_gateway_verdicts_after_import(group: str) -> None:
    er_sku, vpn_sku, failing = EXPECTED[group]
    topology = import_files([EXPORT], resource_group=group).topology
    assert (topology.er_gateway.sku, topology.vpn_gateway.sku) == (er_sku, vpn_sku)
    found = {f.psrule for f in check(topology) if f.psrule in PSRULE_GATEWAY_RULES}
    assert found == failing


def test_export_details_map_onto_the_model() -> None:
    topology = import_files([EXPORT], resource_group="rg-hub-az").topology
    vpn = topology.vpn_gateway
    assert [str(i.public_ip.address) for i in vpn.instances] == ["52.174.50.11", "52.174.50.12"]
    assert [str(i.bgp_address) for i in vpn.instances] == ["10.50.255.196", "10.50.255.197"]
    assert vpn.instances[0].public_ip.sku == "Standard" and vpn.generation == "Generation2"
    assert str(topology.vnet.gateway_subnet.prefix) == "10.50.255.192/26"
    assert topology.vnet.subnet("snet-app").nsg == "nsg-app-az"
    assert [r.name for r in topology.nsg("nsg-app-az").rules] == ["allow-https-onprem"], "default rules stay implicit"
    assert (topology.circuit.sku_name, topology.circuit.private_peering.vlan_id) == (
        "Standard_MeteredData",
        100,
    )
    assert topology.resource_group == "rg-hub-az" and topology.location == "westeurope"


def test_legacy_hub_keeps_its_static_vpn_and_basic_dynamic_addresses() -> None:
    topology = import_files([EXPORT], resource_group="rg-hub-legacy").topology
    vpn = topology.vpn_gateway
    assert vpn.bgp is None and vpn.active_active is False
    assert (vpn.instances[0].public_ip.sku, vpn.instances[0].public_ip.allocation) == ("Basic", "Dynamic")
    assert topology.vpn_connection.enable_bgp is False
    assert [str(p) for p in topology.onprem.address_space] == ["192.168.0.0/16"]


def test_basic_hub_keeps_policy_based_ikev1() -> None:
    topology = import_files([EXPORT], resource_group="rg-hub-basic").topology
    assert topology.vpn_gateway.vpn_type == "PolicyBased"
    assert topology.vpn_connection.connection_protocol == "IKEv1"


def test_bgp_peer_host_route_in_the_lng_is_not_taken_for_onprem_space() -> None:
    result = import_files([EXPORT], resource_group="rg-hub-highperf")
    assert [str(p) for p in result.topology.onprem.address_space] == ["192.168.0.0/16"]
    assert any(a.field == "onprem.address_space" for a in result.report.assumptions)


def test_circuit_in_another_group_becomes_a_reported_placeholder() -> None:
    result = import_files([EXPORT], resource_group="rg-hub-vpngw")
    assert result.topology.circuit.name == "erc-vpngw"
    assert any(a.field == "circuit" and "placeholders" in a.message for a in result.report.assumptions)


def test_resources_the_model_does_not_hold_are_reported_not_dropped_silently() -> None:
    report = import_files([EXPORT], resource_group="rg-hub-az").report
    unmapped = {u.what: u.reason for u in report.unmapped}
    assert "VMs are not modelled" in unmapped["Microsoft.Compute/virtualMachines vm-jump-01"]
    assert "NICs are not modelled" in unmapped["Microsoft.Network/networkInterfaces nic-vm-jump-01"]
    assert "Microsoft.Network/networkWatchers NetworkWatcher_westeurope" in unmapped


def test_a_subscription_wide_export_needs_a_resource_group() -> None:
    with pytest.raises(TopologyError, match="spans 6 resource groups") as error:
        import_files([EXPORT])
    assert "--resource-group" in (error.value.fix or "")
    with pytest.raises(TopologyError, match="no resource of resource group 'rg-nope'"):
        import_files([EXPORT], resource_group="rg-nope")


def _powershell_shape(entry: dict[str, Any]) -> dict[str, Any]:
    """What `Get-AzResource -ExpandProperties | ConvertTo-Json -Depth 100` writes for the same resource."""
    shaped = {
        "Name": entry["name"],
        "ResourceGroupName": entry["resourceGroup"],
        "ResourceType": entry["type"],
        "Location": entry["location"],
        "ResourceId": entry["id"],
        "Properties": entry["properties"],
    }
    if "sku" in entry:
        shaped["Sku"] = {key[0].upper() + key[1:]: value for key, value in entry["sku"].items()}
    return shaped


def test_get_azresource_output_imports_like_the_az_cli_output(tmp_path: Path) -> None:
    entries = [e for e in json.loads(EXPORT.read_text()) if e["resourceGroup"] == "rg-hub-highperf"]
    path = tmp_path / "get-azresource.json"
    path.write_text(json.dumps([_powershell_shape(e) for e in entries]))
    from_powershell = import_files([path]).topology
    from_cli = import_files([EXPORT], resource_group="rg-hub-highperf").topology
    assert from_powershell.model_dump() == from_cli.model_dump()


def test_truncated_powershell_output_says_how_to_export_again(tmp_path: Path) -> None:
    entry = next(e for e in json.loads(EXPORT.read_text()) if e["type"].endswith("virtualNetworkGateways"))
    shaped = _powershell_shape(entry)
    shaped["Properties"]["ipConfigurations"] = ["System.Collections.Hashtable"]
    path = tmp_path / "shallow.json"
    path.write_text(json.dumps([shaped]))
    with pytest.raises(TopologyError, match="truncated") as error:
        import_files([path])
    assert "-Depth 100" in (error.value.fix or "")


def test_default_rendered_template_passes_every_psrule_gateway_rule(tmp_path: Path) -> None:
    from hybridnet.model import default_topology
    from hybridnet.render.arm import render_arm

    topology = import_files(render_arm(default_topology()).write(tmp_path)).topology
    assert {f.psrule for f in check(topology)} & set(PSRULE_GATEWAY_RULES) == set()


def test_resources_of_an_unexpected_shape_are_reported_not_a_traceback() -> None:
    result = import_files([EXPORT.parent / "odd-shapes.json"])
    unmapped = {u.what: u.reason for u in result.report.unmapped}
    assert unmapped["Microsoft.Network/virtualNetworkGateways g"].startswith("unexpected shape")
    assert unmapped["Microsoft.Network/loadBalancers lb"].startswith("unexpected shape")
    assert result.topology.vnet.name == "v" and result.topology.gateways == ()


def test_a_value_the_model_rejects_names_the_field(tmp_path: Path) -> None:
    entries = json.loads((EXPORT.parent / "odd-shapes.json").read_text())
    entries.append(
        {
            "name": "lgw",
            "type": "Microsoft.Network/localNetworkGateways",
            "properties": {
                "gatewayIpAddress": "999.1.1.1",
                "localNetworkAddressSpace": {"addressPrefixes": []},
            },
        }
    )
    path = tmp_path / "bad-ip.json"
    path.write_text(json.dumps(entries))
    with pytest.raises(TopologyError) as error:
        import_files([path])
    assert "local_network_gateways.0.gateway_ip" in str(error.value)


def test_an_az_resource_list_without_properties_says_how_to_export(tmp_path: Path) -> None:
    entries = [{k: v for k, v in e.items() if k != "properties"} for e in json.loads(EXPORT.read_text())]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(entries))
    with pytest.raises(TopologyError, match="no resource properties") as error:
        import_files([path], resource_group="rg-hub-az")
    assert "az resource show --ids" in (error.value.fix or "")


def test_settings_the_model_has_no_place_for_are_named(tmp_path: Path) -> None:
    entries = [e for e in json.loads(EXPORT.read_text()) if e["resourceGroup"] == "rg-hub-az"]
    vpn = next(e for e in entries if e["name"] == "vpngw-az")
    vpn["properties"]["vpnClientConfiguration"] = {"vpnClientAddressPool": {"addressPrefixes": ["172.31.0.0/24"]}}
    circuit = next(e for e in entries if e["type"].endswith("expressRouteCircuits"))
    circuit["properties"]["authorizations"] = [{"name": "to-spoke-subscription"}]
    path = tmp_path / "extras.json"
    path.write_text(json.dumps(entries))
    unmapped = {u.what: u.reason for u in import_files([path]).report.unmapped}
    assert unmapped["Microsoft.Network/virtualNetworkGateways vpngw-az vpnClientConfiguration"] == (
        "point-to-site VPN is not modelled"
    )
    assert "circuit authorizations" in unmapped["Microsoft.Network/expressRouteCircuits erc-az authorizations"]
    assert not any("natRules" in what for what in unmapped), "an empty list is not a setting"


def test_a_resource_group_name_becomes_a_valid_topology_name(tmp_path: Path) -> None:
    entries = [e for e in json.loads(EXPORT.read_text()) if e["resourceGroup"] == "rg-hub-az"]
    for entry in entries:
        entry["resourceGroup"] = "rg (hub) az"
    path = tmp_path / "parens.json"
    path.write_text(json.dumps(entries))
    topology = import_files([path]).topology
    assert (topology.name, topology.resource_group) == ("rg-hub-az", "rg (hub) az")


def test_an_az_group_export_template_imports_like_the_resource_export() -> None:
    """`az group export` writes names as parameters, ids as resourceId() and children as resources of
    their own; the same hub read either way is the same topology."""
    exported_template = EXPORT.parent / "group-export-hub-az.json"
    from_template = import_files([exported_template], resource_group="rg-hub-az").topology
    from_export = import_files([EXPORT], resource_group="rg-hub-az").topology
    assert from_template.model_dump() == from_export.model_dump()
