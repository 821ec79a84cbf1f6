"""The analysis as plain JSON-ready data: what ``hybridnet analyse --json`` prints.

Named in the field's words so that scripts (and the drill report) can read it without this package.
Flows that are routed alike form a group; each scenario gives one answer per group (both
directions with gateway, hops and ECMP branches, flags, reasons), and every flow names its group.
This keeps 10,000 on-prem prefixes × 67 scenarios a few megabytes instead of a gigabyte.
"""

from __future__ import annotations

from typing import Any

from hybridnet.routing.analysis import Analysis, FlowResult
from hybridnet.routing.diff import FlowChange
from hybridnet.routing.paths import Path
from hybridnet.routing.scenarios import failure_points


def path_to_dict(path: Path) -> dict[str, Any]:
    return {
        "gateway": str(path.gateway),
        "hops": list(path.hops),
        "delivered": path.delivered,
        "branches": [{"hops": list(branch.hops), "fate": str(branch.fate)} for branch in path.branches],
    }


def result_to_dict(result: FlowResult) -> dict[str, Any]:
    return {
        "forward": path_to_dict(result.forward),
        "reverse": path_to_dict(result.reverse),
        "flags": sorted(str(flag) for flag in result.flags),
        "reasons": list(result.reasons),
    }


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    design = analysis.design
    groups = list(dict.fromkeys(analysis.flow_class))  # the classes that have flows, in flow order
    number = {index: position for position, index in enumerate(groups)}
    return {
        "topology": design.name,
        "failure_points": [
            {"name": point.name, "description": point.description} for point in failure_points(design)
        ],
        "notes": list(design.notes),
        "flows": [
            {
                "onprem_prefix": str(flow.onprem_prefix),
                "subnet": flow.subnet,
                "subnet_prefix": str(flow.subnet_prefix),
                **({"site": flow.site} if flow.site is not None else {}),
                **({"peer_site": flow.peer_site} if flow.peer_site is not None else {}),
                "group": number[index],
            }
            for flow, index in zip(analysis.flows, analysis.flow_class, strict=True)
        ],
        "scenarios": [
            {
                "name": result.scenario.name,
                "failed": sorted(result.scenario.failed),
                "groups": [
                    {"group": number[index], **result_to_dict(result.by_class[index])} for index in groups
                ],
            }
            for result in analysis.results
        ],
    }


def changes_to_dict(before: Analysis, after: Analysis, changes: list[FlowChange]) -> dict[str, Any]:
    def side(result: FlowResult | None) -> dict[str, Any] | None:
        return None if result is None else result_to_dict(result)

    return {
        "before": before.design.name,
        "after": after.design.name,
        "changes": [
            {
                "scenario": change.scenario,
                "onprem_prefix": change.onprem_prefix,
                "subnet": change.subnet,
                "what": list(change.what),
                "before": side(change.before),
                "after": side(change.after),
            }
            for change in changes
        ],
    }
