"""`hybridnet render arm` and `hybridnet render device`: what users deploy, from the topology."""

from __future__ import annotations

import importlib
import os
import shlex
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hybridnet.cli.common import TopologyArg, console, err_console, fail, load_topology, report_topology_error
from hybridnet.model import Topology, TopologyError
from hybridnet.render.output import path_inside, replace_file

render_app = typer.Typer(
    help="Render the ARM template or on-prem device configurations.", no_args_is_help=True
)


class Vendor(StrEnum):
    frr = "frr"
    strongswan = "strongswan"
    cisco_iosxe = "cisco-iosxe"
    junos = "junos"


RENDERERS = {
    Vendor.frr: "hybridnet.render.frr",
    Vendor.strongswan: "hybridnet.render.strongswan",
    Vendor.cisco_iosxe: "hybridnet.render.cisco_iosxe",
    Vendor.junos: "hybridnet.render.junos",
}


WAN_NEXT_HOP_VENDORS = (Vendor.cisco_iosxe, Vendor.junos)


def device_renderer(vendor: Vendor, estate: bool = False) -> Callable[..., dict[str, str]]:
    """The vendor's ``render_onprem`` (or ``render_estate`` for a topology with ``sites``), imported only
    when asked for."""
    module_name = RENDERERS[vendor]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        fail(f"the {vendor.value} renderer ({module_name}) is not part of this installation")
    return module.render_estate if estate else module.render_onprem  # type: ignore[no-any-return]


def arm(
    topology: TopologyArg = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Directory for the template and parameters.")
    ] = Path("arm"),
    key_vault_id: Annotated[
        str | None,
        typer.Option(
            help="Resource ID of a Key Vault holding the VPN shared key (referenced by the parameters file)."
        ),
    ] = None,
    key_vault_secret: Annotated[
        str, typer.Option(help="Name of the shared-key secret in that vault.")
    ] = "vpnSharedKey",
    validate: Annotated[bool, typer.Option(help="Validate both files against the ARM JSON schemas.")] = True,
) -> None:
    """Write azuredeploy.json and azuredeploy.parameters.json for the Azure side of the topology."""
    from hybridnet.render.arm import KeyVaultSecret, render_arm
    from hybridnet.render.arm_schema import ArmSchemaMissing, validate_parameters, validate_template

    model = load_topology(topology, stage="render arm")
    secret = KeyVaultSecret(key_vault_id, key_vault_secret) if key_vault_id else None
    deployment = render_arm(model, secret)
    _warn_about_check_errors(model, topology)
    if validate:
        try:
            problems = validate_template(deployment.template) + validate_parameters(deployment.parameters)
        except ArmSchemaMissing as exc:
            fail(f"{exc} (or pass --no-validate)")
        if problems:
            for problem in problems:
                err_console.print(f"[bold red]schema:[/] {problem}", highlight=False, soft_wrap=True)
            fail(
                "the rendered template does not validate against the ARM schemas (a hybridnet bug: please "
                "report it)",
                code=1,
            )
    try:
        written = deployment.write(output)
    except OSError as exc:
        fail(f"cannot write to {output}: {exc.strerror}")
    for path in written:
        console.print(f"wrote [bold]{path}[/]")
    if validate:
        console.print(
            "both files validate against the ARM JSON schemas (2019-04-01, Microsoft.Network 2023-09-01)"
        )
    prompted = [name for name, spec in deployment.template["parameters"].items()
                if spec["type"] == "securestring" and name not in deployment.parameters["parameters"]]
    prompt = f" (az prompts for {', '.join(prompted)})" if prompted else ""
    console.print(
        # one shell word per value, values joined to their option: a group or path that starts with '-',
        # or has spaces, is pasted as the value it is, not as another option
        "deploy with: az deployment group create "
        f"{shlex.quote('--resource-group=' + model.resource_group)} "
        f"{shlex.quote(f'--template-file={written[0]}')} {shlex.quote(f'--parameters=@{written[1]}')}{prompt}",
        highlight=False,
        soft_wrap=True,
    )


