"""`hybridnet drill` on its own: with no lab running it brings one up, drills, writes the three
reports and takes the lab down again — the README's first command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hybridnet.emulate import down
from hybridnet.emulate.lab import footprint
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

HYBRIDNET = str(Path(sys.executable).with_name("hybridnet"))


def test_drill_brings_a_lab_up_and_takes_it_down_again(tmp_path: Path) -> None:
    name = lab_name("cli")
    try:
        completed = subprocess.run(
            [HYBRIDNET, "drill", "--lab", name, "--no-path-checks", "--report-dir", str(tmp_path / "report"),
             "--max-outage", "5000"],
            capture_output=True, text=True, timeout=600, check=False)
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
        assert f"bringing lab {name} up" in completed.stdout and f"taking lab {name} down" in completed.stdout
        assert "Drill PASSED" in completed.stdout
        document = json.loads((tmp_path / "report" / "drill-report.json").read_text())
        assert document["passed"] and document["max_outage_ms"] == 5000
        assert (tmp_path / "report" / "drill-report.md").read_text().startswith("# Failover drill")
        assert "<svg" in (tmp_path / "report" / "drill-report.html").read_text()
        left = footprint(name)
        assert not left["namespaces"] and not left["files"], left
    finally:
        down(name)
