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
