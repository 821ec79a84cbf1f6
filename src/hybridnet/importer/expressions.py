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

from hybridnet.importer.limits import (
    INT_MAX,
    INT_MIN,
    MAX_COPY_COUNT,
    MAX_EVALUATION_STEPS,
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_DEPTH,
    MAX_RANGE_COUNT,
    MAX_RANGE_END,
    MAX_STRING_CHARS,
    MAX_VALUE_ITEMS,
    ArmLimitError,
)
from hybridnet.model import TopologyError


class ArmExpressionError(TopologyError):
    """An expression that cannot be parsed or uses a function the importer does not evaluate."""


@dataclass(frozen=True)
class Unknown:
    """A value ARM knows only at deployment: a public IP's address, the properties of a resource in
    another group. It passes through functions unchanged; the import keeps the resource, leaves the
    field out and reports it."""

    why: str


class RuntimeProperties(dict):  # type: ignore[type-arg]
    """What ``reference()`` returns for a resource of the template: its declared properties. A property
    it lacks is one Azure sets when deploying (``ipAddress``, ``provisioningState``): Unknown, not an
    error."""

    def __init__(self, values: dict[str, Any], label: str) -> None:
        super().__init__(values)
        self.label = label


@dataclass
class EvaluationBudget:
    """Function calls evaluated so far in one import (templates, nested ones and their links share it)."""

    steps: int = 0

    def spend(self) -> None:
        self.steps += 1
        if self.steps > MAX_EVALUATION_STEPS:
            raise ArmLimitError(
                f"the template needs more than {MAX_EVALUATION_STEPS} expression evaluations",
                fix="check copy loops and variables that build on one another",
            )


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
    budget: EvaluationBudget


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
        if len(text) > MAX_EXPRESSION_CHARS:
            raise ArmLimitError(
                f"an expression of {len(text)} characters; ARM allows at most {MAX_EXPRESSION_CHARS}",
                fix="split it into variables",
            )
        self.text = text
        self.tokens = self._tokenize(text)
        self.position = 0
        self.depth = 0

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
        self.depth += 1
        if self.depth > MAX_EXPRESSION_DEPTH:
            raise ArmLimitError(
                f"an expression nests calls or indexes more than {MAX_EXPRESSION_DEPTH} deep: "
                f"[{self.text[:60]}...]",
                fix="split it into variables",
            )
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self) -> Node:
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
            if len(value) > 20:
                raise ArmLimitError(f"cannot parse expression [{self.text[:60]}...]: number {value[:20]}... "
                                    "is beyond ARM's 64-bit integers")
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
            result[loop["name"]] = evaluate_property_loop(loop, scope)
        return result
    if isinstance(value, list):
        return [evaluate_value(item, scope) for item in value]
    return value


def evaluate_property_loop(loop: dict[str, Any], scope: Scope) -> list[Any]:
    """A property (or variable) copy loop: ``input`` evaluated ``count`` times with copyIndex(name)."""
    count = copy_count(evaluate_value(loop.get("count", 0), scope), str(loop.get("name")))
    if isinstance(count, Unknown):
        return count  # type: ignore[return-value]
    items = []
    for index in range(count):
        scope.enter_copy(loop["name"], index)
        try:
            items.append(evaluate_value(loop["input"], scope))
        finally:
            scope.leave_copy(loop["name"])
    return items


def copy_count(value: Any, loop: str) -> Any:
    """A copy loop's count as ARM takes it: a whole number from 0 to 800 (or Unknown)."""
    if isinstance(value, Unknown):
        return value
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ArmExpressionError(f"copy loop {loop!r} has count {value!r}, not a number") from None
    if not 0 <= count <= MAX_COPY_COUNT:
        raise ArmLimitError(
            f"copy loop {loop!r} has count {count}; ARM allows 0 to {MAX_COPY_COUNT}",
            fix="split the loop (ARM would refuse this template too)",
        )
    return count


def evaluate(node: Node, scope: Scope) -> Any:
    if isinstance(node, Literal):
        return node.value
    scope.budget.spend()
    if isinstance(node, Access):
        target, key = evaluate(node.target, scope), evaluate(node.key, scope)
        if isinstance(target, Unknown):
            return target
        if isinstance(key, Unknown):
            return key
        try:
            if isinstance(target, dict):
                found = next((v for k, v in target.items() if k.lower() == str(key).lower()), _MISSING)
                if found is _MISSING and isinstance(target, RuntimeProperties):
                    return Unknown(f"{target.label}.{key} (set by Azure at deployment)")
                if found is _MISSING:
                    raise KeyError(key)
                if isinstance(target, RuntimeProperties) and isinstance(found, dict):
                    return RuntimeProperties(found, f"{target.label}.{key}")
                return found
            return target[key]
        except (KeyError, IndexError, TypeError):
            raise ArmExpressionError(
                f"the expression reads {key!r}, which the value does not have",
                fix="check the property name against the resource or parameter",
            ) from None
    if node.name in ("if",):  # evaluate lazily: ARM skips the branch not taken
        condition = evaluate(node.args[0], scope)
        if isinstance(condition, Unknown):
            return condition
        return evaluate(node.args[1] if condition else node.args[2], scope)
    function = _FUNCTIONS.get(node.name)
    if function is None:
        raise ArmExpressionError(
            f"the importer does not evaluate the ARM function {node.name}()",
            fix="replace it with a literal value in a copy of the template",
        )
    args = [evaluate(arg, scope) for arg in node.args]
    unknown = next((a for a in args if isinstance(a, Unknown)), None)
    if unknown is not None:
        return unknown
    try:
        return _bounded(node.name, function(scope, *args))
    except ArmExpressionError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError, AttributeError) as exc:
        raise ArmExpressionError(f"{node.name}() failed on its arguments: {exc}") from None


