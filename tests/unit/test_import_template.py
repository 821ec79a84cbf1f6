"""Import from ARM templates: render -> import round-trips, and templates written the usual way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridnet.importer import NOT_CARRIED_BY_AZURE, azure_side, import_files
from hybridnet.importer.writer import topology_yaml
from hybridnet.model import Topology, TopologyError, default_topology, load, loads
from hybridnet.render.arm import render_arm
from tests.conftest import reference_document, topology_from

FIXTURES = Path(__file__).parent / "fixtures" / "import"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _rendered(topology: Topology, directory: Path) -> list[Path]:
    return render_arm(topology).write(directory)


def test_round_trip_keeps_everything_azure_carries(tmp_path: Path) -> None:
    """Equal topology, defined honestly: every field an Azure resource carries comes back exactly;
    the rest (NOT_CARRIED_BY_AZURE: on-prem devices, keys, MTU, timers, runtime addresses) is defaulted."""
    original = default_topology()
    imported = import_files(_rendered(original, tmp_path)).topology
    assert azure_side(imported) == azure_side(original)
    assert len(NOT_CARRIED_BY_AZURE) >= 5


def test_round_trip_with_the_onprem_file_gives_an_equal_topology(tmp_path: Path) -> None:
    original = default_topology()
    imported = import_files(_rendered(original, tmp_path), base=original).topology
    assert imported.model_dump() == original.model_dump()


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_round_trip_of_every_example(example: Path, tmp_path: Path) -> None:
    topology = load(example)
    files = _rendered(topology, tmp_path)
    assert azure_side(import_files(files).topology) == azure_side(topology)
    assert import_files(files, base=topology).topology.model_dump() == topology.model_dump()


def test_the_2016_example_keeps_its_legacy_skus(tmp_path: Path) -> None:
    imported = import_files(_rendered(load(EXAMPLES / "ra-2016.yaml"), tmp_path)).topology
    assert [g.sku for g in imported.gateways] == ["Standard", "Standard"]


def test_round_trip_of_a_variant_with_custom_policy_route_table_and_static_vpn(tmp_path: Path) -> None:
    document = reference_document()
    ipsec = next(c for c in document["connections"] if c["type"] == "IPsec")
    ipsec["ipsec_policy"] = {
        "ike_encryption": "GCMAES256",
        "ike_integrity": "GCMAES256",
        "dh_group": "ECP384",
        "ipsec_encryption": "GCMAES256",
        "ipsec_integrity": "GCMAES256",
        "pfs_group": "ECP384",
        "sa_lifetime_s": 3600,
        "sa_data_size_kb": 102400000,
    }
    document["route_tables"] = [
        {
            "name": "rt-web",
            "disable_bgp_route_propagation": False,
            "routes": [
                {
                    "name": "to-fw",
                    "prefix": "10.9.0.0/16",
                    "next_hop_type": "VirtualAppliance",
                    "next_hop_ip": "10.0.2.10",
                }
            ],
        }
    ]
    document["vnet"]["subnets"][1]["route_table"] = "rt-web"
    document["vnet"]["dns_servers"] = ["10.0.2.4", "10.0.2.5"]
    variant = topology_from(document)
    imported = import_files(_rendered(variant, tmp_path)).topology
    assert azure_side(imported) == azure_side(variant)


def test_written_yaml_loads_back_to_the_same_topology(tmp_path: Path) -> None:
    original = default_topology()
    result = import_files(_rendered(original, tmp_path), base=original)
    text = topology_yaml(result.topology, result.report)
    assert text.startswith("# hybridnet topology written by `hybridnet import`")
    assert loads(text).model_dump() == original.model_dump()


def test_an_inline_key_is_never_written(tmp_path: Path) -> None:
    legacy = load(EXAMPLES / "ra-2016.yaml")  # holds shared_key: {value: 123secret}
    result = import_files(_rendered(legacy, tmp_path), base=legacy)
    assert result.topology.vpn_connection.shared_key.is_inline  # in memory, from the user's own file
    text = topology_yaml(result.topology, result.report)
    assert "123secret" not in text and "HYBRIDNET_VPN_SHARED_KEY" in text


@pytest.fixture
def hub() -> tuple[Topology, list[str]]:
    result = import_files(
        [FIXTURES / "hub-template.json", FIXTURES / "hub-template.parameters.json"],
        resource_group="rg-fabrikam-hub",
    )
    return result.topology, result.report.lines()


def test_template_expressions_loops_and_conditions_are_evaluated(hub: tuple[Topology, list[str]]) -> None:
    topology, _ = hub
    assert topology.vnet.name == "fabrikam-hub-vnet"
    assert [(s.name, str(s.prefix)) for s in topology.vnet.subnets] == [
        ("GatewaySubnet", "10.60.255.224/27"),
        ("snet-web", "10.60.1.0/24"),
    ]
    vpn = topology.vpn_gateway
    assert (vpn.name, vpn.sku, vpn.generation, vpn.active_active) == (
        "fabrikam-vpngw",
        "VpnGw2AZ",
        "Generation2",
        True,
    )
    assert [i.public_ip.name for i in vpn.instances] == ["fabrikam-vpngw-pip1", "fabrikam-vpngw-pip2"]
    assert [str(i.apipa_addresses[0]) for i in vpn.instances] == ["169.254.21.1", "169.254.22.1"]
    assert topology.er_gateway.name == "fabrikam-ergw"
    assert topology.circuit.name == "fabrikam-erc" and topology.circuit.private_peering.vlan_id == 600
    assert topology.er_connection.routing_weight == 10
    assert topology.vpn_connection.dpd_timeout_s == 30 and topology.vpn_connection.enable_bgp is True
    lng = topology.local_network_gateways[0]
    assert (str(lng.gateway_ip), lng.bgp.asn) == ("203.0.113.20", 65030)
    assert topology.onprem.asn == 65030
    assert [str(p) for p in topology.onprem.address_space] == ["192.168.0.0/16", "172.20.0.0/16"]


def test_the_report_names_what_was_skipped_and_assumed(hub: tuple[Topology, list[str]]) -> None:
    _, lines = hub
    text = "\n".join(lines)
    assert "bastionHosts fabrikam-bastion: its condition is false" in text
    assert "linked template https://example.org/templates/monitoring.json is not fetched" in text
    assert "parameter vpnSharedKey: the parameters file holds this secure value in clear text" in text
    assert "onprem.edge_routers" in text
    assert "123secret" not in text


def test_a_missing_required_parameter_leaves_its_field_unknown_and_reported() -> None:
    """Without the parameters file the local network gateway is still imported; its address is
    reported as unknown, with the file and the resource, and how to supply it."""
    result = import_files([FIXTURES / "hub-template.json"])
    unknown = [u for u in result.report.unknown if "onPremGatewayAddress" in u.why]
    assert unknown and unknown[0].field == "properties.gatewayIpAddress"
    assert "localNetworkGateways" in unknown[0].resource and "hub-template.json" in unknown[0].origin
    assert result.topology.local_network_gateways[0].gateway_ip is None
    assert any(line.startswith("unknown ") and "hub-template.json" in line for line in result.report.lines())


def test_a_parameters_file_alone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="template before it"):
        import_files([FIXTURES / "hub-template.parameters.json"])


def test_inline_nested_deployment_is_evaluated_in_its_own_scope(tmp_path: Path) -> None:
    inner = render_arm(default_topology()).template
    outer = {
        "$schema": inner["$schema"],
        "contentVersion": "1.0.0.0",
        "parameters": {"key": {"type": "securestring"}},
        "resources": [
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "hub",
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"location": {"value": "northeurope"}},
                    "template": inner,
                },
            }
        ],
    }
    path = tmp_path / "outer.json"
    path.write_text(json.dumps(outer))
    imported = import_files([path]).topology
    assert azure_side(imported)["gateways"] == azure_side(default_topology())["gateways"]


def test_a_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "resources": [\n')
    with pytest.raises(TopologyError) as error:
        import_files([path])
    assert error.value.file == str(path) and "not JSON" in str(error.value)


def test_linked_templates_saved_beside_the_parent_are_imported_like_the_2016_reference() -> None:
    """The 2016 deployment links its building blocks and parameter files by URL; saved locally under the
    same names they are read (never fetched), and the result is the 2016 example's Azure side."""
    linked = FIXTURES / "ra-2016-linked"
    result = import_files(
        [
            linked / "azuredeploy.json",
            linked / "expressRouteCircuit.json",
            linked / "expressRouteCircuit.parameters.json",
        ],
        resource_group="ra-hybrid-vpn-er-rg",
    )
    expected = azure_side(load(EXAMPLES / "ra-2016.yaml"))
    imported = azure_side(result.topology)
    assert {k: v for k, v in imported.items() if k != "name"} == {k: v for k, v in expected.items() if k != "name"}
    assert "123secret" not in "\n".join(result.report.lines())


