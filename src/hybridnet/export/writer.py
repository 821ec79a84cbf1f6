"""Writing an export into the directory the user named, and nowhere else.

Every path is checked with ``render.output.path_inside`` (no ``..``, no absolute path, no link
leading out); key-bearing files are 0600 from their first byte (``mkstemp`` + ``os.replace``).
"""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML

from hybridnet.export.containerlab import ContainerlabExport, ExportError
from hybridnet.render.output import path_inside, replace_file


def topology_yaml(document: dict[str, object], header: str) -> str:
    """A topology document as YAML (block style, keys in the order given), under a comment header."""
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(document, stream)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + stream.getvalue()


def write_export(export: ContainerlabExport, directory: Path, header: str = "") -> list[Path]:
    """Write the topology file(s) and node files under ``directory``; return what was written."""
    written: list[Path] = []
    for name, document in export.topologies.items():
        written.append(_write(directory, name, topology_yaml(document, header), 0o644))
    for item in export.files:
        written.append(_write(directory, item.path, item.text, item.mode))
    return written


def _write(directory: Path, relative: str, text: str, mode: int) -> Path:
    path = path_inside(directory, relative)
    if path is None:
        raise ExportError(f"refusing to write {relative!r}: the path leaves {directory} (a '..', or a link)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path_inside(directory, relative) is None:  # a link created in between
        raise ExportError(f"refusing to write {relative!r}: the path leaves {directory}")
    replace_file(path, text, mode)
    return path
