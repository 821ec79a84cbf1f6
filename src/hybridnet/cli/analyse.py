"""`hybridnet analyse [FILE]`: the failover matrix, every flow's path both ways in every failure.

Exit codes, for CI: 0 the design fails over cleanly; 1 a flow is asymmetric or takes an unexpected
path in some scenario, or is black-holed with everything up or after a single failure (with
``--against``: 1 when the designs differ); 2 bad input.
"""

from __future__ import annotations

import json
from collections import Counter
from ipaddress import IPv4Network
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hybridnet.cli.common import EXIT_FINDINGS, TopologyArg, console, fail, load_topology, versioned
from hybridnet.model import Topology
from hybridnet.routing import (
    Analysis,
    Flag,
    FlowResult,
    GatewayKind,
    RoutingDesign,
    RoutingError,
    Scenario,
    ScenarioError,
    analyse,
    failure_points,
    failure_scenarios,
    parse_scenario,
)
from hybridnet.routing import (
    Path as RoutePath,
)
from hybridnet.routing.analysis import REFERENCE_FLAGS
from hybridnet.routing.diff import FlowChange, compare
from hybridnet.routing.estate_design import EstateDesign, EstateDesignError, design_of
from hybridnet.routing.export import analysis_to_dict, changes_to_dict

MAX_FLOW_COLUMNS = 6
"""Up to this many groups of alike flows get a column each; beyond, each row shows counts instead."""

_GATEWAY_STYLE = {
    GatewayKind.ER: "green",
    GatewayKind.VPN: "cyan",
    GatewayKind.MIXED: "yellow",
    GatewayKind.NONE: "bold red",
}
_FLAG_STYLE = {
    Flag.ASYMMETRIC: "bold yellow",
    Flag.UNEXPECTED_PATH: "bold magenta",
    Flag.BLACKHOLE: "bold red",
    Flag.TRANSIT: "bold red",
    Flag.FIREWALL_ASYMMETRIC: "bold yellow",
    Flag.SPOF: "bold red",
}
_FLAG_MARK = {
    Flag.ASYMMETRIC: "asym",
    Flag.UNEXPECTED_PATH: "unexp",
    Flag.BLACKHOLE: "✗hole",
    Flag.TRANSIT: "transit",
    Flag.FIREWALL_ASYMMETRIC: "fw-asym",
    Flag.SPOF: "spof",
}


def analyse_command(
    file: TopologyArg = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the analysis (or the diff) as JSON.")
    ] = False,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="Another topology: show which flows change between the two designs."),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            min=0,
            max=2,
            help="Fail every combination of up to this many parts (default 2; for a large estate 1, with a note).",
            show_default=False,
        ),
    ] = None,
    scenarios: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help="Add a named scenario: [NAME=]part,part (e.g. maintenance=primary-link,vpn-gateway-0).",
        ),
    ] = None,
    only_named: Annotated[
        bool, typer.Option("--only-named", help="Analyse only the --scenario ones (and all-up).")
    ] = False,
    paths: Annotated[
        bool, typer.Option("--paths", help="Show every flow's hops both ways, not the matrix.")
    ] = False,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Show only scenarios where a flow is flagged.")
    ] = False,
    parts: Annotated[
        bool, typer.Option("--parts", help="List the parts that can fail (names for --scenario) and exit.")
    ] = False,
) -> None:
    """Predict every flow's path (on-prem prefix ↔ VNet subnet) both ways in every failure scenario.

    Flags flows that are asymmetric (out over one gateway, back over the other), black-holed, or on an unexpected path (the VPN while ExpressRoute is up).

    Exit 0: clean failover; 1: a flow is asymmetric or unexpected anywhere, or lost with at most one part down (with --against: the designs differ); 2: bad input.
    """  # noqa: E501 - typer keeps docstring line breaks in --help
    topology = load_topology(file, stage="analyse")
    if parts:
        _print_parts(topology)
        return
    chosen = _scenarios(topology, depth, scenarios or [], only_named)
    if against is not None:
        other = load_topology(against, stage="analyse")
        others = _scenarios(other, depth, scenarios or [], only_named, quiet=True)
        both = (*_design(topology).onprem_prefixes(), *_design(other).onprem_prefixes())
        before, after = _analyse(topology, chosen, both), _analyse(other, others, both)
        changes = compare(before, after)
        if as_json:
            typer.echo(json.dumps(versioned(changes_to_dict(before, after, changes)), indent=2))
        else:
            _print_changes(before, after, changes)
        if changes:
            raise typer.Exit(EXIT_FINDINGS)
        return
    analysis = _analyse(topology, chosen)
    if as_json:
        typer.echo(json.dumps(versioned(analysis_to_dict(analysis)), indent=2))
    elif paths:
        _print_paths(analysis, flagged)
    else:
        _print_matrix(analysis, flagged)
    if _has_problems(analysis):
        raise typer.Exit(EXIT_FINDINGS)


def _design(topology: Topology) -> RoutingDesign | EstateDesign:
    try:
        return design_of(topology)
    except EstateDesignError as error:
        fail(f"{topology.name}: {error}")


