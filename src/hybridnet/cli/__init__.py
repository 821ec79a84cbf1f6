"""The `hybridnet` command line: thin wrappers that parse, call the library and print.

Each module in this package registers its own commands through ``register(app)``, so every command
group (topology, check, analyse, render, lab, drill) lives in its own file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer

app = typer.Typer(
    name="hybridnet",
    help="Describe, check, analyse, emulate, drill and render an ExpressRoute + site-to-site VPN failover network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from hybridnet.version import hybridnet_version

        typer.echo(f"hybridnet {hybridnet_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Describe, check, analyse, emulate, drill and render an ExpressRoute + site-to-site VPN failover network."""


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_") or module.name == "common":
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(loaded, "register", None)
        if register is not None:
            register(app)
    from hybridnet.cli.common import report_every_command

    report_every_command(app)


_register_commands()


def main() -> None:
    app()
