"""`hybridnet up / status / exec / down`: run both sides of the network with the real daemons."""

from __future__ import annotations

import json
import os
import time
from typing import Annotated

import typer
from pyroute2 import NetlinkError
from rich.table import Table

from hybridnet.cli.common import TopologyArg, checked_lab_name, console, err_console, fail, load_topology, versioned
from hybridnet.emulate import Lab, LabError, LabNotReady, down, lab_keys, lab_name_for, plan
from hybridnet.emulate.lab import system_error
from hybridnet.emulate.plan import LabPlan
from hybridnet.emulate.processes import command_in
from hybridnet.emulate.state import labs
from hybridnet.emulate.status import lab_status

LabOption = Annotated[
    str | None,
    typer.Option(
        "--lab",
        "-l",
        help="Lab name; default: derived from the topology (up) or the only running lab.",
        show_default=False,
        callback=checked_lab_name,
    ),
]
EXIT_NOT_READY = 1


def up(
    topology_file: TopologyArg = None,
    lab: LabOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan (nodes, links, configs); start nothing.")
    ] = False,
    show_configs: Annotated[
        bool, typer.Option("--show-configs", help="With --dry-run: print every daemon config.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the lab to be ready.")] = 60.0,
    mismatch_key: Annotated[
        bool,
        typer.Option(
            "--mismatch-key",
            help="Give the Azure VPN end a different random pre-shared key (to see a failed IPsec negotiation).",
        ),
    ] = False,
) -> None:
    """Start a lab: namespaces, FRR and strongSwan on both sides; wait for traffic over ExpressRoute."""
    topology = load_topology(topology_file, stage="up")
    try:
        lab_plan = plan(topology, lab=lab)
    except LabError as error:
        fail(str(error))
    if dry_run:
        _print_plan(lab_plan, show_configs)
        return
    try:
        keys = lab_keys(topology, mismatch=mismatch_key)
    except LabError as error:
        fail(str(error))
    console.print(f"lab [bold]{lab_plan.lab}[/]: {keys.note}", highlight=False)
    started = time.monotonic()
    try:
        with console.status("starting", spinner="dots") as spinner:

            def progress(message: str) -> None:
                console.print(f"  {time.monotonic() - started:5.2f} s  {message}", highlight=False)
                spinner.update(message)

            running = Lab.up(lab_plan, keys=keys, timeout_s=timeout, require_vpn=not mismatch_key, progress=progress)
    except LabNotReady as error:
        err_console.print(f"[bold yellow]not ready:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_NOT_READY) from None
    except LabError as error:
        fail(str(error))
    except (OSError, NetlinkError) as error:
        fail(f"lab {lab_plan.lab} could not be brought up: {system_error(error)}")
    console.print(
        f"[bold green]lab {running.name} is up[/] in {running.timings.get('ready_s', 0):.2f} s: "
        f"`hybridnet status --lab {running.name}`, `hybridnet exec --lab {running.name} NODE -- CMD`, "
        f"`hybridnet down --lab {running.name}`",
        highlight=False,
    )


def status(
    lab: LabOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show a running lab: nodes, BGP sessions, BFD peers, IPsec SAs and the path each flow takes now."""
    running = _attach(lab)
    try:
        report = lab_status(running)
    except LabError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(versioned(report.to_dict()), indent=2, default=str))
        return
    table = Table(title=f"lab {report.lab} ({report.phase}; shared key {report.key_note})")
    for column in ("node", "role", "processes"):
        table.add_column(column)
    for node in report.nodes:
        processes = ", ".join(f"{name}{'' if ok else ' (dead)'}" for name, ok in node["processes"].items())
        table.add_row(node["name"], node["role"], processes or "-")
    console.print(table)
    sessions = Table(title="BGP sessions")
    for column in ("node", "peer", "role", "state", "prefixes"):
        sessions.add_column(column)
    for item in report.bgp:
        colour = "green" if item["state"] == "Established" else "red"
        sessions.add_row(
            item["node"],
            f"{item['peer_node']} {item['peer']}",
            item["role"],
            f"[{colour}]{item['state']}[/]",
            str(item["prefixes_received"]),
        )
    console.print(sessions)
    for item in report.bfd:
        console.print(f"BFD {item['node']} → {item['peer']}: {item['status']}", highlight=False)
    for item in report.ipsec:
        reason = f" — {item['reason']}" if item["reason"] else ""
        console.print(
            f"IPsec {item['node']} {item['connection']}: IKE {item['ike']}, CHILD {item['child']}{reason}",
            highlight=False,
        )
    if len(report.sites) > 1 or len({v for site in report.sites for v in site["to_vnets"]}) > 1:
        sites = Table(title="sites")
        for column in ("site", "BGP up", "tunnels up", "to each VNet (first host, now)"):
            sites.add_column(column)
        for site in report.sites:
            sites.add_row(site["site"], f"{site['bgp_established']}/{site['bgp_sessions']}",
                          f"{site['tunnels_installed']}/{site['tunnels']}",
                          "; ".join(f"{vnet}: {', '.join(vias)}" for vnet, vias in site["to_vnets"].items()) or "-")
        console.print(sites)
    paths = Table(title="paths now")
    for column in ("from", "to", "via", "hops"):
        paths.add_column(column)
    for path in report.paths:
        paths.add_row(path.source, f"{path.destination} ({path.address})", path.via, " → ".join(path.hops))
    console.print(paths)


def exec_(
    node: Annotated[str, typer.Argument(help="Node name, e.g. onprem-ce1, msee-primary, web-vm1.")],
    command: Annotated[list[str], typer.Argument(help="The command and its arguments (after --).")],
    lab: LabOption = None,
) -> None:
    """Run a command inside a node of a running lab (`hybridnet exec onprem-ce1 -- ip link set er down`).

    ``vtysh`` and ``swanctl`` reach the node's own FRR and charon.
    """
    running = _attach(lab)
    try:
        argv = command_in(running.namespace(node), running.node_command(node, command))
    except LabError as error:
        fail(str(error))
    os.execvp(argv[0], argv)


def down_(lab: LabOption = None) -> None:
    """Remove a lab: every namespace, process and file (also after a crash of `up`)."""
    name = _lab_name(lab)
    try:
        removed = down(name)
    except LabError as error:
        fail(str(error))
    except OSError as error:
        fail(f"lab {name} could not be removed completely: {system_error(error)}; run `hybridnet down` again",
             code=1)
    if not removed["namespaces"] and not removed["processes"]:
        console.print(f"lab {name}: nothing to remove", highlight=False)
    else:
        console.print(
            f"lab {name} removed: {len(removed['namespaces'])} namespaces, {len(removed['processes'])} processes",
            highlight=False,
        )
    if removed["leftover"]:
        fail(f"could not remove: {', '.join(removed['leftover'])}", code=1)


def _lab_name(lab: str | None) -> str:
    if lab is not None:
        return lab
    running = labs()
    if len(running) == 1:
        return running[0]
    if not running:
        from hybridnet.model import default_topology

        return lab_name_for(default_topology())
    fail(f"several labs are up ({', '.join(running)}): choose one with --lab")


def _attach(lab: str | None) -> Lab:
    try:
        return Lab.attach(_lab_name(lab))
    except LabError as error:
        fail(str(error))


def _print_plan(lab_plan: LabPlan, show_configs: bool) -> None:
    table = Table(title=f"lab {lab_plan.lab}: {len(lab_plan.nodes)} nodes")
    for column in ("node", "role", "addresses", "daemons"):
        table.add_column(column)
    for node in lab_plan.nodes:
        addresses = ", ".join(
            f"{a.interface} {a.local}" + (f" peer {a.peer}" if a.peer else "") for a in node.addresses
        )
        daemons = (
            list(node.frr_daemons)
            + (["charon"] if node.swanctl_config else [])
            + [f"server :{s.port}" for s in node.servers]
            + (["ilb prober"] if node.load_balancer else [])
        )
        table.add_row(node.name, node.role, addresses, ", ".join(daemons) or "-")
    console.print(table)
    links = Table(title="links")
    for column in ("a", "b", "role"):
        links.add_column(column)
    for link in lab_plan.links:
        links.add_row(f"{link.a.node} {link.a.interface}", f"{link.b.node} {link.b.interface}", link.role)
    console.print(links)
    if show_configs:
        for node in lab_plan.nodes:
            for title, text in (
                ("frr.conf", node.frr_config),
                ("swanctl.conf", node.swanctl_config),
                ("nftables", node.nftables),
            ):
                if text:
                    console.rule(f"{node.name}: {title}")
                    console.print(text, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(status)
    app.command(name="exec", context_settings={"allow_extra_args": True})(exec_)
    app.command(name="down")(down_)
