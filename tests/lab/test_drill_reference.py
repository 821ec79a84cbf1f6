"""The failover drill on the reference topology, with the real daemons: the seed's manual test
passes and is measured both ways, one link down stays on ExpressRoute, a gray failure is caught
by BFD, and with both paths down the drill reports the outage and fails.

One lab serves every test here; each drill leaves it whole again (every session, BFD peer and
tunnel back up) before the next one starts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from hybridnet.drill import DrillOptions, run_drill
from hybridnet.drill.result import DrillResult, StepResult
from hybridnet.drill.run.watch import ControlPlaneWatch
from hybridnet.drill.scenario import build_scenario
from hybridnet.emulate import Lab, down, plan
from hybridnet.model import default_topology
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

SCHEMA = Path(__file__).parents[2] / "docs" / "drill-report.schema.json"
HYBRIDNET = str(Path(sys.executable).with_name("hybridnet"))
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def drill_lab() -> Iterator[Lab]:
    name = lab_name("drill")
    try:
        yield Lab.up(plan(default_topology(), lab=name), timeout_s=120)
    finally:
        down(name)


def _drill_cli(lab: Lab, report_dir: Path, *arguments: str) -> tuple[int, dict]:
    completed = subprocess.run([HYBRIDNET, "drill", "--lab", lab.name, "--keep", "--json", "--report-dir",
                                str(report_dir), *arguments], capture_output=True, text=True, timeout=600,
                               check=False)
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    return completed.returncode, json.loads(completed.stdout)


def _steps(document: dict, name: str) -> list[dict]:
    steps = [s for s in document["steps"] if s["name"] == name]
    assert {s["direction"] for s in steps} == {"onprem-to-vnet", "vnet-to-onprem"}, name
    return steps


def _step(result: DrillResult, name: str) -> list[StepResult]:
    steps = [s for s in result.steps if s.name == name]
    assert len(steps) == 2, [s.name for s in result.steps]
    return steps


def test_the_seed_procedure_moves_traffic_to_the_vpn_and_back(drill_lab: Lab, tmp_path: Path) -> None:
    code, document = _drill_cli(drill_lab, tmp_path)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    assert code == 0 and document["passed"], json.dumps(document["steps"], indent=1)[:4000]
    assert [s["name"] for s in document["steps"][::2]] == [
        "verify over ExpressRoute", "stop the circuit", "verify over the VPN", "restore the circuit"]
    for step in _steps(document, "stop the circuit"):  # failover, measured in each direction
        assert (step["path"]["before"], step["path"]["after"]) == ("ExpressRoute", "VPN"), step["path"]
        assert 20 < step["outage_ms"] < 2000, step["udp"]
        assert step["lost"] > 0
    for step in _steps(document, "restore the circuit"):  # failback, measured in each direction
        assert (step["path"]["before"], step["path"]["after"]) == ("VPN", "ExpressRoute"), step["path"]
        assert step["lost"] <= 5, step["udp"]
    for step in _steps(document, "verify over the VPN"):
        assert step["path"]["during"] == "VPN" and step["lost"] == 0, step["udp"]
    stream = document["tcp_stream"]
    assert stream["nothing_lost"] and stream["bytes_sent"] == stream["bytes_received"] > 0, stream
    mtu = {m["path"]: m for s in document["steps"] for m in s["path_mtu"]}
    assert mtu["ExpressRoute"]["path_mtu"] == 1500 and mtu["VPN"]["path_mtu"] == 1400, mtu
    assert mtu["VPN"]["mss_protects"] is True, mtu["VPN"]
    kinds = {(e["source"], e["kind"]) for e in document["events"]}
    assert ("bgp", "session down") in kinds and ("zebra", "route changed") in kinds, kinds
    assert document["predictions"][0]["mechanism"] == "bfd"
    markdown = (tmp_path / "drill-report.md").read_text()
    # The report says traffic moved ER → VPN (through a black hole) and back VPN → ER.
    assert "| stop the circuit |" in markdown and "ExpressRoute → none → VPN" in markdown, markdown
    assert re.search(r"\| restore the circuit \|.*\| VPN → \S+ → ExpressRoute \|", markdown), markdown
    _timeline_renders_in_chromium(tmp_path / "drill-report.html", tmp_path)


def _timeline_renders_in_chromium(page: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", completed.stdout)
    assert body is not None, completed.stdout[:500]
    attributes = dict(re.findall(r'(data-timeline-[a-z]+)="([^"]*)"', body.group(1)))
    assert attributes.get("data-timeline-complete") == "true", attributes
    assert int(attributes["data-timeline-width"]) >= 800 and int(attributes["data-timeline-height"]) >= 400
    assert "<svg" in completed.stdout and "onprem-ce1" in completed.stdout  # the topology drawing too


def test_primary_link_down_stays_on_expressroute(drill_lab: Lab) -> None:
    scenario = build_scenario("primary-link-down", drill_lab.plan.topology)
    result = run_drill(drill_lab.plan.topology, scenario, DrillOptions(path_checks=False), lab=drill_lab)
    assert result.passed, [(s.name, s.direction, s.path_after) for s in result.steps]
    for step in result.steps:
        assert "VPN" not in step.path_during and "VPN" not in step.path_after, step
    for step in _step(result, "cut the primary link"):
        # Near zero: the on-prem core spreads flows over both edges (ECMP). A flow on the secondary
        # loses nothing; one on the primary loses what is in flight until the core drops that next
        # hop (~0.1–0.2 s: the eBGP session resets with the carrier). The margin covers scheduling
        # stalls of a shared 2-core machine, which delay replies without losing them.
        assert step.lost <= 30 and step.outage_ms < 400, step.udp
    assert result.tcp_stream is not None and result.tcp_stream.nothing_lost


def test_gray_failure_is_caught_by_bfd_in_about_its_detection_time(drill_lab: Lab) -> None:
    scenario = build_scenario("gray-failure", drill_lab.plan.topology)
    result = run_drill(drill_lab.plan.topology, scenario, DrillOptions(path_checks=False), lab=drill_lab)
    assert result.passed, [(s.name, s.direction, s.path_after) for s in result.steps]
    for step in _step(result, "drop silently on the circuit"):
        assert (step.path_before, step.path_after) == ("ExpressRoute", "VPN")
        # BFD 300 ms × 3: detection 0.6–0.9 s after the last packet, plus BGP convergence.
        assert 500 < step.outage_ms < 2500, step.udp
    assert any(e.source == "bfd" and e.kind == "peer down" for e in result.events)
    assert result.predictions[0].mechanism == "bfd" and result.predictions[0].detection_ms == 900


def test_vpn_down_has_no_impact_and_the_vpn_works_again_after(drill_lab: Lab) -> None:
    result = run_drill(drill_lab.plan.topology, build_scenario("vpn-down", drill_lab.plan.topology),
                       DrillOptions(path_checks=False), lab=drill_lab)
    assert result.passed, [(s.name, s.direction, s.path_after) for s in result.steps]
    for step in _step(result, "stop the VPN"):
        assert step.lost == 0 and "VPN" not in step.path_during, step.udp
    # Cutting the internet link dropped the appliance's routes to the gateways' public IPs with it;
    # the undo put them back, so IKE and ESP can reach Azure again.
    for gateway in ("198.51.100.10", "198.51.100.11"):
        route = drill_lab.run("onprem-vpn", ["ip", "route", "get", gateway])
        assert "dev wan" in route.stdout, route.stdout + route.stderr


def test_a_killed_gateway_daemon_fails_over_and_comes_back(drill_lab: Lab) -> None:
    result = run_drill(drill_lab.plan.topology, build_scenario("gateway-daemon-killed", drill_lab.plan.topology),
                       DrillOptions(path_checks=False), lab=drill_lab)
    assert result.passed, [(s.name, s.direction, s.path_after) for s in result.steps]
    for step in _step(result, "kill the ExpressRoute gateway's bgpd"):
        assert (step.path_before, step.path_after) == ("ExpressRoute", "VPN") and step.outage_ms < 3000, step
    assert drill_lab.pids("er-gateway", "bgpd"), "bgpd runs again"


def test_flapping_fails_over_and_back_at_every_cut(drill_lab: Lab) -> None:
    result = run_drill(drill_lab.plan.topology, build_scenario("flapping", drill_lab.plan.topology, flaps=2),
                       DrillOptions(path_checks=False), lab=drill_lab)
    assert result.passed, [(s.name, s.direction, s.path_after) for s in result.steps]
    assert [s.path_after for s in result.steps[::2]] == ["ExpressRoute", "VPN", "ExpressRoute", "VPN",
                                                          "ExpressRoute"]
    assert result.tcp_stream is not None and result.tcp_stream.nothing_lost


def test_ipsec_events_reach_the_timeline(drill_lab: Lab) -> None:
    """IKE and CHILD SA events come from charon's VICI event stream, stamped on the drill's clock."""
    origin = time.monotonic_ns()
    watch = ControlPlaneWatch(drill_lab, origin)
    watch.start()
    try:
        charon = drill_lab.charon("onprem-vpn")
        ike = next(name for sa in charon.security_associations() for name in sa)
        rekey = subprocess.run(["swanctl", "--rekey", "--ike", ike, "--uri", f"unix://{charon.socket}"],
                               capture_output=True, text=True, timeout=30, check=False)
        assert rekey.returncode == 0, rekey.stdout + rekey.stderr
        deadline = time.monotonic() + 20
        while len({e.node for e in watch.events if e.source == "ike"}) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # both ends of the tunnel report the rekey
    finally:
        events = watch.stop()
    rekeyed = {e.node: e for e in events if e.source == "ike" and e.kind == "IKE_SA rekeyed"}
    assert "onprem-vpn" in rekeyed and ike in rekeyed["onprem-vpn"].detail, events
    assert any(node.startswith("vpn-gateway-") for node in rekeyed), events  # the Azure end saw it too
    assert 0 < rekeyed["onprem-vpn"].t_s < 30


def test_with_both_paths_down_the_drill_reports_the_outage_and_fails(drill_lab: Lab, tmp_path: Path) -> None:
    code, document = _drill_cli(drill_lab, tmp_path, "--scenario", "both-down", "--no-path-checks")
    assert code == 1 and not document["passed"]
    for step in _steps(document, "stop the circuit and the VPN"):
        assert step["path"]["after"] == "none" and step["path"]["as_expected"] is False, step["path"]
        assert step["outage_ms"] > 1000 and step["lost"] > 50, step["udp"]
    for step in _steps(document, "restore the circuit and the VPN"):
        assert step["path"]["after"] == "ExpressRoute", step["path"]
