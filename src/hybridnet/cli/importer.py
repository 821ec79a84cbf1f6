"""`hybridnet import`: a topology file from an ARM template or an export of deployed resources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hybridnet.cli.common import (
    EXIT_BAD_INPUT,
    console,
    err_console,
    fail,
    load_topology,
    report_topology_error,
)
from hybridnet.model import TopologyError


def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="ARM template (+ its parameters file) and/or JSON exports "
            "(`az resource show --ids ...`, `Get-AzResource -ExpandProperties`)."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Topology YAML to write; stdout when omitted.")
    ] = None,
    onprem: Annotated[
        Path | None,
        typer.Option(
            "--onprem",
            help="Topology file supplying what Azure does not know (on-prem devices, key references, MTU).",
        ),
    ] = None,
    resource_group: Annotated[
        str | None,
        typer.Option(
            help="Resource group the template deploys to, or the hub's group in a subscription-wide export."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
) -> None:
    """Read Azure resources into a topology; report what was assumed and what did not map."""
    from hybridnet.importer import import_files
    from hybridnet.importer.writer import topology_yaml

    base = load_topology(onprem) if onprem is not None else None
    if output is not None and output.exists() and not force:
        fail(f"{output} already exists (use --force to overwrite it)")
    try:
        result = import_files(files, base=base, resource_group=resource_group)
    except TopologyError as error:
        report_topology_error(error)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    text = topology_yaml(result.topology, result.report)
    report = result.report
    for assumption in report.assumptions:  # user text (ARM expressions) holds brackets: escape it
        err_console.print(
            f"[yellow]assumed[/] {escape(assumption.field)}: {escape(assumption.message)}",
            highlight=False,
            soft_wrap=True,
        )
    for item in report.unmapped:
        err_console.print(
            f"[magenta]not imported[/] {escape(item.what)}: {escape(item.reason)}", highlight=False, soft_wrap=True
        )
    for unknown in report.unknown:
        where = unknown.origin.split(": resource ", 1)[0]
        err_console.print(
            f"[cyan]unknown[/] {escape(unknown.resource)} {escape(unknown.field)}: {escape(unknown.why)} "
            f"({escape(where)})",
            highlight=False,
            soft_wrap=True,
        )
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    console.print(
        f"wrote [bold]{output}[/] ({len(report.imported)} resources read, {len(report.unmapped)} not "
        f"imported, {len(report.unknown)} unknown until deployed, {len(report.assumptions)} assumptions); "
        f"check it with [bold]hybridnet check {output}[/]"
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
