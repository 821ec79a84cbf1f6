"""Drill reports: JSON (schema in docs/drill-report.schema.json), Markdown, and self-contained HTML
with the topology drawing and the timeline picture. Every renderer takes a DrillResult and passes
free text through a redactor, so secrets never reach a report."""

from hybridnet.report.files import redactor_for, write_reports
from hybridnet.report.html import render_html
from hybridnet.report.json_report import SCHEMA_VERSION, render_json, report_document, result_from_document
from hybridnet.report.markdown import render_markdown
from hybridnet.report.redaction import Redactor, redact
from hybridnet.report.timeline import render_timeline
from hybridnet.report.topology_drawing import render_topology_svg

__all__ = [
           "SCHEMA_VERSION",
           "Redactor",
           "redact",
           "redactor_for",
           "render_html",
           "render_json",
           "render_markdown",
           "render_timeline",
           "render_topology_svg",
           "report_document",
           "result_from_document",
           "write_reports",
]
