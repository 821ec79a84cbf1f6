"""`hybridnet render arm`: files written, validated, and a missing schema folder is an error, not a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.render.arm_schema import SCHEMA_ENV, ArmSchemaMissing, schema_root, validate_template

runner = CliRunner()


def test_schemas_are_found_beside_the_repository() -> None:
    root = schema_root()
    assert (root / "schemas" / "2023-09-01" / "Microsoft.Network.NRP.json").is_file()


def test_missing_schemas_raise_instead_of_passing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCHEMA_ENV, str(tmp_path))
    with pytest.raises(ArmSchemaMissing, match=SCHEMA_ENV):
        validate_template({"$schema": "x", "contentVersion": "1.0.0.0", "resources": []})


def test_render_arm_writes_and_validates_both_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "arm", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "validate against the ARM JSON schemas" in result.output
    template = json.loads((tmp_path / "azuredeploy.json").read_text())
    assert template["$schema"].endswith("2019-04-01/deploymentTemplate.json#")
    assert (tmp_path / "azuredeploy.parameters.json").is_file()


def test_render_arm_without_schemas_fails_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEMA_ENV, str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["render", "arm", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "ARM JSON schemas not found" in result.output
    assert not (tmp_path / "out").exists()


def test_render_arm_of_a_bad_topology_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    result = runner.invoke(app, ["render", "arm", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "Traceback" not in result.output
