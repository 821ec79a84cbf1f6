"""`hybridnet drill`: the seed's failover test, automated and measured, with a report.

Brings a lab up for the topology unless one is already running (and takes it down again unless
``--keep``), runs the scenario, writes the JSON, Markdown and HTML reports into the report
directory and exits 0 when the drill passed, 1 when it failed, 2 on bad input. When it cannot run
(bad input, no root, a lab that fails, a VPN backup that is not up) it says why, and with ``--json``
prints a JSON error object ({"error", "cause", "exit_code", "version"}) on stdout instead of a report.
Thin: the drill is ``hybridnet.drill.run_drill``, the files ``hybridnet.report.write_reports``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hybridnet.cli.common import (
    TopologyArg,
    checked_lab_name,
    console,
    err_console,
    refuse_partial,
    reported_errors,
)
from hybridnet.drill import DrillOptions, run_drill
from hybridnet.drill.result import DrillResult
from hybridnet.drill.scenario import DEFAULT_SCENARIO, SCENARIO_FORMS
from hybridnet.errors import BadInput, system_error
from hybridnet.model import load
from hybridnet.report import redactor_for, render_json, write_reports
from hybridnet.report.summary import format_ms, headline, step_rows

EXIT_PASSED, EXIT_FAILED = 0, 1


def drill(
    topology_file: TopologyArg = None,
    scenario: Annotated[str, typer.Option(
        "--scenario", "-s", help=f"Fault to drill: {', '.join(SCENARIO_FORMS)}.")] = DEFAULT_SCENARIO,
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
    verify_matrix: Annotated[bool, typer.Option(
        "--verify-matrix", help="Instead of one scenario: run every single failure live and compare each flow's "
                                "path with `analyse` (the same as `hybridnet verify-matrix`; reports in "
                                "--report-dir).")] = False,
    flow_budget: Annotated[int, typer.Option(
        "--flow-budget", min=1, max=64,
        help="Estates: the most site→VNet flows probed (sampled beyond it, and the report says so).")] = 12,
    path_checks: Annotated[bool, typer.Option(
        "--path-checks/--no-path-checks", help="Measure the largest DF packet and the MSS on each path.")] = True,
    host: Annotated[str | None, typer.Option(
        help="On-prem host that probes; default: the first one.", show_default=False)] = None,
    workload: Annotated[str | None, typer.Option(
        help="Workload VM it probes; default: the first one.", show_default=False)] = None,
) -> None:
    """Fail the ExpressRoute circuit and measure, in ms, what failover to the VPN and back costs."""
    if verify_matrix:
        from hybridnet.cli.verify import verify_matrix_command

        verify_matrix_command(topology_file, lab=lab, output=report_dir, depth=1, as_json=as_json, only=None)
    with reported_errors(as_json=as_json, system_prefix="the drill could not run: "):
        topology = load(topology_file)
        refuse_partial(topology, "drill")
        _check_report_dir(report_dir)
        options = DrillOptions(interval_ms=interval_ms, max_outage_ms=max_outage, path_checks=path_checks,
                               host=host, workload=workload, repeat=repeat, flaps=flaps, lab=lab, keep=keep,
                               flow_budget=flow_budget)
        out = err_console if as_json else console
        started = time.monotonic()

        def say(message: str) -> None:
            out.print(f"  {time.monotonic() - started:6.1f} s  {message}", highlight=False)

        with out.status(f"drill: {scenario}", spinner="dots") as spinner:
            def progress(message: str) -> None:
                say(message)
                spinner.update(f"drill: {message}")

            result = run_drill(topology, scenario, options, progress=progress)
        written = write_reports(result, topology, report_dir)
    if as_json:
        typer.echo(render_json(result, redactor=redactor_for(result)), nl=False)
    else:
        _print_summary(result)
        console.print("reports: " + ", ".join(str(p) for p in written), highlight=False)
    raise typer.Exit(EXIT_PASSED if result.passed else EXIT_FAILED)


def _check_report_dir(report_dir: Path) -> None:
    try:
        if report_dir.exists() and not report_dir.is_dir():
            raise BadInput(f"--report-dir {report_dir} exists and is not a directory")
    except OSError as error:
        raise BadInput(f"--report-dir {report_dir}: {system_error(error)}") from None


SHORT_DIRECTIONS = {"onprem-to-vnet": "→ VNet", "vnet-to-onprem": "→ on-prem"}


def _short_path(path: str) -> str:
    return path.replace("ExpressRoute", "ER")


def _print_flows(result: DrillResult, target: Console) -> None:
    """An estate's flows, one row each: the table above shows the first flow's steps only."""
    table = Table(title="every probed flow (site → VNet)",
                  caption="expected: the route analysis, intact → under the fault")
    for column in ("site", "VNet", "expected", "outage → VNet", "outage → on-prem", "TCP lost", "verdict"):
        table.add_column(column, overflow="fold")
    for flow in result.flows:
        lost = flow.tcp_bytes_lost
        verdict = "[green]as expected[/]" if flow.passed else f"[red]{'; '.join(flow.problems)[:120]}[/]"
        table.add_row(flow.site, flow.vnet, _short_path(f"{flow.expected_intact} → {flow.expected_fault}"),
                      format_ms(flow.outage_ms("onprem-to-vnet")), format_ms(flow.outage_ms("vnet-to-onprem")),
                      "-" if lost is None else f"{lost} B", verdict)
    target.print(table)
    for line in result.not_probed:
        target.print(f"not probed: {line}", highlight=False, markup=False)
    if result.flow_note:
        target.print(result.flow_note, highlight=False, markup=False)


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
    if result.flows:
        _print_flows(result, target)
    for stats in result.repeats:
        target.print(f"{stats.step} ({SHORT_DIRECTIONS.get(stats.direction, stats.direction)}) over {stats.runs} "
                     f"runs: min {format_ms(stats.min_ms)}, median {format_ms(stats.median_ms)}, "
                     f"p95 {format_ms(stats.p95_ms)}, max {format_ms(stats.max_ms)}", highlight=False)
    colour = "green" if result.passed else "red"
    target.print(f"[bold {colour}]{headline(result)}[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(drill)
