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
from dataclasses import replace
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
from hybridnet.drill.faults import Fault
from hybridnet.drill.options import DrillOptions
from hybridnet.drill.result import DrillResult, Event, TcpStreamResult, summarise_repeats
from hybridnet.drill.run.fleet import Endpoints, ProbeFleet, close_pinhole, measure_path_mtu, open_pinhole
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
        self.endpoints = Endpoints.choose(lab.plan.topology, options.host, options.workload)
        self.events: list[Event] = []
        self.windows: list[StepWindow] = []
        self.hops: dict[tuple[str, str], int] = {}  # (direction, path) → routers crossed
        self._fault_applied = False

    # ------------------------------------------------------------------ running
    def run(self) -> DrillResult:
        if any(step.expected_path == "VPN" for step in self.scenario.steps):
            self.say("checking the VPN backup")
            check_backup_ready(self.lab)
        directory = self.lab.directory / "drill" / f"run-{time.monotonic_ns()}"
        directory.mkdir(parents=True, mode=0o700)
        if not self.lab.wait_whole(START_TIMEOUT_S, expressroute=True):
            self._event("drill", "lab not whole at the start", "; ".join(self.lab.missing_parts(True)[:6]))
        open_pinhole(self.lab, self.endpoints)
        budget_ms = detection_budget_s(self.lab.plan.topology, self.fault) * 1000
        fleet = ProbeFleet(self.lab, self.endpoints, directory, self.options.interval_ms,
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
                self._run_step(step, fleet)
            time.sleep(LEAD_IN_S)  # the last probes of the last step get their replies
            records = fleet.stop()
        except BaseException:
            fleet.kill()
            raise
        finally:
            self.events += watch.stop()
            if self._fault_applied:
                self.fault.undo(self.lab)
            close_pinhole(self.lab, self.endpoints)
            shutil.rmtree(directory, ignore_errors=True)  # the records are in memory; a kept lab stays lean
        return self._result(records)

    def _event(self, source: str, kind: str, detail: str = "", node: str = "", t_ns: int | None = None) -> None:
        t_s = ((t_ns or time.monotonic_ns()) - self.origin_ns) / 1e9
        self.events.append(Event(t_s, source, kind, detail, node))  # type: ignore[arg-type]

    def _run_step(self, step: Step, fleet: ProbeFleet) -> None:
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
            window.settled = self._wait_settled(step.expected_path, fleet, step_timeout_s(topology, self.fault, step))
            if not window.settled:
                self._event("drill", "did not settle", f"traffic was not on {step.expected_path} in both "
                            f"directions within {step_timeout_s(topology, self.fault, step):g} s")
        else:
            end = time.monotonic() + watch_s(topology, self.fault, step)

            def watched() -> bool:
                fleet.poll()
                return time.monotonic() >= end

            poll_until(watched, 3600, POLL_S)
        if step.action == "undo" and not self.lab.wait_whole(WHOLE_AGAIN_TIMEOUT_S):
            self._event("drill", "not whole again", "BGP, BFD or the VPN did not all come back after the undo")
        paths = window.routes_path = self._routes_path(record_hops=True)
        window.end_ns = time.monotonic_ns()
        self.windows.append(window)
        # Between steps, outside every measured window: starting ping, traceroute and two agents
        # stalls the probes for a moment on a small machine, and that is not the network's doing.
        if step.action == "verify":
            self._traceroute()
            if self.options.path_checks and paths == (step.expected_path, step.expected_path):
                window.path_mtu = measure_path_mtu(self.lab, self.endpoints, fleet.directory, step.expected_path)
        self.say(f"{step.name}: the routes say {paths[0]} (on-prem → VNet) / {paths[1]} (VNet → on-prem)")

    def _wait_settled(self, expected: str, fleet: ProbeFleet, timeout_s: float) -> bool:
        """Until the routes point at ``expected`` both ways and replies have flowed for SETTLE_S."""
        good_since: list[int] = []

        def settled() -> bool:
            now = time.monotonic_ns()
            if self._routes_path() != (expected, expected):
                good_since.clear()
                return False
            good_since[:] = good_since or [now]
            return now - good_since[0] >= SETTLE_S * 1e9 and fleet.flowing(good_since[0], now)

        # Unhurried: every walk of the routes costs CPU the routers need to converge, and the
        # settle time dwarfs the poll interval anyway.
        return poll_until(settled, timeout_s, SETTLE_POLL_S)

    def _routes_path(self, record_hops: bool = False) -> tuple[str, str]:
        """The path the installed routes give, host → workload and back (FIB walk, hop by hop)."""
        e = self.endpoints
        out = self.lab.trace(e.host, e.workload_address)
        back = self.lab.trace(e.workload, e.host_address)
        if record_hops:
            for direction, report in (("onprem-to-vnet", out), ("vnet-to-onprem", back)):
                if report.via in ("ExpressRoute", "VPN"):
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
        first = self.windows[0] if self.windows else None
        ttl_paths = TtlPaths.calibrate(records, first, self.hops)
        steps, whole = step_results(self.windows, records, self.origin_ns, ttl_paths, self.fault.title,
                                    self.options.interval_ms)
        result = DrillResult(topology=self.lab.plan.topology.name, fault=self.scenario.title,
                             started_at=self.started_at, probe_interval_ms=self.options.interval_ms, steps=steps,
                             events=sorted(self.events, key=lambda e: e.t_s),
                             predictions=predict_detection(self.lab.plan.topology),
                             tcp_stream=tcp_result(records), max_outage_ms=self.options.max_outage_ms)
        for direction, analysis in whole.items():
            result.samples += analysis.samples
            result.lost_samples += [(t, direction) for t in analysis.lost_at_s]
        return result


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

