"""Helpers for rule tests: describe a variant of the reference topology as a list of edits.

Each rule test is a ``Case``: a rule ID, a readable name and the edits that make the reference
topology break (or narrowly keep) that rule, so a table of cases reads like the guidance it checks.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hybridnet.rules import Finding, all_rules
from tests.conftest import reference_document, topology_from

Edit = Callable[[dict[str, Any]], None]


def _walk(document: Any, parts: list[str]) -> Any:
    node = document
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def setting(path: str, value: Any) -> Edit:
    """Set ``path`` (dotted, list indexes as numbers) to ``value``, creating nothing else."""
    *parents, last = path.split(".")

    def edit(document: dict[str, Any]) -> None:
        node = _walk(document, parents)
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def removing(path: str) -> Edit:
    *parents, last = path.split(".")

    def edit(document: dict[str, Any]) -> None:
        node = _walk(document, parents)
        del node[int(last) if isinstance(node, list) else last]

    return edit


def appending(path: str, item: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        _walk(document, path.split(".")).append(item)

    return edit


@dataclass(frozen=True)
class Case:
    rule_id: str
    name: str
    edits: tuple[Edit, ...] = ()
    path: str | None = None  # for failing cases: the model path the finding must point at
    severity: str | None = None  # for failing cases whose severity depends on context

    def document(self) -> dict[str, Any]:
        document = reference_document()
        for edit in self.edits:
            edit(document)
        return document


def fail(rule_id: str, name: str, *edits: Edit, path: str | None = None, severity: str | None = None) -> Any:
    return pytest.param(Case(rule_id, name, edits, path, severity), id=f"{rule_id}-{name}")


def passes(rule_id: str, name: str, *edits: Edit) -> Any:
    return pytest.param(Case(rule_id, name, edits), id=f"{rule_id}-{name}")


def run_rule(rule_id: str, document: dict[str, Any]) -> list[Finding]:
    rule = next(r for r in all_rules() if r.id == rule_id)
    return rule(topology_from(document))


def assert_fails(case: Case) -> list[Finding]:
    findings = run_rule(case.rule_id, case.document())
    assert findings, f"{case.rule_id} did not fire for: {case.name}"
    for finding in findings:
        assert finding.message and finding.fix and finding.source.title
    if case.path is not None:
        assert case.path in {f.path for f in findings}, [f.path for f in findings]
    if case.severity is not None:
        assert {f.severity.value for f in findings} == {case.severity}
    return findings


def assert_passes(case: Case) -> None:
    findings = run_rule(case.rule_id, case.document())
    assert not findings, [f.message for f in findings]


GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("HYBRIDNET_UPDATE_GOLDEN") == "1"


def assert_golden(relative: str, actual: str) -> None:
    """Compare with ``golden/<relative>``; HYBRIDNET_UPDATE_GOLDEN=1 rewrites it (review the diff)."""
    path = GOLDEN / relative
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}: run with HYBRIDNET_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "actual")
        )
        pytest.fail(f"{relative} differs from its golden file (HYBRIDNET_UPDATE_GOLDEN=1 to accept):\n{diff}")
