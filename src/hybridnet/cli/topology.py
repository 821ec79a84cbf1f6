"""`hybridnet schema` and `hybridnet init`: start a topology file and get editor completion for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hybridnet.cli.common import console, fail
from hybridnet.model import Topology, reference_yaml
from hybridnet.model.loader import EXAMPLES, example_yaml


def topology_json_schema() -> dict[str, object]:
    schema = Topology.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hybridnet topology"
    return schema


def schema() -> None:
    """Print the JSON Schema of topology files (point your editor's YAML plugin at it)."""
    typer.echo(json.dumps(topology_json_schema(), indent=2))


def init(
    file: Annotated[Path | None, typer.Argument(help="Where to write; stdout when omitted.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    example: Annotated[str | None, typer.Option(
        "--example", metavar="NAME",
        help=f"Write an estate example instead: {', '.join(EXAMPLES)} (checked, analysed, rendered and imported by "
             "this version, not yet emulated).", show_default=False)] = None,
) -> None:
    """Write the reference topology (or an estate example) as commented YAML to start from."""
    if example is not None and example not in EXAMPLES:
        fail(f"no example named {example!r}; choose one of: {', '.join(EXAMPLES)}")
    text = reference_yaml() if example is None else example_yaml(example)
    if file is None:
        typer.echo(text, nl=False)
        return
    if file.exists() and not file.is_file():  # a FIFO would block the write, a device swallow it
        fail(f"{file} exists and is not a regular file: give the path of a file to write")
    if file.exists() and not force:
        fail(f"{file} already exists (use --force to overwrite it)")
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror}")
    what = "the reference topology" if example is None else f"the {example} example"
    console.print(f"wrote {what} to [bold]{file}[/]; check it with [bold]hybridnet check {file}[/]")


def register(app: typer.Typer) -> None:
    app.command()(schema)
    app.command()(init)
