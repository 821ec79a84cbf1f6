"""The drill report as one self-contained HTML file: topology drawing, timeline picture, tables.

Self-contained means no external request at all — the topology is inline SVG and the timeline an
inline base64 PNG — so the file can be mailed, attached to a ticket or opened offline years later.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hybridnet.drill.result import DrillResult, Event, site_summaries
from hybridnet.model import Topology
from hybridnet.report.json_report import SCHEMA_VERSION
from hybridnet.report.redaction import Redactor, redact
from hybridnet.report.summary import DIRECTION_WORDS, flow_rows, format_bytes, format_ms, headline, step_rows
from hybridnet.report.timeline import render_timeline
from hybridnet.report.topology_drawing import render_topology_svg
from hybridnet.version import hybridnet_version

_ENVIRONMENT = Environment(loader=PackageLoader("hybridnet.report", "templates"),
                           autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                           keep_trailing_newline=True)


@dataclass(frozen=True)
class _StreamView:
    bytes_sent_text: str
    bytes_received_text: str
    checksum_ok: bool
    survived: bool
    error: str


@dataclass(frozen=True)
class _RepeatView:
    step: str
    direction: str
    min: str
    median: str
    p95: str
    max: str


def render_html(result: DrillResult, topology: Topology, redactor: Redactor = redact) -> str:
    """The report page; the topology is the one the drill ran on, drawn with its final path."""
    final_path = result.steps[-1].path_after if result.steps else None
    highlight = final_path if final_path in ("ExpressRoute", "VPN") else None
    stream = None
    if result.tcp_stream is not None:
        s = result.tcp_stream
        stream = _StreamView(format_bytes(s.bytes_sent), format_bytes(s.bytes_received), s.checksum_ok,
                             s.survived, redactor(s.error))
    repeats = [_RepeatView(r.step, DIRECTION_WORDS[r.direction], format_ms(r.min_ms), format_ms(r.median_ms),
                           format_ms(r.p95_ms), format_ms(r.max_ms)) for r in result.repeats]
    events = [Event(e.t_s, e.source, e.kind, redactor(e.detail), e.node)
              for e in sorted(result.events, key=lambda e: e.t_s)]
    flows = [replace(row, paths=redactor(row.paths), problems=redactor(row.problems)) for row in flow_rows(result)]
    sites = [{"site": s.site, "flows": s.flows, "passed": s.passed, "worst": format_ms(s.worst_outage_ms),
              "lost": format_bytes(s.tcp_bytes_lost)} for s in site_summaries(result.flows)]
    return _ENVIRONMENT.get_template("drill_report.html.j2").render(
        flows=flows, sites=sites,
        result=result, fault=redactor(result.fault), headline=headline(result), rows=step_rows(result),
        stream=stream, repeats=repeats, events=events, schema_version=SCHEMA_VERSION, version=hybridnet_version(),
        topology_svg=render_topology_svg(topology, highlight=highlight),
        timeline_png=base64.b64encode(render_timeline(result, "png")).decode("ascii"),
    )
