"""`import` of estates: render -> import -> model for every estate example, peerings and their flags as spokes,
several circuits, local network gateways and connections, sites derived from what Azure knows (or taken from
an estate --onprem file), and exports that spread the hub and its spokes over several resource groups and
subscriptions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hybridnet.importer import azure_side, import_files
from hybridnet.importer.template import evaluate_template
from hybridnet.model import Topology, load
from hybridnet.render.arm import render_arm
from tests.conftest import topology_from

ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"
EXAMPLES = sorted(ESTATES.glob("*.yaml"))
HUB_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"
SPOKE_SUBSCRIPTION = "22222222-2222-2222-2222-222222222222"
ARM_ID = re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/(Microsoft\.Network/[^/]+)/([^/]+)")


def _rendered(topology: Topology, directory: Path) -> list[Path]:
    return render_arm(topology).write(directory)[:1]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_keeps_the_azure_side_of_every_estate(example: Path, tmp_path: Path) -> None:
    topology = load(example)
    imported = import_files(_rendered(topology, tmp_path)).topology
    assert azure_side(imported) == azure_side(topology)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_with_the_estate_as_onprem_file_is_exact(example: Path, tmp_path: Path) -> None:
    topology = load(example)
    imported = import_files(_rendered(topology, tmp_path), base=topology).topology
    assert imported.model_dump() == topology.model_dump()


def test_peering_flags_of_each_side_come_back_as_written(tmp_path: Path) -> None:
    document = load(ESTATES / "hub-spoke.yaml").model_dump(mode="json", exclude_none=True)
    document["spokes"][1]["peering"] = {
        "hub": {"allow_gateway_transit": False, "allow_forwarded_traffic": True},
        "spoke": {"use_remote_gateways": False, "allow_forwarded_traffic": True},
    }
    document["connections"][1]["shared_key"] = {"env": "HYBRIDNET_VPN_SHARED_KEY"}
    variant = topology_from(document)
    imported = import_files(_rendered(variant, tmp_path)).topology
    assert [s.peering for s in imported.spokes] == [s.peering for s in variant.spokes]
    assert imported.spokes[1].peering.gateway_transit is False


def test_a_load_balancer_in_a_spoke_keeps_its_vnet(tmp_path: Path) -> None:
    document = load(ESTATES / "hub-spoke.yaml").model_dump(mode="json", exclude_none=True)
    document["load_balancers"].append({
        "name": "app-ilb",
        "frontend": {"name": "app-fe", "vnet": "spoke-app", "subnet": "app", "address": "10.1.1.254"},
        "backend_pool": ["app-vm1"], "probe": {"name": "tcp", "protocol": "Tcp", "port": 8080},
        "rules": [{"name": "app", "frontend_port": 8080, "backend_port": 8080}],
    })
    variant = topology_from(document)
    imported = import_files(_rendered(variant, tmp_path)).topology
    assert azure_side(imported) == azure_side(variant)
    assert imported.load_balancers[1].frontend.vnet == "spoke-app" and imported.workload("app-vm1").vnet == "spoke-app"


def test_sites_are_derived_by_asn_and_every_assumption_is_reported(tmp_path: Path) -> None:
    result = import_files(_rendered(load(ESTATES / "sites.yaml"), tmp_path))
    topology = result.topology
    assert topology.onprem is None
    assert [(s.name, s.asn) for s in topology.sites] == [
        ("hq", 65010), ("site-65020", 65020), ("branch1", 65031), ("branch2", 65032)]
    hq = topology.sites[0]
    assert [(d.edge.circuit, d.edge.link) for d in hq.with_role("edge")] == [("sv-erc", "primary"),
                                                                             ("sv-erc", "secondary")]
    assert [(str(d.vpn.public_ip), d.vpn.local_network_gateway) for d in hq.with_role("vpn")] == [
        ("40.50.60.70", "hq-lgw")]
    assert [d.edge.circuit for d in topology.sites[1].with_role("edge")] == ["la-erc", "la-erc"]
    spaces = [p for s in topology.sites for p in s.address_space] + list(topology.vnet.address_space)
    assert not any(a.overlaps(b) for i, a in enumerate(spaces) for b in spaces[i + 1:])
    assumed = {a.field for a in result.report.assumptions}
    assert {f"sites.{s.name}.address_space" for s in topology.sites} <= assumed
    assert {c.shared_key.env for c in topology.ipsec_connections} == {
        "HYBRIDNET_VPN_SHARED_KEY", "HYBRIDNET_VPN_SHARED_KEY_BRANCH1_VPN_CN",
        "HYBRIDNET_VPN_SHARED_KEY_BRANCH2_VPN_CN"}


def test_one_site_of_one_circuit_and_one_gateway_stays_the_legacy_onprem(tmp_path: Path) -> None:
    topology = import_files(_rendered(load(ESTATES / "hub-spoke.yaml"), tmp_path)).topology
    assert topology.onprem is not None and topology.sites == ()


def test_two_circuits_of_one_site_give_one_site_with_four_edges(tmp_path: Path) -> None:
    topology = import_files(_rendered(load(ESTATES / "two-circuits.yaml"), tmp_path)).topology
    (site,) = topology.sites
    assert [d.edge.circuit for d in site.with_role("edge")] == ["sv-erc", "sv-erc", "la-erc", "la-erc"]
    assert topology.circuit.name == "sv-erc" and [c.name for c in topology.circuits] == ["la-erc"]
    assert {c.circuit: c.routing_weight for c in topology.er_connections} == {"sv-erc": 100, "la-erc": 10}


# ------------------------------------------------------------------------------- exports over several groups


def _exports(topology: Topology, directory: Path, spoke_group: str) -> dict[str, list[dict[str, Any]]]:
    """What `az resource show --ids` gives for a deployed estate whose spokes (and their NSG) live in another
    group of another subscription: top-level resources with full ids, peerings inline in their VNets."""
    template = json.loads(_rendered(topology, directory)[0].read_text())
    scope, _ = evaluate_template(template, {}, "t", topology.resource_group)
    elsewhere = {("Microsoft.Network/virtualNetworks", s.name) for s in topology.spokes}
    elsewhere.add(("Microsoft.Network/networkSecurityGroups", "spoke-nsg"))

    def place(kind: str, name: str) -> tuple[str, str]:
        if (kind, name) in elsewhere:
            return SPOKE_SUBSCRIPTION, spoke_group
        return HUB_SUBSCRIPTION, topology.resource_group

    def rewrite(value: Any) -> Any:
        if isinstance(value, str):
            def full(m: re.Match[str]) -> str:
                subscription, group = place(m.group(1), m.group(2))
                return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{m.group(1)}/{m.group(2)}"
            return ARM_ID.sub(full, value)
        if isinstance(value, dict):
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    parents = {(r.type, r.name): {"name": r.name, "type": r.type, "location": "centralus",
                                  "properties": rewrite(r.properties), **({"sku": r.sku} if r.sku else {})}
               for r in scope.resources if r.type.count("/") == 1}
    for child in (r for r in scope.resources if r.type.count("/") == 2):
        parent_type, key = child.type.rsplit("/", 1)
        parent = parents[(parent_type, child.name.split("/")[0])]
        parent["properties"].setdefault(key, []).append({"name": child.short_name,
                                                         "properties": rewrite(child.properties)})
    groups: dict[str, list[dict[str, Any]]] = {}
    for (kind, name), entry in parents.items():
        subscription, group = place(kind, name)
        entry["id"] = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{kind}/{name}"
        entry["resourceGroup"] = group
        groups.setdefault(group, []).append(entry)
    return groups


def _without_name(data: dict[str, Any]) -> dict[str, Any]:
    """An export has no template metadata: the topology is named after the hub's resource group; and the
    NSGs come file by file (the spokes' NSG from the spokes' file), so compare them by name."""
    return {**{k: v for k, v in data.items() if k != "name"}, "nsgs": sorted(data["nsgs"], key=lambda n: n["name"])}


def _write(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_hub_and_spokes_exported_from_two_subscriptions_import_as_one_estate(tmp_path: Path) -> None:
    topology = load(ESTATES / "hub-spoke.yaml")
    groups = _exports(topology, tmp_path, "rg-spokes")
    files = [_write(tmp_path / "hub.json", groups[topology.resource_group]),
             _write(tmp_path / "spokes.json", groups["rg-spokes"])]
    hub_vnet = next(e for e in groups[topology.resource_group] if e["name"] == topology.vnet.name)
    assert all(SPOKE_SUBSCRIPTION in p["properties"]["remoteVirtualNetwork"]["id"]
               for p in hub_vnet["properties"]["virtualNetworkPeerings"])  # ids across subscriptions
    for order in (files, files[::-1]):
        imported = import_files(order).topology
        assert _without_name(azure_side(imported)) == _without_name(azure_side(topology))
        assert imported.resource_group == topology.resource_group
    exact = import_files(files, base=topology, resource_group=topology.resource_group).topology
    assert exact.model_dump(exclude={"name"}) == topology.model_dump(exclude={"name"})


def test_a_subscription_wide_export_keeps_the_hubs_group_and_its_peered_spokes(tmp_path: Path) -> None:
    topology = load(ESTATES / "hub-spoke.yaml")
    groups = _exports(topology, tmp_path, "rg-spokes")
    stranger = {"name": "unrelated-vnet", "type": "Microsoft.Network/virtualNetworks", "location": "centralus",
                "resourceGroup": "rg-other", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}},
                "id": f"/subscriptions/{SPOKE_SUBSCRIPTION}/resourceGroups/rg-other/providers/"
                      "Microsoft.Network/virtualNetworks/unrelated-vnet"}
    everything = _write(tmp_path / "all.json", [*groups[topology.resource_group], *groups["rg-spokes"], stranger])
    result = import_files([everything], resource_group=topology.resource_group)
    assert _without_name(azure_side(result.topology)) == _without_name(azure_side(topology))
    assert not any("unrelated-vnet" in u.what for u in result.report.unmapped)  # narrowed away, not imported


def test_the_hubs_export_alone_says_where_the_spokes_are(tmp_path: Path) -> None:
    topology = load(ESTATES / "hub-spoke.yaml")
    hub = _write(tmp_path / "hub.json", _exports(topology, tmp_path, "rg-spokes")[topology.resource_group])
    result = import_files([hub])
    assert result.topology.spokes == ()
    reasons = [u.reason for u in result.report.unmapped if u.what.startswith("peering ")]
    assert len(reasons) == 2 and all("is not among the imported resources" in r for r in reasons)
