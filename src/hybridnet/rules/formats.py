"""Machine-readable check results: hybridnet's JSON and SARIF 2.1.0 (for code-scanning dashboards).

Both are deterministic for a given input (no timestamps, no absolute paths), so they can be diffed
in CI and kept as golden files.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hybridnet.rules.finding import Finding, Severity
from hybridnet.rules.registry import Rule
from hybridnet.version import hybridnet_version

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def summary(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(finding.severity.value for finding in findings)
    return {severity.value: counts.get(severity.value, 0) for severity in Severity}


def to_json(findings: list[Finding], topology_name: str, file: str | None) -> str:
    document = {
        "tool": "hybridnet",
        "version": hybridnet_version(),
        "topology": topology_name,
        "file": file,
        "summary": summary(findings),
        "findings": [finding.as_dict() for finding in findings],
    }
    return json.dumps(document, indent=2) + "\n"


def to_sarif(findings: list[Finding], rules: tuple[Rule, ...], artifact_uri: str | None) -> str:
    """One run, every rule in ``tool.driver.rules`` (so dashboards show what was checked), one result per
    finding located at ``artifact_uri`` (a relative or file: URI) and its line when known."""
    index = {rule.id: position for position, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "hybridnet",
            "version": hybridnet_version(),
            "rules": [_sarif_rule(rule) for rule in rules],
        }},
        "results": [_sarif_result(finding, index, artifact_uri) for finding in findings],
        "columnKind": "unicodeCodePoints",
    }
    if artifact_uri is not None:
        run["artifacts"] = [{"location": {"uri": artifact_uri}}]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.body.__name__),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"{rule.description} Source: {rule.source.title}."},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"source": rule.source.title, "tags": ["azure", "hybrid-network"]},
    }
    if rule.source.url is not None:
        descriptor["helpUri"] = rule.source.url
    if rule.psrule is not None:
        descriptor["properties"]["psrule"] = rule.psrule
    return descriptor


def _sarif_result(finding: Finding, index: dict[str, int], uri: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": f"{finding.message}. Fix: {finding.fix}."},
        "locations": [_sarif_location(finding, uri)],
        "properties": {"path": finding.path, "fix": finding.fix},
    }
    if finding.rule_id in index:
        result["ruleIndex"] = index[finding.rule_id]
    if finding.psrule is not None:
        result["properties"]["psrule"] = finding.psrule
    return result


def _sarif_location(finding: Finding, uri: str | None) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": finding.path, "kind": "property"}]}
    if uri is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if finding.line is not None:
            physical["region"] = {"startLine": finding.line}
        location["physicalLocation"] = physical
    return location


def artifact_uri(path: Path) -> str:
    """How SARIF names the file: a relative URI reference as given, or a file: URI for an absolute path."""
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix())


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
