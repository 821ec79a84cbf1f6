"""The ARM template expression language: ``"[concat(parameters('prefix'), '-vnet')]"`` to a value.

Templates found in the wild (the reference architecture's, portal exports, quickstarts) build names,
prefixes and references with expressions; importing them means evaluating them. This module parses the
language (function calls, string/number literals, ``.property`` and ``[index]`` access, ``[[`` escapes)
and evaluates the functions such templates commonly use. Anything else is an ``ArmExpressionError``
that names the function, so the user learns exactly what was not understood.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hybridnet.model import TopologyError


class ArmExpressionError(TopologyError):
    """An expression that cannot be parsed or uses a function the importer does not evaluate."""


class Scope(Protocol):
    """What expressions can see: the template's parameters, variables and resources."""

    def parameter(self, name: str) -> Any: ...
    def variable(self, name: str) -> Any: ...
    def reference(self, target: str, full: bool) -> Any: ...
    def copy_index(self, loop: str | None) -> int: ...
    def enter_copy(self, loop: str, index: int) -> None: ...
    def leave_copy(self, loop: str) -> None: ...

    resource_group: str
    location: str
    subscription_id: str


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<punct>[()\[\],.]))"
)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Access:
    target: Node
    key: Node


Node = Call | Literal | Access


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.position = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens, index = [], 0
        while index < len(text):
            if text[index:].strip() == "":
                break
            match = _TOKEN.match(text, index)
            if match is None:
                raise ArmExpressionError(f"cannot parse expression [{text}] at {text[index : index + 20]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            index = match.end()
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise ArmExpressionError(f"cannot parse expression [{self.text}]: expected {expected or 'more'}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.expression()
        if self.peek() is not None:
            raise ArmExpressionError(f"cannot parse expression [{self.text}]: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def expression(self) -> Node:
        node = self.primary()
        while (token := self.peek()) is not None and token[1] in (".", "["):
            self.take()
            if token[1] == ".":
                node = Access(node, Literal(self.take()[1]))
            else:
                node = Access(node, self.expression())
                self.take("]")
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "string":
            return Literal(value[1:-1].replace("''", "'"))
        if kind == "number":
            return Literal(float(value) if "." in value else int(value))
        if kind == "name":
            if self.peek() == ("punct", "("):
                self.take("(")
                args: list[Node] = []
                while self.peek() != ("punct", ")"):
                    args.append(self.expression())
                    if self.peek() == ("punct", ","):
                        self.take(",")
                self.take(")")
                return Call(value.lower(), tuple(args))
            if value.lower() in ("true", "false", "null"):
                return Literal({"true": True, "false": False, "null": None}[value.lower()])
            raise ArmExpressionError(
                f"cannot evaluate [{self.text}]: {value!r} is not a function call "
                "(user-defined functions are not supported)"
            )
        raise ArmExpressionError(f"cannot parse expression [{self.text}] at {value!r}")


def parse(text: str) -> Node:
    """Parse the inside of an expression (without the brackets)."""
    return _Parser(text).parse()


def evaluate_string(value: str, scope: Scope) -> Any:
    """A template string: evaluated if it is an expression, unescaped if it starts with ``[[``."""
    if value.startswith("[[") and value.endswith("]"):
        return value[1:]
    if is_expression(value):
        return evaluate(parse(value[1:-1]), scope)
    return value


def evaluate_value(value: Any, scope: Scope) -> Any:
    """Evaluate every expression inside a JSON value (objects and arrays recursively)."""
    if isinstance(value, str):
        return evaluate_string(value, scope)
    if isinstance(value, dict):
        loops = value.get("copy") if isinstance(value.get("copy"), list) else []
        result = {key: evaluate_value(item, scope) for key, item in value.items() if not (key == "copy" and loops)}
        for loop in loops:
            result[loop["name"]] = _property_loop(loop, scope)
        return result
    if isinstance(value, list):
        return [evaluate_value(item, scope) for item in value]
    return value


def _property_loop(loop: dict[str, Any], scope: Scope) -> list[Any]:
    """A property (or variable) copy loop: ``input`` evaluated ``count`` times with copyIndex(name)."""
    count = evaluate_value(loop.get("count", 0), scope)
    items = []
    for index in range(int(count)):
        scope.enter_copy(loop["name"], index)
        try:
            items.append(evaluate_value(loop["input"], scope))
        finally:
            scope.leave_copy(loop["name"])
    return items


def evaluate(node: Node, scope: Scope) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Access):
        target, key = evaluate(node.target, scope), evaluate(node.key, scope)
        try:
            if isinstance(target, dict):
                found = next((v for k, v in target.items() if k.lower() == str(key).lower()), _MISSING)
                if found is _MISSING:
                    raise KeyError(key)
                return found
            return target[key]
        except (KeyError, IndexError, TypeError):
            raise ArmExpressionError(
                f"the expression reads {key!r}, which the value does not have",
                fix="check the property name against the resource or parameter",
            ) from None
    if node.name in ("if",):  # evaluate lazily: ARM skips the branch not taken
        condition = evaluate(node.args[0], scope)
        return evaluate(node.args[1] if condition else node.args[2], scope)
    function = _FUNCTIONS.get(node.name)
    if function is None:
        raise ArmExpressionError(
            f"the importer does not evaluate the ARM function {node.name}()",
            fix="replace it with a literal value in a copy of the template",
        )
    args = [evaluate(arg, scope) for arg in node.args]
    try:
        return function(scope, *args)
    except ArmExpressionError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError) as exc:
        raise ArmExpressionError(f"{node.name}() failed on its arguments: {exc}") from None


_MISSING = object()


def resource_id_of(scope: Scope, *args: Any) -> str:
    """ARM's resourceId([subscriptionId], [resourceGroupName], type, name1, name2...)."""
    strings = [str(a) for a in args]
    type_index = next((i for i, a in enumerate(strings) if "/" in a and "." in a.split("/")[0]), None)
    if type_index is None:
        raise ArmExpressionError(f"resourceId({', '.join(strings)}) has no resource type")
    prefix = strings[:type_index]
    subscription = prefix[0] if len(prefix) == 2 else scope.subscription_id
    group = prefix[-1] if prefix else scope.resource_group
    kind, names = strings[type_index], strings[type_index + 1 :]
    provider, *types = kind.split("/")
    if len(types) != len(names):
        raise ArmExpressionError(f"resourceId() for {kind} needs {len(types)} name(s), got {len(names)}")
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{provider}/{path}"


def _format(scope: Scope, template: str, *args: Any) -> str:
    def substitute(match: re.Match[str]) -> str:
        value = args[int(match.group(1))]
        return json.dumps(value) if isinstance(value, dict | list) else _text(value)

    return re.sub(r"\{(\d+)(?::[^}]*)?\}", substitute, template)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)


