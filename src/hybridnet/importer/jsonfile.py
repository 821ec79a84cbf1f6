"""Reading a JSON file the way Azure tooling writes and ARM reads it, within bounds.

ARM accepts ``//`` and ``/* */`` comments and multi-line strings in templates and parameters files;
Windows PowerShell's ``> export.json`` writes UTF-16 with a byte-order mark, and many editors write
UTF-8 with one. A hostile or broken file must not exhaust the machine: its size is checked before it
is read, and its nesting depth before it is parsed (the parser recurses once per level).
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

from hybridnet.importer.limits import MAX_FILE_BYTES, MAX_JSON_DEPTH, ArmLimitError
from hybridnet.model import TopologyError

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_json_file(path: Path, shown_as: str | None = None) -> Any:
    """The parsed document, or a ``TopologyError`` naming the file (and line) and what to do."""
    where = shown_as or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArmLimitError(
                f"the file has {size} bytes; hybridnet reads at most {MAX_FILE_BYTES} "
                "(ARM itself takes templates and parameters files of at most 4 MB)",
                file=where,
                fix="export one resource group at a time, or split the template",
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise TopologyError("file not found", file=where) from None
    except IsADirectoryError:
        raise TopologyError("is a directory, not a JSON file", file=where) from None
    except OSError as exc:
        raise TopologyError(f"cannot read: {exc.strerror}", file=where) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ArmLimitError(f"the file is larger than {MAX_FILE_BYTES} bytes", file=where)
    return parse_json_text(decode(raw, where), where)


def decode(raw: bytes, where: str) -> str:
    """Text from bytes: by byte-order mark when there is one (PowerShell 5 writes UTF-16 LE), else UTF-8."""
    encoding, body = "utf-8", raw
    for bom, name in _BOMS:
        if raw.startswith(bom):
            encoding, body = name, raw[len(bom) :]
            break
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TopologyError(
            f"not {encoding.upper()} text (byte {exc.start})",
            file=where,
            fix="save it as UTF-8 (PowerShell: `| Out-File -Encoding utf8`)",
        ) from None


def parse_json_text(text: str, where: str) -> Any:
    """JSON with ARM's comments allowed, depth-checked before the recursive parser sees it."""
    plain = strip_comments(text, where)
    check_depth(plain, where)
    try:
        return json.loads(plain, strict=False)  # strict=False: ARM's multi-line strings
    except json.JSONDecodeError as exc:
        raise TopologyError(
            f"not JSON: {exc.msg}",
            file=where,
            line=exc.lineno,
            fix="import takes ARM templates, parameters files and JSON exports",
        ) from None
    except RecursionError:  # check_depth makes this unreachable; kept so no traceback can escape
        raise ArmLimitError("JSON nested too deeply", file=where) from None


_STRING = r'"(?:[^"\\]+|\\.)*"?'  # an unclosed string runs to the end; json.loads reports it
_COMMENTS = re.compile(_STRING + r"|//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_NESTING = re.compile(_STRING + r"|[\[\]{}]")


def strip_comments(text: str, where: str) -> str:
    """``//`` and ``/* */`` comments replaced by spaces (newlines kept, so line numbers stay right);
    a ``//`` inside a string, as in a URL, is text."""
    if "/" not in text:
        return text

    def blank(match: re.Match[str]) -> str:
        found = match.group()
        if found.startswith('"'):
            return found
        if found.startswith("/*") and not found.endswith("*/"):
            line = text.count("\n", 0, match.start()) + 1
            raise TopologyError("a /* comment is never closed", file=where, line=line, fix="add */")
        return re.sub(r"[^\n]", " ", found)

    return _COMMENTS.sub(blank, text)


def check_depth(text: str, where: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH before parsing (this scan does not recurse)."""
    depth = 0
    for match in _NESTING.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ArmLimitError(
                    f"objects and arrays nested more than {MAX_JSON_DEPTH} levels deep",
                    file=where,
                    line=text.count("\n", 0, match.start()) + 1,
                    fix="no Azure template or export nests this deep: check the file",
                )
        elif char in "]}":
            depth -= 1
