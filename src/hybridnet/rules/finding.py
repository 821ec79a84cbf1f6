"""What a check reports: a finding, its severity, and the document that backs it.

A finding names a model path (``vnet.subnets.0.prefix``) rather than a line, because rules read the
validated model, not the file; the file and line are attached afterwards (see ``locate``) when the
topology came from a file, so the same finding works for files, the built-in default and imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is. Only ``error`` fails `hybridnet check` (exit 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Source:
    """The published document that states the rule, so a finding can be argued with, not just obeyed."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class Problem:
    """What a rule function yields: where, what is wrong (with the numbers), and what to do.

    ``severity`` overrides the rule's default for this one finding, for rules whose consequence
    depends on context (a /28 GatewaySubnet is fatal only when both gateways must share it).
    """

    path: str
    message: str
    fix: str
    severity: Severity | None = None


@dataclass(frozen=True)
class Finding:
    """One result of one rule on one place in the topology."""

    rule_id: str
    title: str
    severity: Severity
    path: str
    message: str
    fix: str
    source: Source
    psrule: str | None = None
    file: str | None = None
    line: int | None = None

    def where(self) -> str:
        """``file:line`` when known, else the model path: what a user types into an editor."""
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}"
        if self.file is not None:
            return self.file
        return self.path

    def sort_key(self) -> tuple[int, str, str]:
        return (self.severity.rank, self.rule_id, self.path)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
            "source": {"title": self.source.title, "url": self.source.url},
            "psrule": self.psrule,
        }
