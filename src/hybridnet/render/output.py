"""Where rendered files may be written: inside the directory the user named, nowhere else.

File names come from device names (``<device>/frr.conf``). The model refuses names with ``/`` or
``..``, but a topology built in Python, a renderer added later or a symbolic link already in the
directory could still point a write elsewhere, so each path is resolved and checked before writing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath


def path_inside(directory: Path, relative: str) -> Path | None:
    """``directory / relative`` if it stays inside ``directory`` once resolved (links followed), else None.

    The path returned is the unresolved one, so messages show it as the user wrote the directory.
    """
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or any(part in ("..", ".") for part in parts):
        return None
    if any(not part.isprintable() or "\\" in part for part in parts):
        return None
    root = directory.resolve()
    target = (root / Path(*parts)).resolve()
    if target == root or not target.is_relative_to(root):
        return None
    return directory / Path(*parts)


def replace_file(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` through a new file moved into place.

    Whatever sits at ``path`` already is replaced, never written through: a symbolic link there would
    otherwise send the write outside the output directory, and a FIFO would block it. The new file is
    created 0600 (``mkstemp``) and given ``mode`` before it is visible, and a failed write leaves no
    temporary file behind.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
