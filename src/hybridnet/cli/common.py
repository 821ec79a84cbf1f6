"""What every command shares: loading the topology with user-facing errors, and the consoles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from hybridnet.model import Topology, TopologyError, TopologyErrors, load
from hybridnet.version import hybridnet_version

console = Console()
err_console = Console(stderr=True)

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

TopologyArg = Annotated[
    Path | None,
    typer.Argument(help="Topology YAML file; the built-in reference topology when omitted.", show_default=False),
]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report_topology_error(error: TopologyError) -> None:
    errors = error.errors if isinstance(error, TopologyErrors) else [error]
    for item in errors:
        # user text (keys, values, paths) may look like rich markup: print it literally
        err_console.print(f"[bold red]error:[/] {escape(str(item))}", highlight=False, soft_wrap=True)


def load_topology(path: Path | None) -> Topology:
    """Load a topology or exit 2 with located errors: users never see a traceback for bad input."""
    try:
        return load(path)
    except TopologyError as error:
        report_topology_error(error)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def versioned(document: dict[str, Any]) -> dict[str, Any]:
    """A JSON document headed by the tool and its version (as ``check --format json`` is): a saved output
    says which hybridnet wrote it."""
    return {"tool": "hybridnet", "version": hybridnet_version(), **document}


def checked_lab_name(value: str | None) -> str | None:
    """``--lab`` callback: a lab name becomes paths and namespace names, so it is checked on input."""
    from hybridnet.model.names import validate_lab_name

    if value is None:
        return None
    try:
        return validate_lab_name(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
