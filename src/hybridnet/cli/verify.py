"""`hybridnet verify-matrix [FILE]`: every single (or double) failure live, each flow's live path both
ways against `analyse`'s prediction; a matrix on screen, JSON + Markdown + HTML in -o DIR.

Exit codes: 0 every scenario agrees, 1 any differs (or did not converge, or could not be produced),
2 bad input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from hybridnet.cli.common import TopologyArg, checked_lab_name, console, err_console, load_topology, reported_errors
from hybridnet.errors import EXIT_FAILED, BadInput, system_error
from hybridnet.verify import verify_matrix
from hybridnet.verify.report import differences, headline, matrix_table, to_dict, write_reports
from hybridnet.version import hybridnet_version


def verify_matrix_command(
    topology_file: TopologyArg = None,
    lab: Annotated[str | None, typer.Option(
        "--lab", "-l", callback=checked_lab_name, show_default=False,
        help="Lab to attach to if it runs this topology, else the name of the one brought up; default: from "
             "the topology.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the reports.")] = Path(
        "verify-report"),
    depth: Annotated[int, typer.Option(help="1: every single failure; 2: also every double one.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report instead of the matrix.")] = False,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Run only this scenario (repeatable; all-up always runs); default: every one.",
        show_default=False)] = None,
) -> None:
    """Fail every part live and compare each flow's path with the route analysis's prediction."""
    with reported_errors(as_json=as_json, system_prefix="verify-matrix could not run: "):
        if depth not in (1, 2):
            raise BadInput(f"--depth {depth}: give 1 (every single failure) or 2 (and every double one)")
        topology = load_topology(topology_file, stage="verify-matrix")
        _check_output(output)
        out = err_console if as_json else console
        started = time.monotonic()

        def say(message: str) -> None:
            out.print(f"  {time.monotonic() - started:6.1f} s  {message}", highlight=False)

        result = verify_matrix(topology, lab_name=lab, depth=depth, progress=say, only=tuple(only or ()))
        written = write_reports(result, output, hybridnet_version())
    if as_json:
        typer.echo(json.dumps(to_dict(result, hybridnet_version()), indent=2, ensure_ascii=False))
    else:
        console.print(matrix_table(result))
        for line in differences(result):
            console.print("✗ " + line, highlight=False, markup=False)
        colour = "green" if result.agrees else "red"
        console.print(f"[bold {colour}]{headline(result)}[/]", highlight=False)
        console.print("reports: " + ", ".join(str(p) for p in written), highlight=False, markup=False)
    raise typer.Exit(0 if result.agrees else EXIT_FAILED)


def _check_output(output: Path) -> None:
    try:
        if output.exists() and not output.is_dir():
            raise BadInput(f"-o {output} exists and is not a directory", fix="give a directory (it is created)")
    except OSError as error:
        raise BadInput(f"-o {output}: {system_error(error)}") from None


def register(app: typer.Typer) -> None:
    app.command("verify-matrix")(verify_matrix_command)