def device(
    vendor: Annotated[Vendor, typer.Option("--vendor", help="Which configuration language to render.")],
    topology: TopologyArg = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Directory to write into; stdout when omitted.")
    ] = None,
    with_key: Annotated[
        bool,
        typer.Option(
            "--with-key", help="Put the real shared key in the files (needs -o; files are written 0600)."
        ),
    ] = False,
    wan_next_hop: Annotated[
        str | None,
        typer.Option(
            help="Internet next hop of the VPN appliance (cisco-iosxe, junos; default a placeholder)."
        ),
    ] = None,
) -> None:
    """Render the on-prem device configurations: core router, customer-edge routers and VPN appliance;
    for a topology with 'sites', every device of every site as DIR/<site>/<device>.<suffix>."""
    model = load_topology(topology, stage="render device")
    estate = bool(model.sites)
    render_onprem = device_renderer(vendor, estate)
    if with_key and output is None:
        fail("--with-key writes the pre-shared key: give -o DIR so it goes to files, not the terminal")
    options: dict[str, str] = {}
    if wan_next_hop is not None:
        if vendor not in WAN_NEXT_HOP_VENDORS:
            fail(
                f"--wan-next-hop is for {' and '.join(v.value for v in WAN_NEXT_HOP_VENDORS)}; "
                "the strongSwan tunnel script reads WAN_GW when it runs"
            )
        options["wan_next_hop"] = wan_next_hop
    try:
        if estate:
            keys = _shared_keys(model) if with_key else None
            private = bool(keys)
            files = render_onprem(model, shared_keys=keys, **options)
        else:
            key = _shared_key(model) if with_key else None
            private = key is not None
            files = render_onprem(model, shared_key=key, **options)
    except TopologyError as error:
        report_topology_error(error, model)
        raise typer.Exit(2) from None
    if not files:
        fail(f"the topology has no on-prem device the {vendor.value} renderer configures")
    if output is None:
        for name, text in files.items():
            typer.echo(f"# ===== {name} =====")
            typer.echo(text, nl=not text.endswith("\n"))
        return
    for name, text in files.items():
        path = path_inside(output, name)
        if path is None:
            fail(f"refusing to write {name!r}: the path leaves {output} (a device name with '/' or '..', or a link)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if private:
                write_private(path, text)
            else:
                write_public(path, text, executable=name.endswith(".sh"))
        except OSError as exc:
            fail(f"cannot write {path}: {exc.strerror}")
        console.print(f"wrote [bold]{path}[/]")


def write_private(path: Path, text: str) -> None:
    """Write a file that holds a secret so that it is 0600 from its first byte, whatever the umask.

    ``mkstemp`` creates the file with ``O_EXCL`` and mode 0600 beside its destination, and ``os.replace``
    moves it into place: no moment exists at which the key sits in a file others can read (writing first
    and chmod-ing after leaves such a window, and an existing wider file would keep its mode through
    ``open(..., "w")``). A failed write leaves no temporary file behind.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_public(path: Path, text: str, *, executable: bool = False) -> None:
    """Write a keyless config: 0644, or 0755 for a script.

    Written beside its destination and moved into place (``replace_file``): whatever sits at the path
    already (a FIFO that would block the write, a link) is replaced, never written through."""
    replace_file(path, text, 0o755 if executable else 0o644)


def _warn_about_check_errors(model: Topology, topology_file: Path | None) -> None:
    """Say on stderr which blocking findings ``hybridnet check`` has: the template still renders (a user may
    be drafting, or rendering what is deployed today), but Azure may reject it or failover may not work."""
    from hybridnet.rules import Severity, check, locate_in_file

    errors = [finding for finding in check(model) if finding.severity is Severity.ERROR]
    if not errors:
        return
    if topology_file is not None:
        errors = locate_in_file(errors, topology_file, shown_as=str(topology_file))
    name = str(topology_file) if topology_file is not None else "the topology"
    err_console.print(
        f"[bold yellow]warning:[/] {escape(name)} has {len(errors)} error finding(s) from `hybridnet check`; "
        "the files are rendered as the topology says, but deploying them may fail or break failover:",
        highlight=False, soft_wrap=True,
    )
    for finding in errors:
        err_console.print(
            f"  [bold red]{finding.rule_id}[/] {escape(finding.where())}: {escape(finding.message)} "
            f"(fix: {escape(finding.fix)})",
            highlight=False, soft_wrap=True,
        )


def _shared_key(model: Topology) -> str | None:
    connection = model.vpn_connection
    return connection.shared_key.resolve(model.base_dir) if connection is not None else None


def _shared_keys(model: Topology) -> dict[str, str]:
    """Every IPsec connection's key, by connection name: each VPN end of an estate has its own."""
    return {c.name: c.shared_key.resolve(model.base_dir) for c in model.ipsec_connections}


def register(app: typer.Typer) -> None:
    render_app.command("arm")(arm)
    render_app.command("device")(device)
    app.add_typer(render_app, name="render")
