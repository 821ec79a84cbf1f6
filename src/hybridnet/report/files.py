"""Writing a drill's reports: JSON, Markdown and HTML side by side, every secret masked."""

from __future__ import annotations

from pathlib import Path

from hybridnet.drill.result import DrillResult
from hybridnet.errors import HybridnetError
from hybridnet.model import Topology
from hybridnet.report.html import render_html
from hybridnet.report.json_report import render_json
from hybridnet.report.markdown import render_markdown
from hybridnet.report.redaction import Redactor


class ReportNotWritten(HybridnetError):
    """The reports could not be written (the directory cannot be created or written to)."""

    cause = "report"


def redactor_for(result: DrillResult) -> Redactor:
    """Masks the secrets the drill gathered (the lab's and the topology's keys) and keyword values."""
    return Redactor(result.secrets)


def write_reports(result: DrillResult, topology: Topology, directory: Path) -> list[Path]:
    """``drill-report.json``, ``.md`` and ``.html`` in ``directory`` (created if needed); their paths."""
    redactor = redactor_for(result)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = {directory / "drill-report.json": render_json(result, redactor=redactor),
                 directory / "drill-report.md": render_markdown(result, redactor=redactor),
                 directory / "drill-report.html": render_html(result, topology, redactor=redactor)}
        for path, text in paths.items():
            path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ReportNotWritten(f"cannot write the reports to {directory}: {error.strerror or error}") from None
    return list(paths)
