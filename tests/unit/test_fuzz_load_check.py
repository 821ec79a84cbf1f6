"""Property test: whatever a topology file contains, `load` and `check` give a result or a located
error, never a traceback.

Three sources of input: structural mutations of the reference document with values of the right
kind (so many variants are valid topologies that exercise every rule), the same with values of any
kind, and character-level damage to the YAML text. The profile is derandomized so CI runs are
repeatable.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import TopologyError, loads, reference_yaml
from hybridnet.model.gateways import ER_GATEWAY_SKUS, VPN_GATEWAY_SKUS
from hybridnet.rules import check, locate
from hybridnet.rules.formats import to_json, to_sarif
from hybridnet.rules.locate import parse_document
from hybridnet.rules.registry import registered_rules
from tests.conftest import reference_document

SOURCE = "fuzz.yaml"
PROFILE = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DOMAIN_WORDS = (
    *ER_GATEWAY_SKUS,
    *VPN_GATEWAY_SKUS,
    "RouteBased",
    "PolicyBased",
    "GatewaySubnet",
    "gatewaysubnet",
    "IKEv1",
    "IKEv2",
    "primary",
    "secondary",
    "web",
    "web-nsg",
    "Static",
    "Dynamic",
    "Premium",
    "Standard",
    "Local",
    "ExpressRoute",
    "Vpn",
    "IPsec",
    "",
    " ",
    "x" * 90,
    "web.",
    "-bad",
)
EDGE_INTS = (
    0,
    1,
    3,
    9,
    10,
    27,
    28,
    29,
    30,
    45,
    100,
    150,
    300,
    1024,
    1350,
    1400,
    1460,
    3600,
    4000,
    4094,
    8075,
    12076,
    23456,
    64500,
    65010,
    65515,
    65516,
    65535,
    4294967295,
    -1,
    2**40,
)


def _networks() -> st.SearchStrategy[str]:
    return st.builds(
        lambda address, length: str(IPv4Network((address, length), strict=False)),
        st.integers(0, 2**32 - 1),
        st.integers(0, 32),
    )


def _addresses() -> st.SearchStrategy[str]:
    return st.builds(lambda value: str(IPv4Address(value)), st.integers(0, 2**32 - 1))


def _like(value: Any) -> st.SearchStrategy[Any]:
    """A replacement of the same kind as ``value``: what a user who edits the file plausibly writes."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.sampled_from(EDGE_INTS) | st.integers(0, 70000)
    if isinstance(value, str):
        if "/" in value:
            return _networks()
        if value.count(".") == 3 and value.replace(".", "").isdigit():
            return _addresses()
        return st.sampled_from(DOMAIN_WORDS)
    if isinstance(value, list):
        item = _like(value[0]) if value else _networks()
        return st.lists(item, max_size=3)
    return st.none()


ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**33), 2**33)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | _networks()
    | _addresses()
    | st.sampled_from(DOMAIN_WORDS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, dict) and not (
        isinstance(value, list) and value and isinstance(value[0], dict)
    )


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


REFERENCE_DOCUMENT = reference_document()


@st.composite
def mutated_documents(draw: st.DrawFn, any_kind: bool) -> dict[str, Any]:
    document = copy.deepcopy(REFERENCE_DOCUMENT)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(document) if any_kind or _is_leaf(_parent(document, p)[p[-1]])]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(document, path)
        actions = ("replace", "replace", "delete", "duplicate") if any_kind else ("replace",)
        action = draw(st.sampled_from(actions))
        if action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(parent[path[-1]])
        else:
            current = parent[path[-1]]
            parent[path[-1]] = draw(ANY_VALUE if any_kind else _like(current))
    return document


DAMAGE = st.sampled_from(list(":- \n\t[]{}&*!#\"'|>%@`,?0123456789abcXYZ/.\x00\x85é"))


@st.composite
def damaged_texts(draw: st.DrawFn) -> str:
    text = reference_yaml()
    for _ in range(draw(st.integers(1, 5))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(("insert", "delete", "replace", "drop-line", "repeat-line")))
        if action == "insert":
            text = text[:position] + draw(st.text(DAMAGE, min_size=1, max_size=4)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 8)) :]
        elif action == "replace":
            text = text[:position] + draw(DAMAGE) + text[position + 1 :]
        else:
            lines = text.splitlines(keepends=True)
            index = min(text.count("\n", 0, position), len(lines) - 1)
            lines[index : index + 1] = [] if action == "drop-line" else [lines[index]] * 2
            text = "".join(lines)
    return text


def _dump(document: dict[str, Any]) -> str:
    """JSON, one value per line: valid YAML (so errors still have lines) and far faster to write."""
    return json.dumps(document, indent=1, default=str)


def exercise(text: str) -> str:
    """Load and check ``text`` the way the CLI does; return the outcome, fail on anything unlocated."""
    try:
        topology = loads(text, source=SOURCE)
    except TopologyError as error:
        for item in getattr(error, "errors", [error]):
            assert item.file == SOURCE and item.message
            assert item.line is not None and item.line >= 1, str(item)
            assert str(item).startswith(f"{SOURCE}:{item.line}")
        return "located-error"
    findings = locate(check(topology), parse_document(text), SOURCE)
    for finding in findings:
        assert finding.path and finding.message and finding.fix
    to_json(findings, topology.name, SOURCE)
    to_sarif(findings, registered_rules(), SOURCE)
    return "checked-with-errors" if any(f.severity.value == "error" for f in findings) else "checked-clean"


def test_values_of_the_right_kind_give_results_or_located_errors() -> None:
    outcomes: Counter[str] = Counter()

    @PROFILE
    @given(mutated_documents(any_kind=False))
    def run(document: dict[str, Any]) -> None:
        outcomes[exercise(_dump(document))] += 1

    run()
    # The strategy must reach the rules often, or it would only be testing the loader. (About a
    # quarter to a third of the mutations load; the exact share varies with the suite around it.)
    assert outcomes["checked-with-errors"] + outcomes["checked-clean"] >= 20, outcomes


def test_values_of_any_kind_give_results_or_located_errors() -> None:
    outcomes: Counter[str] = Counter()

    @PROFILE
    @given(mutated_documents(any_kind=True))
    def run(document: dict[str, Any]) -> None:
        outcomes[exercise(_dump(document))] += 1

    run()
    assert outcomes["located-error"] >= 50, outcomes


def test_damaged_yaml_text_gives_results_or_located_errors() -> None:
    outcomes: Counter[str] = Counter()

    @PROFILE
    @given(damaged_texts())
    def run(text: str) -> None:
        outcomes[exercise(text)] += 1

    run()
    assert outcomes["located-error"] >= 20, outcomes


def test_cli_never_shows_a_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / SOURCE

    @settings(max_examples=30, derandomize=True, deadline=None, database=None)
    @given(damaged_texts())
    def run(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["check", str(path), "--format", "json"])
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        if result.exit_code == 2:
            assert f"{path}:" in result.stderr

    run()
