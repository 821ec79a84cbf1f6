"""Reading topology files: YAML in, a validated Topology out, or errors that say file:line and field.

ruamel.yaml keeps the line of every key, so a pydantic error path such as
``vnet.subnets.0.prefix`` can be turned back into the line the user has to edit.
"""

from __future__ import annotations

import contextlib
import json
import re
from importlib import resources
from io import StringIO
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedOrderedMap, CommentedSet, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from hybridnet.model.errors import TopologyError, TopologyErrors
from hybridnet.model.files import read_regular_file
from hybridnet.model.names import node_name_clashes
from hybridnet.model.topology import Topology

REFERENCE_NAME = "reference.yaml"
BUILTIN_LABEL = "<built-in reference topology>"

MAX_TOPOLOGY_BYTES = 1024 * 1024
"""Larger files are refused unread: ruamel would take seconds per megabyte, minutes for a stray 200 MB file."""
MAX_VALUES = 1_000_000
"""Values (mappings, lists, scalars) a file may expand to; a 1 MiB file written out has far fewer."""
MAX_ALIAS_EXPANSIONS = 10_000
"""Mappings or lists a file may repeat through aliases."""


def reference_yaml() -> str:
    """The commented YAML of the built-in reference topology (what `hybridnet init` writes)."""
    return resources.files("hybridnet.model").joinpath(REFERENCE_NAME).read_text(encoding="utf-8")


EXAMPLES = ("hub-spoke", "two-circuits", "sites")
"""The estate examples shipped with the package (``hybridnet init --example NAME``; also in examples/)."""


def example_yaml(name: str) -> str:
    """The commented YAML of one estate example."""
    if name not in EXAMPLES:
        raise ValueError(f"no example named {name!r}")
    return resources.files("hybridnet.model").joinpath("examples", f"{name}.yaml").read_text(encoding="utf-8")


def default_topology() -> Topology:
    """The reference architecture, brought up to date: what every command uses when given no file."""
    return loads(reference_yaml(), source=BUILTIN_LABEL)


def load(path: str | Path | None) -> Topology:
    """Load a topology file, or the built-in reference when ``path`` is None."""
    if path is None:
        return default_topology()
    path = Path(path)
    raw = read_regular_file(path, MAX_TOPOLOGY_BYTES, what="topology file",  # a FIFO or /dev/zero: refused unread
                            missing_fix="check the path, or run `hybridnet init FILE`")
    _check_size(len(raw), str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TopologyError(f"not UTF-8 text (byte {exc.start})", file=str(path),
                            fix="save the file as UTF-8") from None
    topology = loads(text, source=str(path))
    topology._source = path.resolve()
    return topology


def loads(text: str, source: str = "<string>") -> Topology:
    """Parse and validate topology YAML given as text; ``source`` names it in errors."""
    _check_size(len(text.encode("utf-8", errors="replace")), source)
    document = _parse_yaml(text, source)
    if not isinstance(document, dict):
        kind = "empty" if document is None else "a list" if isinstance(document, list) else "a single value"
        raise TopologyError(f"the file is {kind}; a topology is a mapping with keys such as 'name', 'onprem', 'vnet'",
                            file=source, line=1, fix="start from `hybridnet init`")
    try:
        topology = Topology.model_validate(_plain(document, _Budget(text, source, document)))
    except ValidationError as exc:
        raise TopologyErrors([_located(error, document, source) for error in exc.errors()]) from None
    duplicates = topology.duplicate_names()
    if duplicates:
        raise TopologyErrors([
            TopologyError(message, file=source, line=line_of(document, path.split(".")), field=path,
                          fix="give every VNet, circuit and site its own name")
            for path, message in duplicates
        ])
    dangling = topology.dangling_references()
    if dangling:
        raise TopologyErrors([
            TopologyError(message, file=source, line=line_of(document, path.split(".")), field=path,
                          fix="correct the name or add the missing object")
            for path, message in dangling
        ])
    clashes = node_name_clashes(topology)
    if clashes:
        raise TopologyErrors([
            TopologyError(message, file=source, line=line_of(document, path.split(".")), field=path,
                          fix="give every on-prem device, host and workload its own name")
            for path, message in clashes
        ])
    topology._lines = {key: line for key in ("spokes", "sites", "circuits")
                       if key in document and (line := line_of(document, [key])) is not None}
    return topology


def _check_size(size: int, source: str) -> None:
    """Refuse a file too large to be a topology before parsing it (ruamel reads about 0.2-0.5 MB/s)."""
    if size > MAX_TOPOLOGY_BYTES:
        raise TopologyError(f"the file has {size} bytes; a topology file may have at most {MAX_TOPOLOGY_BYTES} "
                            f"({MAX_TOPOLOGY_BYTES // 1024 // 1024} MiB)", file=source, line=1,
                            fix="is this the right file? A topology of thousands of prefixes takes a few hundred KB")


def _parse_yaml(text: str, source: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise TopologyError(f"invalid YAML: {problem}", file=source, line=line,
                            fix="check indentation, colons and quoting on that line") from None
    except ReaderError as exc:  # a control or non-Unicode character: the reader knows its offset
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        raise TopologyError(f"invalid YAML: character #x{code:04x} is not allowed", file=source,
                            line=line, fix="remove the control character from that line") from None
    except YAMLError as exc:
        raise TopologyError(f"invalid YAML: {exc}", file=source) from None
    except RecursionError:
        line = _first_line_matching(text, r"[\[{]{50,}")
        raise TopologyError("invalid YAML: lists or mappings nested too deeply", file=source, line=line,
                            fix="flatten the structure") from None
    except ValueError as exc:  # a scalar the constructor cannot convert, e.g. an integer of 5000 digits
        raise TopologyError(f"invalid YAML value: {exc}"[:200], file=source,
                            line=_first_line_matching(text, r"\d{4000,}"), fix="shorten the value") from None


def _first_line_matching(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text)
    return text.count("\n", 0, match.start()) + 1 if match else None


class _Budget:
    """Counts the values a document expands to, so YAML aliases cannot multiply it without bound.

    An alias repeats its anchor's whole subtree: nine aliases of nine aliases of ... (a "billion
    laughs" of a few hundred bytes) expand to hundreds of millions of values, and an anchor that
    contains its own alias never ends. ruamel shares the subtree (cheap); expanding it here for
    pydantic is what would hang, so this is where it is counted. (ruamel itself reads an alias
    inside its own anchor as null, so a document is never cyclic.)
    """

    def __init__(self, text: str, source: str, document: Any = None) -> None:
        self.text, self.source, self.document = text, source, document
        self.values = 0
        self.aliased = 0
        self.seen: set[int] = set()

    def enter(self, node: Any) -> None:
        self.values += 1
        if isinstance(node, dict | list):
            if id(node) in self.seen:
                self.aliased += 1
            self.seen.add(id(node))
        if self.aliased > MAX_ALIAS_EXPANSIONS:
            raise self._error(f"YAML aliases repeat more than {MAX_ALIAS_EXPANSIONS} mappings or lists "
                              "(nested aliases expand without bound)")
        if self.values > MAX_VALUES:
            raise self._error(f"the file expands to more than {MAX_VALUES} values (nested YAML aliases)")

    def _error(self, message: str) -> TopologyError:
        line = _first_line_matching(self.text, r"(^|[\s\[{,:-])\*[^\s,\]}]+")
        return TopologyError(message, file=self.source, line=line,
                             fix="write the values out instead of nesting aliases (*name) of anchors (&name)")


_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "map", "seq"))
"""Explicit tags a topology may carry: the core schema's. Any other (``!!python/object``, ``!!binary``, ``!!set``,
``!custom``) would otherwise be read as its bare value or as Python's text for it, silently."""