def _bounded(name: str, value: Any) -> Any:
    """A function's result within ARM's value ranges and hybridnet's size bounds."""
    if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        raise ArmLimitError(f"{name}() gives {str(value)[:30]}..., outside ARM's 64-bit integers")
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        raise ArmLimitError(f"{name}() builds a string of {len(value)} characters (at most {MAX_STRING_CHARS})")
    if isinstance(value, dict | list):
        _check_items(name, value)
    return value


def _check_items(name: str, value: Any) -> None:
    """Count items without recursion, stopping at the bound (shared sub-values count every time, as
    they would once written out)."""
    pending, seen = [value], 0
    while pending:
        item = pending.pop()
        seen += 1
        if seen > MAX_VALUE_ITEMS:
            raise ArmLimitError(f"{name}() builds a value of more than {MAX_VALUE_ITEMS} items")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _size_checked(count: Any, what: str, limit: int) -> int:
    if not isinstance(count, int) or isinstance(count, bool):
        raise ArmExpressionError(f"{what} must be an integer, not {count!r}")
    if not 0 <= count <= limit:
        raise ArmLimitError(f"{what} is {count}; at most {limit}")
    return count


def _range(scope: Scope, start: int, count: int) -> list[int]:
    # ARM: count is a non-negative integer up to 10000; startIndex + count at most 2147483647.
    _size_checked(count, "range() count", MAX_RANGE_COUNT)
    if start + count > MAX_RANGE_END:
        raise ArmLimitError(f"range({start}, {count}) ends past {MAX_RANGE_END}, which ARM refuses")
    return list(range(start, start + count))


def _pad_left(scope: Scope, value: Any, length: int, pad: str = " ") -> str:
    _size_checked(length, "padLeft() totalLength", MAX_STRING_CHARS)
    return _text(value).rjust(length, pad)


def _replace(scope: Scope, value: Any, old: str, new: str) -> str:
    text = str(value)
    if old and len(new) > len(old):  # the result's size, known before it is built
        grown = len(text) + text.count(old) * (len(new) - len(old))
        if grown > MAX_STRING_CHARS:
            raise ArmLimitError(f"replace() would build a string of {grown} characters (at most {MAX_STRING_CHARS})")
    return text.replace(old, new)


def _json(scope: Scope, text: Any) -> Any:
    from hybridnet.importer.jsonfile import check_depth

    check_depth(str(text), "json()")
    return json.loads(text)


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

    sizes = {i: len(_text(a)) for i, a in enumerate(args)}  # the result's size, known before it is built
    placeholders = [int(m.group(1)) for m in re.finditer(r"\{(\d+)(?::[^}]*)?\}", template)]
    if len(template) + sum(sizes.get(i, 0) for i in placeholders) > MAX_STRING_CHARS:
        raise ArmLimitError(f"format() would build a string of more than {MAX_STRING_CHARS} characters")
    return re.sub(r"\{(\d+)(?::[^}]*)?\}", substitute, template)


def _integers(*values: Any) -> bool:
    """ARM's arithmetic takes integers only (Python's would repeat a string or a list)."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ArmExpressionError(f"arithmetic needs integers, got {', '.join(repr(v)[:30] for v in values)}")
    return True


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)


def _concat(scope: Scope, *args: Any) -> Any:
    if args and all(isinstance(a, list) for a in args):
        if sum(len(a) for a in args) > MAX_VALUE_ITEMS:
            raise ArmLimitError(f"concat() would build an array of more than {MAX_VALUE_ITEMS} items")
        return [item for a in args for item in a]
    texts = [_text(a) for a in args]
    if sum(len(t) for t in texts) > MAX_STRING_CHARS:
        raise ArmLimitError(f"concat() would build a string of more than {MAX_STRING_CHARS} characters")
    return "".join(texts)


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
    "json": _json,
    "tolower": lambda s, v: str(v).lower(),
    "toupper": lambda s, v: str(v).upper(),
    "trim": lambda s, v: str(v).strip(),
    "replace": _replace,
    "split": lambda s, v, sep: (
        str(v).split(sep) if isinstance(sep, str) else re.split("|".join(map(re.escape, sep)), v)
    ),
    "substring": lambda s, v, start, length=None: str(v)[start : None if length is None else start + length],
    "startswith": lambda s, v, p: str(v).lower().startswith(str(p).lower()),
    "endswith": lambda s, v, p: str(v).lower().endswith(str(p).lower()),
    "indexof": lambda s, v, p: str(v).lower().find(str(p).lower()),
    "padleft": _pad_left,
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
    "range": _range,
    "equals": lambda s, a, b: a == b,
    "not": lambda s, v: not v,
    "and": lambda s, *a: all(a),
    "or": lambda s, *a: any(a),
    "greater": lambda s, a, b: a > b,
    "less": lambda s, a, b: a < b,
    "greaterorequals": lambda s, a, b: a >= b,
    "lessorequals": lambda s, a, b: a <= b,
    "add": lambda s, a, b: _integers(a, b) and a + b,
    "sub": lambda s, a, b: _integers(a, b) and a - b,
    "mul": lambda s, a, b: _integers(a, b) and a * b,
    "div": lambda s, a, b: _integers(a, b) and a // b,
    "mod": lambda s, a, b: _integers(a, b) and a % b,
    "min": lambda s, *a: min(a[0] if len(a) == 1 else a),
    "max": lambda s, *a: max(a[0] if len(a) == 1 else a),
    "true": lambda s: True,
    "false": lambda s: False,
    "null": lambda s: None,
    "uniquestring": _unique_string,
    "guid": lambda s, *a: str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(_text(x) for x in a))),
    "base64": lambda s, v: base64.b64encode(str(v).encode()).decode(),
}
