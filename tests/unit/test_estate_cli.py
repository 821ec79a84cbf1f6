"""Estates on the command line: `check`, `analyse`, `render arm`, `render device` and `import` take them,
`init --example` writes them, `schema` covers them, and every other stage refuses them with exit 2 and a message
naming the estate part and its line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import load
from hybridnet.model.loader import EXAMPLES, example_yaml

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

STAGES = [  # analyse takes estates (tests/unit/test_routing_estates.py)
    ("export containerlab", ["export", "containerlab"], ["-o", "{out}"]),
    ("up", ["up"], []),
    ("drill", ["drill"], []),
]


@pytest.mark.parametrize("example", EXAMPLES)
def test_check_takes_each_example_and_exits_0(example: str) -> None:
    result = runner.invoke(app, ["check", str(REPO / "examples" / "estates" / f"{example}.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize(("stage", "command", "options"), STAGES, ids=[" ".join(s[1]) for s in STAGES])
def test_every_other_stage_refuses_each_example_with_exit_2(example: str, stage: str, command: list[str],
                                                             options: list[str], tmp_path: Path) -> None:
    path = REPO / "examples" / "estates" / f"{example}.yaml"
    args = [*command, str(path), *(o.format(out=tmp_path / "out") for o in options)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert ("are checked, analysed, rendered and imported but not yet emulated or exported by this version"
            in result.stderr)
    first_key = min(load(path).estate_features(), key=lambda f: load(path).line_of_key(f[1]) or 0)[1]
    line = load(path).line_of_key(first_key)
    assert f"{path}:{line}" in result.stderr
    assert f"`hybridnet {stage}`" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("example", EXAMPLES)
def test_render_arm_and_import_take_each_example(example: str, tmp_path: Path) -> None:
    """The round trip on the command line: render the estate, import it back with the estate file as the
    on-prem base, and the written topology is the estate."""
    path = REPO / "examples" / "estates" / f"{example}.yaml"
    rendered = runner.invoke(app, ["render", "arm", str(path), "-o", str(tmp_path / "arm")])
    assert rendered.exit_code == 0, rendered.output
    out = tmp_path / "imported.yaml"
    imported = runner.invoke(app, ["import", str(tmp_path / "arm" / "azuredeploy.json"), "--onprem", str(path),
                                   "-o", str(out)])
    assert imported.exit_code == 0, imported.output
    assert load(out).model_dump() == load(path).model_dump()


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("vendor", ["frr", "strongswan", "cisco-iosxe", "junos"])
def test_render_device_takes_each_example(example: str, vendor: str, tmp_path: Path) -> None:
    path = REPO / "examples" / "estates" / f"{example}.yaml"
    result = runner.invoke(app, ["render", "device", "--vendor", vendor, str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "but not yet emulated" not in result.output
    assert any((tmp_path / "out").rglob("*"))


def test_the_reference_and_the_old_examples_still_pass_the_gate() -> None:
    for path in (None, REPO / "examples" / "variant-vpn-pinned-24.yaml"):
        args = ["analyse", "--depth", "1"] + ([str(path)] if path else [])
        result = runner.invoke(app, args)
        assert "but not yet emulated" not in result.output
        assert result.exit_code in (0, 1), result.output


@pytest.mark.parametrize("example", EXAMPLES)
def test_init_example_writes_the_example_that_checks_clean(example: str, tmp_path: Path) -> None:
    printed = runner.invoke(app, ["init", "--example", example])
    assert printed.exit_code == 0
    assert printed.stdout == (REPO / "examples" / "estates" / f"{example}.yaml").read_text(encoding="utf-8")
    path = tmp_path / "estate.yaml"
    assert runner.invoke(app, ["init", "--example", example, str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == example_yaml(example)
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0


def test_init_refuses_an_unknown_example() -> None:
    result = runner.invoke(app, ["init", "--example", "mesh"])
    assert result.exit_code == 2
    assert "hub-spoke, two-circuits, sites" in result.stderr


def test_schema_validates_every_example_and_knows_the_estate_keys() -> None:
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    for key in ("spokes", "sites", "circuits"):
        assert key in schema["properties"]
    assert "onprem" not in schema.get("required", [])
    for name in ("SiteDevice", "EdgeRole", "VpnRole", "FirewallRole", "SpokeVnet", "VnetPeering"):
        assert name in schema["$defs"]
    for example in EXAMPLES:
        jsonschema.validate(YAML(typ="safe").load(example_yaml(example)), schema)
