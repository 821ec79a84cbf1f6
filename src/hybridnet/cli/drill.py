"""`hybridnet drill`: the seed's failover test, automated and measured, with a report.

Brings a lab up for the topology unless one is already running (and takes it down again unless
``--keep``), runs the scenario, writes the JSON, Markdown and HTML reports into the report
directory and exits 0 when the drill passed, 1 when it failed, 2 on bad input. When it cannot run
(bad input, no root, a lab that fails, a VPN backup that is not up) it says why, and with ``--json``
prints a JSON error object ({"error", "cause", "exit_code", "version"}) on stdout instead of a report.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pyroute2 import NetlinkError
from rich.console import Console
from rich.table import Table

from hybridnet.cli.common import EXIT_BAD_INPUT, TopologyArg, checked_lab_name, console, err_console, reported_errors
from hybridnet.drill.agent_process import AgentError
from hybridnet.drill.faults import FaultError
from hybridnet.drill.result import DrillResult
from hybridnet.drill.runner import BackupNotReady, DrillOptions, run_drill
from hybridnet.drill.scenario import DEFAULT_SCENARIO, MAX_FLAPS, SCENARIO_NAMES, build_scenario
from hybridnet.emulate import Lab, LabError, LabNotReady, down, plan
from hybridnet.emulate.lab import check_environment, system_error
from hybridnet.emulate.readiness import vpn_failure_reason
from hybridnet.emulate.state import LabState
from hybridnet.errors import HybridnetError
from hybridnet.model import Topology, TopologyError, TopologyErrors, load
from hybridnet.report import Redactor, render_html, render_json, render_markdown
from hybridnet.report.summary import format_ms, headline, step_rows

EXIT_PASSED, EXIT_FAILED = 0, 1
MAX_REPEAT = 100


def drill(
    topology_file: TopologyArg = None,
    scenario: Annotated[str, typer.Option(
        "--scenario", "-s", help=f"Fault to drill: {', '.join(SCENARIO_NAMES)}.")] = DEFAULT_SCENARIO,
    repeat: Annotated[int, typer.Option(
        help="Run the scenario N times; the report gives min / median / p95 / max outage.")] = 1,
    max_outage: Annotated[float | None, typer.Option(
        "--max-outage", help="Fail (exit 1) when any outage exceeds this many ms.", show_default=False)] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the lab running afterwards.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the JSON report on stdout (or, if the drill cannot run, a JSON error).")] = False,
    report_dir: Annotated[Path, typer.Option(
        "--report-dir", help="Where drill-report.{json,md,html} are written.")] = Path("hybridnet-report"),
    lab: Annotated[str | None, typer.Option(
        "--lab", "-l", help="Lab name; default: derived from the topology.", show_default=False,
        callback=checked_lab_name)] = None,
    interval_ms: Annotated[float, typer.Option(
        "--interval-ms", help="UDP probe interval in ms.")] = 10.0,
    flaps: Annotated[int, typer.Option(help="Cuts in a row for --scenario flapping.")] = 3,
    path_checks: Annotated[bool, typer.Option(
        "--path-checks/--no-path-checks", help="Measure the largest DF packet and the MSS on each path.")] = True,
    host: Annotated[str | None, typer.Option(
        help="On-prem host that probes; default: the first one.", show_default=False)] = None,
    workload: Annotated[str | None, typer.Option(
        help="Workload VM it probes; default: the first one.", show_default=False)] = None,
) -> None:
    """Fail the ExpressRoute circuit and measure, in ms, what failover to the VPN and back costs."""
    with reported_errors(as_json=as_json, system_prefix="the drill could not run: "):
        _drill(topology_file, scenario, repeat, max_outage, keep, as_json, report_dir, lab, interval_ms, flaps,
               path_checks, host, workload)


class DrillStopped(HybridnetError):
    """The drill cannot run (bad input, no root, a lab that fails): why, the cause and the exit code."""

    def __init__(self, message: str | list[str], cause: str, code: int = EXIT_BAD_INPUT) -> None:
        self._messages = [message] if isinstance(message, str) else message
        super().__init__(self._messages[0], exit_code=code, cause=cause)

    @property
    def messages(self) -> list[str]:
        return self._messages


def _stop(message: str, cause: str = "bad input", code: int = EXIT_BAD_INPUT) -> NoReturn:
    raise DrillStopped(message, cause, code)


def _drill(topology_file: Path | None, scenario: str, repeat: int, max_outage: float | None, keep: bool,
           as_json: bool, report_dir: Path, lab: str | None, interval_ms: float, flaps: int, path_checks: bool,
           host: str | None, workload: str | None) -> None:
    try:
        topology = load(topology_file)
    except TopologyError as error:
        errors = error.errors if isinstance(error, TopologyErrors) else [error]
        raise DrillStopped([str(item) for item in errors], "bad input") from None
    _check_options(scenario, repeat, max_outage, interval_ms, flaps, report_dir)
    _check_endpoints(topology, host, workload)
    try:
        chosen = build_scenario(scenario, topology, flaps=flaps)
        lab_plan = plan(topology, lab=lab)
    except (FaultError, LabError) as error:
        _stop(str(error))
    try:
        check_environment()  # root and the daemons, before anything touches the system
    except LabError as error:
        _stop(str(error), "environment")
    out = err_console if as_json else console
    started = time.monotonic()

    def say(message: str) -> None:
        out.print(f"  {time.monotonic() - started:6.1f} s  {message}", highlight=False)

    running, ours = _lab_for(lab_plan.lab, topology, say)
    try:
        with out.status(f"drill: {chosen.title}", spinner="dots") as spinner:
            def progress(message: str) -> None:
                say(message)
                spinner.update(f"drill: {message}")

            options = DrillOptions(interval_ms=interval_ms, max_outage_ms=max_outage, path_checks=path_checks,
                                   host=host, workload=workload)
            result = run_drill(running, chosen, options, repeat=repeat, progress=progress)
    except BackupNotReady as error:
        _stop(str(error), error.cause, EXIT_FAILED)
    except (LabError, AgentError) as error:
        _stop(f"the drill could not run: {error}", "lab", EXIT_FAILED)
    except (OSError, NetlinkError) as error:
        _stop(f"the drill could not run: {system_error(error)}", "lab", EXIT_FAILED)
    finally:
        if ours and not keep:
            say(f"taking lab {running.name} down")
            down(running.name)
    redactor = Redactor(_lab_secrets(running) + _topology_secrets(topology))
    written = _write_reports(result, topology, report_dir, redactor)
    if as_json:
        typer.echo(render_json(result, redactor=redactor), nl=False)
    else:
        _print_summary(result)
        console.print("reports: " + ", ".join(str(p) for p in written), highlight=False)
    raise typer.Exit(EXIT_PASSED if result.passed else EXIT_FAILED)


def _check_options(scenario: str, repeat: int, max_outage: float | None, interval_ms: float, flaps: int,
                   report_dir: Path) -> None:
    if scenario not in SCENARIO_NAMES:
        _stop(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIO_NAMES)}")
    if not 1 <= repeat <= MAX_REPEAT:
        _stop(f"--repeat must be between 1 and {MAX_REPEAT}, not {repeat}")
    if max_outage is not None and max_outage < 0:
        _stop(f"--max-outage must be 0 or more milliseconds, not {max_outage:g}")
    if not 1 <= interval_ms <= 1000:
        _stop(f"--interval-ms must be between 1 and 1000, not {interval_ms:g}")
    if not 1 <= flaps <= MAX_FLAPS:
        _stop(f"--flaps must be between 1 and {MAX_FLAPS}, not {flaps}")
    try:
        if report_dir.exists() and not report_dir.is_dir():
            _stop(f"--report-dir {report_dir} exists and is not a directory")
    except OSError as error:
        _stop(f"--report-dir {report_dir}: {system_error(error)}")


def _check_endpoints(topology: Topology, host: str | None, workload: str | None) -> None:
    hosts = [h.name for subnet in topology.onprem.subnets for h in subnet.hosts]
    workloads = [w.name for w in topology.workloads]
    if not hosts or not workloads:
        _stop("the drill probes from an on-prem host to a workload: add onprem.subnets[].hosts and workloads")
    if host is not None and host not in hosts:
        _stop(f"--host {host!r} is not an on-prem host of this topology; choose one of: {', '.join(hosts)}")
    if workload is not None and workload not in workloads:
        _stop(f"--workload {workload!r} is not a workload of this topology; choose one of: {', '.join(workloads)}")


def _lab_for(name: str, topology: Topology, say: Callable[[str], None]) -> tuple[Lab, bool]:
    """The running lab ``name`` (if it runs this topology), or a new one; True when we started it."""
    try:
        state = LabState.load(name)
    except (LabError, OSError):
        state = None
    try:
        if state is not None:
            running = Lab.attach(name)
            if not running.runs(topology):
                _stop(f"lab {name} runs a different topology ({state.topology}); take it down with "
                      f"`hybridnet down --lab {name}` or choose another --lab")
            say(f"using the running lab {name}")
            return running, False
        say(f"bringing lab {name} up")
        return Lab.up(plan(topology, lab=name), timeout_s=120, progress=say), True
    except LabNotReady as error:
        cause = _vpn_diagnosis(name) or "the lab did not become ready"
        down(name)
        _stop(f"the lab did not become ready: {error}", cause, EXIT_FAILED)
    except LabError as error:
        _stop(str(error), "lab")
    except (OSError, NetlinkError) as error:
        _stop(f"lab {name} could not be brought up: {system_error(error)}", "lab", EXIT_FAILED)


def _vpn_diagnosis(name: str) -> str | None:
    """strongSwan's reason why the VPN of lab ``name`` is not up, if it gives one."""
    try:
        return vpn_failure_reason(Lab.attach(name))
    except (LabError, OSError):
        return None


