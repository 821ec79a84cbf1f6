"""Attach file and line to findings of a topology that was loaded from a file.

Rules are pure and see only the model; this is the one step that reads the file again, with the same
YAML parser the loader uses, so that ``vnet.subnets.0.prefix`` becomes ``topology.yaml:63``.
"""

from __future__ import annotations

from dataclasses import replace
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from hybridnet.model.loader import line_of
from hybridnet.rules.finding import Finding


def parse_document(text: str) -> Any:
    """The round-trip YAML document (which knows each key's line), or None if it no longer parses."""
    try:
        return YAML(typ="rt").load(StringIO(text))
    except YAMLError:
        return None


def locate(findings: list[Finding], document: Any, file: str | None) -> list[Finding]:
    """Findings with ``file`` and, where the path exists in the document, ``line`` filled in."""
    located = []
    for finding in findings:
        line = line_of(document, finding.path.split(".")) if document is not None else None
        located.append(replace(finding, file=file, line=line))
    return located


def locate_in_file(findings: list[Finding], path: Path, shown_as: str | None = None) -> list[Finding]:
    """Locate findings in the file at ``path``; ``shown_as`` is how to name it (as the user typed it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [replace(finding, file=shown_as or str(path)) for finding in findings]
    return locate(findings, parse_document(text), shown_as or str(path))
