"""The runner against a fake lab: a whole drill played, measured and undone, without root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hybridnet.drill import DrillOptions, run_drill
from hybridnet.drill.result import DrillResult
from hybridnet.drill.run.runner import BackupNotReady
from hybridnet.errors import EXIT_FAILED
from hybridnet.model import default_topology
from tests.unit.drill.run.fake_lab import FakeLab


@pytest.fixture(scope="module")
def circuit_drill(tmp_path_factory: pytest.TempPathFactory) -> tuple[FakeLab, DrillResult]:
    """One circuit-down drill on a fake lab whose outage lasts 0.3 s (the tests below read it)."""
    fake_lab = FakeLab(default_topology(), tmp_path_factory.mktemp("lab"), outage_s=0.3)
    lab: Any = fake_lab
    return fake_lab, run_drill(fake_lab.plan.topology, "circuit-down", DrillOptions(path_checks=False), lab)


def test_traffic_moves_to_the_vpn_when_the_circuit_fails_and_back_when_it_returns(
        circuit_drill: tuple[FakeLab, DrillResult]) -> None:
    _fake_lab, result = circuit_drill
    steps = {(s.name, s.direction): s for s in result.steps}
    directions = ("onprem-to-vnet", "vnet-to-onprem")
    failover = [steps[("stop the circuit", d)] for d in directions]
    failback = [steps[("restore the circuit", d)] for d in directions]
    assert all((s.path_before, s.path_after) == ("ExpressRoute", "VPN") for s in failover), failover
    assert all(s.path_after == "ExpressRoute" for s in failback), failback
    # the fake outage is 0.3 s: the analysis of the probes' records finds it in both directions (a
    # machine under load may stall the fake agents too, which can only add to it)
    assert all(280 <= s.outage_ms <= 5000 for s in failover), [s.outage_ms for s in failover]
    assert result.passed and result.tcp_stream is not None and result.tcp_stream.nothing_lost
    kinds = {(e.source, e.kind) for e in result.events}
    assert ("fault", "fault applied") in kinds and ("fault", "fault undone") in kinds
    assert any(e.source == "ike" for e in result.events)  # the VICI stream was followed
    assert result.secrets == ("fake-pre-shared-key",)


def test_the_lab_is_left_as_it_was_found(circuit_drill: tuple[FakeLab, DrillResult]) -> None:
    fake_lab, _result = circuit_drill
    cuts = [a for a in fake_lab.actions if a[0] == "set_link"]
    assert sorted(a[1:3] for a in cuts if a[3] == "down") == sorted(a[1:3] for a in cuts if a[3] == "up")
    assert fake_lab.path_now() == "ExpressRoute"
    assert fake_lab.pinholes == set()  # the NSG pinhole is closed again
    assert all(agent.poll() is not None for agent in fake_lab.agents)  # every agent stopped
    assert fake_lab.sessions and all(session.closed for session in fake_lab.sessions)


def test_a_vpn_that_cannot_come_up_stops_the_drill_before_the_cut(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path, vpn_problems=["IPsec onprem-vpn: no CHILD SA installed"],
                       vpn_failure="IKE authentication failed: the pre-shared keys of the two ends differ")
    lab: Any = fake_lab
    with pytest.raises(BackupNotReady) as stopped:
        run_drill(fake_lab.plan.topology, "circuit-down", DrillOptions(path_checks=False), lab)
    assert "pre-shared keys" in stopped.value.cause and stopped.value.exit_code == EXIT_FAILED
    assert fake_lab.actions == []  # ExpressRoute was never cut
    assert fake_lab.agents == []


def test_a_killed_daemon_is_restarted_by_the_undo(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path, outage_s=0.3)
    lab: Any = fake_lab
    run_drill(fake_lab.plan.topology, "gateway-daemon-killed", DrillOptions(path_checks=False), lab)
    assert ("kill_daemon", "er-gateway", "bgpd") in fake_lab.actions
    assert ("restart_daemon", "er-gateway", "bgpd") in fake_lab.actions
