"""Scenarios → lab actions (pure: the plan is data), the report, and the seam to the emulator."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import hybridnet.emulate
from hybridnet.emulate import plan
from hybridnet.model import default_topology, load
from hybridnet.routing import failure_scenarios, routing_design, scenario
from hybridnet.verify.actions import CannotProduce, LabAction, _part, actions_for, down_nodes
from hybridnet.verify.compare import LivePath, compare_flow
from hybridnet.verify.flows import VerifyInputError, flow_ends, predict, scenarios_for
from hybridnet.verify.report import REPORT_FILES, cell, differences, to_dict, to_markdown, write_reports
from hybridnet.verify.result import MatrixResult, ScenarioOutcome
from hybridnet.verify.run import _swanctl_children, fast_vpn_timers

ROOT = Path(__file__).resolve().parents[3]
CUT, SILENT = "cut", "silent"
CROSSCHECK_FAILURES = {
    "primary-link": {(CUT, "onprem-ce1", "msee-primary")},
    "secondary-link": {(CUT, "onprem-ce2", "msee-secondary")},
    "circuit": {(CUT, "msee-primary", "onprem-ce1"), (CUT, "msee-secondary", "onprem-ce2"),
                (CUT, "msee-primary", "er-gateway"), (CUT, "msee-secondary", "er-gateway")},
    "er-gateway": {(CUT, "er-gateway", "msee-primary"), (CUT, "er-gateway", "msee-secondary"),
                   (CUT, "er-gateway", "vnet-fabric")},
    "vpn-tunnel-0": {(SILENT, "internet", "vpn-gateway-0")},
    "vpn-tunnel-1": {(SILENT, "internet", "vpn-gateway-1")},
    "vpn-gateway-0": {(SILENT, "vpn-gateway-0", "internet"), (SILENT, "vpn-gateway-0", "vnet-fabric")},
    "vpn-gateway-1": {(SILENT, "vpn-gateway-1", "internet"), (SILENT, "vpn-gateway-1", "vnet-fabric")},
    "onprem-ce1": {(CUT, "onprem-ce1", "msee-primary"), (SILENT, "onprem-ce1", "onprem-core")},
    "onprem-ce2": {(CUT, "onprem-ce2", "msee-secondary"), (SILENT, "onprem-ce2", "onprem-core")},
    "onprem-vpn": {(SILENT, "onprem-vpn", "internet"), (SILENT, "onprem-vpn", "onprem-core")},
}
"""How tests/lab/test_routing_crosscheck.py produced each failure before this package (its FAILURES)."""


def _links(actions: tuple[LabAction, ...]) -> set[tuple[str, str, str]]:
    return {(a.kind, a.a, a.b) for a in actions if a.kind in (CUT, SILENT)}


def test_every_reference_failure_is_produced_on_the_links_the_crosscheck_used() -> None:
    lab_plan = plan(default_topology(), lab="unit")
    for item in failure_scenarios(routing_design(default_topology()), 1)[1:]:
        assert _links(actions_for(lab_plan, item)) == CROSSCHECK_FAILURES[item.name], item.name


def test_a_failed_node_stops_its_bgp_first_and_counts_as_down() -> None:
    lab_plan = plan(default_topology(), lab="unit")
    actions = actions_for(lab_plan, scenario({"er-gateway"}))
    assert actions[0] == LabAction("stop", "er-gateway")
    assert down_nodes(lab_plan, scenario({"circuit"})) == {"msee-primary", "msee-secondary"}
    assert down_nodes(lab_plan, scenario({"primary-link"})) == frozenset()


def test_a_part_the_lab_does_not_have_is_refused_by_name() -> None:
    with pytest.raises(CannotProduce, match="no-such-router"):
        actions_for(plan(default_topology(), lab="unit"), scenario({"no-such-router"}))


def test_estate_parts_map_to_the_labs_msee_and_spoke_names() -> None:
    sites = load(ROOT / "examples" / "estates" / "sites.yaml")
    assert _part(sites, "la-erc-primary-link") == ([], [("dc2-ce1", "msee2-primary")], [])
    assert _part(sites, "circuit-la-erc") == (["msee2-primary", "msee2-secondary"], [], [])
    assert _part(sites, "hq-ce1") == (["hq-ce1"], [], [])
    assert _part(sites, "hq-fw-unit-0") == ([], [], [])  # the lab runs the cluster as one node
    down, links, drops = _part(sites, "vpn-tunnel-branch1-rtr-0")
    assert (down, links) == ([], []) and drops == [LabAction("drop", "branch1-rtr", "vpn-gateway-0", "internet")]
    hub_spoke = load(ROOT / "examples" / "estates" / "hub-spoke.yaml")
    assert _part(hub_spoke, "peering-spoke-data") == ([], [("vnet-fabric", "vnet-spoke2")], [])
    assert _part(hub_spoke, "vpn-tunnel-0") == ([], [("internet", "vpn-gateway-0")], [])


def test_every_estate_scenario_of_the_three_examples_maps_to_something_or_is_a_cluster_unit() -> None:
    for example in ("hub-spoke", "two-circuits", "sites"):
        topology = load(ROOT / "examples" / "estates" / f"{example}.yaml")
        for item in scenarios_for(topology, 1)[1:]:
            (part,) = item.failed
            assert any(_part(topology, part)) or "-unit-" in part, (example, part)


def test_bad_depth_and_a_topology_without_hosts_are_bad_input() -> None:
    with pytest.raises(VerifyInputError, match="--depth 3"):
        scenarios_for(default_topology(), 3)
    onprem = default_topology().onprem
    assert onprem is not None
    bare = default_topology().model_copy(update={"onprem": onprem.model_copy(update={"subnets": ()})})
    with pytest.raises(VerifyInputError, match="no flow to verify"):
        flow_ends(bare)


def test_only_the_vpn_gateways_timers_are_lowered() -> None:
    topology = default_topology()
    fast = fast_vpn_timers(topology)
    changed = [a.name for a, b in zip(topology.gateways, fast.gateways, strict=True) if a != b]
    assert topology.vpn_gateway is not None and changed == [topology.vpn_gateway.name]
    assert fast.model_copy(update={"gateways": topology.gateways}) == topology


def test_the_tunnels_to_start_again_are_read_from_swanctl_conf() -> None:
    config = ("connections {\n    azure-0 {\n        local {\n        }\n        children {\n"
              "            azure-0 {\n            }\n        }\n    }\n    azure-1 {\n        children {\n"
              "            azure-1 {\n            }\n        }\n    }\n}\nsecrets {\n    ike-1 {\n    }\n}\n")
    assert _swanctl_children(config) == {"azure-0": ["azure-0"], "azure-1": ["azure-1"]}


def _result() -> MatrixResult:
    topology = default_topology()
    chosen = scenarios_for(topology, 1)[:2]
    predicted = predict(topology, chosen)
    outcomes = []
    for item in chosen:
        flows = []
        for p in predicted[item.name]:
            forward = LivePath((p.flow.host, *p.forward.branches[0], p.flow.workload), True)
            reverse = LivePath((p.flow.workload, *p.reverse.branches[0], p.flow.host), True)
            if item.name == "primary-link" and p.flow.workload == "biz-vm1":
                forward = LivePath((p.flow.host, "onprem-core", "onprem-vpn"), False)
            flows.append(compare_flow(p, forward, reverse))
        outcomes.append(ScenarioOutcome(item.name, tuple(item.failed), (), 1.0, True, tuple(flows)))
    outcomes.append(ScenarioOutcome("circuit", ("circuit",), (), 0.0, False, (), error="could not produce it: x"))
    return MatrixResult(topology.name, "unit", 1, tuple(outcomes), 5.0, None, ("a note",))


def test_the_report_shows_every_scenario_and_each_difference_with_both_paths(tmp_path: Path) -> None:
    result = _result()
    assert not result.agrees
    assert [item.name for item in result.differing] == ["primary-link", "circuit"]
    assert cell(result.scenarios[1], "onprem-host1 ↔ biz-vm1") == "differs"
    assert cell(result.scenarios[1], "onprem-host1 ↔ web-vm1") == "agrees"
    assert cell(result.scenarios[2], "onprem-host1 ↔ web-vm1") == "not run"
    (line, error) = differences(result)
    assert line.startswith("primary-link onprem-host1 ↔ biz-vm1 forward: predicted delivered")
    assert "predicted onprem-core → onprem-ce2 → msee-secondary" in line and "live onprem-host1 → onprem-core → " \
        "onprem-vpn ✗" in line
    assert error == "circuit: could not produce it: x"
    markdown = to_markdown(result)
    assert all(f"| {name} |" in markdown for name in ("all-up", "primary-link", "circuit"))
    document = to_dict(result, "9.9")
    assert document["agrees"] is False and [s["name"] for s in document["scenarios"]] == [
        "all-up", "primary-link", "circuit"]
    written = write_reports(result, tmp_path / "out", "9.9")
    assert [p.name for p in written] == list(REPORT_FILES)
    assert json.loads(written[0].read_text(encoding="utf-8"))["version"] == "9.9"


def test_verify_uses_only_the_emulators_public_names() -> None:
    found = []
    for path in (ROOT / "src" / "hybridnet" / "verify").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hybridnet.emulate"):
                found += [(path.name, node.module, a.name) for a in node.names]
    assert found
    assert [f for f in found if f[1] != "hybridnet.emulate" or f[2] not in hybridnet.emulate.__all__] == []
