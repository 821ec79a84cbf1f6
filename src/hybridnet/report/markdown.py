"""The drill report as Markdown: for a pull request, a ticket or a change record."""

from __future__ import annotations

from hybridnet.drill.result import DrillResult
from hybridnet.report.json_report import SCHEMA_VERSION
from hybridnet.report.redaction import Redactor, redact
from hybridnet.report.summary import (
    DIRECTION_WORDS,
    flow_report_lines,
    format_bytes,
    format_ms,
    headline,
    step_rows,
)
from hybridnet.version import hybridnet_version


def _cell(text: str) -> str:
    """Table cells cannot hold pipes or newlines."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: DrillResult, redactor: Redactor = redact) -> str:
    lines = [f"# Failover drill: {result.topology}", "",
             f"Fault: **{_cell(redactor(result.fault))}** · started {result.started_at} · "
             f"probe every {result.probe_interval_ms:g} ms", "", f"**{headline(result)}**", ""]

    lines += ["## What the timers predict", ""]
    lines += [f"- {p.applies_to}: {p.explanation}" for p in result.predictions] or ["- no timers known"]
    lines += ["", "## Steps", "",
              "| step | direction | outage | timers predict | lost | path before → during → after "
              "| verdict |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {_cell(r.step)} | {r.direction} | {r.outage} | {r.predicted} | {r.lost} | {r.paths} | "
              f"{'✅' if r.ok else '❌'} {r.verdict} |" for r in step_rows(result)]

    flows = flow_report_lines(result, lambda text: _cell(redactor(text)))
    if flows:
        lines += ["", *flows]

    detail = _step_details(result)
    if detail:
        lines += ["", "## Step details", "", *detail]

    lines += ["", "## TCP stream", ""]
    stream = result.tcp_stream
    if stream is None:
        lines.append("No TCP stream ran.")
    else:
        lines += [f"- bytes sent: {format_bytes(stream.bytes_sent)}",
                  f"- bytes received: {format_bytes(stream.bytes_received)}",
                  f"- checksum matched: {'yes' if stream.checksum_ok else 'NO'}",
                  f"- connection survived: {'yes' if stream.survived else 'NO'}",
                  f"- longest wait to hand data to the kernel: {format_ms(stream.longest_stall_ms)}"]
        if stream.error:
            lines.append(f"- error: {_cell(redactor(stream.error))}")

    if result.repeats:
        lines += ["", f"## Over {result.repeats[0].runs} runs", "",
                  "| step | direction | min | median | p95 | max |", "|---|---|---|---|---|---|"]
        lines += [f"| {_cell(r.step)} | {DIRECTION_WORDS[r.direction]} | {format_ms(r.min_ms)} | "
                  f"{format_ms(r.median_ms)} | {format_ms(r.p95_ms)} | {format_ms(r.max_ms)} |"
                  for r in result.repeats]

    lines += ["", "## Control-plane timeline", ""]
    if result.events:
        lines += ["| t (s) | node | source | event | detail |", "|---|---|---|---|---|"]
        lines += [f"| {e.t_s:.3f} | {_cell(e.node)} | {e.source} | {_cell(e.kind)} | "
                  f"{_cell(redactor(e.detail))} |" for e in sorted(result.events, key=lambda e: e.t_s)]
    else:
        lines.append("No control-plane events were recorded.")
    lines += ["", "---", "", f"Written by hybridnet {hybridnet_version()} · report schema {SCHEMA_VERSION}"]
    return "\n".join(lines) + "\n"


def _step_details(result: DrillResult) -> list[str]:
    lines: list[str] = []
    for step in result.steps:
        facts: list[str] = []
        udp = step.udp
        if udp.duplicated or udp.reordered:
            facts.append(f"{udp.duplicated} duplicated, {udp.reordered} reordered")
        if udp.request_outage_ms or udp.reply_outage_ms:
            facts.append(f"request-path gap {format_ms(udp.request_outage_ms)}, "
                         f"reply-path gap {format_ms(udp.reply_outage_ms)}")
        if step.http is not None:
            facts.append(f"HTTP {step.http.ok}/{step.http.requests} ok, longest failure "
                         f"{format_ms(step.http.longest_failure_ms)}")
        for mtu in step.path_mtu:
            clamp = {True: "MSS clamping protects TCP", False: "MSS too large for this path: clamp it",
                     None: "MSS not measured"}[mtu.mss_protects]
            mss = mtu.mss_observed if mtu.mss_observed is not None else "—"
            facts.append(f"{mtu.path}: largest DF packet {mtu.path_mtu} B "
                         f"(payload {mtu.largest_df_payload}), MSS {mss}: {clamp}")
        if facts:
            lines.append(f"- **{step.name}** ({DIRECTION_WORDS[step.direction]}): " + "; ".join(facts))
    return lines
