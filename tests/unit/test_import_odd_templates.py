"""Odd shapes real and broken ARM templates have: the import evaluates them as ARM does, or says which
section or resource it cannot take and why (exit 2, the file named), never a Python error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app

runner = CliRunner()
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _vnet(name: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.Network/virtualNetworks",
        "apiVersion": "2023-09-01",
        "name": name,
        "location": "westeurope",
        "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}},
        **extra,
    }


def _template(resources: list[Any], **sections: Any) -> dict[str, Any]:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": resources, **sections}


def _import(tmp_path: Path, template: dict[str, Any]) -> tuple[int, str]:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(template))
    result = runner.invoke(app, ["import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, " ".join(result.output.split())


def _vnet_name(tmp_path: Path, expression: str) -> str:
    code, output = _import(tmp_path, _template([_vnet(expression)]))
    assert code in (0, 1), output
    return output.split("vnet: name: ")[1].split()[0].strip("'")


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"parameters": {"p": "a string"}}, "parameters.p: parameter 'p' is declared as a JSON string"),
        ({"parameters": ["p"]}, "parameters: 'parameters' is a JSON array; ARM requires an object"),
        ({"variables": [1]}, "variables: 'variables' is a JSON array; ARM requires an object"),
        ({"outputs": "x"}, "outputs: 'outputs' is a JSON string; ARM requires an object"),
    ],
)
def test_a_section_of_the_wrong_type_is_named(tmp_path: Path, sections: dict[str, Any], message: str) -> None:
    code, output = _import(tmp_path, _template([_vnet("[parameters('p')]")], **sections))
    assert code == 2 and "odd.json: " + message in output


def _deployment(properties: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "nest",
            "properties": properties}


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        (_vnet("[concat('hub', copyIndex())]", copy={"count": 2}), "its copy loop has no 'name'"),
        (_vnet(None), "its name is a JSON null, not a string"),
        (_deployment({"expressionEvaluationOptions": "inner", "template": {"resources": []}}),
         "'expressionEvaluationOptions' is a JSON string; ARM requires an object"),
        (_deployment({"expressionEvaluationOptions": {"scope": "inner"}, "parameters": [1],
                      "template": {"resources": []}}), "the deployment's 'parameters' is a JSON array"),
        (_deployment({"template": "azuredeploy.json"}), "the deployment's inline 'template' is a JSON string"),
        (_deployment([1]), "the deployment's 'properties' is a JSON array"),
    ],
)
def test_a_resource_of_a_broken_shape_is_skipped_with_its_reason(
    tmp_path: Path, resource: dict[str, Any], reason: str
) -> None:
    code, output = _import(tmp_path, _template([_vnet("hub"), resource]))
    assert code in (0, 1) and reason in output, output
    assert "shape the importer does not understand" not in output


def test_an_import_error_names_the_input_file_not_a_topology(tmp_path: Path) -> None:
    code, output = _import(tmp_path, _template([_vnet("[cidrSubnet('10.0.0.0/16', 24, 0)]")]))
    assert code == 2 and "odd.json: the imported resources contain no virtual network" in output
    assert "<topology>" not in output and "cidrsubnet()" in output


@pytest.mark.parametrize(
    ("expression", "name"),
    [
        ("[format('hub{0:D3}', 7)]", "hub007"),  # the usual way to number copies
        ("[format('hub{0:X2}', 10)]", "hub0A"),
        ("[format('hub-{0:N1}', 2)]", "hub-2.0"),
        ("[replace(format('{{hub}}{0}', 1), '{hub}', 'hub')]", "hub1"),
        ("[concat('hub', string(length(take(createArray(1, 2), -1))))]", "hub0"),
        ("[concat('hub', string(length(skip(createArray(1, 2), -1))))]", "hub2"),
        ("[replace(string(createObject('a', 1)), '{\"a\":1}', 'hub')]", "hub"),
    ],
)
def test_functions_give_what_arm_gives(tmp_path: Path, expression: str, name: str) -> None:
    assert _vnet_name(tmp_path, expression) == name


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("[createArray('hub')[-1]]", "reads -1, which the value does not have"),
        ("[substring('hub', 2, 5)]", "outside the string"),
        ("[substring('hub', -1, 2)]", "outside the string"),
        ("[format('hub{0:yyyy}', 7)]", "format() cannot apply {0:yyyy} to 7"),
    ],
)
def test_what_arm_refuses_is_not_guessed(tmp_path: Path, expression: str, reason: str) -> None:
    code, output = _import(tmp_path, _template([_vnet(expression)]))
    assert code == 2 and reason in output, output
