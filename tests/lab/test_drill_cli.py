"""`hybridnet drill` from the command line: with no lab running it brings one up, drills, writes the
three reports and takes the lab down again — the README's first command; it uses a lab brought up
from a file; it stops early when the VPN backup is not up; with --json every error is JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def test_drill_uses_a_lab_brought_up_from_a_file_and_refuses_another_topology(tmp_path: Path) -> None:
    """`hybridnet up FILE` then `hybridnet drill FILE`: the drill uses that lab (where the topology
    was loaded from does not matter, its content does); a different topology is refused."""
    name = lab_name("file")
    topology = tmp_path / "topology.yaml"
    subprocess.run([HYBRIDNET, "init", str(topology)], check=True, capture_output=True, timeout=60)
    text = topology.read_text()
    assert "\ndescription:" in text
    topology.write_text(text.replace("\ndescription:", "\ndescription: 'drilled from a file' #", 1))
    try:
        up = subprocess.run([HYBRIDNET, "up", str(topology), "--lab", name], capture_output=True, text=True,
                            timeout=180, check=False)
        assert up.returncode == 0, (up.stdout + up.stderr)[-3000:]
        drill = subprocess.run(
            [HYBRIDNET, "drill", str(topology), "--lab", name, "--no-path-checks", "--scenario", "primary-link-down",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=600, check=False)
        assert drill.returncode == 0, (drill.stdout + drill.stderr)[-4000:]
        assert f"using the running lab {name}" in drill.stdout
        other = subprocess.run([HYBRIDNET, "drill", "--lab", name, "--json"], capture_output=True, text=True,
                               timeout=120, check=False)
        assert other.returncode == 2, other.stdout + other.stderr
        assert "different topology" in json.loads(other.stdout)["error"]
    finally:
        down(name)


def test_drill_on_a_lab_whose_vpn_never_came_up_stops_early_and_names_the_keys(tmp_path: Path) -> None:
    """`hybridnet up --mismatch-key`, then a drill: it does not cut ExpressRoute with no backup to
    fail over to; it stops within seconds and says the pre-shared keys differ, as JSON with --json."""
    name = lab_name("nokey")
    try:
        up = subprocess.run([HYBRIDNET, "up", "--lab", name, "--mismatch-key"], capture_output=True, text=True,
                            timeout=180, check=False)
        assert up.returncode == 0, (up.stdout + up.stderr)[-3000:]
        started = time.monotonic()
        drill = subprocess.run([HYBRIDNET, "drill", "--lab", name, "--json", "--report-dir", str(tmp_path / "r")],
                               capture_output=True, text=True, timeout=300, check=False)
        took = time.monotonic() - started
        assert drill.returncode == 1, (drill.stdout + drill.stderr)[-3000:]
        error = json.loads(drill.stdout)
        assert "pre-shared keys" in error["cause"], error
        assert "pre-shared keys" in error["error"] and "pre-shared keys" in drill.stderr
        assert error["version"]
        assert took < 30, f"the drill took {took:.0f} s to give up"
        assert not (tmp_path / "r" / "drill-report.json").exists()
    finally:
        down(name)


def test_drill_json_reports_every_error_as_json(tmp_path: Path) -> None:
    """`drill --json` prints a JSON error object whenever it cannot run: bad input, no root."""
    missing = subprocess.run([HYBRIDNET, "drill", str(tmp_path / "nowhere.yaml"), "--json"], capture_output=True,
                             text=True, timeout=60, check=False)
    assert missing.returncode == 2
    error = json.loads(missing.stdout)
    assert "nowhere.yaml" in error["error"] and error["cause"] == "bad input"
    option = subprocess.run([HYBRIDNET, "drill", "--json", "--repeat", "0"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert option.returncode == 2 and "--repeat" in json.loads(option.stdout)["error"]
    environment = {**os.environ, "HOME": str(tmp_path)}
    no_root = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", HYBRIDNET, "drill",
                              "--json", "--report-dir", str(tmp_path / "r")],
                             capture_output=True, text=True, timeout=60, check=False, env=environment)
    assert no_root.returncode == 2, no_root.stdout + no_root.stderr
    assert "root" in json.loads(no_root.stdout)["error"]
