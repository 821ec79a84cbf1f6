"""Reading an input file without trusting what the path names.

A path given on the command line may name a FIFO (opening it blocks until a writer comes, which may
be never), a character device such as ``/dev/zero`` (endless) or ``/dev/tty`` (waits for a person),
a socket or a directory. Only regular files are read: the path is opened non-blocking, so even a
FIFO's ``open`` returns at once, and the opened descriptor's type is checked before a byte is read.
Checking the descriptor rather than the path leaves no window for the path to be swapped in between.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hybridnet.model.errors import TopologyError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular_file(path: Path, limit: int, shown_as: str | None = None, what: str = "file",
                      missing_fix: str | None = None) -> bytes:
    """At most ``limit + 1`` bytes of the regular file at ``path`` (the caller refuses a longer read).

    Raises ``TopologyError`` naming the file for a missing path, a directory, a FIFO, a device or any
    other OS error, never blocking on the open or the read."""
    where = shown_as or str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise TopologyError("file not found", file=where, fix=missing_fix) from None
    except OSError as exc:
        raise TopologyError(f"cannot read: {exc.strerror}", file=where) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            raise TopologyError(f"is {kind}, not a {what}", file=where,
                                fix=f"give the path of a regular {what} (save a pipe's output to a file first)")
        with os.fdopen(descriptor, "rb", closefd=True) as handle:
            descriptor = -1
            return handle.read(limit + 1)
    except IsADirectoryError:
        raise TopologyError(f"is a directory, not a {what}", file=where) from None
    except OSError as exc:
        raise TopologyError(f"cannot read: {exc.strerror}", file=where) from None
    finally:
        if descriptor >= 0:
            os.close(descriptor)
