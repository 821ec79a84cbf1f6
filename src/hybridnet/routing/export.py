"""The analysis as plain JSON-ready data: what ``hybridnet analyse --json`` prints.

The shape is flat and named in the field's words so that scripts (and the drill report) can read it
without this package: one entry per scenario, one per flow, each direction with its gateway, hops
and ECMP branches.
"""

from __future__ import annotations

from typing import Any

from hybridnet.routing.analysis import Analysis, Flow, FlowResult
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


def flow_to_dict(flow: Flow, result: FlowResult) -> dict[str, Any]:
    return {
        "onprem_prefix": str(flow.onprem_prefix),
        "subnet": flow.subnet,
        "subnet_prefix": str(flow.subnet_prefix),
        "forward": path_to_dict(result.forward),
        "reverse": path_to_dict(result.reverse),
        "flags": sorted(str(flag) for flag in result.flags),
        "reasons": list(result.reasons),
    }


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    design = analysis.design
    return {
        "topology": design.name,
        "failure_points": [
            {"name": point.name, "description": point.description} for point in failure_points(design)
        ],
        "notes": list(design.notes),
        "scenarios": [
            {
                "name": result.scenario.name,
                "failed": sorted(result.scenario.failed),
                "flows": [flow_to_dict(flow, flow_result) for flow, flow_result in analysis.rows(result)],
            }
            for result in analysis.results
        ],
    }


def changes_to_dict(before: Analysis, after: Analysis, changes: list[FlowChange]) -> dict[str, Any]:
    def side(result: FlowResult | None) -> dict[str, Any] | None:
        if result is None:
            return None
        return {
            "forward": path_to_dict(result.forward),
            "reverse": path_to_dict(result.reverse),
            "flags": sorted(str(flag) for flag in result.flags),
        }

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
