"""The matrix as people and scripts read it: a rich table (scenario × flow), JSON, Markdown and HTML.

A cell says ``agrees`` or ``differs``; a difference lists, per direction, the predicted branches and
the live hop list, and why they differ. Scenario-level findings (routes a router installed other than
predicted, no convergence within the bound, a failure the lab could not produce) follow the matrix.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from hybridnet.verify.compare import DirectionVerdict, FlowVerdict, shown, shown_live
from hybridnet.verify.result import MatrixResult, ScenarioOutcome

REPORT_FILES = ("verify-matrix.json", "verify-matrix.md", "verify-matrix.html")


def to_dict(result: MatrixResult, version: str) -> dict[str, Any]:
    return {
        "tool": "hybridnet",
        "version": version,
        "topology": result.topology,
        "lab": result.lab,
        "depth": result.depth,
        "agrees": result.agrees,
        "total_s": round(result.total_s, 2),
        "bring_up_s": None if result.bring_up_s is None else round(result.bring_up_s, 2),
        "notes": list(result.notes),
        "scenarios": [_scenario(item) for item in result.scenarios],
    }


def _scenario(item: ScenarioOutcome) -> dict[str, Any]:
    return {
        "name": item.name,
        "failed": list(item.failed),
        "actions": list(item.actions),
        "seconds": round(item.seconds, 2),
        "converged": item.converged,
        "agrees": item.agrees,
        "error": item.error,
        "route_differences": list(item.route_differences),
        "flows": [_flow(flow) for flow in item.flows],
    }


def _flow(flow: FlowVerdict) -> dict[str, Any]:
    return {"flow": flow.flow.name, "site": flow.flow.site, "vnet": flow.flow.vnet, "agrees": flow.agrees,
            "forward": _direction(flow.forward), "reverse": _direction(flow.reverse)}


def _direction(verdict: DirectionVerdict) -> dict[str, Any]:
    return {
        "agrees": verdict.agrees,
        "why": verdict.why or None,
        "predicted": [{"hops": list(hops), "delivered": ok}
                      for hops, ok in zip(verdict.predicted.branches, verdict.predicted.delivered, strict=True)],
        "live": {"hops": list(verdict.live.hops), "reached": verdict.live.reached},
    }


def flow_names(result: MatrixResult) -> list[str]:
    return list(dict.fromkeys(flow.flow.name for item in result.scenarios for flow in item.flows))


def cell(item: ScenarioOutcome, flow: str) -> str:
    """``agrees``, ``differs``, or why the scenario was not verified."""
    if item.error and not item.flows:
        return "not run"
    verdict = next((f for f in item.flows if f.flow.name == flow), None)
    if verdict is None:
        return "—"
    if verdict.agrees:
        return "agrees" if item.converged else "agrees (not settled)"
    return "differs"


def differences(result: MatrixResult) -> list[str]:
    """Every difference in words: per flow and direction, predicted and live; then scenario findings."""
    lines = []
    for item in result.scenarios:
        if item.error:
            lines.append(f"{item.name}: {item.error}")
        if not item.converged and not item.error:
            lines.append(f"{item.name}: did not converge within the bound ({item.seconds:.1f} s); last reading shown")
        for flow in item.flows:
            for direction, verdict in (("forward", flow.forward), ("reverse", flow.reverse)):
                if not verdict.agrees:
                    lines.append(f"{item.name} {flow.flow.name} {direction}: {verdict.why}; predicted "
                                 f"{shown(verdict.predicted)}; live {shown_live(verdict.live)}")
        lines += [f"{item.name} routes: {text}" for text in item.route_differences]
    return lines


WIDE = 6
"""Beyond this many flows the screen shows one row per scenario with a count (the reports keep every cell)."""


def matrix_table(result: MatrixResult) -> Table:
    flows = flow_names(result)
    title = f"{result.topology}: live paths against the prediction (depth {result.depth})"
    if len(flows) > WIDE:
        table = Table(title=title)
        for column in ("scenario", "flows agreeing", "differing flows", "routes", "s"):
            table.add_column(column, justify="right" if column in ("flows agreeing", "s") else "left")
        for item in result.scenarios:
            bad = [flow for flow in flows if cell(item, flow) != "agrees"]
            colour = "green" if not bad and not item.error else "red"
            routes = ("[green]agree[/]" if not item.route_differences
                      else f"[red]{len(item.route_differences)} differ[/]")
            table.add_row(item.name, f"[{colour}]{len(flows) - len(bad)}/{len(flows)}[/]",
                          ", ".join(bad) or "-", routes, f"{item.seconds:.1f}")
        return table
    table = Table(title=title)
    table.add_column("scenario")
    for flow in flows:
        table.add_column(flow, overflow="fold")
    table.add_column("routes")
    table.add_column("s", justify="right")
    for item in result.scenarios:
        cells = []
        for flow in flows:
            text = cell(item, flow)
            cells.append(f"[{'green' if text == 'agrees' else 'red'}]{text}[/]")
        routes = "[green]agree[/]" if not item.route_differences else f"[red]{len(item.route_differences)} differ[/]"
        table.add_row(item.name, *cells, routes, f"{item.seconds:.1f}")
    return table


def headline(result: MatrixResult) -> str:
    bad = len(result.differing)
    verdict = "every scenario agrees" if not bad else f"{bad} of {len(result.scenarios)} scenario(s) differ"
    return f"{verdict}: {len(result.scenarios)} scenarios × {len(flow_names(result))} flows in {result.total_s:.1f} s"


def to_markdown(result: MatrixResult) -> str:
    flows = flow_names(result)
    lines = [f"# verify-matrix: {result.topology}", "", headline(result), ""]
    lines += [f"- {note}" for note in result.notes]
    lines += ["", "| scenario | " + " | ".join(flows) + " | routes | s |",
              "|---" * (len(flows) + 3) + "|"]
    for item in result.scenarios:
        routes = "agree" if not item.route_differences else f"{len(item.route_differences)} differ"
        cells = " | ".join(cell(item, f) for f in flows)
        lines.append(f"| {item.name} | {cells} | {routes} | {item.seconds:.1f} |")
    found = differences(result)
    if found:
        lines += ["", "## Differences", ""] + [f"- {line}" for line in found]
    return "\n".join(lines) + "\n"


def to_html(result: MatrixResult) -> str:
    flows = flow_names(result)
    esc = html.escape
    rows = []
    for item in result.scenarios:
        cells = "".join(f'<td class="{"ok" if cell(item, f) == "agrees" else "bad"}">{esc(cell(item, f))}</td>'
                        for f in flows)
        rows.append(f"<tr><th>{esc(item.name)}</th>{cells}<td>{len(item.route_differences)}</td>"
                    f"<td>{item.seconds:.1f}</td></tr>")
    found = "".join(f"<li>{esc(line)}</li>" for line in differences(result))
    notes = "".join(f"<li>{esc(note)}</li>" for note in result.notes)
    head = "".join(f"<th>{esc(f)}</th>" for f in flows)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>verify-matrix</title><style>"
        "td,th{border:1px solid #ccc;padding:2px 6px}.ok{background:#dfd}.bad{background:#fdd}</style></head><body>"
        f"<h1>verify-matrix: {esc(result.topology)}</h1><p>{esc(headline(result))}</p><ul>{notes}</ul>"
        f"<table><tr><th>scenario</th>{head}<th>route differences</th><th>s</th></tr>{''.join(rows)}</table>"
        + (f"<h2>Differences</h2><ul>{found}</ul>" if found else "") + "</body></html>\n"
    )


def write_reports(result: MatrixResult, directory: Path, version: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    texts = (json.dumps(to_dict(result, version), indent=2, ensure_ascii=False) + "\n", to_markdown(result),
             to_html(result))
    written = []
    for name, text in zip(REPORT_FILES, texts, strict=True):
        path = directory / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            path.unlink()
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
