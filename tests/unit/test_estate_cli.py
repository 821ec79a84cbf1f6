"""Estates on the command line: every stage takes them (`check`, `analyse`, `render arm`, `render device`,
`import`, `up`, `drill`, `export containerlab`), `init --example` writes them, `schema` covers them; the gate that
refused them still names the estate part and its line for a stage not (yet) ready."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.cli.common import ESTATE_STAGES_READY, refuse_partial
from hybridnet.model import TopologyErrors, load
from hybridnet.model.loader import EXAMPLES, example_yaml

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize("example", EXAMPLES)
def test_check_takes_each_example_and_exits_0(example: str) -> None:
    result = runner.invoke(app, ["check", str(REPO / "examples" / "estates" / f"{example}.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("example", EXAMPLES)
def test_export_containerlab_takes_each_example(example: str, tmp_path: Path) -> None:
    """The last stage to take estates (`up` and `drill` are proven by tests/lab; running them here would
    bring real labs up)."""
    path = REPO / "examples" / "estates" / f"{example}.yaml"
    result = runner.invoke(app, ["export", "containerlab", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "not yet emulated or exported" not in result.output
    assert (tmp_path / "out" / f"{load(path).name}.clab.yml").is_file()


def test_every_stage_of_the_command_line_takes_estates() -> None:
    """Every stage the commands pass to the gate is one that takes estates: none refuses them any more."""
    stages = set()
    for source in (REPO / "src" / "hybridnet" / "cli").glob("*.py"):
        stages |= set(re.findall(r'stage="([^"]+)"', source.read_text(encoding="utf-8")))
    assert stages and stages <= ESTATE_STAGES_READY, stages - ESTATE_STAGES_READY


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_stage_not_ready_would_refuse_each_example_naming_the_part_and_line(example: str) -> None:
    path = REPO / "examples" / "estates" / f"{example}.yaml"
    topology = load(path)
    with pytest.raises(TopologyErrors) as caught:
        refuse_partial(topology, "some later stage")
    message = str(caught.value.errors[0])
    assert "are checked, analysed, rendered and imported but not yet emulated or exported" in message
    first_key = min(topology.estate_features(), key=lambda f: topology.line_of_key(f[1]) or 0)[1]
    assert f"{path}:{topology.line_of_key(first_key)}" in message
    refuse_partial(topology, "export containerlab")  # the stages that are ready let it through


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
