"""`hybridnet init`: the reference topology users start from, byte for byte (golden file), and a file
that `hybridnet check` passes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import default_topology, load
from tests.unit.conftest import assert_golden

runner = CliRunner()


def test_init_prints_the_reference_topology() -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0
    assert_golden("init/reference.yaml", result.stdout)


def test_init_writes_a_file_that_loads_as_the_default_and_checks_clean(tmp_path: Path) -> None:
    path = tmp_path / "topology.yaml"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0
    assert_golden("init/reference.yaml", path.read_text(encoding="utf-8"))
    assert load(path).model_dump() == default_topology().model_dump()
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0, checked.output


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "topology.yaml"
    path.write_text("keep me\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert path.read_text(encoding="utf-8") == "keep me\n"
    assert runner.invoke(app, ["init", str(path), "--force"]).exit_code == 0
    assert path.read_text(encoding="utf-8") != "keep me\n"
