"""Errors a user can act on: what is wrong, where, and how to fix it."""

from __future__ import annotations

from hybridnet.errors import BadInput


class TopologyError(BadInput):
    """A topology file cannot be read or does not describe a valid network.

    Carries the file, line and field path so the CLI can print a located message, never a traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.fix = fix

    def location(self) -> str:
        where = self.file or "<topology>"
        if self.line is not None:
            where += f":{self.line}"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.fix:
            text += f" (fix: {self.fix})"
        return text


class TopologyErrors(TopologyError):
    """Several located errors found in one file, reported together."""

    def __init__(self, errors: list[TopologyError]) -> None:
        super().__init__(errors[0].message, file=errors[0].file, line=errors[0].line, field=errors[0].field,
                         fix=errors[0].fix)
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [str(error) for error in self.errors]

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)
