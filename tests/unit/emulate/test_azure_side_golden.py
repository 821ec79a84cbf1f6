"""The Azure half of the plan for the reference and its variants, frozen: estates must not move it.

The reference's lab and drill figures were measured on exactly this plan (every address, route,
bridge and daemon config), so support for spokes, several circuits and several VPN ends must leave
it byte-identical. Regenerate (only for a change that is meant to move the reference) with
``HYBRIDNET_UPDATE_GOLDEN=1 pytest tests/unit/emulate/test_azure_side_golden.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from hybridnet.emulate.plan.azure_side import plan_azure
from hybridnet.emulate.plan.types import SidePlan
from hybridnet.model.loader import default_topology, load

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "reference": None,
    "variant-no-er-preference": ROOT / "examples" / "variant-no-er-preference.yaml",
    "variant-vpn-pinned-24": ROOT / "examples" / "variant-vpn-pinned-24.yaml",
}


# examples/ra-2016.yaml has no private peering (and no edge routers): the lab refuses it, so it has no
# Azure side to freeze (test_plan_azure checks that it is refused with a LabError).


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, IPv4Address | IPv4Interface | IPv4Network):
        return str(value)
    return value


def side_plan_json(side: SidePlan) -> str:
    """The whole side plan as stable JSON (field order of the dataclasses, plan order of the lists)."""
    return json.dumps(_plain(side), indent=1, sort_keys=False) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_reference_azure_side_is_unchanged(case: str) -> None:
    path = CASES[case]
    topology = default_topology() if path is None else load(path)
    got = side_plan_json(plan_azure(topology))
    golden = GOLDEN / f"azure-side-{case}.json"
    if os.environ.get("HYBRIDNET_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(got)
    assert golden.exists(), f"missing {golden}: run with HYBRIDNET_UPDATE_GOLDEN=1 once"
    assert got == golden.read_text(), f"the Azure side of {case} moved; see the diff against {golden}"