def _scenarios(
    topology: Topology, depth: int | None, specs: list[str], only_named: bool, quiet: bool = False
) -> list[Scenario] | None:
    """The scenarios to analyse; None for an estate's default, which ``analyse`` sizes (depth 2 or 1)."""
    design = _design(topology)
    if depth is None and isinstance(design, EstateDesign) and not only_named and not specs:
        return None
    generated = list(failure_scenarios(design, 0 if only_named else (2 if depth is None else depth)))
    named = []
    for spec in specs:
        try:
            named.append(parse_scenario(design, spec))
        except ScenarioError as error:
            if quiet:  # the other design of a diff may lack a part: skip the scenario there
                continue
            fail(str(error))
    known = {item.name for item in generated}
    return generated + [item for item in named if item.name not in known]


def _analyse(
    topology: Topology, scenarios: list[Scenario] | None, onprem_prefixes: tuple[IPv4Network, ...] = ()
) -> Analysis:
    try:
        return analyse(topology, scenarios, onprem_prefixes=onprem_prefixes)
    except (RoutingError, EstateDesignError) as error:
        fail(f"{topology.name}: {error}")


_ANYWHERE = frozenset({Flag.ASYMMETRIC, Flag.UNEXPECTED_PATH, Flag.FIREWALL_ASYMMETRIC})
_LOST = frozenset({Flag.BLACKHOLE, Flag.TRANSIT, Flag.SPOF})


def _has_problems(analysis: Analysis) -> bool:
    """Asymmetry or an unexpected path anywhere; a black hole with at most one part down (in an estate,
    not when the only change is a removed peering or a whole site down: a change, not a failure)."""
    counted = set(analysis.flow_class)
    deliberate = analysis.design.deliberate_parts if isinstance(analysis.design, EstateDesign) else frozenset()
    for result in analysis.results:
        failed = result.scenario.failed
        lost_counts = result.scenario.depth <= 1 and not (failed and failed <= deliberate)
        for index in counted:
            flags = result.by_class[index].flags
            if flags & _ANYWHERE:
                return True
            if lost_counts and flags & _LOST:
                return True
    return False


def _shown_flags(analysis: Analysis) -> tuple[Flag, ...]:
    return tuple(Flag) if isinstance(analysis.design, EstateDesign) else REFERENCE_FLAGS


def _direction(result: FlowResult) -> Text:
    forward, reverse = result.forward.gateway, result.reverse.gateway
    if forward == reverse:
        text = Text(f"{forward} ⇄", style=_GATEWAY_STYLE[forward])
    else:
        text = Text("→", style="dim").append(str(forward), style=_GATEWAY_STYLE[forward])
        text.append(" ←", style="dim").append(str(reverse), style=_GATEWAY_STYLE[reverse])
    for flag in sorted(result.flags):
        text.append(f" {_FLAG_MARK[flag]}", style=_FLAG_STYLE[flag])
    return text


def _print_header(analysis: Analysis) -> None:
    design = analysis.design
    console.print(
        f"[bold]hybridnet analyse[/]: {design.name}: {len(analysis.results)} scenarios × "
        f"{len(analysis.flows)} flows",
        highlight=False,
    )
    for note in design.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def _print_matrix(analysis: Analysis, flagged: bool) -> None:
    """One row per scenario, one column per group of flows that behave alike in every scenario."""
    _print_header(analysis)
    table = Table(title="Failover matrix", title_justify="left")
    table.add_column("Scenario (failed parts)", overflow="fold", min_width=16)
    groups = _flow_groups(analysis)
    few = len(groups) <= MAX_FLOW_COLUMNS
    if few:
        for title in groups.values():
            table.add_column(title, overflow="fold")
    else:
        for title in _count_titles(analysis):
            table.add_column(title, justify="right")
    sizes = Counter(analysis.flow_class)
    shown = 0
    for result in analysis.results:
        if flagged and not any(result.by_class[index].flags for index in groups):
            continue
        shown += 1
        if few:
            table.add_row(result.scenario.name, *(_direction(result.by_class[index]) for index in groups))
        else:
            table.add_row(result.scenario.name, *_counts(result.by_class, sizes, _count_titles(analysis)))
    if shown:
        console.print(table)
    else:
        console.print("[bold green]✓[/] no flow is flagged in any scenario", highlight=False)
    legend = ", ".join(f"[{_FLAG_STYLE[flag]}]{_FLAG_MARK[flag]}[/] {flag}" for flag in _shown_flags(analysis))
    console.print(f"→ on-prem to Azure, ← Azure to on-prem, ⇄ both ways; {legend}", highlight=False)
    _print_summary(analysis)


