"""Two designs side by side: which flows change path, gateway or verdict in which scenario.

Scenarios and flows are matched by name (``primary-link+onprem-vpn``; ``192.168.0.0/16`` ↔ ``web``),
so a change of policy shows as changed paths, and a part or prefix that exists in only one design
shows as a flow or scenario present on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass

from hybridnet.routing.analysis import Analysis, Flow, FlowResult
from hybridnet.routing.paths import Path


@dataclass(frozen=True)
class FlowChange:
    scenario: str
    onprem_prefix: str
    subnet: str
    before: FlowResult | None
    after: FlowResult | None
    what: tuple[str, ...]
    """Each difference in words: ``forward ER → VPN``, ``+asymmetric``, ``only in before``."""


def compare(before: Analysis, after: Analysis) -> list[FlowChange]:
    """Every (scenario, flow) whose outcome differs between the two analyses."""
    after_by_name = {result.scenario.name: result for result in after.results}
    before_names = [result.scenario.name for result in before.results]
    changes: list[FlowChange] = []
    memo: dict[tuple[int, int], tuple[str, ...]] = {}
    for result in before.results:
        other = after_by_name.get(result.scenario.name)
        after_rows = {} if other is None else {_key(flow): res for flow, res in after.rows(other)}
        for flow, mine in before.rows(result):
            key = _key(flow)
            theirs = after_rows.pop(key, None) if other is not None else None
            if theirs is None:
                what = ("only in before",) if other is not None else ("scenario only in before",)
                changes.append(FlowChange(result.scenario.name, *key, mine, None, what))
                continue
            pair = (id(mine), id(theirs))
            if pair not in memo:
                memo[pair] = differences(mine, theirs)
            if memo[pair]:
                changes.append(FlowChange(result.scenario.name, *key, mine, theirs, memo[pair]))
        for key, theirs in after_rows.items():
            changes.append(FlowChange(result.scenario.name, *key, None, theirs, ("only in after",)))
    for result in after.results:
        if result.scenario.name not in before_names:
            for flow, theirs in after.rows(result):
                changes.append(
                    FlowChange(result.scenario.name, *_key(flow), None, theirs, ("scenario only in after",))
                )
    return changes


def differences(before: FlowResult, after: FlowResult) -> tuple[str, ...]:
    found: list[str] = []
    for name, old, new in (
        ("forward", before.forward, after.forward),
        ("reverse", before.reverse, after.reverse),
    ):
        if old.gateway != new.gateway:
            found.append(f"{name} {old.gateway} → {new.gateway}")
        elif _walks(old) != _walks(new):
            found.append(f"{name} path {' '.join(old.hops)} → {' '.join(new.hops)}")
    found += [f"+{flag}" for flag in sorted(after.flags - before.flags)]
    found += [f"-{flag}" for flag in sorted(before.flags - after.flags)]
    return tuple(found)


def _walks(path: Path) -> frozenset[tuple[tuple[str, ...], str]]:
    return frozenset((branch.hops, str(branch.fate)) for branch in path.branches)


def _key(flow: Flow) -> tuple[str, str]:
    return str(flow.onprem_prefix), flow.subnet
