"""The emulator's error: what went wrong in the lab, and what the user can do about it."""

from __future__ import annotations


class LabError(Exception):
    """A lab cannot be planned, brought up, inspected or removed; ``fix`` says what to do."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class LabNotReady(LabError):
    """The lab is up but did not become ready in time; it is left running so it can be inspected."""