def _concat(scope: Scope, *args: Any) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    return "".join(_text(a) for a in args)


def _union(scope: Scope, *args: Any) -> Any:
    if all(isinstance(a, dict) for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            merged.update(a)
        return merged
    result: list[Any] = []
    for a in args:
        result += [item for item in a if item not in result]
    return result


def _unique_string(scope: Scope, *args: Any) -> str:
    """Deterministic like ARM's, but not ARM's hash: the importer only needs stable names."""
    digest = hashlib.sha256("|".join(_text(a) for a in args).encode()).digest()
    return base64.b32encode(digest).decode().lower()[:13]


def _resource_group(scope: Scope) -> dict[str, Any]:
    group_id = f"/subscriptions/{scope.subscription_id}/resourceGroups/{scope.resource_group}"
    return {"name": scope.resource_group, "location": scope.location, "id": group_id}


def _reference(scope: Scope, target: str, api_version: str | None = None, full: str | None = None) -> Any:
    return scope.reference(str(target), full is not None and str(full).lower() == "full")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "parameters": lambda s, name: s.parameter(name),
    "variables": lambda s, name: s.variable(name),
    "reference": _reference,
    "resourceid": resource_id_of,
    "resourcegroup": _resource_group,
    "subscription": lambda s: {
        "subscriptionId": s.subscription_id,
        "id": f"/subscriptions/{s.subscription_id}",
    },
    "deployment": lambda s: {"name": "hybridnet-import", "properties": {}},
    "copyindex": lambda s, *a: (
        s.copy_index(next((x for x in a if isinstance(x, str)), None)) + next((x for x in a if isinstance(x, int)), 0)
    ),
    "concat": _concat,
    "format": _format,
    "string": lambda s, v: _text(v),
    "int": lambda s, v: int(v),
    "bool": lambda s, v: v if isinstance(v, bool) else str(v).lower() == "true",
    "json": lambda s, v: json.loads(v),
    "tolower": lambda s, v: str(v).lower(),
    "toupper": lambda s, v: str(v).upper(),
    "trim": lambda s, v: str(v).strip(),
    "replace": lambda s, v, old, new: str(v).replace(old, new),
    "split": lambda s, v, sep: (
        str(v).split(sep) if isinstance(sep, str) else re.split("|".join(map(re.escape, sep)), v)
    ),
    "substring": lambda s, v, start, length=None: str(v)[start : None if length is None else start + length],
    "startswith": lambda s, v, p: str(v).lower().startswith(str(p).lower()),
    "endswith": lambda s, v, p: str(v).lower().endswith(str(p).lower()),
    "indexof": lambda s, v, p: str(v).lower().find(str(p).lower()),
    "padleft": lambda s, v, n, c=" ": _text(v).rjust(n, c),
    "createobject": lambda s, *a: {a[i]: a[i + 1] for i in range(0, len(a), 2)},
    "createarray": lambda s, *a: list(a),
    "array": lambda s, v: v if isinstance(v, list) else [v],
    "union": _union,
    "first": lambda s, v: v[0],
    "last": lambda s, v: v[-1],
    "take": lambda s, v, n: v[:n],
    "skip": lambda s, v, n: v[n:],
    "length": lambda s, v: len(v),
    "empty": lambda s, v: v is None or len(v) == 0,
    "contains": lambda s, v, item: (item in v) if not isinstance(v, str) else str(item).lower() in v.lower(),
    "coalesce": lambda s, *a: next((x for x in a if x is not None), None),
    "range": lambda s, start, count: list(range(start, start + count)),
    "equals": lambda s, a, b: a == b,
    "not": lambda s, v: not v,
    "and": lambda s, *a: all(a),
    "or": lambda s, *a: any(a),
    "greater": lambda s, a, b: a > b,
    "less": lambda s, a, b: a < b,
    "greaterorequals": lambda s, a, b: a >= b,
    "lessorequals": lambda s, a, b: a <= b,
    "add": lambda s, a, b: a + b,
    "sub": lambda s, a, b: a - b,
    "mul": lambda s, a, b: a * b,
    "div": lambda s, a, b: a // b,
    "mod": lambda s, a, b: a % b,
    "min": lambda s, *a: min(a[0] if len(a) == 1 else a),
    "max": lambda s, *a: max(a[0] if len(a) == 1 else a),
    "true": lambda s: True,
    "false": lambda s: False,
    "null": lambda s: None,
    "uniquestring": _unique_string,
    "guid": lambda s, *a: str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(_text(x) for x in a))),
    "base64": lambda s, v: base64.b64encode(str(v).encode()).decode(),
}
