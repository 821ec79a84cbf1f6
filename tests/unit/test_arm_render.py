"""The ARM template and parameters file: valid against Azure's published schemas (offline), and a
faithful picture of the topology's Azure side."""

from __future__ import annotations

import copy
import json
import re
import stat
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from hybridnet.model import Topology, default_topology, load
from hybridnet.render.arm import ArmDeployment, KeyVaultSecret, render_arm
from hybridnet.render.arm_resources import SHARED_KEY_PARAMETER
from hybridnet.render.arm_schema import validate_parameters, validate_template
from tests.conftest import reference_document, topology_from

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _resources(deployment: ArmDeployment, kind: str) -> list[dict[str, Any]]:
    return [r for r in deployment.template["resources"] if r["type"] == f"Microsoft.Network/{kind}"]


def _one(deployment: ArmDeployment, kind: str, name: str) -> dict[str, Any]:
    found = [r for r in _resources(deployment, kind) if r["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


@pytest.fixture(scope="module")
def reference_arm() -> ArmDeployment:
    return render_arm(default_topology())


@pytest.fixture(scope="module")
def legacy() -> Topology:
    return load(EXAMPLES / "ra-2016.yaml")


def test_reference_template_validates_against_the_arm_schemas(reference_arm: ArmDeployment) -> None:
    assert validate_template(reference_arm.template) == []
    assert validate_parameters(reference_arm.parameters) == []


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_template_validates_against_the_arm_schemas(example: Path) -> None:
    deployment = render_arm(load(example))
    assert validate_template(deployment.template) == []
    assert validate_parameters(deployment.parameters) == []


def test_the_2016_example_is_among_the_validated_examples() -> None:
    assert (EXAMPLES / "ra-2016.yaml").is_file()


def test_key_vault_parameters_file_validates() -> None:
    secret = KeyVaultSecret(
        "/subscriptions/0000/resourceGroups/kv-rg/providers/Microsoft.KeyVault/vaults/kv", "psk"
    )
    deployment = render_arm(default_topology(), secret)
    assert validate_parameters(deployment.parameters) == []
    reference = deployment.parameters["parameters"][SHARED_KEY_PARAMETER]["reference"]
    assert reference == {"keyVault": {"id": secret.vault_id}, "secretName": "psk"}


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (
            lambda t: _gateway(t, "ExpressRoute")["properties"].__setitem__("gatewayType", "Bogus"),
            "properties/gatewayType",
            "not one of",
        ),
        (lambda t: t["resources"][0].__setitem__("apiVersion", "2019-11-01"), "apiVersion", "2023-09-01"),
        (
            lambda t: _of_type(t, "connections")[0]["properties"].__setitem__("connectionType", "Carrier"),
            "properties/connectionType",
            "not one of",
        ),
        (
            lambda t: _of_type(t, "publicIPAddresses")[0]["properties"].__setitem__(
                "publicIPAllocationMethod", 7
            ),
            "publicIPAllocationMethod",
            "",
        ),
        (
            lambda t: t["parameters"][SHARED_KEY_PARAMETER].__setitem__("type", "password"),
            "type",
            "not one of",
        ),
    ],
)
def test_schema_validation_catches_invalid_templates(
    reference_arm: ArmDeployment, mutate: Any, path: str, words: str
) -> None:
    template = copy.deepcopy(reference_arm.template)
    mutate(template)
    problems = validate_template(template)
    assert problems, "the mutated template must not validate"
    assert any(path in p.path and words in p.message for p in problems), problems


def test_parameters_file_with_a_literal_of_the_wrong_shape_is_rejected(reference_arm: ArmDeployment) -> None:
    parameters = copy.deepcopy(reference_arm.parameters)
    parameters["parameters"]["location"] = {"val": "centralus"}
    assert validate_parameters(parameters)


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["resources"] if r["type"] == f"Microsoft.Network/{kind}"]


