"""What every command shares: loading the topology with user-facing errors, and the consoles."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pyroute2 import NetlinkError
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from hybridnet.errors import EXIT_BAD_INPUT, EXIT_FAILED, HybridnetError, system_error
from hybridnet.model import Topology, TopologyError, TopologyErrors, load
from hybridnet.version import hybridnet_version


class TerminalConsole(Console):
    """A console that honours ``COLUMNS`` when it prints, not only when it was made: the consoles are
    made once at import, and a wrapper script (or a test runner) may set the width per command."""

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = Console.size.fget(self)  # type: ignore[attr-defined]
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return ConsoleDimensions(int(columns), dimensions.height)
        return dimensions

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = TerminalConsole()
err_console = TerminalConsole(stderr=True)

EXIT_FINDINGS = EXIT_FAILED
__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_FINDINGS"]

TopologyArg = Annotated[
    Path | None,
    typer.Argument(help="Topology YAML file; the built-in reference topology when omitted.", show_default=False),
]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report_topology_error(error: TopologyError, topology: Topology | None = None) -> None:
    """Print each located error; one raised after loading (by a renderer) gets the file and the line of
    its field's top-level key from ``topology``."""
    errors = error.errors if isinstance(error, TopologyErrors) else [error]
    for item in errors:
        if item.file is None and topology is not None and topology.source is not None:
            item.file = str(topology.source)
            if item.line is None and item.field:
                item.line = topology.line_of_key(item.field.split(".")[0])
        # user text (keys, values, paths) may look like rich markup: print it literally
        err_console.print(f"[bold red]error:[/] {escape(str(item))}", highlight=False, soft_wrap=True)


def load_topology(path: Path | None, stage: str | None = None) -> Topology:
    """Load a topology or exit 2 with located errors: users never see a traceback for bad input.

    A ``stage`` that needs the whole design (analyse, render, up, drill) also refuses a partial
    topology, naming the part that is missing; ``check`` takes partial ones and reports the gaps."""
    try:
        topology = load(path)
        if stage is not None:
            refuse_partial(topology, stage)
        return topology
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


@contextmanager
def reported_errors(*, as_json: bool = False, system_prefix: str = "") -> Iterator[None]:
    """The one place an error becomes what a user sees: every ``HybridnetError`` (and any system
    error nothing else foresaw) is printed as ``error: ...`` lines and exits with its code (2 bad
    input, 1 failed) — never a traceback. With ``as_json`` a JSON error object ({"error", "cause",
    "exit_code", "version"}) goes to stdout as well, for scripts that read the command's JSON."""
    try:
        yield
    except HybridnetError as error:
        _report(error.messages, error.cause, error.exit_code, as_json)
    except (OSError, NetlinkError) as error:
        _report([f"{system_prefix}{system_error(error)}"], "system", EXIT_FAILED, as_json)


def _report(messages: list[str], cause: str, code: int, as_json: bool) -> NoReturn:
    for message in messages:
        # user text (keys, values, paths) may look like rich markup: print it literally
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps({"error": messages[0], "cause": cause, "exit_code": code,
                               "version": hybridnet_version()}, indent=2))
    raise typer.Exit(code) from None


Command = TypeVar("Command", bound=Callable[..., Any])


def reported(command: Command) -> Command:
    """A command whose errors go through ``reported_errors`` (applied to every command at start-up)."""
    if getattr(command, "__hybridnet_reported__", False):
        return command

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        with reported_errors():
            return command(*args, **kwargs)

    run.__hybridnet_reported__ = True  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


def report_every_command(app: typer.Typer) -> None:
    """Route every command of ``app`` and of its sub-groups through ``reported``."""
    for info in app.registered_commands:
        if info.callback is not None:
            info.callback = reported(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            report_every_command(group.typer_instance)


ESTATE_STAGES_LATER = "emulated or exported"
ESTATE_STAGES_READY = frozenset({"analyse", "render arm", "render device", "import", "up", "drill",
                                 "export containerlab", "verify-matrix"})
"""The stages that take an estate (spokes, sites, several circuits) as it is written."""


def refuse_partial(topology: Topology, stage: str) -> None:
    """The one gate before every stage but ``check``: what that stage cannot take.

    An estate (spokes, several sites, several circuits) is taken by every stage in ``ESTATE_STAGES_READY``
    (all of today's); a stage outside it would refuse an estate rather than work on a different network
    than the one written, naming the feature and its line. ``import`` (its ``--onprem``
    base) stops there; the other stages also refuse a
    partial inventory (``hybridnet import`` of a VPN-only hub, say), naming the part it lacks."""
    source = str(topology.source) if topology.source else None
    features = topology.estate_features() if stage not in ESTATE_STAGES_READY else []
    if features:
        raise TopologyErrors([
            TopologyError(f"spoke VNets / several sites / several circuits are checked, analysed, rendered and "
                          f"imported but not yet "
                          f"{ESTATE_STAGES_LATER} by this version: {what} at "
                          f"{source or '<topology>'}:{topology.line_of_key(field) or 1}",
                          file=source, line=topology.line_of_key(field), field=field,
                          fix=f"check, analyse, render and import take estates; `hybridnet {stage}` needs the "
                              "reference's shape (one 'onprem', one 'circuit', no 'spokes')")
            for what, field in features
        ])
    if stage == "import":
        return
    missing = []
    if topology.circuit is None:
        missing.append(("circuit", "no ExpressRoute circuit", "add 'circuit:' (or import its resource group)"))
    for index, lng in enumerate(topology.local_network_gateways):
        if lng.gateway_ip is None:
            missing.append((f"local_network_gateways.{index}.gateway_ip",
                            f"local network gateway {lng.name} has no address", "set gateway_ip: the on-prem "
                            "VPN device's public IP"))
    if missing:
        raise TopologyErrors([
            TopologyError(f"{message}: `hybridnet {stage}` needs the whole design (`hybridnet check` lists what "
                          "a partial topology lacks)", file=source, field=field, fix=fix)
            for field, message, fix in missing
        ])
