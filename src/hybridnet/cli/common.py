"""What every command shares: loading the topology with user-facing errors, and the consoles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

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


ESTATE_STAGES_LATER = "analysed, rendered, imported or emulated"
ESTATE_STAGES = frozenset({"analyse"})
"""The stages that take estates (spokes, several sites, several circuits) besides ``check``."""


def refuse_partial(topology: Topology, stage: str) -> None:
    """The one gate before every stage but ``check``: what that stage cannot take.

    An estate (spokes, several sites, several circuits) is described and checked by this version, but the
    routing analysis, the renderers, the importer and the emulator still work from the reference's single
    shape; rather than analyse a different network than the one written, they refuse it, naming the
    feature and its line. ``import`` (its ``--onprem`` base) stops there; the other stages also refuse a
    partial inventory (``hybridnet import`` of a VPN-only hub, say), naming the part it lacks."""
    source = str(topology.source) if topology.source else None
    features = topology.estate_features()
    if features and stage not in ESTATE_STAGES:
        raise TopologyErrors([
            TopologyError(f"spoke VNets / several sites / several circuits are checked but not yet "
                          f"{ESTATE_STAGES_LATER} by this version: {what} at "
                          f"{source or '<topology>'}:{topology.line_of_key(field) or 1}",
                          file=source, line=topology.line_of_key(field), field=field,
                          fix=f"`hybridnet check` works on estates; `hybridnet {stage}` needs the reference's "
                              "shape (one 'onprem', one 'circuit', no 'spokes')")
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
