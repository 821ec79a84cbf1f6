"""Estates in the model: spokes, several circuits, sites by device roles; the old format unchanged."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hybridnet.model import TopologyError, default_topology, load, loads
from hybridnet.model.loader import EXAMPLES, example_yaml

REPO = Path(__file__).resolve().parents[2]


def _doc(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load(example_yaml(name))


def _load(document: dict[str, Any]):
    buffer = StringIO()
    YAML(typ="safe").dump(document, buffer)
    return loads(buffer.getvalue(), source="<estate>")


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_load_and_the_packaged_copy_is_the_examples_file(name: str) -> None:
    topology = load(REPO / "examples" / "estates" / f"{name}.yaml")
    assert (REPO / "examples" / "estates" / f"{name}.yaml").read_text(encoding="utf-8") == example_yaml(name)
    assert topology.estate_features()


def test_the_reference_is_one_site_one_circuit_one_vnet_and_no_estate() -> None:
    topology = default_topology()
    assert topology.estate_features() == []
    assert [s.name for s in topology.all_sites] == ["onprem"]
    assert [c.name for c in topology.all_circuits] == ["ra-hybrid-vpn-er-erc"]
    site = topology.all_sites[0]
    assert {d.name: d.roles for d in site.devices} == {
        "onprem-core": ("core",), "onprem-ce1": ("edge",), "onprem-ce2": ("edge",), "onprem-vpn": ("vpn",)}
    assert site.device("onprem-ce1").edge.circuit == "ra-hybrid-vpn-er-erc"
    assert site.device("onprem-ce1").edge.local_preference == 150
    assert [link.between for link in site.effective_links] == [
        ("onprem-core", "onprem-ce1"), ("onprem-core", "onprem-ce2"), ("onprem-core", "onprem-vpn")]


def test_sites_example_roles_links_and_bgp_follow_the_rule() -> None:
    topology = load(REPO / "examples" / "estates" / "sites.yaml")
    assert topology.onprem is None
    hq = topology.all_sites[0]
    assert hq.name == "hq" and hq.device("hq-fw").roles == ("core", "firewall", "vpn")
    # the firewall is the LAN's core: the edges hang off it
    assert [link.between for link in hq.effective_links] == [("hq-fw", "hq-ce1"), ("hq-fw", "hq-ce2")]
    assert set(hq.ibgp_sessions()) == {("hq-fw", "hq-ce1"), ("hq-fw", "hq-ce2"), ("hq-ce1", "hq-ce2")}
    assert [c.name for c in topology.all_circuits] == ["sv-erc", "la-erc"]


def test_a_firewall_only_device_speaks_no_bgp_and_sits_between_core_and_edges() -> None:
    document = _doc("two-circuits")
    devices = document["sites"][0]["devices"]
    devices.insert(1, {"name": "hq-fw", "roles": ["firewall"]})
    site = _load(document).sites[0]
    assert not site.device("hq-fw").speaks_bgp
    assert ("hq-core", "hq-fw") in [link.between for link in site.effective_links]
    assert all("hq-fw" not in pair for pair in site.ibgp_sessions())
    assert all(path[:2] == ["hq-core", "hq-fw"] for path in site.paths_out("edge"))


def test_workloads_resolve_subnets_in_their_vnet() -> None:
    topology = load(REPO / "examples" / "estates" / "hub-spoke.yaml")
    assert topology.vnet_named("spoke-data").address_space[1].with_prefixlen == "172.20.0.0/24"
    document = _doc("hub-spoke")
    document["workloads"][-1]["subnet"] = "web"  # a hub subnet, not one of spoke-data's
    with pytest.raises(TopologyError) as error:
        _load(document)
    assert "no subnet named 'web' in VNet spoke-data" in str(error.value)
    assert f"workloads.{len(document['workloads']) - 1}.subnet" in str(error.value)
    document["workloads"][-1]["vnet"] = "nowhere"
    with pytest.raises(TopologyError, match="no VNet named 'nowhere'"):
        _load(document)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.pop("sites"), "give 'onprem'"),
    (lambda d: d["sites"][0]["devices"][1].pop("edge"), "has the edge role but no 'edge:' block"),
    (lambda d: d["sites"][0]["devices"][0].update(roles=["core", "core"]), "lists a role twice"),
    (lambda d: d["sites"][0].update(links=[{"between": ["hq-core", "ghost"]}]), "names 'ghost'"),
    (lambda d: d["sites"][0]["devices"][1].update(name="hq-core"), "twice"),
    (lambda d: d["circuits"][0].update(name="sv-erc"), "circuit name 'sv-erc' is already used"),
    (lambda d: d["sites"].append({**copy.deepcopy(d["sites"][0]), "name": "hq2"}), "node name 'hq-core'"),
    (lambda d: d["connections"][1].update(circuit="nope"), "no circuit named 'nope'"),
])
def test_estate_mistakes_are_located_load_errors(edit: Any, message: str) -> None:
    document = _doc("two-circuits")
    edit(document)
    with pytest.raises(TopologyError) as error:
        _load(document)
    assert message in str(error.value)
    assert "<estate>:" in str(error.value)


def test_a_derived_link_name_that_is_too_long_asks_for_explicit_links() -> None:
    document = _doc("two-circuits")
    for device in document["sites"][0]["devices"]:
        device["name"] = device["name"] + "-" + "x" * 24
    with pytest.raises(TopologyError, match="list the links under 'links:'"):
        _load(document)
    document["sites"][0]["links"] = [{"name": f"l{i}", "between": [document["sites"][0]["devices"][0]["name"],
                                                                    device["name"]]}
                                     for i, device in enumerate(document["sites"][0]["devices"][1:])]
    assert _load(document).sites[0].links[0].node_name == "l0"


def test_the_loader_remembers_where_the_estate_keys_are() -> None:
    topology = load(REPO / "examples" / "estates" / "hub-spoke.yaml")
    text = (REPO / "examples" / "estates" / "hub-spoke.yaml").read_text(encoding="utf-8").splitlines()
    assert text[topology.line_of_key("spokes") - 1].startswith("spokes:")
