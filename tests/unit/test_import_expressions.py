"""The ARM expression language as templates use it: literals, functions, property and index access."""

from __future__ import annotations

from typing import Any

import pytest

from hybridnet.importer.expressions import ArmExpressionError, Unknown, evaluate_string, evaluate_value
from hybridnet.importer.template import TemplateScope

TEMPLATE: dict[str, Any] = {
    "parameters": {
        "prefix": {"type": "string", "defaultValue": "contoso"},
        "sizes": {"type": "array", "defaultValue": [24, 26]},
        "settings": {"type": "object", "defaultValue": {"asn": 65010, "Nested": {"items": ["a", "b"]}}},
        "key": {"type": "securestring"},
        "required": {"type": "string"},
    },
    "variables": {
        "vnetName": "[concat(parameters('prefix'), '-vnet')]",
        "upper": "[toUpper(variables('vnetName'))]",
        "selfish": "[variables('selfish')]",
    },
}


@pytest.fixture
def scope() -> TemplateScope:
    return TemplateScope(TEMPLATE, {"prefix": "fabrikam"}, "t.json", "rg-hub", "westeurope")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[parameters('prefix')]", "fabrikam"),
        ("[variables('upper')]", "FABRIKAM-VNET"),
        ("[concat('a', 'b', string(1))]", "ab1"),
        ("[concat(parameters('sizes'), createArray(28))]", [24, 26, 28]),
        ("[format('{0}-{1}-gw', parameters('prefix'), 7)]", "fabrikam-7-gw"),
        ("[parameters('settings').asn]", 65010),
        ("[parameters('settings').nested.items[1]]", "b"),
        ("[parameters('settings')['Nested']['items'][0]]", "a"),
        ("[add(mul(2, 3), sub(10, div(9, 3)))]", 13),
        ("[if(equals(parameters('prefix'), 'fabrikam'), 'yes', 'no')]", "yes"),
        ("[and(true(), not(false()))]", True),
        ("[length(parameters('sizes'))]", 2),
        ("[replace(toLower('A-B-C'), '-', '.')]", "a.b.c"),
        ("[split('10.0.0.0/16', '/')[1]]", "16"),
        ("[createObject('name', 'x', 'count', 2)]", {"name": "x", "count": 2}),
        ("[resourceGroup().name]", "rg-hub"),
        ("[resourceGroup().location]", "westeurope"),
        (
            "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 'GatewaySubnet')]",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/"
            "virtualNetworks/v/subnets/GatewaySubnet",
        ),
        (
            "[resourceId('other-rg', 'Microsoft.Network/expressRouteCircuits', 'erc')]",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.Network/"
            "expressRouteCircuits/erc",
        ),
        ("[concat('it''s', ' quoted')]", "it's quoted"),
        ("[[not an expression]", "[not an expression]"),
        ("plain text", "plain text"),
    ],
)
def test_expressions_templates_commonly_use(scope: TemplateScope, expression: str, expected: Any) -> None:
    assert evaluate_string(expression, scope) == expected


def test_unique_string_is_stable_and_short(scope: TemplateScope) -> None:
    first = evaluate_string("[uniqueString(resourceGroup().id)]", scope)
    assert first == evaluate_string("[uniqueString(resourceGroup().id)]", scope)
    assert len(first) == 13 and first != evaluate_string("[uniqueString('other')]", scope)


def test_property_copy_loop_builds_an_array(scope: TemplateScope) -> None:
    value = {
        "copy": [{"name": "subnets", "count": 2, "input": {"name": "[concat('s', copyIndex('subnets'))]"}}],
        "other": 1,
    }
    assert evaluate_value(value, scope) == {"other": 1, "subnets": [{"name": "s0"}, {"name": "s1"}]}


def test_a_parameter_without_value_is_unknown_and_says_how_to_give_it(scope: TemplateScope) -> None:
    value = evaluate_string("[concat('x-', parameters('required'))]", scope)
    assert isinstance(value, Unknown) and "'required' has no value and no default" in value.why


def test_a_secure_parameter_without_value_becomes_a_placeholder_never_a_guess(scope: TemplateScope) -> None:
    assert evaluate_string("[parameters('key')]", scope) == "<secure parameter key>"
    assert scope.secure_parameters == {"key"}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("[parameters('nope')]", "not declared"),
        ("[variables('missing')]", "not defined"),
        ("[variables('selfish')]", "refers to itself"),
        ("[listKeys('x', '2023-01-01')]", "listkeys()"),
        ("[parameters('settings').missing]", "does not have"),
        ("[concat('a', ]", "cannot parse"),
        ("[reference('no-such-resource').x]", "names no resource"),
        ("[copyIndex()]", "outside its copy loop"),
    ],
)
def test_what_cannot_be_evaluated_is_a_clear_error(
    scope: TemplateScope, expression: str, message: str
) -> None:
    with pytest.raises(ArmExpressionError, match=message):
        evaluate_string(expression, scope)