def _gateway(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(
        r for r in _of_type(template, "virtualNetworkGateways") if r["properties"]["gatewayType"] == kind
    )


def test_template_holds_exactly_the_azure_resources_of_the_topology(reference_arm: ArmDeployment) -> None:
    topology = default_topology()
    names = {(r["type"].split("/", 1)[1], r["name"]) for r in reference_arm.template["resources"]}
    expected = {
        ("virtualNetworks", topology.vnet.name),
        ("expressRouteCircuits", topology.circuit.name),
        ("expressRouteCircuits/peerings", f"{topology.circuit.name}/AzurePrivatePeering"),
    }
    expected |= {("networkSecurityGroups", n.name) for n in topology.nsgs}
    expected |= {("virtualNetworkGateways", g.name) for g in topology.gateways}
    expected |= {("publicIPAddresses", i.public_ip.name) for i in topology.vpn_gateway.instances}
    expected |= {("publicIPAddresses", topology.er_gateway.public_ip.name)}
    expected |= {("localNetworkGateways", g.name) for g in topology.local_network_gateways}
    expected |= {("connections", c.name) for c in topology.connections}
    expected |= {("loadBalancers", lb.name) for lb in topology.load_balancers}
    assert names == expected
    assert len(names) == len(reference_arm.template["resources"]), "no resource twice"


def test_vnet_subnets_and_nsg_associations_match_the_model(reference_arm: ArmDeployment) -> None:
    topology = default_topology()
    vnet = _one(reference_arm, "virtualNetworks", topology.vnet.name)
    assert vnet["properties"]["addressSpace"]["addressPrefixes"] == ["10.0.0.0/16"]
    subnets = {s["name"]: s["properties"] for s in vnet["properties"]["subnets"]}
    assert subnets["GatewaySubnet"] == {"addressPrefix": "10.0.255.224/27"}, "no NSG on the GatewaySubnet"
    for subnet in topology.vnet.subnets:
        assert IPv4Network(subnets[subnet.name]["addressPrefix"]) == subnet.prefix
        if subnet.nsg:
            assert subnet.nsg in subnets[subnet.name]["networkSecurityGroup"]["id"]
            assert any(subnet.nsg in d for d in vnet["dependsOn"])
    web = _one(reference_arm, "networkSecurityGroups", "web-nsg")
    rule = next(r for r in web["properties"]["securityRules"] if r["name"] == "allow-ssh-from-onprem")
    assert rule["properties"] == {
        "priority": 110,
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "sourceAddressPrefix": "192.168.0.0/16",
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        "destinationPortRange": "22",
    }


def test_gateways_carry_the_model_skus_bgp_and_active_active(reference_arm: ArmDeployment) -> None:
    er = _one(reference_arm, "virtualNetworkGateways", "ra-hybrid-er-vgw")["properties"]
    vpn_resource = _one(reference_arm, "virtualNetworkGateways", "ra-hybrid-vpn-vgw")
    vpn = vpn_resource["properties"]
    assert (er["gatewayType"], er["sku"]["name"]) == ("ExpressRoute", "ErGw1AZ")
    assert (vpn["gatewayType"], vpn["vpnType"], vpn["sku"]["name"]) == ("Vpn", "RouteBased", "VpnGw1AZ")
    assert vpn["activeActive"] is True and vpn["enableBgp"] is True
    assert vpn["bgpSettings"]["asn"] == 65515
    assert [p["customBgpIpAddresses"] for p in vpn["bgpSettings"]["bgpPeeringAddresses"]] == [
        ["169.254.21.1"],
        ["169.254.22.1"],
    ]
    assert len(vpn["ipConfigurations"]) == 2
    for config in [*er["ipConfigurations"], *vpn["ipConfigurations"]]:
        assert config["properties"]["subnet"]["id"].endswith("'ra-hybrid-vpn-er-vnet', 'GatewaySubnet')]")
    assert any("ra-hybrid-er-vgw" in d for d in vpn_resource["dependsOn"]), "VPN gateway after the ER gateway"


def test_public_ips_are_standard_static_and_zone_redundant_for_az_gateways(
    reference_arm: ArmDeployment,
) -> None:
    for pip in _resources(reference_arm, "publicIPAddresses"):
        assert pip["sku"]["name"] == "Standard"
        assert pip["properties"]["publicIPAllocationMethod"] == "Static"
        assert pip["zones"] == ["1", "2", "3"]


def test_legacy_public_ips_stay_basic_dynamic_without_zones(legacy: Topology) -> None:
    for pip in _resources(render_arm(legacy), "publicIPAddresses"):
        assert (pip["sku"]["name"], pip["properties"]["publicIPAllocationMethod"]) == ("Basic", "Dynamic")
        assert "zones" not in pip


def test_connections_policy_dpd_and_the_circuit(reference_arm: ArmDeployment) -> None:
    ipsec = _one(reference_arm, "connections", "ra-hybrid-vpn-cn")["properties"]
    assert ipsec["connectionType"] == "IPsec" and ipsec["enableBgp"] is True
    assert ipsec["dpdTimeoutSeconds"] == 45 and ipsec["connectionProtocol"] == "IKEv2"
    assert "ra-hybrid-vpn-lgw" in ipsec["localNetworkGateway2"]["id"]
    er = _one(reference_arm, "connections", "ra-hybrid-er-cn")["properties"]
    assert er["connectionType"] == "ExpressRoute" and er["routingWeight"] == 10
    assert "ra-hybrid-vpn-er-erc" in er["peer"]["id"]
    circuit = _one(reference_arm, "expressRouteCircuits", "ra-hybrid-vpn-er-erc")
    assert circuit["sku"] == {"name": "Premium_UnlimitedData", "tier": "Premium", "family": "UnlimitedData"}
    assert circuit["properties"]["serviceProviderProperties"] == {
        "serviceProviderName": "Equinix",
        "peeringLocation": "Silicon Valley",
        "bandwidthInMbps": 50,
    }
    peering = _one(reference_arm, "expressRouteCircuits/peerings", "ra-hybrid-vpn-er-erc/AzurePrivatePeering")
    assert peering["properties"] == {
        "peeringType": "AzurePrivatePeering",
        "peerASN": 65010,
        "primaryPeerAddressPrefix": "172.16.0.0/30",
        "secondaryPeerAddressPrefix": "172.16.0.4/30",
        "vlanId": 300,
    }
    lng = _one(reference_arm, "localNetworkGateways", "ra-hybrid-vpn-lgw")["properties"]
    assert lng["gatewayIpAddress"] == "40.50.60.70"
    assert lng["bgpSettings"] == {"asn": 65010, "bgpPeeringAddress": "169.254.21.2"}


def test_custom_ipsec_policy_is_rendered_completely() -> None:
    document = reference_document()
    policy = {
        "ike_encryption": "AES256",
        "ike_integrity": "SHA384",
        "dh_group": "DHGroup14",
        "ipsec_encryption": "GCMAES256",
        "ipsec_integrity": "GCMAES256",
        "pfs_group": "PFS2048",
        "sa_lifetime_s": 3600,
        "sa_data_size_kb": 1024000,
    }
    next(c for c in document["connections"] if c["type"] == "IPsec")["ipsec_policy"] = policy
    deployment = render_arm(topology_from(document))
    assert validate_template(deployment.template) == []
    rendered = _one(deployment, "connections", "ra-hybrid-vpn-cn")["properties"]["ipsecPolicies"]
    assert rendered == [
        {
            "saLifeTimeSeconds": 3600,
            "saDataSizeKilobytes": 1024000,
            "ipsecEncryption": "GCMAES256",
            "ipsecIntegrity": "GCMAES256",
            "ikeEncryption": "AES256",
            "ikeIntegrity": "SHA384",
            "dhGroup": "DHGroup14",
            "pfsGroup": "PFS2048",
        }
    ]


def test_internal_load_balancer_lists_its_workloads_by_address(reference_arm: ArmDeployment) -> None:
    lb = _one(reference_arm, "loadBalancers", "web-ilb")
    assert lb["sku"]["name"] == "Standard"
    frontend = lb["properties"]["frontendIPConfigurations"][0]["properties"]
    assert (frontend["privateIPAddress"], frontend["privateIPAllocationMethod"]) == ("10.0.1.254", "Static")
    members = lb["properties"]["backendAddressPools"][0]["properties"]["loadBalancerBackendAddresses"]
    assert [(m["name"], m["properties"]["ipAddress"]) for m in members] == [
        ("web-vm1", "10.0.1.4"),
        ("web-vm2", "10.0.1.5"),
    ]
    assert lb["properties"]["probes"][0]["properties"]["requestPath"] == "/"


def test_every_dependency_and_reference_points_at_a_resource_of_the_template(
    reference_arm: ArmDeployment,
) -> None:
    declared = {(r["type"], r["name"]) for r in reference_arm.template["resources"]}
    pattern = re.compile(r"\[resourceId\('([^']+)', '([^']+)'(?:, '([^']+)')?\)\]")
    for resource in reference_arm.template["resources"]:
        for dependency in resource.get("dependsOn", []):
            kind, first, second = pattern.fullmatch(dependency).groups()
            assert (kind, f"{first}/{second}" if second else first) in declared, dependency


def test_shared_key_is_a_secure_parameter_without_default_and_never_a_literal(
    reference_arm: ArmDeployment, legacy: Topology
) -> None:
    parameter = reference_arm.template["parameters"][SHARED_KEY_PARAMETER]
    assert parameter["type"].lower() == "securestring" and "defaultValue" not in parameter
    assert SHARED_KEY_PARAMETER not in reference_arm.parameters["parameters"]
    connection = _one(reference_arm, "connections", "ra-hybrid-vpn-cn")["properties"]
    assert connection["sharedKey"] == f"[parameters('{SHARED_KEY_PARAMETER}')]"
    legacy_files = render_arm(legacy)
    text = json.dumps(legacy_files.template) + json.dumps(legacy_files.parameters)
    assert "123secret" not in text, "the 2016 example's inline key must not leak into the deployment"


def test_written_files_are_json_and_readable(tmp_path: Path, reference_arm: ArmDeployment) -> None:
    written = reference_arm.write(tmp_path / "arm")
    assert [p.name for p in written] == ["azuredeploy.json", "azuredeploy.parameters.json"]
    assert json.loads(written[0].read_text()) == reference_arm.template
    assert stat.S_IMODE(written[1].stat().st_mode) == 0o644


def test_peering_and_expressroute_connection_wait_for_a_provisioned_circuit(
    reference_arm: ArmDeployment,
) -> None:
    """A first deployment with circuitProvisioned=false creates the circuit (its service key goes to the
    provider) without the peering and connection that would fail until the provider has provisioned it."""
    parameter = reference_arm.template["parameters"]["circuitProvisioned"]
    assert parameter["type"] == "bool" and parameter["defaultValue"] is True
    conditional = {r["name"] for r in reference_arm.template["resources"] if "condition" in r}
    assert conditional == {"ra-hybrid-vpn-er-erc/AzurePrivatePeering", "ra-hybrid-er-cn"}
    assert "serviceKey" in reference_arm.template["outputs"]["circuitServiceKey"]["value"]
