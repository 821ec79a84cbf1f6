"""`hybridnet check [FILE]`: run every rule and report findings as a table, JSON or SARIF.

Exit codes are the contract for CI: 0 no error findings (warnings and notes allowed), 1 at least one
error finding, 2 the topology could not be read.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hybridnet.cli.common import EXIT_BAD_INPUT, EXIT_FINDINGS, TopologyArg, console, err_console, fail
from hybridnet.model import Topology, TopologyError, load
from hybridnet.rules import Finding, Severity, all_rules, check, locate_in_file
from hybridnet.rules.formats import artifact_uri, summary, to_json, to_sarif

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


def check_command(
    file: TopologyArg = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table (default), json or sarif (SARIF 2.1.0).")
    ] = OutputFormat.table,
    fail_on: Annotated[
        Severity, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1 (CI gates).")
    ] = Severity.ERROR,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List every rule and exit.")] = False,
    explain: Annotated[
        str | None, typer.Option("--explain", metavar="RULE", help="Say why a rule exists and where Azure says so.")
    ] = None,
) -> None:
    """Check a topology against Azure's documented rules and the routing intent failover depends on.

    Exit codes: 0 no errors, 1 error findings (or any at --fail-on or worse), 2 unreadable topology.
    """
    if list_rules:
        _print_rules()
        return
    if explain is not None:
        _explain(explain)
        return
    topology = _load(file)
    findings = check(topology)
    shown = str(file) if file is not None else None
    if file is not None:
        findings = locate_in_file(findings, file, shown_as=shown)
    if output is OutputFormat.json:
        typer.echo(to_json(findings, topology.name, shown), nl=False)
    elif output is OutputFormat.sarif:
        uri = artifact_uri(file) if file is not None else None
        typer.echo(to_sarif(findings, all_rules(), uri), nl=False)
    else:
        _print_table(findings, escape(shown or "built-in reference topology"))
    if any(finding.severity.rank <= fail_on.rank for finding in findings):
        raise typer.Exit(EXIT_FINDINGS)


def _load(file: Path | None) -> Topology:
    """Like ``load_topology``, but prints messages as plain text: a topology error quotes the user's own
    keys and values, and a '[/x]' among them must not be read as console markup."""
    try:
        return load(file)
    except TopologyError as error:
        for item in getattr(error, "errors", [error]):
            err_console.print(Text("error: ", style="bold red").append(str(item)), soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _print_table(findings: list[Finding], label: str) -> None:
    counts = summary(findings)
    rules = len(all_rules())
    if not findings:
        console.print(f"[bold green]✓[/] {label}: no findings ({rules} rules checked)", highlight=False)
        return
    table = Table(show_lines=True, title=f"hybridnet check: {label}", title_justify="left")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Where, finding and fix", ratio=1)
    for finding in findings:
        where = f"line {finding.line}: {finding.path}" if finding.line is not None else finding.path
        body = Text(where, style="bold").append(f"\n{finding.message}", style="default")
        body.append(f"\nfix: {finding.fix}", style="green")
        rule_cell = Text(finding.rule_id)
        if finding.psrule:
            rule_cell.append(f"\n{finding.psrule}", style="dim")
        table.add_row(Text(finding.severity.value, style=_STYLE[finding.severity]), rule_cell, body)
    console.print(table)
    console.print(
        f"{label}: [bold red]{counts['error']} error(s)[/], [yellow]{counts['warning']} warning(s)[/], "
        f"[cyan]{counts['info']} note(s)[/] from {rules} rules (sources: --format json, --list-rules)",
        highlight=False,
    )


def _print_rules() -> None:
    table = Table(title="hybridnet rules", title_justify="left")
    for column in ("Rule", "Severity", "Title", "PSRule", "Source"):
        table.add_column(column, overflow="fold")
    for rule in all_rules():
        table.add_row(rule.id, Text(rule.severity.value, style=_STYLE[rule.severity]), rule.title,
                      rule.psrule or "", rule.source.title)
    console.print(table)


def _explain(rule_id: str) -> None:
    rule = next((r for r in all_rules() if r.id.lower() == rule_id.strip().lower()), None)
    if rule is None:
        fail(f"no rule {rule_id!r}; `hybridnet check --list-rules` lists them (IDs look like HN-GWS-003)")
    style = _STYLE[rule.severity]
    console.print(f"[bold]{rule.id}[/] [{style}]{rule.severity.value}[/]: {rule.title}", highlight=False)
    if rule.psrule:
        console.print(f"PSRule for Azure: {rule.psrule}", highlight=False)
    console.print(f"\n{rule.description}\n", highlight=False)
    console.print(f"Source: {rule.source.title}" + (f"\n        {rule.source.url}" if rule.source.url else ""),
                  highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)

