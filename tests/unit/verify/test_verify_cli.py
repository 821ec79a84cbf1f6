"""`hybridnet verify-matrix` refuses bad input with exit 2 before touching the system."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hybridnet.cli import app

ROOT = Path(__file__).resolve().parents[3]


def test_bad_depth_an_output_file_and_a_bad_lab_name_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["verify-matrix", "--depth", "3"]).exit_code == 2
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    refused = runner.invoke(app, ["verify-matrix", "-o", str(blocker)])
    assert refused.exit_code == 2 and "not a directory" in refused.output
    assert runner.invoke(app, ["verify-matrix", "--lab", "Bad Name"]).exit_code == 2