def _explicit_tag(node: Any) -> str | None:
    """The tag of a node that is not a plain YAML value, as written (``!!binary``, ``!custom``), or None."""
    if isinstance(node, bytes):
        return "!!binary"
    if isinstance(node, CommentedSet | set):
        return "!!set"
    if isinstance(node, CommentedOrderedMap):
        return "!!omap"
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar | dict | list) and tag is not None and tag not in _PLAIN_TAGS:
        return str(tag).replace("tag:yaml.org,2002:", "!!")
    return None


def _plain(node: Any, budget: _Budget, path: tuple[Any, ...] = ()) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values (for pydantic)."""
    budget.enter(node)
    tag = _explicit_tag(node)
    if tag is not None:
        raise TopologyError(f"the YAML tag {tag[:60]} is not supported: a topology holds plain strings, numbers, "
                            "lists and mappings", file=budget.source, line=line_of(budget.document, path),
                            field=".".join(str(part) for part in path) or None,
                            fix="remove the tag (the text starting with '!') and write the value itself")
    if isinstance(node, TaggedScalar):  # !!str and the like: the core schema's tags, made explicit
        return str(node.value)
    if isinstance(node, dict):
        return {str(key): _plain(value, budget, (*path, key)) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item, budget, (*path, index)) for index, item in enumerate(node)]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return str(node)


def line_of(document: Any, path: list[str] | tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest element of ``path`` that exists in the parsed YAML."""
    node, line = document, None
    for part in path:
        if isinstance(node, dict):
            key = part if part in node else str(part)
            if key not in node:
                continue  # a discriminator tag or a model name in pydantic's path: not in the YAML
            lc = getattr(node, "lc", None)
            if lc is not None:
                with contextlib.suppress(KeyError, TypeError):
                    line = lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, list):
            try:
                index = int(part)
            except (TypeError, ValueError):
                continue
            if not 0 <= index < len(node):
                break
            lc = getattr(node, "lc", None)
            if lc is not None:
                with contextlib.suppress(KeyError, TypeError):
                    line = lc.item(index)[0] + 1
            node = node[index]
        else:
            break
    return line


def _located(error: Any, document: Any, source: str) -> TopologyError:
    loc = tuple(error["loc"])
    field = ".".join(str(part) for part in loc) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown field (not part of the topology schema)"
        fix = "remove it or check its spelling against `hybridnet schema`"
    elif error["type"] == "missing":
        message = "required field is missing"
        fix = "add it (see `hybridnet init` for an example)"
    else:
        fix = _expected(error)
    line = line_of(document, loc) or 1  # a missing top-level key: point at the top of the file
    return TopologyError(message, file=source, line=line, field=field, fix=fix)


def _expected(error: Any) -> str | None:
    context = error.get("ctx") or {}
    if "expected" in context:
        return f"expected {context['expected']}"
    if error["type"].startswith("ip_v4"):
        return "give an IPv4 address or network such as 10.0.1.0/24 (no host bits set)"
    if "ge" in context or "le" in context:
        bounds = [f">= {context['ge']}" if "ge" in context else "", f"<= {context['le']}" if "le" in context else ""]
        return "expected a value " + " and ".join(b for b in bounds if b)
    if error.get("input") is not None and error["type"] in {"int_parsing", "bool_parsing", "string_type"}:
        return f"got {json.dumps(error['input'], default=str)[:60]}"
    return None