def test_a_linked_template_that_is_not_saved_locally_is_reported(tmp_path: Path) -> None:
    parent = json.loads((FIXTURES / "ra-2016-linked" / "azuredeploy.json").read_text())
    (tmp_path / "azuredeploy.json").write_text(json.dumps(parent))
    with pytest.raises(TopologyError, match="no virtual network") as error:
        import_files([tmp_path / "azuredeploy.json"])
    assert "vnet-n-subnet.json is not fetched; save it next to the template" in str(error.value)


def test_a_first_stage_deployment_imports_without_peering_and_says_so(tmp_path: Path) -> None:
    template, parameters = _rendered(default_topology(), tmp_path)
    document = json.loads(parameters.read_text())
    document["parameters"]["circuitProvisioned"] = {"value": False}
    parameters.write_text(json.dumps(document))
    result = import_files([template, parameters])
    assert result.topology.circuit.private_peering is None and result.topology.er_connection is None
    skipped = {u.what for u in result.report.unmapped}
    assert "Microsoft.Network/connections ra-hybrid-er-cn" in skipped


def test_child_resources_fold_into_their_parents(tmp_path: Path) -> None:
    """Templates often declare subnets, NSG rules and routes as child resources of their own."""
    template = render_arm(default_topology()).template
    resources = template["resources"]
    vnet = next(r for r in resources if r["type"] == "Microsoft.Network/virtualNetworks")
    nsg = next(r for r in resources if r["name"] == "web-nsg")
    for subnet in vnet["properties"].pop("subnets"):
        resources.append(
            {
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "apiVersion": "2023-09-01",
                "name": f"{vnet['name']}/{subnet['name']}",
                "properties": subnet["properties"],
            }
        )
    rules = nsg["properties"].pop("securityRules")
    nsg["resources"] = [
        {"type": "securityRules", "apiVersion": "2023-09-01", "name": rule["name"], "properties": rule["properties"]}
        for rule in rules
    ]
    path = tmp_path / "children.json"
    path.write_text(json.dumps(template))
    imported = import_files([path]).topology
    assert azure_side(imported) == azure_side(default_topology())


