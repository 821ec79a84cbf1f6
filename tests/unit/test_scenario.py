"""The drill's scenarios read like the guidance's manual test, wait as long as the timers need,
and the CLI turns bad input into a clear error (exit 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.drill.analysis.paths import TtlPaths
from hybridnet.drill.faults import FaultError
from hybridnet.drill.result import DrillResult, StepResult, TcpStreamResult, UdpFigures
from hybridnet.drill.run.runner import combine_runs
from hybridnet.drill.scenario import (
    SCENARIO_NAMES,
    build_scenario,
    detection_budget_s,
    step_timeout_s,
    watch_s,
)
from hybridnet.emulate.daemons import parse_documents
from hybridnet.model import Topology
from tests.conftest import reference_document, topology_from


def _hold_timer_only() -> Topology:
    document = reference_document()
    document["circuit"]["private_peering"]["bfd"] = {"enabled": False}
    document["circuit"]["private_peering"]["bgp_timers"] = {"keepalive_s": 3, "hold_s": 9}
    return topology_from(document)


def test_the_default_scenario_is_the_seed_procedure(reference: Topology) -> None:
    scenario = build_scenario("circuit-down", reference)
    assert [(s.name, s.action, s.expected_path) for s in scenario.steps] == [
        ("verify over ExpressRoute", "verify", "ExpressRoute"),
        ("stop the circuit", "apply", "VPN"),
        ("verify over the VPN", "verify", "VPN"),
        ("restore the circuit", "undo", "ExpressRoute"),
    ]
    assert [s.waits_for_move for s in scenario.steps] == [False, True, False, True]


def test_primary_link_down_verifies_expressroute_throughout(reference: Topology) -> None:
    scenario = build_scenario("primary-link-down", reference)
    assert {s.expected_path for s in scenario.steps} == {"ExpressRoute"}
    assert scenario.steps[2].name == "verify over ExpressRoute"


def test_flapping_cuts_and_restores_n_times(reference: Topology) -> None:
    scenario = build_scenario("flapping", reference, flaps=3)
    assert len(scenario.steps) == 7
    assert [s.action for s in scenario.steps[1:]] == ["apply", "undo"] * 3
    assert scenario.steps[-1].name == "cut 3: restore the circuit"


@pytest.mark.parametrize("flaps", [0, 21])
def test_flapping_count_is_bounded(reference: Topology, flaps: int) -> None:
    with pytest.raises(FaultError, match="between 1 and 20"):
        build_scenario("flapping", reference, flaps=flaps)


def test_every_scenario_builds_on_the_reference(reference: Topology) -> None:
    for name in SCENARIO_NAMES:
        assert build_scenario(name, reference).steps[0].expected_path == "ExpressRoute"


def test_gray_failure_is_detected_by_bfd_or_else_the_hold_timer(reference: Topology) -> None:
    gray = build_scenario("gray-failure", reference)
    assert detection_budget_s(reference, gray.fault) == pytest.approx(0.9)
    slow = _hold_timer_only()
    assert detection_budget_s(slow, build_scenario("gray-failure", slow).fault) == 9.0
    assert detection_budget_s(reference, build_scenario("circuit-down", reference).fault) == 1.0


def test_step_timeouts_cover_detection_and_convergence() -> None:
    slow = _hold_timer_only()
    scenario = build_scenario("gray-failure", slow)
    apply_step, undo_step = scenario.steps[1], scenario.steps[3]
    assert step_timeout_s(slow, scenario.fault, apply_step) == 69.0
    assert step_timeout_s(slow, scenario.fault, undo_step) == 90.0


def test_a_fault_that_must_not_move_traffic_is_watched_past_its_detection(reference: Topology) -> None:
    scenario = build_scenario("primary-link-down", reference)
    assert watch_s(reference, scenario.fault, scenario.steps[1]) == pytest.approx(1.0 + 3.0)
    assert watch_s(reference, scenario.fault, scenario.steps[0]) == 2.0


def test_reply_paths_are_named_from_ttls_per_direction() -> None:
    paths = TtlPaths({("onprem-to-vnet", 59): "ExpressRoute", ("onprem-to-vnet", 60): "VPN",
                      ("vnet-to-onprem", 59): "ExpressRoute", ("vnet-to-onprem", 60): "VPN"})
    outbound = paths.path_of("onprem-to-vnet")
    assert outbound({"request_ttl": 59, "reply_ttl": 59}) == "ExpressRoute"
    assert outbound({"request_ttl": 60, "reply_ttl": 59}) == "VPN/ExpressRoute"
    assert outbound({"request_ttl": 57, "reply_ttl": 60}) == "unknown/VPN"


def _run(outage_ms: float, lost_bytes: int = 0) -> DrillResult:
    udp = UdpFigures(sent=100, received=90, lost=10, request_lost=10, reply_lost=0, lost_unattributed=0,
                     duplicated=0, reordered=0, outage_ms=outage_ms, request_outage_ms=outage_ms,
                     reply_outage_ms=0.0)
    step = StepResult(name="stop the circuit", direction="onprem-to-vnet", udp=udp, path_before="ExpressRoute",
                      path_during="none", path_after="VPN", expected_path="VPN")
    return DrillResult(topology="t", fault="circuit hard down", started_at="now", probe_interval_ms=10.0,
                       steps=[step], tcp_stream=TcpStreamResult(1000, 1000 - lost_bytes, lost_bytes == 0, True))


def test_repeats_keep_every_run_and_summarise_the_outage() -> None:
    combined = combine_runs([_run(150.0), _run(200.0), _run(180.0, lost_bytes=5)])
    assert [s.name for s in combined.steps] == [f"stop the circuit (run {i})" for i in (1, 2, 3)]
    (stats,) = combined.repeats
    assert (stats.runs, stats.min_ms, stats.median_ms, stats.max_ms) == (3, 150.0, 180.0, 200.0)
    assert combined.tcp_stream is not None and not combined.tcp_stream.nothing_lost
    assert not combined.passed


def test_vtysh_documents_are_split() -> None:
    assert parse_documents('{"a": 1}\n[\n 2\n]\n') == [{"a": 1}, [2]]
    assert parse_documents("% Unknown command") == []


@pytest.mark.parametrize("arguments, message", [
    (["--scenario", "meteor"], "unknown scenario 'meteor'"),
    (["--repeat", "0"], "--repeat must be between 1 and 100"),
    (["--max-outage", "-5"], "--max-outage must be 0 or more"),
    (["--interval-ms", "0"], "--interval-ms must be between 1 and 1000"),
    (["--scenario", "flapping", "--flaps", "50"], "--flaps must be between 1 and 20"),
    (["/nonexistent/topology.yaml"], "file not found"),
    (["--workload", "mainframe"], "--workload 'mainframe' is not a workload of this topology; choose one of: "
                                  "web-vm1"),
    (["--host", "web-vm1"], "--host 'web-vm1' is not an on-prem host"),
])
def test_bad_drill_input_is_a_clear_error(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["drill", *arguments])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_vpn_fault_on_a_topology_without_vpn_is_bad_input(tmp_path: Path) -> None:
    document = reference_document()
    document["gateways"] = [g for g in document["gateways"] if g["type"] != "Vpn"]
    document["connections"] = [c for c in document["connections"] if c["type"] != "IPsec"]
    document["local_network_gateways"] = []
    document["onprem"].pop("vpn_appliance")
    path = tmp_path / "no-vpn.yaml"
    with path.open("w") as stream:
        YAML(typ="safe").dump(document, stream)
    result = CliRunner().invoke(app, ["drill", str(path), "--scenario", "vpn-down"])
    assert result.exit_code == 2, result.output
    assert "no site-to-site VPN" in result.output


def test_drilling_without_root_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import hybridnet.emulate.lab

    monkeypatch.setattr(hybridnet.emulate.lab.os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(app, ["drill"])
    assert result.exit_code == 2, result.output
    assert "the lab needs root" in result.output and "Traceback" not in result.output
