"""`hybridnet render arm`: files written, validated with the schemas shipped in the package, and a missing
schema folder is an error, not a pass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hybridnet
from hybridnet.cli import app
from hybridnet.render.arm import render_arm
from hybridnet.render.arm_schema import (
    SCHEMA_ENV,
    ArmSchemaMissing,
    packaged_schemas,
    schema_root,
    validate_parameters,
    validate_template,
)
from tests.conftest import reference_document, topology_from

runner = CliRunner()
PACKAGE = Path(hybridnet.__file__).resolve().parent


def test_schemas_ship_in_the_package_with_their_licence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEMA_ENV, raising=False)
    root = schema_root()
    assert root == packaged_schemas()
    assert (root / "schemas" / "2023-09-01" / "Microsoft.Network.NRP.json").is_file()
    assert "MIT License" in (root / "LICENSE").read_text(encoding="utf-8")


def test_validation_works_from_an_installed_copy_with_no_repository_around(tmp_path: Path) -> None:
    """The package alone (as pip installs it: no checkout, nothing beside it) validates, from any directory."""
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "hybridnet", ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in (SCHEMA_ENV, "PYTHONPATH")}
    # the copy first; whatever else is on the path (dependencies, when the interpreter is not a venv's) stays
    source = (PACKAGE.parent).resolve()
    others = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep)
              if entry and Path(entry).resolve() != source]
    env["PYTHONPATH"] = os.pathsep.join([str(site), *others])
    script = (
        "import hybridnet, sys\n"
        "from hybridnet.model import default_topology\n"
        "from hybridnet.render.arm import render_arm\n"
        "from hybridnet.render.arm_schema import validate_parameters, validate_template\n"
        f"assert hybridnet.__file__.startswith({str(site)!r}), hybridnet.__file__\n"
        "deployment = render_arm(default_topology())\n"
        "problems = validate_template(deployment.template) + validate_parameters(deployment.parameters)\n"
        "print(len(deployment.template['resources']), 'resources', problems)\n"
        "sys.exit(1 if problems else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resources []" in done.stdout


def test_the_env_override_still_points_at_another_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "upstream"
    shutil.copytree(PACKAGE / "render" / "arm_schemas", copy)
    monkeypatch.setenv(SCHEMA_ENV, str(copy))
    assert schema_root() == copy
    deployment = render_arm(topology_from(reference_document()))
    assert validate_template(deployment.template) == [] and validate_parameters(deployment.parameters) == []


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