def _lab_secrets(lab: Lab) -> list[str]:
    """The pre-shared keys the lab's strongSwan configs hold, so no report can carry them."""
    secrets: list[str] = []
    for node in lab.plan.nodes:
        path = lab.node_directory(node.name) / "swanctl.conf"
        try:
            secrets += re.findall(r'secret\s*=\s*"([^"]+)"', path.read_text(encoding="utf-8"))
        except OSError:
            continue
    return secrets


def _topology_secrets(topology: Topology) -> list[str]:
    from hybridnet.emulate import lab_keys

    keys = lab_keys(topology)
    return [] if keys.generated else [keys.onprem, keys.azure]


def _write_reports(result: DrillResult, topology: Topology, directory: Path, redactor: Redactor) -> list[Path]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = {directory / "drill-report.json": render_json(result, redactor=redactor),
                 directory / "drill-report.md": render_markdown(result, redactor=redactor),
                 directory / "drill-report.html": render_html(result, topology, redactor=redactor)}
        for path, text in paths.items():
            path.write_text(text, encoding="utf-8")
    except OSError as error:
        _stop(f"cannot write the reports to {directory}: {error.strerror or error}", "report", EXIT_FAILED)
    return list(paths)


SHORT_DIRECTIONS = {"onprem-to-vnet": "→ VNet", "vnet-to-onprem": "→ on-prem"}


