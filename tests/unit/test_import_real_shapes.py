"""Templates and exports as they are found in the wild: comments, BOMs, variable copy loops, values
known only at deployment, and partial inventories (a hub without its circuit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.importer import import_files
from hybridnet.model import default_topology, load
from hybridnet.render.arm import render_arm

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def _reference_template(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    template, parameters = render_arm(default_topology()).write(tmp_path / "arm")
    return json.loads(template.read_text()), json.loads(parameters.read_text())


def _without_circuit(template: dict[str, Any]) -> dict[str, Any]:
    """The hub as a VPN-only team would deploy it: no circuit, no peering, no ExpressRoute connection."""
    gone = ("expressroutecircuits", "connections")
    template["resources"] = [
        r for r in template["resources"]
        if not any(g in r["type"].lower() for g in gone) or "IPsec" in json.dumps(r.get("properties", {}))
    ]
    return template


def test_comments_are_accepted_and_a_url_keeps_its_slashes(tmp_path: Path) -> None:
    template, parameters = _reference_template(tmp_path)
    template["metadata"] = {"hybridnet": {"description": "see https://example.org//docs"}}
    text = json.dumps(template, indent=2)
    text = text.replace('"resources": [', '// the hub\n  "resources": [ /* every resource,\n  two lines */', 1)
    (tmp_path / "t.json").write_text("/* header */\n" + text)
    (tmp_path / "p.json").write_text("// parameters\n" + json.dumps(parameters))
    result = import_files([tmp_path / "t.json", tmp_path / "p.json"])
    assert result.topology.description == "see https://example.org//docs"
    assert result.topology.vpn_gateway is not None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-be", "utf-32"])
def test_exports_written_by_windows_powershell_are_read(tmp_path: Path, encoding: str) -> None:
    """Windows PowerShell 5's `> export.json` writes UTF-16 LE with a byte-order mark."""
    text = (FIXTURES / "exported-gateways.json").read_text(encoding="utf-8")
    path = tmp_path / "export.json"
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16, utf-8-sig and utf-32 write one
    path.write_bytes((bom + text).encode(encoding))
    imported = import_files([path], resource_group="rg-hub-az").topology
    assert imported.vpn_gateway.sku == "VpnGw3AZ"  # type: ignore[union-attr]


def test_a_copy_loop_in_variables_builds_the_array(tmp_path: Path) -> None:
    template, parameters = _reference_template(tmp_path)
    template.setdefault("variables", {})["copy"] = [
        {
            "name": "extraSubnets",
            "count": 2,
            "input": {
                "name": "[concat('tier', copyIndex('extraSubnets'))]",
                "prefix": "[concat('10.0.', add(100, copyIndex('extraSubnets')), '.0/24')]",
            },
        }
    ]
    vnet = next(r for r in template["resources"] if r["type"] == "Microsoft.Network/virtualNetworks")
    template["resources"].append(
        {
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "apiVersion": "2023-09-01",
            "name": f"[concat('{vnet['name']}/', variables('extraSubnets')[copyIndex()].name)]",
            "copy": {"name": "extra", "count": "[length(variables('extraSubnets'))]"},
            "properties": {"addressPrefix": "[variables('extraSubnets')[copyIndex('extra')].prefix]"},
        }
    )
    (tmp_path / "t.json").write_text(json.dumps(template))
    (tmp_path / "p.json").write_text(json.dumps(parameters))
    topology = import_files([tmp_path / "t.json", tmp_path / "p.json"]).topology
    subnets = {s.name: str(s.prefix) for s in topology.vnet.subnets}
    assert subnets["tier0"] == "10.0.100.0/24" and subnets["tier1"] == "10.0.101.0/24"


