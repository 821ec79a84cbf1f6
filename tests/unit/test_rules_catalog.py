"""The rule catalogue as a whole: enough rules, complete metadata, a pass and a fail case for each,
and the reference default free of errors."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import tests.unit as unit_tests
from hybridnet.model import default_topology, load
from hybridnet.rules import Severity, all_rules, check, check_file
from tests.unit.conftest import Case


def _cases(table: str) -> list[Case]:
    cases: list[Case] = []
    for module in pkgutil.iter_modules(unit_tests.__path__):
        if module.name.startswith("test_rules_") and module.name != "test_rules_catalog":
            loaded = importlib.import_module(f"tests.unit.{module.name}")
            cases += [param.values[0] for param in getattr(loaded, table, [])]
    return cases


def test_there_are_at_least_thirty_rules_with_unique_stable_ids() -> None:
    ids = [rule.id for rule in all_rules()]
    assert len(ids) >= 30
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"HN-[A-Z]+-\d{3}", rule_id) for rule_id in ids)


def test_every_rule_has_title_source_and_a_docstring_that_says_why() -> None:
    for rule in all_rules():
        assert rule.title and rule.source.title, rule.id
        assert rule.body.__doc__ and len(rule.body.__doc__.split()) >= 8, rule.id
        assert rule.severity in set(Severity)


def test_every_rule_has_a_failing_case() -> None:
    covered = {case.rule_id for case in _cases("FAILING")}
    assert {rule.id for rule in all_rules()} <= covered


def test_every_rule_has_a_passing_case() -> None:
    covered = {case.rule_id for case in _cases("PASSING")}
    assert {rule.id for rule in all_rules()} <= covered


def test_the_reference_default_passes_every_rule() -> None:
    assert check(default_topology()) == []


def test_findings_come_worst_first() -> None:
    findings = check(load(Path(__file__).parents[2] / "examples" / "ra-2016.yaml"))
    ranks = [finding.severity.rank for finding in findings]
    assert ranks == sorted(ranks)


def test_check_file_locates_findings_in_the_file() -> None:
    path = Path(__file__).parents[2] / "examples" / "ra-2016.yaml"
    findings = check_file(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    [legacy] = [f for f in findings if f.rule_id == "HN-PSR-001"]
    assert legacy.file == str(path)
    assert legacy.line is not None and "sku: Standard" in lines[legacy.line - 1]
