"""The rule registry: every rule, with the metadata that makes its findings traceable.

Rules are plain generator functions ``Topology -> Iterable[Problem]`` decorated with ``@rule``; the
decorator adds the stable ID, severity, source and PSRule name, so a rule body holds only the check
and its wording. Registration happens at import of the topic modules (see ``hybridnet.rules``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hybridnet.model import Topology
from hybridnet.rules.finding import Finding, Problem, Severity, Source

RuleBody = Callable[[Topology], Iterable[Problem]]
_ID = re.compile(r"^HN-[A-Z]+-\d{3}$")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    source: Source
    body: RuleBody
    psrule: str | None = None
    legacy_onprem: bool = False
    """The rule reads the reference-shaped ``onprem`` block; a topology whose sites are all in ``sites``
    has none, and the estate rules (``rules.estate``) check those sites instead."""

    @property
    def description(self) -> str:
        """The rule's docstring: why the rule exists, shown as SARIF ``fullDescription``."""
        return " ".join((self.body.__doc__ or self.title).split())

    def __call__(self, topology: Topology) -> list[Finding]:
        if self.legacy_onprem and topology.onprem is None:
            return []
        return [
            Finding(
                rule_id=self.id, title=self.title, severity=problem.severity or self.severity,
                path=problem.path, message=problem.message, fix=problem.fix, source=self.source,
                psrule=self.psrule,
            )
            for problem in self.body(topology)
        ]


_RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, title: str, severity: Severity, source: Source, psrule: str | None = None,
    legacy_onprem: bool = False,
) -> Callable[[RuleBody], Rule]:
    """Register a rule body under a stable ID; IDs never change meaning once published."""

    def register(body: RuleBody) -> Rule:
        if not _ID.match(rule_id):
            raise ValueError(f"rule id {rule_id!r} does not look like HN-TOPIC-000")
        if rule_id in _RULES:
            raise ValueError(f"rule id {rule_id} is registered twice")
        registered = Rule(rule_id, title, severity, source, body, psrule, legacy_onprem)
        _RULES[rule_id] = registered
        return registered

    return register


def registered_rules() -> tuple[Rule, ...]:
    return tuple(sorted(_RULES.values(), key=lambda r: r.id))
