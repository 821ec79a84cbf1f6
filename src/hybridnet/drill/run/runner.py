"""Run a scenario on a running lab and measure it: the drill itself.

For each step the runner acts (apply or undo the fault, or just watch), then waits — with bounded
polls, never fixed sleeps — until the daemons' installed routes point the expected way in both
directions *and* probe replies flow again for a while, or the step's timeout from the topology's
timers runs out. It records each step's window on the drill's monotonic clock; afterwards the
probe records are cut into those windows and analysed (``probes``), the path of every reply is
named from its IP TTL (calibrated from the hop counts the routes give), and everything becomes a
DrillResult for ``report/``. Whatever happens, the fault is undone, the agents are stopped and the
NSG pinhole is closed. A scenario that fails over to the VPN first checks that the VPN is ready
(``check_backup_ready``): without a backup, a drill would only measure an outage.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hybridnet.agents.agent_io import Record
from hybridnet.drill.analysis import (
    LEAD_IN_S,
    StepWindow,
    TtlPaths,
    path_from_hops,
    routers_crossed,
    step_results,
    tcp_result,
)
from hybridnet.drill.analysis.timers import predict_detection
from hybridnet.drill.expectations import FlowExpectation, predict, untouched_note
from hybridnet.drill.faults import Fault
from hybridnet.drill.flows import is_estate, select_flows
from hybridnet.drill.options import DrillOptions
from hybridnet.drill.result import DrillResult, Event, FlowOutcome, StepResult, TcpStreamResult, summarise_repeats
from hybridnet.drill.run.fleet import (
    Endpoints,
    ProbeFleet,
    close_pinhole,
    flow_records,
    measure_path_mtu,
    open_pinhole,
)
from hybridnet.drill.run.path_checks import parse_traceroute
from hybridnet.drill.run.watch import ControlPlaneWatch
from hybridnet.drill.scenario import SETTLE_S, Scenario, Step, detection_budget_s, step_timeout_s, watch_s
from hybridnet.errors import HybridnetError
from hybridnet.waiting import poll_until

if TYPE_CHECKING:
    from hybridnet.emulate import Lab

Progress = Callable[[str], None]
POLL_S = 0.1
SETTLE_POLL_S = 0.25
WHOLE_AGAIN_TIMEOUT_S = 120.0
START_TIMEOUT_S = 60.0
BACKUP_TIMEOUT_S = 30.0
"""How long a drill waits for the VPN backup of a lab that is still coming up before it gives up."""


class DrillRun:
    """One run of a scenario on a ready lab."""

    def __init__(self, lab: Lab, scenario: Scenario, options: DrillOptions, origin_ns: int, started_at: str,
                 progress: Progress | None = None) -> None:
        self.lab = lab
        self.scenario = scenario
        self.fault: Fault = scenario.fault
        self.options = options
        self.origin_ns = origin_ns
        self.started_at = started_at
        self.say = progress or (lambda _message: None)
        topology = lab.plan.topology
        self.selection = select_flows(topology, options.flow_budget, options.host, options.workload)
        self.flows: tuple[Endpoints, ...] = self.selection.flows
        self.endpoints = self.flows[0]
        self.estate = is_estate(topology)
        self.expectations: dict[int, FlowExpectation] = (
            predict(topology, self.flows, scenario.fault) if self.estate else {})
        self.untouched = untouched_note(self.expectations, scenario.fault.title, self.selection.not_probed)
        self.stages = _stages(scenario.steps)
        self.events: list[Event] = []
        self.windows: list[StepWindow] = []
        self.hops: dict[tuple[str, str], int] = {}  # (direction, path) → routers crossed (flow 0)
        self.flow_hops: dict[int, dict[tuple[str, str], int]] = {e.index: {} for e in self.flows}
        self.first_routes: dict[int, tuple[str, str]] = {}
        self._fault_applied = False

    # ------------------------------------------------------------------ running
    def run(self) -> DrillResult:
        if self.untouched:
            self.say(f"warning: {self.untouched}")
        if any(step.expected_path == "VPN" for step in self.scenario.steps):
            self.say("checking the VPN backup")
            check_backup_ready(self.lab)
        directory = self.lab.directory / "drill" / f"run-{time.monotonic_ns()}"
        directory.mkdir(parents=True, mode=0o700)
        if not self.lab.wait_whole(START_TIMEOUT_S, expressroute=True):
            self._event("drill", "lab not whole at the start", "; ".join(self.lab.missing_parts(True)[:6]))
        for flow in self.flows:
            open_pinhole(self.lab, flow)
        budget_ms = detection_budget_s(self.lab.plan.topology, self.fault) * 1000
        fleet = ProbeFleet(self.lab, self.flows, directory, self.options.interval_ms,
                           self.options.tcp_rate_kbps, int(min(600_000, max(30_000, 2 * budget_ms + 60_000))))
        watch = ControlPlaneWatch(self.lab, self.origin_ns, self.options.watch_poll_s)
        records: dict[str, list[Record]] = {}
        try:
            self.say("starting probes")
            fleet.start()
            watch.start()
            start = time.monotonic_ns()
            poll_until(lambda: time.monotonic_ns() - start > 5e8 and fleet.flowing(start, time.monotonic_ns()),
                       30.0, POLL_S)
            for index, step in enumerate(self.scenario.steps, start=1):
                self.say(f"step {index}/{len(self.scenario.steps)}: {step.name} …")
                self._run_step(step, fleet, self.stages[index - 1])
            time.sleep(LEAD_IN_S)  # the last probes of the last step get their replies
            records = fleet.stop()
        except BaseException:
            fleet.kill()
            raise
        finally:
            self.events += watch.stop()
            if self._fault_applied:
                self.fault.undo(self.lab)
            for flow in self.flows:
                close_pinhole(self.lab, flow)
            shutil.rmtree(directory, ignore_errors=True)  # the records are in memory; a kept lab stays lean
        return self._result(records)

    def _event(self, source: str, kind: str, detail: str = "", node: str = "", t_ns: int | None = None) -> None:
        t_s = ((t_ns or time.monotonic_ns()) - self.origin_ns) / 1e9
        self.events.append(Event(t_s, source, kind, detail, node))  # type: ignore[arg-type]

    def _expected_ways(self, flow: Endpoints, step: Step, stage: str) -> tuple[str, str] | None:
        """(on-prem → VNet, VNet → on-prem) the installed routes must give ``flow`` at the step's end; None
        when there is nothing to wait for (the analysis says the flow is cut, or spread over both paths)."""
        if not self.estate:
            return (step.expected_path, step.expected_path)
        expectation = self.expectations.get(flow.index)
        if expectation is None:
            return None
        prediction = expectation.faulted if stage == "fault" else expectation.intact
        ways = (prediction.forward, prediction.reverse)
        return ways if all(way in ("ExpressRoute", "VPN") for way in ways) else None

    def _run_step(self, step: Step, fleet: ProbeFleet, stage: str = "intact") -> None:
        topology = self.lab.plan.topology
        window = StepWindow(step, start_ns=time.monotonic_ns())
        if step.action == "apply":
            window.change_ns = time.monotonic_ns()
            self._fault_applied = True
            self.fault.apply(self.lab)
            self._event("fault", "fault applied", f"{self.fault.title}: {self.fault.description} "
                        f"(took {(time.monotonic_ns() - window.change_ns) / 1e6:.0f} ms)", t_ns=window.change_ns)
        elif step.action == "undo":
            window.change_ns = time.monotonic_ns()
            problems = self.fault.undo(self.lab)
            self._fault_applied = bool(problems)
            self._event("fault", "fault undone", "; ".join(problems) or f"{self.fault.description} undone "
                        f"(took {(time.monotonic_ns() - window.change_ns) / 1e6:.0f} ms)", t_ns=window.change_ns)
        if step.waits_for_move:
            targets = {flow.index: ways for flow in self.flows
                       if (ways := self._expected_ways(flow, step, stage)) is not None}
            window.settled = self._wait_settled(targets, fleet, step_timeout_s(topology, self.fault, step))
            if not window.settled:
                where = step.expected_path if not self.estate else "the paths the analysis expects"
                self._event("drill", "did not settle", f"traffic was not on {where} in both "
                            f"directions within {step_timeout_s(topology, self.fault, step):g} s")
        else:
            end = time.monotonic() + watch_s(topology, self.fault, step)

            def watched() -> bool:
                fleet.poll()
                return time.monotonic() >= end

            poll_until(watched, 3600, POLL_S)
        if step.action == "undo" and not self.lab.wait_whole(WHOLE_AGAIN_TIMEOUT_S):
            self._event("drill", "not whole again", "BGP, BFD or the VPN did not all come back after the undo")
        every = self._all_routes(record_hops=True)
        paths = window.routes_path = every[self.endpoints.index]
        if not self.first_routes:
            self.first_routes = every
        window.end_ns = time.monotonic_ns()
        self.windows.append(window)
        # Between steps, outside every measured window: starting ping, traceroute and two agents
        # stalls the probes for a moment on a small machine, and that is not the network's doing.
        if step.action == "verify":
            self._traceroute()
            if self.options.path_checks and paths == (step.expected_path, step.expected_path):
                window.path_mtu = measure_path_mtu(self.lab, self.endpoints, fleet.directory, step.expected_path)
        self.say(f"{step.name}: the routes say {paths[0]} (on-prem → VNet) / {paths[1]} (VNet → on-prem)")

    def _wait_settled(self, targets: dict[int, tuple[str, str]], fleet: ProbeFleet, timeout_s: float) -> bool:
        """Until the routes of every flow in ``targets`` point the expected ways (flow → (out, back)) and its
        replies have flowed for SETTLE_S; flows the analysis says are cut are not waited for."""
        good_since: list[int] = []
        by_index = {flow.index: flow for flow in self.flows}

        def settled() -> bool:
            now = time.monotonic_ns()
            if any(self._routes_path(by_index[index]) != ways for index, ways in targets.items()):
                good_since.clear()
                return False
            good_since[:] = good_since or [now]
            return now - good_since[0] >= SETTLE_S * 1e9 and fleet.flowing(good_since[0], now, targets)

        # Unhurried: every walk of the routes costs CPU the routers need to converge, and the
        # settle time dwarfs the poll interval anyway.
        return poll_until(settled, timeout_s, SETTLE_POLL_S)

    def _all_routes(self, record_hops: bool = False) -> dict[int, tuple[str, str]]:
        return {flow.index: self._routes_path(flow, record_hops) for flow in self.flows}

    def _routes_path(self, flow: Endpoints | None = None, record_hops: bool = False) -> tuple[str, str]:
        """The path the installed routes give, host → workload and back (FIB walk, hop by hop)."""
        e = flow or self.endpoints
        out = self.lab.trace(e.host, e.workload_address)
        back = self.lab.trace(e.workload, e.host_address)
        if record_hops:
            for direction, report in (("onprem-to-vnet", out), ("vnet-to-onprem", back)):
                if report.via in ("ExpressRoute", "VPN"):
                    self.flow_hops[e.index][(direction, report.via)] = routers_crossed(report.hops)
                    if e is self.endpoints:
                        self.hops[(direction, report.via)] = routers_crossed(report.hops)
            self._event("drill", "path from installed routes",
                        f"{e.host} → {e.workload}: {out.via} ({' → '.join(out.hops)}); "
                        f"{e.workload} → {e.host}: {back.via} ({' → '.join(back.hops)})")
        return out.via, back.via

    def _traceroute(self) -> None:
        e = self.endpoints
        completed = self.lab.run(e.host, ["traceroute", "-n", "-I", "-q", "1", "-w", "1", "-m", "12",
                                          str(e.workload_address)], timeout=30)
        hops = parse_traceroute(completed.stdout)
        path = path_from_hops(hops, self.lab.path_markers())
        self._event("probe", "traceroute", f"{e.host} → {e.workload_address}: {path} via "
                    + " ".join(h or "*" for h in hops), e.host)

    # ------------------------------------------------------------------ analysing
    def _result(self, records: dict[str, list[Record]]) -> DrillResult:
        topology = self.lab.plan.topology
        outcomes = [self._flow_outcome(flow, flow_records(records, flow)) for flow in self.flows]
        first, analysed = outcomes[0]
        result = DrillResult(topology=topology.name, fault=self.scenario.title,
                             started_at=self.started_at, probe_interval_ms=self.options.interval_ms,
                             steps=list(first.steps), events=sorted(self.events, key=lambda e: e.t_s),
                             predictions=predict_detection(topology),
                             tcp_stream=first.tcp_stream, max_outage_ms=self.options.max_outage_ms)
        if self.estate:
            result.flows = [outcome for outcome, _whole in outcomes]
            result.not_probed = [*([self.untouched] if self.untouched else []), *self.selection.not_probed]
            result.flow_note = self.selection.note
            if first.expects_cut:  # the analysis says the fault cuts it: its stream's loss is the expected outcome
                result.tcp_stream = None
        for direction, analysis in analysed.items():
            result.samples += analysis.samples
            result.lost_samples += [(t, direction) for t in analysis.lost_at_s]
        return result

    def _flow_outcome(self, flow: Endpoints, records: dict[str, list[Record]]) -> tuple[FlowOutcome, dict]:
        """One flow's steps (with the analysis's expectation per step and direction) and TCP stream."""
        first = self.windows[0] if self.windows else None
        calibration = None if first is None else _Measured(first.start_ns, first.end_ns,
                                                           self.first_routes.get(flow.index, first.routes_path))
        ttl_paths = TtlPaths.calibrate(records, calibration, self.flow_hops.get(flow.index, self.hops))
        steps, whole = step_results(self.windows, records, self.origin_ns, ttl_paths, self.fault.title,
                                    self.options.interval_ms)
        expectation = self.expectations.get(flow.index)
        if expectation is not None:
            stage_of = {window.step.name: stage for window, stage in zip(self.windows, self.stages, strict=False)}
            steps = [_expect(step, expectation, stage_of.get(step.name, "intact")) for step in steps]
        outcome = FlowOutcome(
            index=flow.index, site=flow.site, vnet=flow.vnet, host=flow.host, workload=flow.workload,
            steps=tuple(steps), tcp_stream=tcp_result(records),
            expected_intact=expectation.intact.shown if expectation else "",
            expected_fault=expectation.faulted.shown if expectation else "",
            expects_cut=expectation.faulted.cut if expectation else False,
            untouched=expectation.untouched if expectation else False)
        return outcome, whole


@dataclass(frozen=True)
class _Measured:
    """A flow's view of the first step's window, for TTL calibration (its own installed routes)."""

    start_ns: int
    end_ns: int
    routes_path: tuple[str, str]


def _stages(steps: tuple[Step, ...]) -> list[str]:
    """``fault`` for the steps during which the fault holds (its apply and the verifies after it), else
    ``intact``."""
    stages, holding = [], False
    for step in steps:
        holding = True if step.action == "apply" else False if step.action == "undo" else holding
        stages.append("fault" if holding else "intact")
    return stages


def _expect(step: StepResult, expectation: FlowExpectation, stage: str) -> StepResult:
    return replace(step, expected_path=expectation.for_step(stage, step.direction))


class BackupNotReady(HybridnetError):
    """The VPN the drill would fail over to is not up: cutting ExpressRoute would only cut traffic."""

    def __init__(self, message: str, cause: str, *, fix: str | None = None) -> None:
        super().__init__(message, fix=fix, cause=cause)


def check_backup_ready(lab: Lab, timeout_s: float = BACKUP_TIMEOUT_S) -> None:
    """Before ExpressRoute is cut: the VPN's SAs are installed and BGP runs over its tunnels.

    A lab just brought up may still be finishing, so this waits (bounded); a diagnosis that waiting
    cannot cure — the pre-shared keys differ — stops it at once. Raises BackupNotReady naming why.
    """
    problems: list[str] = []
    definite: list[str] = []

    def ready_or_hopeless() -> bool:
        problems[:] = lab.vpn_missing()
        definite[:] = [reason] if problems and (reason := lab.vpn_failure(definite=True)) else []
        return not problems or bool(definite)

    poll_until(ready_or_hopeless, timeout_s, SETTLE_POLL_S)
    if problems:
        cause = (definite[0] if definite else None) or lab.vpn_failure() or "; ".join(problems[:3])
        raise BackupNotReady(
            f"the VPN backup of lab {lab.name} is not ready, so the drill did not cut ExpressRoute: {cause}",
            cause,
            fix=f"see `hybridnet status --lab {lab.name}`",
        )


def run_scenario(lab: Lab, scenario: Scenario, options: DrillOptions | None = None, *, repeat: int = 1,
                 progress: Progress | None = None) -> DrillResult:
    """Run ``scenario`` ``repeat`` times on one clock; several runs are summarised (min/median/p95/max)."""
    options = options or DrillOptions()
    say = progress or (lambda _message: None)
    origin_ns = time.monotonic_ns()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    runs = []
    for index in range(repeat):
        label = f"run {index + 1}/{repeat}: " if repeat > 1 else ""
        runs.append(DrillRun(lab, scenario, options, origin_ns, started_at,
                             lambda message, label=label: say(label + message)).run())
    return combine_runs(runs)


def combine_runs(runs: list[DrillResult]) -> DrillResult:
    """One result for several runs: every run's steps (named with the run), and the statistics."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    combined = DrillResult(topology=first.topology, fault=first.fault, started_at=first.started_at,
                           probe_interval_ms=first.probe_interval_ms, predictions=first.predictions,
                           max_outage_ms=first.max_outage_ms, repeats=summarise_repeats(runs))
    streams = [run.tcp_stream for run in runs if run.tcp_stream is not None]
    for index, run in enumerate(runs, start=1):
        combined.steps += [replace(step, name=f"{step.name} (run {index})") for step in run.steps]
        combined.events += run.events
        combined.samples += run.samples
        combined.lost_samples += run.lost_samples
    if streams:
        combined.tcp_stream = TcpStreamResult(
            bytes_sent=sum(s.bytes_sent for s in streams), bytes_received=sum(s.bytes_received for s in streams),
            checksum_ok=all(s.checksum_ok for s in streams), survived=all(s.survived for s in streams),
            error="; ".join(s.error for s in streams if s.error),
            longest_stall_ms=max(s.longest_stall_ms for s in streams))
    combined.events.sort(key=lambda e: e.t_s)
    return combined