def test_apipa_addresses_survive_a_round_trip_without_bgp(tmp_path: Path) -> None:
    """Found by the property test: a static-routed gateway keeps its APIPA addresses in bgpSettings."""
    document = reference_document()
    document["gateways"][1].pop("bgp")
    document["local_network_gateways"][0].pop("bgp")
    document["local_network_gateways"][0]["address_prefixes"] = ["192.168.0.0/16"]
    next(c for c in document["connections"] if c["type"] == "IPsec")["enable_bgp"] = False
    variant = topology_from(document)
    imported = import_files(_rendered(variant, tmp_path)).topology
    assert azure_side(imported) == azure_side(variant)
    assert imported.vpn_gateway.bgp is None


def test_names_arm_would_misread_are_escaped_and_come_back_intact(tmp_path: Path) -> None:
    document = reference_document()
    # names keep Azure's character set (no '[' or quotes); free text may still start with '['
    document["nsgs"][0]["rules"][0]["source"] = "[not-an-expression]"
    document["nsgs"][0]["rules"][0]["destination"] = "[o'brien's] range"
    document["circuit"]["service_provider"] = "[Equinix] o'brien's"
    variant = topology_from(document)
    imported = import_files(_rendered(variant, tmp_path)).topology
    assert azure_side(imported) == azure_side(variant)
