"""Checks: pure rules over the topology model, each with a stable ID, severity, source and fix.

``check(topology)`` runs every rule and returns the findings, worst first. Rules live in one module
per topic; importing this package registers them all.
"""

from __future__ import annotations

from pathlib import Path

from hybridnet.model import Topology, load
from hybridnet.rules import (  # noqa: F401  (importing registers the rules)
    addressing,
    asn,
    coexistence,
    estate,
    expressroute,
    gateway_subnet,
    ipsec,
    nsg,
    psrule,
    routing_intent,
    vpn,
)
from hybridnet.rules.finding import Finding, Problem, Severity, Source
from hybridnet.rules.locate import locate, locate_in_file
from hybridnet.rules.registry import Rule, registered_rules


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, by ID."""
    return registered_rules()


def check(topology: Topology, rules: tuple[Rule, ...] | None = None) -> list[Finding]:
    """Run the rules (all by default) and return their findings, errors first, then by rule and path."""
    selected = all_rules() if rules is None else rules
    findings = [finding for rule in selected for finding in rule(topology)]
    return sorted(findings, key=Finding.sort_key)


def check_file(path: str | Path) -> list[Finding]:
    """Load a topology file and check it, each finding carrying the file and line to edit.

    Raises ``TopologyError`` (located) when the file cannot be read or is not a valid topology.
    """
    return locate_in_file(check(load(path)), Path(path), shown_as=str(path))


def has_errors(findings: list[Finding]) -> bool:
    return any(finding.severity is Severity.ERROR for finding in findings)


__all__ = [
    "Finding", "Problem", "Rule", "Severity", "Source", "all_rules", "check", "check_file", "has_errors", "locate",
    "locate_in_file",
]
