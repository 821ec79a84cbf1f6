"""The root of every error hybridnet raises on purpose: a message a user can act on, a fix, an exit code.

Every exception class of the package derives from ``HybridnetError``, so the CLI needs one handler
(``hybridnet.cli.common.reported_errors``) to turn any of them into a message and an exit code,
never a traceback. Two kinds of exit code exist, as in every command's contract:

- ``EXIT_BAD_INPUT`` (2): the input cannot be used as given (a topology, an option, a lab name);
- ``EXIT_FAILED`` (1): the input was fine but the work failed (a lab that did not come up, a drill
  that could not run).

A class says which kind it usually is (``exit_code``); one raise can say otherwise (``exit_code=``).
"""

from __future__ import annotations

import os
from typing import ClassVar

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class HybridnetError(Exception):
    """An error with a message, an optional fix and the exit code the CLI gives it."""

    exit_code: ClassVar[int] = EXIT_FAILED
    cause: str = "failed"
    """A short word for what kind of failure it is (the drill's JSON error objects carry it)."""

    def __init__(self, message: str, *, fix: str | None = None, exit_code: int | None = None,
                 cause: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code  # type: ignore[misc]
        if cause is not None:
            self.cause = cause

    @property
    def messages(self) -> list[str]:
        """What the CLI prints, one line each (several located errors are several lines)."""
        return [str(self)]

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class BadInput(HybridnetError):
    """Input that cannot be used as given (exit 2)."""

    exit_code: ClassVar[int] = EXIT_BAD_INPUT
    cause = "bad input"


def system_error(error: BaseException) -> str:
    """An operating-system error (``OSError``, or pyroute2's ``NetlinkError``, which carries an errno
    as ``code``) as a user reads it: what failed, on which file."""
    if not isinstance(error, OSError):
        code = getattr(error, "code", None)
        return f"netlink: {os.strerror(code) if isinstance(code, int) and code else error}"
    reason = error.strerror or str(error)
    return f"{reason}: {error.filename}" if error.filename else reason
