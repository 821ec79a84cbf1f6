"""A two-flow estate drill on a fake lab (hub-spoke, flow budget 2): both flows probed, each with its
own agents, pinhole and TCP stream, moved to the VPN as the analysis expects, and reported per flow."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from hybridnet.drill import DrillOptions, run_drill
from hybridnet.emulate import PathReport
from hybridnet.model import load
from tests.unit.drill.run.fake_lab import FakeLab

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "estates" / "hub-spoke.yaml"


class EstateFakeLab(FakeLab):
    """FakeLab on the estate's real (pure) plan: the same scripted circuit, pinholes recorded."""

    def __init__(self, directory: Path) -> None:
        super().__init__(load(EXAMPLE), directory)
        self.opened: list[tuple[str, str, tuple[int, ...], str]] = []

    def open_pinhole(self, node: str, source: IPv4Address, ports: Any, tag: str) -> bool:
        self.opened.append((node, str(source), tuple(ports), tag))
        return super().open_pinhole(node, source, ports, tag)

    def trace(self, source: str, destination: IPv4Address) -> PathReport:
        path = self.path_now()
        if path == "none":
            return PathReport(source, str(destination), str(destination), [source], "unreachable")
        middle = ["r1", "r2", "r3", "r4", "r5"] if path == "ExpressRoute" else ["r1", "r2", "r3", "r4"]
        return PathReport(source, str(destination), str(destination), [source, *middle, "dst"], path)


def test_a_two_flow_estate_drill_probes_both_flows_and_reports_them(tmp_path: Path) -> None:
    fake_lab = EstateFakeLab(tmp_path)
    lab: Any = fake_lab
    result = run_drill(fake_lab.plan.topology, "circuit-down", DrillOptions(path_checks=False, flow_budget=2), lab)
    assert [(f.site, f.vnet, f.host, f.workload) for f in result.flows] == [
        ("onprem", "ra-hybrid-vpn-er-vnet", "onprem-host1", "web-vm1"), ("onprem", "spoke-app", "onprem-host1",
                                                                        "app-vm1")]
    assert "budget 2" in result.flow_note and any("spoke-data" in line for line in result.not_probed)
    for flow in result.flows:
        failover = [s for s in flow.steps if s.name == "stop the circuit"]
        assert all((s.path_before, s.path_after, s.expected_path) == ("ExpressRoute", "VPN", "VPN")
                   for s in failover), failover
        assert flow.tcp_stream is not None and flow.tcp_stream.nothing_lost and flow.passed, flow.problems
    assert result.passed
    assert sorted(tag for *_rest, tag in fake_lab.opened) == ["hybridnet-drill-probe", "hybridnet-drill-probe-1"]
    assert {ports[1] for _n, _s, ports, _t in fake_lab.opened} == {47001, 47101}
    assert fake_lab.pinholes == set() and all(agent.poll() is not None for agent in fake_lab.agents)