def _flow_groups(analysis: Analysis) -> dict[int, str]:
    """Flow class → a title naming its flows (``192.168.0.0/16 ↔ web, biz``), in first-seen order."""
    members: dict[int, dict[str, list[str]]] = {}
    for flow, index in zip(analysis.flows, analysis.flow_class, strict=True):
        shown = str(flow.onprem_prefix) if flow.site is None else f"{flow.onprem_prefix} ({flow.site})"
        members.setdefault(index, {}).setdefault(shown, []).append(flow.subnet)
    titles = {}
    for index, by_prefix in members.items():
        prefixes = list(by_prefix)
        subnets = list(dict.fromkeys(name for names in by_prefix.values() for name in names))
        shown = prefixes[0] if len(prefixes) == 1 else f"{prefixes[0]} +{len(prefixes) - 1} more"
        titles[index] = f"{shown}\n↔ {', '.join(subnets)}"
    return titles


def _count_titles(analysis: Analysis) -> tuple[str, ...]:
    return ("ER ⇄", "VPN ⇄", *(str(flag) for flag in _shown_flags(analysis) if flag is not Flag.BLACKHOLE), "blackhole")


def _counts(by_class: tuple[FlowResult, ...], sizes: Counter[int], titles: tuple[str, ...]) -> list[str]:
    totals = Counter[str]()
    for index, size in sizes.items():
        item = by_class[index]
        for gateway in (GatewayKind.ER, GatewayKind.VPN):
            if item.forward.gateway == item.reverse.gateway == gateway:
                totals[f"{gateway} ⇄"] += size
        for flag in item.flags:
            totals[str(flag)] += size
    return [str(totals[key]) for key in titles]


def _print_summary(analysis: Analysis) -> None:
    hit: dict[Flag, list[str]] = {flag: [] for flag in Flag}
    for result in analysis.results:
        flags = set().union(*(result.by_class[index].flags for index in set(analysis.flow_class)))
        for flag in flags:
            hit[flag].append(result.scenario.name)
    for flag, names in hit.items():
        if names:
            listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            console.print(
                f"[{_FLAG_STYLE[flag]}]{flag}[/] in {len(names)} scenario(s): {listed}", highlight=False
            )
    reasons = dict.fromkeys(
        reason for result in analysis.results for item in result.by_class for reason in item.reasons
    )
    for reason in list(reasons)[:10]:
        console.print(f"  • {reason}", highlight=False)


def _hops(path: RoutePath) -> Text:
    text = Text()
    for number, branch in enumerate(path.branches):
        if number:
            text.append("\n")
        text.append(" → ".join(branch.hops), style=_GATEWAY_STYLE[branch.gateway])
        if branch.fate != "delivered":
            text.append(f"  ✗ {branch.fate}", style="bold red")
    return text


def _print_paths(analysis: Analysis, flagged: bool) -> None:
    """Hop lists both ways, one row per scenario and group of flows that take the same paths."""
    _print_header(analysis)
    groups = _flow_groups(analysis)
    table = Table(title="Paths", title_justify="left", show_lines=True)
    for column in ("Scenario", "Flows", "On-prem → Azure", "Azure → on-prem", "Flags"):
        table.add_column(column, overflow="fold")
    for result in analysis.results:
        for index, title in groups.items():
            item = result.by_class[index]
            if flagged and not item.flags:
                continue
            flags = Text(", ".join(sorted(item.flags)), style="bold yellow")
            table.add_row(result.scenario.name, title, _hops(item.forward), _hops(item.reverse), flags)
    console.print(table)


def _print_changes(before: Analysis, after: Analysis, changes: list[FlowChange]) -> None:
    """Changes grouped by what changes, so one policy difference is one row, not one per flow."""
    label = f"{before.design.name} → {after.design.name}"
    if not changes:
        console.print(f"[bold green]✓[/] {label}: no flow changes in any scenario", highlight=False)
        return
    groups: dict[tuple[str, tuple[str, ...]], list[FlowChange]] = {}
    for change in changes:
        groups.setdefault((change.onprem_prefix, change.what), []).append(change)
    table = Table(title=f"Flows that change: {label}", title_justify="left", show_lines=True)
    for column in ("Flow", "Scenarios", "Before", "After", "What changes"):
        table.add_column(column, overflow="fold")
    for (prefix, what), members in groups.items():
        subnets = ", ".join(dict.fromkeys(change.subnet for change in members))
        scenarios = list(dict.fromkeys(change.scenario for change in members))
        listed = ", ".join(scenarios[:6]) + (f" +{len(scenarios) - 6} more" if len(scenarios) > 6 else "")
        first = members[0]
        table.add_row(
            f"{prefix}\n↔ {subnets}",
            listed,
            _direction(first.before) if first.before else Text("—", style="dim"),
            _direction(first.after) if first.after else Text("—", style="dim"),
            "\n".join(what),
        )
    console.print(table)
    scenario_count = len({change.scenario for change in changes})
    console.print(f"{label}: {len(changes)} flow change(s) in {scenario_count} scenario(s)", highlight=False)


def _print_parts(topology: Topology) -> None:
    table = Table(title=f"Parts of {topology.name} that can fail", title_justify="left")
    table.add_column("Part", no_wrap=True)
    table.add_column("What fails")
    design = _design(topology)
    for point in failure_points(design):
        table.add_row(point.name, point.description)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("analyse")(analyse_command)