def test_a_runtime_value_keeps_the_resource_and_is_reported_unknown(tmp_path: Path) -> None:
    """A local network gateway pointing at another gateway's public IP (vnet-to-vnet over an LNG, as in
    many quickstarts): the address exists only once Azure has allocated it."""
    template, parameters = _reference_template(tmp_path)
    lng = next(r for r in template["resources"] if r["type"] == "Microsoft.Network/localNetworkGateways")
    pip = next(r for r in template["resources"] if r["type"] == "Microsoft.Network/publicIPAddresses")
    lng["properties"]["gatewayIpAddress"] = (
        f"[reference(resourceId('Microsoft.Network/publicIPAddresses', '{pip['name']}')).ipAddress]"
    )
    (tmp_path / "t.json").write_text(json.dumps(template))
    (tmp_path / "p.json").write_text(json.dumps(parameters))
    out = tmp_path / "hub.yaml"
    result = runner.invoke(app, ["import", str(tmp_path / "t.json"), str(tmp_path / "p.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"unknown Microsoft.Network/localNetworkGateways {lng['name']} properties.gatewayIpAddress" in text
    assert ".ipAddress (set by Azure at deployment)" in text and "t.json" in text
    assert load(out).local_network_gateways[0].gateway_ip is None


def test_a_hub_without_circuit_imports_and_check_reports_the_missing_part(tmp_path: Path) -> None:
    template, parameters = _reference_template(tmp_path)
    (tmp_path / "t.json").write_text(json.dumps(_without_circuit(template)))
    (tmp_path / "p.json").write_text(json.dumps(parameters))
    out = tmp_path / "hub.yaml"
    result = runner.invoke(app, ["import", str(tmp_path / "t.json"), str(tmp_path / "p.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "no ExpressRoute circuit" in " ".join(result.output.split())
    check = runner.invoke(app, ["check", str(out), "--format", "json"])
    assert check.exit_code == 1 and "Traceback" not in check.output
    errors = [f["rule"] for f in json.loads(check.output)["findings"] if f["severity"] == "error"]
    assert errors == ["HN-ER-005"]  # every other rule ran and found the hub itself sound


@pytest.mark.parametrize(
    "stage",
    [["analyse"], ["render", "arm", "-o", "{dir}"], ["render", "device", "--vendor", "frr", "-o", "{dir}"],
     ["up", "--dry-run"], ["drill"]],
    ids=lambda s: " ".join(s[:2]),
)
def test_stages_that_need_the_whole_design_name_the_missing_circuit(tmp_path: Path, stage: list[str]) -> None:
    template, parameters = _reference_template(tmp_path)
    (tmp_path / "t.json").write_text(json.dumps(_without_circuit(template)))
    (tmp_path / "p.json").write_text(json.dumps(parameters))
    out = tmp_path / "hub.yaml"
    imported = runner.invoke(app, ["import", str(tmp_path / "t.json"), str(tmp_path / "p.json"), "-o", str(out)])
    assert imported.exit_code == 0, imported.output
    args = [a.replace("{dir}", str(tmp_path / "out")) for a in stage]
    result = runner.invoke(app, [*args[:2], str(out), *args[2:]] if args[0] == "render" else [*args, str(out)])
    assert result.exit_code == 2, result.output
    assert "no ExpressRoute circuit" in " ".join(result.output.split()) and "Traceback" not in result.output


def test_a_gateway_ip_configuration_without_public_ip_is_imported_and_flagged(tmp_path: Path) -> None:
    template, parameters = _reference_template(tmp_path)
    vpn = next(r for r in template["resources"] if r["type"] == "Microsoft.Network/virtualNetworkGateways"
               and r["properties"]["gatewayType"] == "Vpn")
    del vpn["properties"]["ipConfigurations"][1]["properties"]["publicIPAddress"]
    (tmp_path / "t.json").write_text(json.dumps(template))
    (tmp_path / "p.json").write_text(json.dumps(parameters))
    result = import_files([tmp_path / "t.json", tmp_path / "p.json"])
    gateway = result.topology.vpn_gateway
    assert gateway is not None and len(gateway.instances) == 2
    assert gateway.instances[1].public_ip.name.endswith("-no-public-ip")
    assert any("names no public IP" in a.message for a in result.report.assumptions)
