"""Estates in the drill, pure: flow selection and sampling, the new faults as data on the three estate
examples, each flow's expectation from the route analysis, and the per-flow result and reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridnet.drill.expectations import predict
from hybridnet.drill.faults import FaultAction, FaultError, build_fault
from hybridnet.drill.flows import sample_pairs, select_flows
from hybridnet.drill.result import DrillResult, FlowOutcome, StepResult, TcpStreamResult, UdpFigures
from hybridnet.drill.run.fleet import DrillSetupError
from hybridnet.drill.scenario import build_scenario
from hybridnet.model import Topology, default_topology, load
from hybridnet.report.json_report import report_document, result_from_document
from hybridnet.report.markdown import render_markdown

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "estates"


def estate(name: str) -> Topology:
    return load(EXAMPLES / f"{name}.yaml")


# ----------------------------------------------------------------------------------------- flows
def test_the_reference_keeps_its_one_flow() -> None:
    selection = select_flows(default_topology(), 12)
    assert [(f.host, f.workload, f.index) for f in selection.flows] == [("onprem-host1", "web-vm1", 0)]
    assert not selection.sampled and selection.note == ""


def test_every_site_to_every_vnet_with_their_first_host_and_workload() -> None:
    sites = select_flows(estate("sites"), 12)
    assert [(f.site, f.host, f.workload) for f in sites.flows] == [
        ("hq", "hq-host1", "web-vm1"), ("dc2", "dc2-host1", "web-vm1"), ("branch1", "branch1-host1", "web-vm1"),
        ("branch2", "branch2-host1", "web-vm1")]
    spokes = select_flows(estate("hub-spoke"), 12)
    assert [(f.vnet, f.workload) for f in spokes.flows] == [
        ("ra-hybrid-vpn-er-vnet", "web-vm1"), ("spoke-app", "app-vm1"), ("spoke-data", "sql-vm1")]
    assert len({f.tcp_port for f in spokes.flows}) == 3 and len({f.pinhole_tag for f in spokes.flows}) == 3


def test_sampling_covers_every_site_and_vnet_before_doubling_up_and_says_so() -> None:
    pairs = sample_pairs(["a", "b", "c"], ["x", "y"], 4)
    assert {s for s, _ in pairs[:3]} == {"a", "b", "c"} and {v for _, v in pairs[:3]} == {"x", "y"}
    assert len(pairs) == 4 and pairs == sample_pairs(["a", "b", "c"], ["x", "y"], 4)
    selection = select_flows(estate("hub-spoke"), 2)
    assert len(selection.flows) == 2 and selection.sampled and "budget 2" in selection.note
    assert any("not probed (flow budget 2)" in line for line in selection.not_probed)


def test_a_vnet_without_workload_is_named_as_not_probed() -> None:
    topology = estate("hub-spoke")
    topology = topology.model_copy(update={"workloads": tuple(w for w in topology.workloads if w.vnet != "spoke-data")})
    selection = select_flows(topology, 12)
    assert [f.vnet for f in selection.flows] == ["ra-hybrid-vpn-er-vnet", "spoke-app"]
    assert any(line.startswith("VNet spoke-data: not probed") for line in selection.not_probed)


def test_a_spoke_without_gateway_transit_is_not_probed_and_cannot_be_chosen() -> None:
    """No site reaches a spoke whose peering lacks gateway transit: its TCP stream could not start, and the
    whole drill failed with "probe agent flow1-tcp-source exited at start" before this."""
    from hybridnet.model.estate import VnetPeering

    topology = estate("hub-spoke")
    isolated = topology.spokes[0].model_copy(update={"peering": VnetPeering()})
    topology = topology.model_copy(update={"spokes": (isolated, *topology.spokes[1:])})
    selection = select_flows(topology, 12)
    assert [f.vnet for f in selection.flows] == ["ra-hybrid-vpn-er-vnet", "spoke-data"]
    assert any(line.startswith("VNet spoke-app: not probed, its peering has no gateway transit")
               for line in selection.not_probed)
    with pytest.raises(DrillSetupError, match="no gateway transit"):
        select_flows(topology, 12, workload="app-vm1")


def test_an_unknown_host_in_an_estate_names_the_choices() -> None:
    with pytest.raises(DrillSetupError, match="choose one of: hq-host1, dc2-host1"):
        select_flows(estate("sites"), 12, host="nope")


# ----------------------------------------------------------------------------------------- faults
def test_peering_location_cuts_every_link_at_that_location() -> None:
    fault = build_fault("peering-location=Silicon Valley", estate("two-circuits"))
    assert [(a.kind, a.a, a.b) for a in fault.actions] == [("cut", "hq-ce1", "msee-primary"),
                                                         ("cut", "hq-ce2", "msee-secondary")]
    assert fault.parts == {"peering-location-silicon-valley"}
    la = build_fault("peering-location=los angeles", estate("sites"))
    assert [(a.a, a.b) for a in la.actions] == [("dc2-ce1", "msee2-primary"), ("dc2-ce2", "msee2-secondary")]


def test_bgp_disconnect_shuts_the_msee_sessions_with_the_links_up() -> None:
    fault = build_fault("bgp-disconnect=la-erc", estate("sites"))
    assert [(a.kind, a.a, a.b) for a in fault.actions] == [("bgp", "msee2-primary", "172.16.0.9"),
                                                         ("bgp", "msee2-secondary", "172.16.0.13")]
    assert fault.parts == {"circuit-la-erc"}
    assert "links stay up" in fault.actions[0].description or "link stays up" in fault.actions[0].description


class _BgpLab:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []

    def set_bgp_session(self, node: str, peer: object, up: bool) -> None:
        self.calls.append((node, str(peer), up))


def test_the_bgp_action_goes_through_set_bgp_session_and_is_undone() -> None:
    lab = _BgpLab()
    action = FaultAction("bgp", "msee-primary", "172.16.0.1")
    action.apply(lab)  # type: ignore[arg-type]
    action.undo(lab)  # type: ignore[arg-type]
    assert lab.calls == [("msee-primary", "172.16.0.1", False), ("msee-primary", "172.16.0.1", True)]


def test_site_firewall_down_cuts_every_cable_of_the_firewall() -> None:
    fault = build_fault("site-firewall-down=hq", estate("sites"))
    assert {(a.a, a.b) for a in fault.actions} == {("hq-fw", "hq-ce1"), ("hq-fw", "hq-ce2"), ("hq-fw", "internet")}
    assert fault.parts == {"hq-fw-unit-0", "hq-fw-unit-1"}
    cables = (("hq-fw", "hq-host1"), ("hq-ce1", "hq-fw"), ("dc2-core", "dc2-ce1"))
    with_plan = build_fault("site-firewall-down=hq", estate("sites"), cables)
    assert [(a.a, a.b) for a in with_plan.actions] == [("hq-fw", "hq-host1"), ("hq-fw", "hq-ce1")]


def test_one_firewall_of_a_site_with_two_can_fail_alone() -> None:
    """A site whose ExpressRoute leaves through hq-fwa and whose VPN through hq-fwb: naming one firewall
    cuts that one only, and the analysis fails that device's part, not the whole site's."""
    document = _two_firewalls()
    fault = build_fault("site-firewall-down=hq-fwa", document)
    assert {(a.a, a.b) for a in fault.actions} == {("hq-fwa", "hq-core"), ("hq-fwa", "hq-ce1"), ("hq-fwa", "hq-ce2")}
    assert fault.title == "site hq: firewall hq-fwa down" and fault.parts == {"hq-fwa"}
    whole = build_fault("site-firewall-down=hq", document)
    assert {a.a for a in whole.actions} == {"hq-fwa", "hq-fwb"} and whole.parts == {"hq-fwa", "hq-fwb"}


def _two_firewalls() -> Topology:
    from ruamel.yaml import YAML

    from hybridnet.model.loader import loads

    yaml = YAML()
    document = yaml.load((EXAMPLES / "sites.yaml").read_text(encoding="utf-8"))
    hq = document["sites"][0]
    hq["devices"] = [
        {"name": "hq-core", "roles": ["core"]},
        {"name": "hq-fwa", "roles": ["firewall"], "firewall": {"stateful": True, "ha_pair": False}},
        {"name": "hq-fwb", "roles": ["firewall"], "firewall": {"stateful": True, "ha_pair": False}},
        {"name": "hq-ce1", "roles": ["edge"], "edge": {"circuit": "sv-erc", "link": "primary"}},
        {"name": "hq-ce2", "roles": ["edge"], "edge": {"circuit": "sv-erc", "link": "secondary"}},
        {"name": "hq-vpn", "roles": ["vpn"], "vpn": {"public_ip": "40.50.60.70", "local_network_gateway": "hq-lgw",
                                                      "bgp_addresses": ["169.254.21.2", "169.254.22.2"]}},
    ]
    hq["links"] = [{"between": ["hq-core", "hq-fwa"]}, {"between": ["hq-core", "hq-fwb"]},
                   {"between": ["hq-fwa", "hq-ce1"]}, {"between": ["hq-fwa", "hq-ce2"]},
                   {"between": ["hq-fwb", "hq-vpn"]}]
    from io import StringIO

    text = StringIO()
    yaml.dump(document, text)
    return loads(text.getvalue())


def test_spoke_peering_removed_cuts_the_fabric_to_spoke_link() -> None:
    fault = build_fault("spoke-peering-removed=spoke-data", estate("hub-spoke"))
    assert [(a.a, a.b) for a in fault.actions] == [("vnet-fabric", "vnet-spoke2")]
    assert fault.parts == {"peering-spoke-data"}


def test_branch_vpn_down_cuts_that_sites_vpn_end_only() -> None:
    fault = build_fault("branch-vpn-down=branch2", estate("sites"))
    assert [(a.a, a.b) for a in fault.actions] == [("branch2-rtr", "internet")]
    assert fault.parts == {"vpn-tunnel-branch2-rtr-0", "vpn-tunnel-branch2-rtr-1"}


@pytest.mark.parametrize(("name", "example", "choices"), [
    ("peering-location=Paris", "sites", "Silicon Valley, Los Angeles"),
    ("bgp-disconnect=nope", "two-circuits", "sv-erc, la-erc"),
    ("site-firewall-down=nope", "sites", "hq, dc2, branch1, branch2, hq-fw"),
    ("spoke-peering-removed=nope", "hub-spoke", "spoke-app, spoke-data"),
    ("branch-vpn-down=nope", "sites", "hq, dc2, branch1, branch2"),
])
def test_an_unknown_name_is_bad_input_naming_the_valid_choices(name: str, example: str, choices: str) -> None:
    with pytest.raises(FaultError, match=f"choose one of: {choices}") as error:
        build_fault(name, estate(example))
    assert error.value.exit_code == 2


def test_faults_that_do_not_apply_refuse_clearly() -> None:
    with pytest.raises(FaultError, match="no device with the firewall role"):
        build_fault("site-firewall-down=hq", estate("two-circuits"))
    with pytest.raises(FaultError, match="no spoke VNets"):
        build_fault("spoke-peering-removed=x", estate("sites"))
    with pytest.raises(FaultError, match="site dc2 has no VPN end"):
        build_fault("branch-vpn-down=dc2", estate("sites"))
    with pytest.raises(FaultError, match="needs an argument"):
        build_fault("bgp-disconnect", estate("sites"))


def test_existing_scenarios_apply_to_estates() -> None:
    sites = estate("sites")
    assert [(a.a, a.b) for a in build_fault("circuit-down", sites).actions] == [("hq-ce1", "msee-primary"),
                                                                                ("hq-ce2", "msee-secondary")]
    assert [a.a for a in build_fault("vpn-down", sites).actions] == ["hq-fw", "branch1-rtr", "branch2-rtr"]
    scenario = build_scenario("branch-vpn-down=branch1", sites)
    assert [s.action for s in scenario.steps] == ["verify", "apply", "verify", "undo"]


# ----------------------------------------------------------------------------------------- expectations
def _expect(example: str, fault: str) -> dict[str, tuple[str, str, bool, bool]]:
    topology = estate(example)
    flows = select_flows(topology, 12).flows
    found = predict(topology, flows, build_fault(fault, topology))
    return {f"{f.site}>{f.vnet}": (found[f.index].intact.shown, found[f.index].faulted.shown,
                                   found[f.index].faulted.cut, found[f.index].untouched) for f in flows}


def test_expectations_come_from_the_analysis_per_flow() -> None:
    sites = _expect("sites", "circuit-down")
    hub = "ra-hybrid-vpn-er-vnet"
    assert sites[f"hq>{hub}"] == ("ExpressRoute (sv-erc)", "VPN", False, False)
    assert sites[f"dc2>{hub}"] == ("ExpressRoute (la-erc)", "ExpressRoute (la-erc)", False, True)
    assert sites[f"branch1>{hub}"] == ("VPN", "VPN", False, True)
    assert _expect("two-circuits", "peering-location=Silicon Valley")[f"hq>{hub}"][:2] == \
        ("ExpressRoute (sv-erc)", "ExpressRoute (la-erc)")
    branch = _expect("sites", "branch-vpn-down=branch1")
    assert branch[f"branch1>{hub}"][1:3] == ("none (cut)", True) and branch[f"branch2>{hub}"][3]
    spoke = _expect("hub-spoke", "spoke-peering-removed=spoke-app")
    assert spoke["onprem>spoke-app"][2] and not spoke["onprem>spoke-data"][2] and spoke["onprem>spoke-data"][3]


def test_a_step_expects_the_round_trip_label_and_none_for_a_cut_flow() -> None:
    topology = estate("sites")
    flows = select_flows(topology, 12).flows
    found = predict(topology, flows, build_fault("site-firewall-down=hq", topology))
    assert found[0].for_step("intact", "onprem-to-vnet") == "ExpressRoute"
    assert found[0].for_step("fault", "vnet-to-onprem") == "none"
    assert found[2].for_step("fault", "onprem-to-vnet") == "VPN"


# ----------------------------------------------------------------------------------------- result and report
def _step(path_after: str, expected: str, outage_ms: float = 0.0, direction: str = "onprem-to-vnet") -> StepResult:
    udp = UdpFigures(100, 100, 0, 0, 0, 0, 0, 0, outage_ms, 0.0, 0.0)
    return StepResult("stop the circuit", direction, udp, "ExpressRoute", "none", path_after,  # type: ignore[arg-type]
                      expected_path=expected)


def _flow(index: int, site: str, path: str, expected: str, **kwargs: object) -> FlowOutcome:
    return FlowOutcome(index, site, "hub", f"{site}-host1", "web-vm1", (_step(path, expected),),
                       TcpStreamResult(1000, 1000, True, True), "ExpressRoute", expected, **kwargs)  # type: ignore[arg-type]


def test_the_verdict_fails_on_a_flow_off_the_analysis_path_or_losing_what_it_must_not() -> None:
    good = [_flow(0, "hq", "VPN", "VPN"), _flow(1, "branch1", "none", "none", expects_cut=True)]
    result = DrillResult("sites", "circuit down", "now", 10.0, flows=good)
    assert result.passed
    result.flows.append(_flow(2, "dc2", "VPN", "ExpressRoute"))
    assert not result.passed and "the analysis expects ExpressRoute" in result.flows[2].problems[0]
    stalled = FlowOutcome(3, "dc2", "hub", "h", "w", (_step("ExpressRoute", "ExpressRoute", 750.0),),
                          None, untouched=True)
    assert stalled.passed  # a scheduling stall on a loaded machine, measured up to ~750 ms
    untouched = FlowOutcome(3, "dc2", "hub", "h", "w", (_step("ExpressRoute", "ExpressRoute", 1500.0),),
                            None, untouched=True)
    assert "does not touch" in untouched.problems[0]
    lost = FlowOutcome(4, "hq", "hub", "h", "w", (_step("VPN", "VPN"),), TcpStreamResult(1000, 10, True, False))
    assert not lost.passed and lost.tcp_bytes_lost == 990


def test_the_report_has_the_flows_and_the_sites_and_round_trips() -> None:
    result = DrillResult("sites", "circuit down", "now", 10.0, steps=[_step("VPN", "VPN")],
                         flows=[_flow(0, "hq", "VPN", "VPN"), _flow(1, "branch1", "none", "none", expects_cut=True)],
                         not_probed=["VNet x: not probed, it has no workload"], flow_note="6 flows, budget 2: sampled")
    document = report_document(result)
    assert [f["site"] for f in document["flows"]] == ["hq", "branch1"]
    assert document["sites"][1] == {"site": "branch1", "flows": 1, "passed": 1, "worst_outage_ms": 0.0,
                                    "tcp_bytes_lost": 0}
    again = result_from_document(document)
    assert again.flows == result.flows and again.not_probed == result.not_probed
    text = render_markdown(result)
    assert "## Flows" in text and "## Per site" in text and "Sampled:" in text and "VNet x: not probed" in text


def test_the_reference_report_has_no_flow_sections() -> None:
    result = DrillResult("reference", "circuit down", "now", 10.0, steps=[_step("VPN", "VPN")])
    assert "flows" not in report_document(result) and "## Flows" not in render_markdown(result)


def test_a_fault_that_changes_no_probed_flow_is_said_not_passed_silently() -> None:
    """sites.yaml with dc2's host removed: taking Los Angeles down touches only dc2, which is not probed,
    and the drill printed a clean "Drill PASSED: worst outage 0 ms" without a word."""
    from hybridnet.drill.expectations import untouched_note

    topology = estate("sites")
    dc2 = next(s for s in topology.sites if s.name == "dc2")
    hostless = dc2.model_copy(update={"subnets": ()})
    topology = topology.model_copy(update={"sites": tuple(hostless if s.name == "dc2" else s for s in topology.sites)})
    selection = select_flows(topology, 12)
    fault = build_fault("peering-location=Los Angeles", topology)
    note = untouched_note(predict(topology, selection.flows, fault), fault.title, selection.not_probed)
    assert "changes no probed flow's path" in note and "not probed" in note
    sites = estate("sites")
    flows = select_flows(sites, 12)
    fault = build_fault("peering-location=Los Angeles", sites)
    assert untouched_note(predict(sites, flows.flows, fault), fault.title, flows.not_probed) == ""


def test_the_headline_counts_every_flow_and_keeps_predicted_cuts_apart() -> None:
    from hybridnet.report.summary import headline

    flows = [_flow(0, "hq", "VPN", "VPN"), _flow(1, "branch1", "none", "none", expects_cut=True)]
    text = headline(DrillResult("sites", "circuit down", "now", 10.0, flows=flows))
    assert text.startswith("Drill PASSED: 2 of 2 flows as the analysis predicts")
    assert "1 flow(s) cut, as predicted" in text and "(hq → hub)" in text
    flows.append(_flow(2, "dc2", "VPN", "ExpressRoute"))
    assert headline(DrillResult("sites", "circuit down", "now", 10.0, flows=flows)).startswith(
        "Drill FAILED: 2 of 3 flows")
