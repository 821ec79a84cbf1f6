"""The emulator's errors: what went wrong in the lab, and what the user can do about it."""

from __future__ import annotations

from typing import ClassVar

from hybridnet.errors import EXIT_BAD_INPUT, EXIT_FAILED, HybridnetError


class LabError(HybridnetError):
    """A lab cannot be planned, brought up, inspected or removed; ``fix`` says what to do.

    Exit 2 unless said otherwise: most are refusals of what was asked (a name taken, a topology the
    emulator cannot build, no root); a failure on the way says ``exit_code=EXIT_FAILED``.
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT
    cause = "lab"


class LabNotReady(LabError):
    """The lab is up but did not become ready in time; it is left running so it can be inspected."""

    exit_code: ClassVar[int] = EXIT_FAILED
