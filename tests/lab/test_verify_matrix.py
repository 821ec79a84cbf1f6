"""`hybridnet verify-matrix` on the reference, live: every single failure agrees with the analysis.

About a minute on the 2-core machine (bring-up, 11 failures with condition waits, tear-down).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import default_topology
from hybridnet.routing import failure_scenarios, routing_design
from hybridnet.verify.report import REPORT_FILES
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab


def test_every_single_failure_of_the_reference_agrees_live(tmp_path: Path) -> None:
    from hybridnet.emulate import down

    name = lab_name("vm")
    try:
        result = CliRunner().invoke(app, ["verify-matrix", "--lab", name, "-o", str(tmp_path), "--depth", "1"])
    finally:
        down(name)  # the command takes its own lab down; this is for a crash half-way
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / REPORT_FILES[0]).read_text(encoding="utf-8"))
    expected = [s.name for s in failure_scenarios(routing_design(default_topology()), 1)]
    assert [s["name"] for s in report["scenarios"]] == expected
    assert all(s["agrees"] and s["flows"] for s in report["scenarios"])
    assert all((tmp_path / name).is_file() for name in REPORT_FILES)


ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"
ESTATE_SUBSETS = {
    "hub-spoke": ["primary-link", "circuit", "er-gateway", "vpn-tunnel-0", "vpn-gateway-1", "onprem-ce1",
                  "onprem-vpn", "peering-spoke-app"],
    "two-circuits": ["sv-erc-secondary-link", "circuit-sv-erc", "circuit-la-erc", "er-gateway", "vpn-tunnel-1",
                     "vpn-gateway-0", "hq-ce3", "hq-vpn"],
    "sites": ["sv-erc-primary-link", "circuit-sv-erc", "circuit-la-erc", "er-gateway", "vpn-tunnel-hq-fw-0",
              "vpn-tunnel-branch1-rtr-1", "vpn-gateway-1", "hq-fw-unit-0", "dc2-ce2"],
}
"""Every scenario kind at least once per example (link, circuit, gateway, tunnel, VPN instance, device,
peering, cluster unit); ``HYBRIDNET_VERIFY_FULL=1`` runs every single failure (about 1, 1.5 and 2.5 min)."""


@pytest.mark.parametrize("lab", sorted(ESTATE_SUBSETS))
def test_the_estate_examples_agree_live_with_the_analysis(lab: str, tmp_path: Path) -> None:
    import os

    from hybridnet.emulate import down

    name = lab_name(f"vm{sorted(ESTATE_SUBSETS).index(lab)}")
    only = [] if os.environ.get("HYBRIDNET_VERIFY_FULL") == "1" else ESTATE_SUBSETS[lab]
    arguments = ["verify-matrix", str(ESTATES / f"{lab}.yaml"), "--lab", name, "-o", str(tmp_path)]
    arguments += [item for scenario in only for item in ("--only", scenario)]
    try:
        result = CliRunner().invoke(app, arguments)
    finally:
        down(name)
    report = json.loads((tmp_path / REPORT_FILES[0]).read_text(encoding="utf-8"))
    assert result.exit_code == 0, "\n".join(result.output.splitlines()[-40:])
    names = [s["name"] for s in report["scenarios"]]
    assert names[0] == "all-up" and (not only or sorted(names[1:]) == sorted(only))
    assert all(s["agrees"] and s["flows"] for s in report["scenarios"])
