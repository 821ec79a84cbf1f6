"""`hybridnet check`: exit codes, what it names for the 2016 design and the classic mistakes, and the
JSON and SARIF outputs (golden files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.rules import all_rules
from hybridnet.version import hybridnet_version
from tests.conftest import reference_document
from tests.unit.conftest import assert_golden, setting

REPO = Path(__file__).parents[2]
VERSION_PLACEHOLDER = "<hybridnet version>"


def _without_version(text: str) -> str:
    """The output with hybridnet's version replaced, so the golden files survive a version bump."""
    return text.replace(f'"version": "{hybridnet_version()}"', f'"version": "{VERSION_PLACEHOLDER}"')
EXAMPLE_2016 = "examples/ra-2016.yaml"
runner = CliRunner()

# The parts of SARIF 2.1.0 that consumers (GitHub code scanning, VS Code SARIF viewer) rely on, written
# from the OASIS specification: required properties, their types and the allowed levels.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription", "help"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": {"$ref": "#/$defs/message"},
                                                "fullDescription": {"$ref": "#/$defs/message"},
                                                "help": {"$ref": "#/$defs/message"},
                                                "helpUri": {"type": "string", "format": "uri"},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": {"$ref": "#/$defs/level"}},
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "level", "message", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"$ref": "#/$defs/level"},
                                "message": {"$ref": "#/$defs/message"},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {"uri": {"type": "string"}},
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1}
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "$defs": {
        "level": {"enum": ["none", "note", "warning", "error"]},
        "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
    },
}


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root so paths in outputs are the relative ones users see."""
    monkeypatch.chdir(REPO)
    return REPO


def _write(tmp_path: Path, document: dict[str, Any], name: str = "topology.yaml") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(document, handle)
    return path


def _json_check(path: Path) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_reference_default_exits_0() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.stdout


def test_2016_example_exits_1_naming_its_legacy_design(in_repo: Path) -> None:
    result = runner.invoke(app, ["check", EXAMPLE_2016])
    assert result.exit_code == 1
    for named in ("Azure.VNG.VPNLegacySKU", "Azure.VNG.VPNActiveActive", "Azure.VNET.UseNSGs", "HN-RT-008"):
        assert named in result.stdout
    code, report = _json_check(Path(EXAMPLE_2016))
    assert code == 1
    by_rule = {finding["rule"]: finding for finding in report["findings"]}
    assert by_rule["HN-PSR-001"]["severity"] == "error"
    assert "no BGP" in by_rule["HN-RT-008"]["message"]
    assert "active-standby" in by_rule["HN-PSR-002"]["message"]
    assert "has no network security group" in by_rule["HN-PSR-010"]["message"]
    assert by_rule["HN-PSR-001"]["line"] is not None


@pytest.mark.parametrize(
    ("edit", "rule_id", "words"),
    [
        (setting("vnet.subnets.0.prefix", "10.0.255.240/28"), "HN-GWS-003", "is a /28"),
        (setting("gateways.1.vpn_type", "PolicyBased"), "HN-COEX-003", "PolicyBased"),
        (setting("gateways.1.sku", "Basic"), "HN-COEX-004", "Basic SKU"),
        (setting("gateways.0.sku", "Basic"), "HN-COEX-004", "Basic SKU"),
        (setting("onprem.address_space", ["10.0.0.0/8"]), "HN-ADDR-001", "overlaps"),
        (setting("onprem.asn", 65515), "HN-ASN-001", "reserved by Azure"),
    ],
    ids=[
        "gateway-subnet-28",
        "policy-based",
        "basic-vpn",
        "basic-er",
        "onprem-overlaps-vnet",
        "onprem-asn-65515",
    ],
)
def test_classic_mistakes_give_a_clear_error_finding(
    tmp_path: Path, edit: Any, rule_id: str, words: str
) -> None:
    document = reference_document()
    edit(document)
    code, report = _json_check(_write(tmp_path, document))
    assert code == 1
    errors = [f for f in report["findings"] if f["rule"] == rule_id and f["severity"] == "error"]
    assert errors, report["findings"]
    assert words in errors[0]["message"]
    assert errors[0]["file"] and errors[0]["line"]


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    document = reference_document()
    del document["vnet"]["subnets"][1]["nsg"]
    code, report = _json_check(_write(tmp_path, document))
    assert code == 0
    assert report["summary"] == {"error": 0, "warning": 1, "info": 1}  # no NSG; web-nsg now orphaned


def test_findings_point_at_the_line_to_edit(tmp_path: Path) -> None:
    text = (REPO / "src/hybridnet/model/reference.yaml").read_text(encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(text.replace("10.0.255.224/27", "10.0.255.240/28"), encoding="utf-8")
    code, report = _json_check(path)
    assert code == 1
    [finding] = [f for f in report["findings"] if f["rule"] == "HN-GWS-003"]
    line = text.splitlines()[finding["line"] - 1]
    assert "GatewaySubnet" in line and "10.0.255.224/27" in line


def test_malformed_yaml_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nvnet:\n  name: [unclosed\n  subnets: []\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "invalid YAML" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("output", ["table", "json", "sarif"])
def test_inline_shared_key_never_appears_in_any_output(tmp_path: Path, output: str) -> None:
    document = reference_document()
    document["connections"][1]["shared_key"] = {"value": "Zq8-secret~Key"}
    result = runner.invoke(app, ["check", str(_write(tmp_path, document)), "--format", output])
    assert "Zq8" not in result.output


def test_json_output_matches_golden(in_repo: Path) -> None:
    result = runner.invoke(app, ["check", EXAMPLE_2016, "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["version"] == hybridnet_version()
    assert_golden("check/ra-2016.json", _without_version(result.stdout))


def test_json_output_of_the_reference_matches_golden() -> None:
    result = runner.invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 0
    assert_golden("check/reference.json", _without_version(result.stdout))


def test_sarif_output_matches_golden_and_is_valid_sarif(in_repo: Path) -> None:
    result = runner.invoke(app, ["check", EXAMPLE_2016, "--format", "sarif"])
    assert result.exit_code == 1
    assert_golden("check/ra-2016.sarif", _without_version(result.stdout))
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["version"] == hybridnet_version()
    jsonschema.validate(sarif, SARIF_SUBSET)
    run = sarif["runs"][0]
    assert len(run["tool"]["driver"]["rules"]) == len(all_rules())
    for finding in run["results"]:
        [location] = finding["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == EXAMPLE_2016
        assert run["tool"]["driver"]["rules"][finding["ruleIndex"]]["id"] == finding["ruleId"]
    assert any("region" in r["locations"][0]["physicalLocation"] for r in run["results"])


def test_sarif_uses_a_file_uri_for_an_absolute_path(in_repo: Path) -> None:
    result = runner.invoke(app, ["check", str(REPO / EXAMPLE_2016), "--format", "sarif"])
    uri = json.loads(result.stdout)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert uri["artifactLocation"]["uri"].startswith("file:///")


def test_outputs_are_deterministic(in_repo: Path) -> None:
    for output in ("json", "sarif"):
        first = runner.invoke(app, ["check", EXAMPLE_2016, "--format", output]).stdout
        second = runner.invoke(app, ["check", EXAMPLE_2016, "--format", output]).stdout
        assert first == second
        assert str(REPO) not in first


def test_list_rules_names_every_rule() -> None:
    result = runner.invoke(app, ["check", "--list-rules"], terminal_width=200)
    assert result.exit_code == 0
    for rule in all_rules():
        assert rule.id in result.stdout


def test_fail_on_warning_turns_warnings_into_a_failing_exit(tmp_path: Path) -> None:
    document = reference_document()
    document["gateways"][1]["sku"] = "VpnGw1"  # not zone-redundant: a warning only
    path = _write(tmp_path, document)
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    assert runner.invoke(app, ["check", str(path), "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(app, ["check", "--fail-on", "info"]).exit_code == 0


def test_explain_says_why_and_where_azure_says_so() -> None:
    result = runner.invoke(app, ["check", "--explain", "hn-gws-003"])
    assert result.exit_code == 0
    assert "HN-GWS-003" in result.stdout and "/27" in result.stdout
    assert "expressroute-howto-coexist-resource-manager" in result.stdout


def test_explain_unknown_rule_exits_2() -> None:
    result = runner.invoke(app, ["check", "--explain", "HN-NOPE-001"])
    assert result.exit_code == 2
    assert "--list-rules" in result.stderr


def test_explain_prints_an_unknown_markup_like_id_literally() -> None:
    result = runner.invoke(app, ["check", "--explain", "[/x]"])
    assert result.exit_code == 2
    assert "no rule '[/x]'" in result.stderr
