"""The estate analysis: the failover matrix's key facts for the three estate examples, and the estate
engine agreeing with the reference's engine wherever both apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import Topology, default_topology, load
from hybridnet.routing import Flag, GatewayKind, analyse, failure_points, parse_scenario
from hybridnet.routing import estate_analysis as engine
from hybridnet.routing.estate_design import estate_design

REPO = Path(__file__).resolve().parents[2]
ESTATES = REPO / "examples" / "estates"
runner = CliRunner()
HQ = "192.168.0.0/16"


def _edited(tmp_path: Path, example: str, edit) -> Topology:
    yaml = YAML(typ="safe")
    data = yaml.load((ESTATES / f"{example}.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / f"{example}-edited.yaml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return load(path)


def _same(left, right) -> bool:
    return (left.forward, left.reverse, left.flags, left.reasons) == (right.forward, right.reverse, right.flags,
                                                                      right.reasons)


@pytest.mark.parametrize("source", [None, "variant-no-er-preference.yaml", "variant-vpn-pinned-24.yaml"])
def test_the_estate_engine_gives_the_reference_engine_s_answers(source: str | None) -> None:
    """The reference read as an estate (one site in role form, one circuit): same parts, same paths, same flags."""
    topology = default_topology() if source is None else load(REPO / "examples" / source)
    reference, estate = analyse(topology), analyse(estate_design(topology))
    assert [p.name for p in failure_points(reference.design)] == [p.name for p in estate.design.points]
    assert [r.scenario.name for r in reference.results] == [r.scenario.name for r in estate.results]
    for result in reference.results:
        for flow, expected in reference.rows(result):
            assert _same(expected, estate.result(result.scenario.name, flow.onprem_prefix, flow.subnet)), (
                result.scenario.name, flow.label)


# ------------------------------------------------------------------------------------------- hub-spoke


def test_hub_spoke_spokes_go_over_expressroute_and_fail_over_to_the_vpn() -> None:
    analysis = analyse(load(ESTATES / "hub-spoke.yaml"))
    spoke = {"spoke-app": "vnet-spoke1", "spoke-data": "vnet-spoke2"}  # the lab's names (model.names.spoke_node)
    for subnet in ("spoke-app/app", "spoke-data/sql", "spoke-data/analytics"):
        up = analysis.result("all-up", HQ, subnet)
        assert up.forward.gateway is GatewayKind.ER and up.reverse.gateway is GatewayKind.ER and not up.flags
        assert up.reverse.hops[0] == up.forward.hops[-1] == spoke[subnet.split("/")[0]]
        down = analysis.result("circuit", HQ, subnet)
        assert down.forward.gateway is GatewayKind.VPN and down.reverse.gateway is GatewayKind.VPN and not down.flags
    # the hub's flows are the reference's, scenario by scenario
    reference = analyse(default_topology())
    for result in reference.results:
        for flow, expected in reference.rows(result):
            assert _same(expected, analysis.result(result.scenario.name, flow.onprem_prefix, flow.subnet))


def test_hub_spoke_a_removed_peering_cuts_that_spoke_only_and_is_no_spof() -> None:
    analysis = analyse(load(ESTATES / "hub-spoke.yaml"))
    cut = analysis.result("peering-spoke-app", HQ, "spoke-app/app")
    assert cut.flags == {Flag.BLACKHOLE}
    assert any("peering to the hub is removed" in reason for reason in cut.reasons)
    assert not analysis.result("peering-spoke-app", HQ, "spoke-data/sql").flags
    assert runner.invoke(app, ["analyse", str(ESTATES / "hub-spoke.yaml")]).exit_code == 0


def test_a_spoke_without_use_remote_gateways_has_no_route_to_on_prem(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["spokes"][0]["peering"]["spoke"]["use_remote_gateways"] = False

    topology = _edited(tmp_path, "hub-spoke", edit)
    analysis = analyse(topology, depth=1)
    lost = analysis.result("all-up", HQ, "spoke-app/app")
    assert Flag.BLACKHOLE in lost.flags
    assert lost.forward.gateway is GatewayKind.NONE and lost.reverse.gateway is GatewayKind.NONE
    assert any("does not use the hub's gateways" in reason for reason in lost.reasons)
    assert "peering-spoke-app" not in {p.name for p in analysis.design.points}
    assert not analysis.result("all-up", HQ, "spoke-data/sql").flags
    assert runner.invoke(app, ["analyse", str(tmp_path / "hub-spoke-edited.yaml"), "--depth", "1"]).exit_code == 1


# ------------------------------------------------------------------------------------------- two circuits


def test_two_circuits_the_weighted_circuit_carries_and_the_other_takes_over() -> None:
    topology = load(ESTATES / "two-circuits.yaml")
    design = estate_design(topology)
    location = parse_scenario(design, "peering-location=Silicon Valley")
    analysis = analyse(topology)
    named = analyse(design, [location])
    up = analysis.result("all-up", HQ, "web")
    assert up.forward.hops[:3] == ("hq-core", "hq-ce1", "msee-primary")
    assert {b.hops[2] for b in up.reverse.branches} == {"msee-primary", "msee-secondary"}
    for result in (analysis.scenario_result("circuit-sv-erc").by_class[analysis.flow_class[0]],
                   named.result("peering-location=Silicon Valley", HQ, "web")):
        assert result.forward.hops[1:3] == ("hq-ce3", "msee2-primary")
        assert {b.hops[2] for b in result.reverse.branches} == {"msee2-primary", "msee2-secondary"}
        assert not result.flags
    both = analysis.result("circuit-sv-erc+circuit-la-erc", HQ, "web")
    assert both.forward.gateway is GatewayKind.VPN and both.reverse.gateway is GatewayKind.VPN
    assert all(not r.by_class[i].flags for r in analysis.results if r.scenario.depth <= 1 for i in analysis.flow_class)


def test_two_circuits_azure_follows_the_weight_over_the_prepend(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["connections"][1]["routing_weight"] = 200  # Los Angeles now outweighs Silicon Valley

    analysis = analyse(_edited(tmp_path, "two-circuits", edit), depth=0)
    up = analysis.result("all-up", HQ, "web")
    assert {b.hops[2] for b in up.reverse.branches} == {"msee2-primary", "msee2-secondary"}
    assert up.forward.hops[2] == "msee-primary"  # on-prem still prefers Silicon Valley (local preference)


# ------------------------------------------------------------------------------------------- sites


def test_sites_branches_reach_the_hub_over_the_vpn_and_hq_through_it() -> None:
    analysis = analyse(load(ESTATES / "sites.yaml"))
    for branch, prefix in (("branch1", "10.31.0.0/16"), ("branch2", "10.32.0.0/16")):
        up = analysis.result("all-up", prefix, "web")
        assert up.forward.gateway is GatewayKind.VPN and up.reverse.gateway is GatewayKind.VPN and not up.flags
        assert up.forward.hops[0] == f"{branch}-rtr"
        to_hq = analysis.result("all-up", prefix, f"hq:{HQ}")
        assert to_hq.forward.hops[-1] == "hq-fw" and to_hq.reverse.hops[0] == "hq-fw"
        assert to_hq.forward.gateway is GatewayKind.VPN and not to_hq.flags
        # HQ's ExpressRoute going away changes nothing for the branch-to-HQ traffic (VPN to VPN)
        assert not analysis.result("circuit-sv-erc", prefix, f"hq:{HQ}").flags
    hq = analysis.result("all-up", HQ, "web")
    assert hq.forward.hops[:3] == ("hq-fw", "hq-ce1", "msee-primary")
    assert analysis.result("circuit-sv-erc", HQ, "web").forward.gateway is GatewayKind.VPN
    # the cluster: one unit down is no outage; no spof anywhere at HQ
    assert not analysis.result("hq-fw-unit-0", HQ, "web").flags
    assert all(Flag.SPOF not in r.by_class[analysis.flow_class[analysis.flow_index(HQ, "web")]].flags
               for r in analysis.results)
    # dc2 is on the second circuit, whose MSEEs carry the lab's names: still ExpressRoute both ways
    dc2_up = analysis.result("all-up", "10.40.0.0/16", "web")
    assert dc2_up.forward.hops[2] == "msee2-primary"
    assert dc2_up.forward.gateway is GatewayKind.ER and dc2_up.reverse.gateway is GatewayKind.ER
    # dc2 hangs on one circuit: its circuit is a single point of failure
    dc2 = analysis.result("circuit-la-erc", "10.40.0.0/16", "web")
    assert dc2.flags == {Flag.BLACKHOLE, Flag.SPOF}


def test_sites_branch_to_dc2_is_flagged_no_transit_and_a_single_firewall_is_a_spof(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["sites"][2]["reach"] = ["hq", "dc2"]
        data["sites"][0]["devices"][0]["firewall"]["ha_pair"] = False

    analysis = analyse(_edited(tmp_path, "sites", edit), depth=1)
    to_dc2 = analysis.result("all-up", "10.31.0.0/16", "dc2:10.40.0.0/16")
    assert to_dc2.flags == {Flag.TRANSIT, Flag.BLACKHOLE}
    assert any("Route Server" in reason for reason in to_dc2.reasons)
    assert not analysis.result("all-up", "10.31.0.0/16", f"hq:{HQ}").flags
    lost = analysis.result("hq-fw", HQ, "web")
    assert lost.flags == {Flag.BLACKHOLE, Flag.SPOF}
    assert any("hq-fw is a single point of failure" in reason for reason in lost.reasons)


def test_out_through_one_firewall_back_through_another_is_flagged(tmp_path: Path) -> None:
    """Edges behind one firewall, the VPN behind another, and on-prem preferring the VPN: Azure answers over
    ExpressRoute, through the other firewall."""

    def edit(data: dict) -> None:
        site = data["sites"][0]
        site["devices"] += [{"name": "hq-fw1", "roles": ["firewall"]}, {"name": "hq-fw2", "roles": ["firewall"]}]
        site["devices"][5]["vpn"]["local_preference"] = 300
        site["links"] = [{"between": ["hq-core", "hq-fw1"]}, {"between": ["hq-core", "hq-fw2"]},
                         *({"between": ["hq-fw1", f"hq-ce{i}"]} for i in range(1, 5)),
                         {"between": ["hq-fw2", "hq-vpn"]}]

    analysis = analyse(_edited(tmp_path, "two-circuits", edit), depth=0)
    result = analysis.result("all-up", HQ, "web")
    assert result.forward.hops[:3] == ("hq-core", "hq-fw2", "hq-vpn")
    assert "hq-fw1" in result.reverse.hops
    assert {Flag.FIREWALL_ASYMMETRIC, Flag.ASYMMETRIC} <= result.flags


# ------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(("example", "code"), [("hub-spoke", 0), ("two-circuits", 0), ("sites", 1)])
def test_analyse_takes_each_example(example: str, code: int) -> None:
    result = runner.invoke(app, ["analyse", str(ESTATES / f"{example}.yaml")])
    assert result.exit_code == code, result.output
    assert "but not yet emulated" not in result.output
    assert "Failover matrix" in result.output


def test_named_estate_scenarios_and_json() -> None:
    path = str(ESTATES / "sites.yaml")
    result = runner.invoke(app, ["analyse", path, "--only-named", "--json", "-s", "peering-location=Los Angeles",
                                 "-s", "site=hq"])
    document = json.loads(result.stdout)
    assert [s["name"] for s in document["scenarios"]] == ["all-up", "peering-location=Los Angeles", "site=hq"]
    assert {f["site"] for f in document["flows"]} == {"hq", "dc2", "branch1", "branch2"}
    assert {f.get("peer_site") for f in document["flows"]} == {None, "hq"}
    unknown = runner.invoke(app, ["analyse", path, "-s", "site=nowhere"])
    assert unknown.exit_code == 2 and "no site named 'nowhere'" in unknown.stderr
    parts = runner.invoke(app, ["analyse", path, "--parts"])
    assert "hq-fw-unit-0" in parts.output and "dc2-core" not in parts.output  # a LAN router is no part


def test_a_large_estate_falls_back_to_single_failures_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    topology = load(ESTATES / "sites.yaml")
    monkeypatch.setattr(engine, "COST_BUDGET", 100)
    analysis = analyse(topology)
    assert max(r.scenario.depth for r in analysis.results) == 1
    assert any("single failures only" in note for note in analysis.design.notes)
    assert max(r.scenario.depth for r in analyse(topology, depth=2).results) == 2
