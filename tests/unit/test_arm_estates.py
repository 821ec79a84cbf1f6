"""`render arm` of estates: spoke VNets with both sides of each peering, every circuit with its connection
and weight, every local network gateway with its connection; schema-valid, and deployable in an order Azure
accepts (the dependsOn graph is acyclic, and a spoke uses the hub's gateways only once they exist)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from hybridnet.model import Topology, load
from hybridnet.render.arm import ArmDeployment, render_arm
from hybridnet.render.arm_schema import validate_parameters, validate_template

ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"
EXAMPLES = sorted(ESTATES.glob("*.yaml"))
PEERING = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
RESOURCE_ID = re.compile(r"\[resourceId\('([^']+)', ((?:'[^']*'(?:, )?)+)\)\]")

Key = tuple[str, str]


def _key(expression: str) -> Key:
    """(type, name) of a ``[resourceId('type', 'a', 'b')]`` expression, the name as the resource declares it."""
    match = RESOURCE_ID.fullmatch(expression)
    assert match is not None, expression
    return match.group(1), "/".join(re.findall(r"'([^']*)'", match.group(2)))


def _graph(template: dict[str, Any]) -> dict[Key, set[Key]]:
    return {(r["type"], r["name"]): {_key(d) for d in r.get("dependsOn", [])} for r in template["resources"]}


def deployment_order(template: dict[str, Any]) -> list[Key]:
    """A topological order of the template's resources by dependsOn (Kahn): what ARM can deploy. Fails on a
    dependency that names no resource of the template, and on a cycle."""
    graph = _graph(template)
    for resource, needs in graph.items():
        assert needs <= graph.keys(), f"{resource} depends on {needs - graph.keys()}, not in the template"
    waiting = {resource: set(needs) for resource, needs in graph.items()}
    order: list[Key] = []
    while waiting:
        ready = sorted(r for r, needs in waiting.items() if not needs)
        assert ready, f"dependsOn cycle among {sorted(waiting)}"
        for resource in ready:
            order.append(resource)
            del waiting[resource]
        for needs in waiting.values():
            needs.difference_update(ready)
    return order


def ancestors(template: dict[str, Any], resource: Key) -> set[Key]:
    """Everything ARM must finish before ``resource`` in *every* order (dependsOn, transitively)."""
    graph = _graph(template)
    seen: set[Key] = set()
    pending = list(graph[resource])
    while pending:
        item = pending.pop()
        if item not in seen:
            seen.add(item)
            pending += graph[item]
    return seen


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["resources"] if r["type"] == f"Microsoft.Network/{kind}"]


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def estate(request: pytest.FixtureRequest) -> tuple[Topology, ArmDeployment]:
    topology = load(request.param)
    return topology, render_arm(topology)


def test_the_three_estates_are_rendered() -> None:
    assert [p.stem for p in EXAMPLES] == ["hub-spoke", "sites", "two-circuits"]


def test_each_estate_validates_against_the_packaged_schemas(estate: tuple[Topology, ArmDeployment]) -> None:
    _, deployment = estate
    assert validate_template(deployment.template) == []
    assert validate_parameters(deployment.parameters) == []


def test_each_estate_deploys_in_a_dependency_order(estate: tuple[Topology, ArmDeployment]) -> None:
    _, deployment = estate
    order = deployment_order(deployment.template)
    assert len(order) == len(deployment.template["resources"])


def test_every_vnet_and_both_sides_of_each_peering_are_rendered(estate: tuple[Topology, ArmDeployment]) -> None:
    topology, deployment = estate
    template = deployment.template
    assert [v["name"] for v in _of_type(template, "virtualNetworks")] == [v.name for v in topology.all_vnets]
    hub = topology.vnet.name
    sides = {r["name"]: r["properties"] for r in _of_type(template, "virtualNetworks/virtualNetworkPeerings")}
    assert len(sides) == 2 * len(topology.spokes)
    for spoke in topology.spokes:
        vnet = next(v for v in _of_type(template, "virtualNetworks") if v["name"] == spoke.name)
        assert vnet["properties"]["addressSpace"]["addressPrefixes"] == [str(p) for p in spoke.address_space]
        hub_side, spoke_side = sides[f"{hub}/{hub}-to-{spoke.name}"], sides[f"{spoke.name}/{spoke.name}-to-{hub}"]
        assert _key(hub_side["remoteVirtualNetwork"]["id"]) == ("Microsoft.Network/virtualNetworks", spoke.name)
        assert _key(spoke_side["remoteVirtualNetwork"]["id"]) == ("Microsoft.Network/virtualNetworks", hub)
        assert (hub_side["allowGatewayTransit"], hub_side["useRemoteGateways"]) == (
            spoke.peering.hub.allow_gateway_transit, False)
        assert (spoke_side["useRemoteGateways"], spoke_side["allowGatewayTransit"]) == (
            spoke.peering.spoke.use_remote_gateways, False)
        assert hub_side["allowForwardedTraffic"] == spoke.peering.hub.allow_forwarded_traffic
        assert spoke_side["allowForwardedTraffic"] == spoke.peering.spoke.allow_forwarded_traffic
        assert hub_side["allowVirtualNetworkAccess"] is spoke_side["allowVirtualNetworkAccess"] is True


def test_a_spoke_uses_the_hubs_gateways_only_after_they_and_the_hub_side_exist(
    estate: tuple[Topology, ArmDeployment],
) -> None:
    topology, deployment = estate
    template, hub = deployment.template, topology.vnet.name
    gateways = {("Microsoft.Network/virtualNetworkGateways", g.name) for g in topology.gateways}
    for spoke in topology.spokes:
        vnets = {("Microsoft.Network/virtualNetworks", hub), ("Microsoft.Network/virtualNetworks", spoke.name)}
        hub_side = (PEERING, f"{hub}/{hub}-to-{spoke.name}")
        spoke_side = (PEERING, f"{spoke.name}/{spoke.name}-to-{hub}")
        assert vnets <= ancestors(template, hub_side)
        assert spoke.peering.spoke.use_remote_gateways
        assert vnets | gateways | {hub_side} <= ancestors(template, spoke_side)
        order = deployment_order(template)
        assert max(order.index(g) for g in gateways) < order.index(spoke_side)


def test_spoke_subnets_carry_their_nsgs_and_wait_for_them() -> None:
    deployment = render_arm(load(ESTATES / "hub-spoke.yaml"))
    spoke = next(v for v in _of_type(deployment.template, "virtualNetworks") if v["name"] == "spoke-data")
    assert [s["name"] for s in spoke["properties"]["subnets"]] == ["sql", "analytics"]
    assert {_key(s["properties"]["networkSecurityGroup"]["id"]) for s in spoke["properties"]["subnets"]} == {
        ("Microsoft.Network/networkSecurityGroups", "spoke-nsg")}
    assert ("Microsoft.Network/networkSecurityGroups", "spoke-nsg") in ancestors(
        deployment.template, ("Microsoft.Network/virtualNetworks", "spoke-data"))


def test_every_circuit_has_its_private_peering_and_weighted_connection(
    estate: tuple[Topology, ArmDeployment],
) -> None:
    topology, deployment = estate
    template = deployment.template
    assert [c["name"] for c in _of_type(template, "expressRouteCircuits")] == [c.name for c in topology.all_circuits]
    peerings = {p["name"]: p["properties"] for p in _of_type(template, "expressRouteCircuits/peerings")}
    for circuit in topology.all_circuits:
        peering = peerings[f"{circuit.name}/AzurePrivatePeering"]
        assert (peering["peerASN"], peering["vlanId"], peering["primaryPeerAddressPrefix"]) == (
            circuit.private_peering.peer_asn, circuit.private_peering.vlan_id,
            str(circuit.private_peering.primary_prefix))
    rendered = {c["name"]: c for c in _of_type(template, "connections")}
    for connection in topology.er_connections:
        properties = rendered[connection.name]["properties"]
        assert properties["routingWeight"] == connection.routing_weight
        assert _key(properties["peer"]["id"]) == ("Microsoft.Network/expressRouteCircuits", connection.circuit)
        assert ("Microsoft.Network/expressRouteCircuits/peerings", f"{connection.circuit}/AzurePrivatePeering") in (
            ancestors(template, ("Microsoft.Network/connections", connection.name)))


def test_two_circuits_keep_the_weights_that_make_silicon_valley_primary() -> None:
    template = render_arm(load(ESTATES / "two-circuits.yaml")).template
    weights = {_key(c["properties"]["peer"]["id"])[1]: c["properties"]["routingWeight"]
               for c in _of_type(template, "connections") if c["properties"]["connectionType"] == "ExpressRoute"}
    assert weights == {"sv-erc": 100, "la-erc": 10}
    assert "serviceKey" in template["outputs"]["circuitServiceKey-la-erc"]["value"]


def test_every_vpn_device_has_its_local_network_gateway_and_connection() -> None:
    topology = load(ESTATES / "sites.yaml")
    template = render_arm(topology).template
    lngs = {g["name"]: g["properties"] for g in _of_type(template, "localNetworkGateways")}
    devices = [d for site in topology.all_sites for d in site.devices if d.vpn is not None]
    assert sorted(lngs) == sorted(d.vpn.local_network_gateway for d in devices) == ["branch1-lgw", "branch2-lgw",
                                                                                     "hq-lgw"]
    for device in devices:
        assert lngs[device.vpn.local_network_gateway]["gatewayIpAddress"] == str(device.vpn.public_ip)
    ipsec = {_key(c["properties"]["localNetworkGateway2"]["id"])[1]: c for c in _of_type(template, "connections")
             if c["properties"]["connectionType"] == "IPsec"}
    assert sorted(ipsec) == sorted(lngs)


def test_connections_with_different_key_references_get_different_key_parameters() -> None:
    """HQ's key is HYBRIDNET_VPN_SHARED_KEY, each branch's its own variable: three secure parameters, none
    with a default or a value in the parameters file, each connection naming its own."""
    deployment = render_arm(load(ESTATES / "sites.yaml"))
    keys = {c["name"]: c["properties"]["sharedKey"] for c in _of_type(deployment.template, "connections")
            if c["properties"]["connectionType"] == "IPsec"}
    assert keys == {
        "hq-vpn-cn": "[parameters('vpnSharedKey')]",
        "branch1-vpn-cn": "[parameters('vpnSharedKey-branch1-vpn-cn')]",
        "branch2-vpn-cn": "[parameters('vpnSharedKey-branch2-vpn-cn')]",
    }
    secure = defaultdict(list)
    for name, spec in deployment.template["parameters"].items():
        secure[spec["type"]].append(name)
        assert "defaultValue" not in spec or spec["type"] != "securestring"
    assert sorted(secure["securestring"]) == ["vpnSharedKey", "vpnSharedKey-branch1-vpn-cn",
                                              "vpnSharedKey-branch2-vpn-cn"]
    assert not set(secure["securestring"]) & set(deployment.parameters["parameters"])
