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
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from hybridnet.model.errors import TopologyError, TopologyErrors
from hybridnet.model.topology import Topology

REFERENCE_NAME = "reference.yaml"
BUILTIN_LABEL = "<built-in reference topology>"


def reference_yaml() -> str:
    """The commented YAML of the built-in reference topology (what `hybridnet init` writes)."""
    return resources.files("hybridnet.model").joinpath(REFERENCE_NAME).read_text(encoding="utf-8")


def default_topology() -> Topology:
    """The reference architecture, brought up to date: what every command uses when given no file."""
    return loads(reference_yaml(), source=BUILTIN_LABEL)


def load(path: str | Path | None) -> Topology:
    """Load a topology file, or the built-in reference when ``path`` is None."""
    if path is None:
        return default_topology()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyError("file not found", file=str(path),
                            fix="check the path, or run `hybridnet init FILE`") from None
    except IsADirectoryError:
        raise TopologyError("is a directory, not a topology file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise TopologyError(f"not UTF-8 text (byte {exc.start})", file=str(path),
                            fix="save the file as UTF-8") from None
    except OSError as exc:
        raise TopologyError(f"cannot read: {exc.strerror}", file=str(path)) from None
    topology = loads(text, source=str(path))
    topology._source = path.resolve()
    return topology


def loads(text: str, source: str = "<string>") -> Topology:
    """Parse and validate topology YAML given as text; ``source`` names it in errors."""
    document = _parse_yaml(text, source)
    if not isinstance(document, dict):
        kind = "empty" if document is None else "a list" if isinstance(document, list) else "a single value"
        raise TopologyError(f"the file is {kind}; a topology is a mapping with keys such as 'name', 'onprem', 'vnet'",
                            file=source, line=1, fix="start from `hybridnet init`")
    try:
        topology = Topology.model_validate(_plain(document))
    except ValidationError as exc:
        raise TopologyErrors([_located(error, document, source) for error in exc.errors()]) from None
    dangling = topology.dangling_references()
    if dangling:
        raise TopologyErrors([
            TopologyError(message, file=source, line=line_of(document, path.split(".")), field=path,
                          fix="correct the name or add the missing object")
            for path, message in dangling
        ])
    return topology


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


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values (for pydantic)."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
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
