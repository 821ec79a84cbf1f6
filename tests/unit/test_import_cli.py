"""`hybridnet import`: writes a loadable topology, reports assumptions, never a traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import default_topology, load
from hybridnet.render.arm import render_arm

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_import_of_the_rendered_template_with_onprem_file_reproduces_the_topology(tmp_path: Path) -> None:
    template, parameters = render_arm(default_topology()).write(tmp_path / "arm")
    onprem = tmp_path / "onprem.yaml"
    result = runner.invoke(app, ["init", str(onprem)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "topology.yaml"
    result = runner.invoke(
        app, ["import", str(template), str(parameters), "--onprem", str(onprem), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "15 resources read, 0 not imported" in " ".join(result.output.split())
    assert load(out).model_dump() == load(onprem).model_dump()


def test_import_of_an_export_prints_assumptions_and_what_was_left_out(tmp_path: Path) -> None:
    out = tmp_path / "hub.yaml"
    result = runner.invoke(
        app,
        ["import", str(FIXTURES / "exported-gateways.json"), "--resource-group", "rg-hub-az", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "assumed" in result.output and "not imported" in result.output
    assert load(out).vpn_gateway.sku == "VpnGw3AZ"
    check = runner.invoke(app, ["check", str(out)])
    assert "Traceback" not in check.output


def test_import_refuses_to_overwrite_and_reports_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "exists.yaml"
    out.write_text("keep me")
    result = runner.invoke(app, ["import", str(FIXTURES / "exported-gateways.json"), "-o", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert out.read_text() == "keep me"
    result = runner.invoke(app, ["import", str(FIXTURES / "exported-gateways.json")])
    assert result.exit_code == 2
    assert "spans 6 resource groups" in " ".join(result.output.split()) and "Traceback" not in result.output


def test_import_to_stdout_writes_yaml(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["import", str(FIXTURES / "exported-gateways.json"), "--resource-group", "rg-hub-legacy"]
    )
    assert result.exit_code == 0
    assert "name: vpngw-legacy" in result.output
