"""Hostile or broken input to `hybridnet import`: a clear, located error and exit 2, never a traceback,
a hang or the machine's memory exhausted. The bounds are ARM's own where ARM documents one."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app

runner = CliRunner()
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _template(name: Any, **extra: Any) -> dict[str, Any]:
    """A VNet whose name is the expression under test (names are evaluated before anything else)."""
    vnet = {
        "type": "Microsoft.Network/virtualNetworks",
        "apiVersion": "2023-09-01",
        "name": name,
        "location": "westeurope",
        "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}},
    }
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [vnet], **extra}


def _import(path: Path) -> tuple[int, str]:
    started = time.monotonic()
    result = runner.invoke(app, ["import", str(path)])
    assert time.monotonic() - started < 30, "the import must stop early, not grind through the input"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_json_nested_beyond_the_bound_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{\n"resources":\n' + "[" * 100_000 + "]" * 100_000 + "}")
    code, output = _import(path)
    assert code == 2 and f"{path}:3" in output and "nested more than 128 levels" in output


def test_an_expression_nested_too_deep_is_refused(tmp_path: Path) -> None:
    deep = "[" + "concat(" * 3000 + "'a'" + ")" * 3000 + "]"
    code, output = _import(_write(tmp_path / "t.json", _template(deep)))
    assert code == 2 and "nests calls or indexes more than 64 deep" in output and "t.json" in output


def test_variables_that_double_each_other_stop_at_the_size_bound(tmp_path: Path) -> None:
    variables = {"v0": "[padLeft('x', 1000000, 'x')]"}
    variables |= {f"v{i}": f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]" for i in range(1, 40)}
    code, output = _import(_write(tmp_path / "t.json", _template("[variables('v39')]", variables=variables)))
    assert code == 2 and "concat() would build a string of more than" in output


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("[string(length(range(0, 100000000)))]", "range() count is 100000000; at most 10000"),
        ("[padLeft('a', 1000000000, 'b')]", "padLeft() totalLength is 1000000000"),
        ("[string(mul(mul(4294967296, 4294967296), 2))]", "outside ARM's 64-bit integers"),
        ("[replace(padLeft('a', 4000000, 'a'), 'a', 'aaaa')]", "replace() would build a string"),
    ],
)
def test_functions_that_would_exhaust_memory_are_bounded(tmp_path: Path, expression: str, message: str) -> None:
    code, output = _import(_write(tmp_path / "t.json", _template(expression)))
    assert code == 2 and message in output and "t.json" in output


def test_a_copy_loop_beyond_arms_800_is_refused(tmp_path: Path) -> None:
    template = _template("[concat('vnet', copyIndex())]")
    template["resources"][0]["copy"] = {"name": "many", "count": 100_000_000}
    code, output = _import(_write(tmp_path / "t.json", template))
    assert code == 2 and "copy loop 'many' has count 100000000; ARM allows 0 to 800" in output


def test_a_property_copy_loop_beyond_800_is_refused(tmp_path: Path) -> None:
    template = _template("vnet")
    template["resources"][0]["properties"]["copy"] = [
        {"name": "subnets", "count": 100_000_000, "input": {"name": "[concat('s', copyIndex('subnets'))]"}}
    ]
    code, output = _import(_write(tmp_path / "t.json", template))
    assert code == 2 and "copy loop 'subnets' has count 100000000" in output


def _linking(target: str) -> dict[str, Any]:
    template = _template("vnet")
    template["resources"].append(
        {
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": "linked",
            "properties": {"mode": "Incremental", "templateLink": {"uri": f"https://example.org/t/{target}"}},
        }
    )
    return template


def test_a_template_linking_to_itself_is_a_cycle_not_a_hang(tmp_path: Path) -> None:
    code, output = _import(_write(tmp_path / "self.json", _linking("self.json")))
    assert code == 2 and "linked templates form a cycle" in output and "self.json" in output


def test_two_templates_linking_to_each_other_are_a_cycle(tmp_path: Path) -> None:
    _write(tmp_path / "b.json", _linking("a.json"))
    code, output = _import(_write(tmp_path / "a.json", _linking("b.json")))
    assert code == 2 and "linked templates form a cycle" in output
    assert "a.json > " in output and "b.json > " in output


def test_a_file_beyond_the_size_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: no disk or memory used
        handle.truncate(40 * 1024 * 1024)
    code, output = _import(path)
    assert code == 2 and "huge.json" in output and "hybridnet reads at most 33554432" in output
