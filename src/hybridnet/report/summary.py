"""The words and rows both human-readable reports (Markdown, HTML) share, so they never disagree.

Each step row puts the measured outage next to what the timers predict, and says in one phrase
whether the step did what the guidance expects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hybridnet.drill.result import Direction, DrillResult, StepResult, TimerPrediction, site_summaries

DIRECTION_WORDS: dict[Direction, str] = {"onprem-to-vnet": "on-premises → VNet",
                                         "vnet-to-onprem": "VNet → on-premises"}


def format_ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 10000:
        return f"{value / 1000:.1f} s"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


def format_bytes(value: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.1f} {unit} ({value} B)"
    return f"{value} B"


@dataclass(frozen=True)
class StepRow:
    step: str
    direction: str
    outage: str
    predicted: str
    lost: str
    paths: str
    verdict: str
    ok: bool


def governing_prediction(result: DrillResult) -> TimerPrediction | None:
    """The prediction that governs circuit failure detection (BFD if on, else the hold timer)."""
    return next((p for p in result.predictions if p.mechanism != "dpd"), None)


def step_rows(result: DrillResult) -> list[StepRow]:
    prediction = governing_prediction(result)
    return [_row(step, result, prediction) for step in result.steps]


def _row(step: StepResult, result: DrillResult, prediction: TimerPrediction | None) -> StepRow:
    udp = step.udp
    lost = f"{udp.lost} of {udp.sent}"
    if udp.lost:
        lost += f" (request {udp.request_lost}, reply {udp.reply_lost}"
        lost += f", unattributed {udp.lost_unattributed})" if udp.lost_unattributed else ")"
    # Detection timers explain the outage of a fault step; a verify or restore step has none to explain.
    predicted = (f"~{format_ms(prediction.detection_ms)} ({prediction.mechanism})"
                 if prediction is not None and step.fault else "—")
    problems: list[str] = []
    if step.path_as_expected is False:
        problems.append(f"expected {step.expected_path}")
    if result.max_outage_ms is not None and step.outage_ms > result.max_outage_ms:
        problems.append(f"outage over {format_ms(result.max_outage_ms)}")
    verdict = "; ".join(problems) if problems else "as expected"
    return StepRow(step=step.name, direction=DIRECTION_WORDS.get(step.direction, step.direction),
                   outage=format_ms(step.outage_ms) if step.outage_ms else "none", predicted=predicted,
                   lost=lost, paths=f"{step.path_before} → {step.path_during} → {step.path_after}",
                   verdict=verdict, ok=not problems)


def headline(result: DrillResult) -> str:
    """One sentence a reader gets before any table."""
    state = "PASSED" if result.passed else "FAILED"
    if result.flows:
        return _estate_headline(result, state)
    text = f"Drill {state}: worst outage {format_ms(result.worst_outage_ms)}"
    prediction = governing_prediction(result)
    if prediction is not None:
        text += f" (timers predict detection within {format_ms(prediction.detection_ms)})"
    if result.tcp_stream is not None:
        stream = result.tcp_stream
        text += ("; the TCP stream lost nothing" if stream.nothing_lost
                 else "; the TCP stream did NOT survive intact")
    return text + "."


def _estate_headline(result: DrillResult, state: str) -> str:
    """Over every probed flow: how many went where the analysis said, the worst outage of a flow that
    stayed connected (a cut the analysis predicts is counted apart), and the TCP streams."""
    flows = result.flows
    kept = [f for f in flows if not f.expects_cut]
    cut = len(flows) - len(kept)
    text = f"Drill {state}: {sum(1 for f in flows if f.passed)} of {len(flows)} flows as the analysis predicts"
    if kept:
        worst = max(kept, key=lambda f: f.worst_outage_ms)
        text += f"; worst outage of a connected flow {format_ms(worst.worst_outage_ms)} ({worst.site} → {worst.vnet})"
    if cut:
        text += f"; {cut} flow(s) cut, as predicted"
    lost = [f for f in kept if f.tcp_stream is not None and not f.tcp_stream.nothing_lost]
    text += "; no TCP stream lost a byte" if not lost else f"; {len(lost)} TCP stream(s) did NOT survive intact"
    return text + "."


@dataclass(frozen=True)
class FlowRow:
    """One probed flow of an estate, as the reports show it."""

    site: str
    vnet: str
    host: str
    workload: str
    paths: str
    """Each step's path after it, on-prem → VNet, ``step: path``; ``;``-separated."""
    expected: str
    outage_out: str
    outage_back: str
    tcp_lost: str
    ok: bool
    problems: str


def flow_rows(result: DrillResult) -> list[FlowRow]:
    """An estate's flows (none for the reference's one flow, which the steps show)."""
    rows = []
    for flow in result.flows:
        outbound = [s for s in flow.steps if s.direction == "onprem-to-vnet"]
        paths = "; ".join(f"{s.name}: {s.path_before} → {s.path_during} → {s.path_after}" for s in outbound)
        lost = flow.tcp_bytes_lost
        rows.append(FlowRow(
            flow.site, flow.vnet, flow.host, flow.workload, paths,
            f"{flow.expected_intact} → {flow.expected_fault}" + (" (cut: expected)" if flow.expects_cut else "")
            + (" (untouched: must lose nothing)" if flow.untouched else ""),
            format_ms(flow.outage_ms("onprem-to-vnet")), format_ms(flow.outage_ms("vnet-to-onprem")),
            "—" if lost is None else format_bytes(lost), flow.passed, "; ".join(flow.problems)))
    return rows


def flow_report_lines(result: DrillResult, cell: Callable[[str], str] = lambda text: text) -> list[str]:
    """The per-flow and per-site sections as Markdown lines (empty for the reference)."""
    if not result.flows:
        return []
    lines = ["## Flows", ""]
    if result.flow_note:
        lines += [f"**Sampled:** {cell(result.flow_note)}", ""]
    lines += ["| site | VNet | host → workload | path per step (on-prem → VNet) | analysis expects | "
              "outage out | outage back | TCP lost | verdict |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {cell(r.site)} | {cell(r.vnet)} | {cell(r.host)} → {cell(r.workload)} | {cell(r.paths)} | "
              f"{cell(r.expected)} | {r.outage_out} | {r.outage_back} | {r.tcp_lost} | "
              f"{'✅' if r.ok else '❌ ' + cell(r.problems)} |" for r in flow_rows(result)]
    lines += ["", "## Per site", "", "| site | flows | as expected | worst outage | TCP lost |",
              "|---|---|---|---|---|"]
    lines += [f"| {cell(s.site)} | {s.flows} | {s.passed} | {format_ms(s.worst_outage_ms)} | "
              f"{format_bytes(s.tcp_bytes_lost)} |" for s in site_summaries(result.flows)]
    if result.not_probed:
        lines += ["", "Not probed:", "", *(f"- {cell(line)}" for line in result.not_probed)]
    return lines