def _short_path(path: str) -> str:
    return path.replace("ExpressRoute", "ER")


def _print_summary(result: DrillResult, target: Console = console) -> None:
    """A table that fits a terminal: the reports carry the long form."""
    table = Table(title=f"{result.topology}: {result.fault}", caption="ER = ExpressRoute; path before → during → after")
    for column in ("step", "dir", "outage", "predicted", "lost", "path", "verdict"):
        table.add_column(column, overflow="fold")
    for step, row in zip(result.steps, step_rows(result), strict=True):
        colour = "green" if row.ok else "red"
        table.add_row(step.name, SHORT_DIRECTIONS.get(step.direction, step.direction), row.outage,
                      row.predicted.replace(" (", "\n("), f"{step.udp.lost}/{step.udp.sent}",
                      _short_path(f"{step.path_before} → {step.path_during} → {step.path_after}"),
                      f"[{colour}]{row.verdict}[/]")
    target.print(table)
    for stats in result.repeats:
        target.print(f"{stats.step} ({SHORT_DIRECTIONS.get(stats.direction, stats.direction)}) over {stats.runs} "
                     f"runs: min {format_ms(stats.min_ms)}, median {format_ms(stats.median_ms)}, "
                     f"p95 {format_ms(stats.p95_ms)}, max {format_ms(stats.max_ms)}", highlight=False)
    colour = "green" if result.passed else "red"
    target.print(f"[bold {colour}]{headline(result)}[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(drill)
