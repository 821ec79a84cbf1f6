"""Reaching into a running lab's nodes: what tests, status and drills do with a lab.

Run commands in a node, cut or degrade its links, stop its daemons, and read what its daemons
and kernel say (BGP, BFD, IPsec SAs and events, installed routes) as plain data. ``Lab`` gets
these from ``NodeAccess``; the life cycle (up, down) lives in ``hybridnet.emulate.lab``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from hybridnet import agents
from hybridnet.emulate import netns, processes
from hybridnet.emulate.daemons import CharonInstance, FrrInstance, FrrSession, daemon_for
from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan import VNET_FABRIC_NODE, LabPlan, Link
from hybridnet.emulate.plan.nsg import NSG_TABLE, pinhole_handles, pinhole_rule
from hybridnet.emulate.readiness import (
    bfd_missing,
    bgp_missing,
    expressroute_missing,
    vpn_definite_failure,
    vpn_failure_reason,
    vpn_missing,
)
from hybridnet.emulate.setup import lab_secrets
from hybridnet.emulate.state import LabState, ProcessRecord, namespace_name, start_ticks
from hybridnet.emulate.status import PathReport, trace_path
from hybridnet.errors import EXIT_FAILED
from hybridnet.waiting import poll_until


class NodeAccess:
    """The per-node operations of a lab (mixed into ``Lab``)."""

    plan: LabPlan
    state: LabState
    _lock: threading.Lock
    _saved_at: float
    _cut_routes: dict[tuple[str, str], list[dict[str, Any]]]

    @property
    def name(self) -> str:
        return self.plan.lab

    @property
    def directory(self) -> Path:
        from hybridnet.emulate.state import lab_directory

        return lab_directory(self.name)

    def start_servers(self, node: str) -> None:
        """Start the service(s) of a workload VM (again, e.g. after a drill killed them)."""
        for server in self.plan.node(node).servers:
            argv = [
                python_interpreter(),
                "-I",
                "-S",
                str(script_path("workload_server.py")),
                node,
                str(server.port),
                server.protocol,
            ]
            self._spawn_recorded(node, "workload-server", argv, self.node_directory(node) / "server.log")

    def load_balancer_health(self) -> dict[str, dict[str, bool]]:
        """Backend health as the load balancer's prober sees it now: {balancer: {backend: healthy}}."""
        path = self.node_directory(VNET_FABRIC_NODE) / "health.json"
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("healthy", {})
        except (OSError, ValueError):
            return {}

    def _recorder(self, node: str) -> Callable[[str, subprocess.Popen[bytes]], None]:
        return lambda program, popen: self._record(node, program, popen)

    def _record(self, node: str, program: str, popen: subprocess.Popen[bytes]) -> None:
        """Remember a started process; the state file is rewritten at most every 0.2 s (``down``
        also finds unrecorded processes by their namespace, so a crash in between loses nothing)."""
        with self._lock:
            self.state.processes.append(ProcessRecord(node, program, popen.pid, start_ticks(popen.pid) or 0))
            if time.monotonic() - self._saved_at > 0.2:
                self.state.save()
                self._saved_at = time.monotonic()

    # ----------------------------------------------------------------------------- reaching into nodes
    def namespace(self, node: str) -> str:
        """The network namespace of ``node`` (``ip netns exec NAME ...`` works with it too)."""
        self.plan.node(node)
        return namespace_name(self.name, node)

    def node_directory(self, node: str) -> Path:
        return self.directory / "nodes" / node

    def frr(self, node: str) -> FrrInstance:
        spec = self.plan.node(node)
        if not spec.frr_config:
            raise LabError(f"{node} runs no FRR", fix="pick a router node")
        return FrrInstance(node, self.namespace(node), self.node_directory(node), spec.frr_daemons)

    def charon(self, node: str) -> CharonInstance:
        if not self.plan.node(node).swanctl_config:
            raise LabError(f"{node} runs no strongSwan", fix="pick onprem-vpn or a vpn-gateway-N node")
        return CharonInstance(node, self.namespace(node), self.node_directory(node))

    def run(self, node: str, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run a command in ``node`` and capture its output (what drills and tests use)."""
        return processes.run(self.namespace(node), self.node_command(node, argv), timeout=timeout)

    def node_command(self, node: str, argv: Sequence[str]) -> list[str]:
        """``argv`` pointed at the node's own daemons: ``vtysh`` and ``swanctl`` would otherwise
        talk to the system's FRR and charon (their default sockets), not to the lab's."""
        command = list(argv)
        spec = self.plan.node(node)
        if command and Path(command[0]).name == "vtysh" and spec.frr_config and "--vty_socket" not in command:
            command[1:1] = ["--vty_socket", str(self.node_directory(node) / "frr")]
        if command and Path(command[0]).name == "swanctl" and spec.swanctl_config and "--uri" not in command:
            command += ["--uri", f"unix://{self.node_directory(node) / 'charon.vici'}"]
        return command

    def runner(self, node: str) -> Callable[[Sequence[str]], subprocess.CompletedProcess[str]]:
        return lambda argv: self.run(node, argv)

    def spawn(self, node: str, argv: Sequence[str], log_name: str) -> subprocess.Popen[bytes]:
        """Start a long-running helper (a probe) in ``node``; ``down`` stops it with the rest."""
        popen = processes.spawn(self.namespace(node), argv, self.node_directory(node) / log_name)
        self._record(node, Path(argv[0]).name, popen)
        return popen

    def link(self, a: str, b: str) -> Link:
        """The cable between nodes ``a`` and ``b``."""
        for link in self.plan.links:
            if {link.a.node, link.b.node} == {a, b}:
                return link
        raise LabError(f"no link between {a} and {b}")

    def set_link(self, a: str, b: str, up: bool) -> None:
        """Cut (or restore) the cable between two nodes: both ends go down, like a fibre cut.

        The kernel drops every route of an interface that goes down. Connected routes return with
        the link and zebra re-installs its own, but routes set up directly — the plan's, or the VPN
        appliance's tunnel script's routes to the gateways' public IPs — would stay lost, and the
        VPN with them. A router's configured static routes come back with its interface, so these
        are saved at the cut and put back at the restore.
        """
        ends = self.link(a, b).ends()
        if not up:
            for end in ends:
                self._cut_routes[(end.node, end.interface)] = self._direct_routes(end.node, end.interface)
        for end in ends:
            netns.set_link(self.namespace(end.node), end.interface, up)
        if up:
            for end in ends:
                self._restore_routes(end.node, end.interface, self._cut_routes.pop((end.node, end.interface), []))

    def _direct_routes(self, node: str, interface: str) -> list[dict[str, Any]]:
        """Gateway routes on ``interface`` that no daemon owns (protocol boot: set up by hand or script)."""
        listing = self.run(node, ["ip", "-j", "route", "show", "dev", interface])
        try:
            routes = json.loads(listing.stdout or "[]")
        except ValueError:
            return []
        # The plan's routes go in through netlink with protocol "static" and no metric (FRR's static
        # and BGP routes carry a metric, and zebra puts them back itself); a script's are "boot".
        return [
            r for r in routes
            if r.get("protocol", "boot") in ("boot", "static") and "metric" not in r and "nhid" not in r
            and r.get("gateway")
        ]

    def _restore_routes(self, node: str, interface: str, routes: list[dict[str, Any]]) -> None:
        for route in routes:
            argv = ["ip", "route", "replace", str(route["dst"]), "via", str(route["gateway"]), "dev", interface]
            if route.get("metric"):
                argv += ["metric", str(route["metric"])]
            result = self.run(node, argv)
            if result.returncode != 0:
                raise LabError(f"cannot restore the route {route['dst']} on {node}: {result.stderr.strip()}")

    def set_gray_failure(self, a: str, b: str, active: bool) -> None:
        """Drop every packet arriving on both ends of a link while the link stays up (nftables ingress)."""
        for end in self.link(a, b).ends():
            table = f"hybridnet_gray_{end.interface}"
            if active:
                script = (
                    f"table netdev {table} {{\n chain ingress {{\n  type filter hook ingress device "
                    f'"{end.interface}" priority -500; policy drop;\n }}\n}}\n'
                )
                result = processes.run(self.namespace(end.node), ["nft", "-f", "-"], input_text=script)
            else:
                result = processes.run(self.namespace(end.node), ["nft", "delete", "table", "netdev", table])
            if result.returncode != 0 and active:
                raise LabError(f"cannot add the drop on {end.node} {end.interface}: {result.stderr.strip()}")

    def pids(self, node: str, program: str | None = None) -> list[int]:
        """Recorded, still-running PIDs of ``node`` (optionally one program: bgpd, charon...)."""
        return [
            r.pid
            for r in self.state.processes
            if r.node == node
            and (program is None or r.program == program)
            and start_ticks(r.pid) == r.start_ticks
            and processes.alive(r.pid)
        ]

    def kill_daemon(self, node: str, program: str, signal_number: int = 9) -> list[int]:
        pids = self.pids(node, program)
        if not pids:
            raise LabError(f"no running {program} on {node}")
        for pid in pids:
            os.kill(pid, signal_number)
        return pids

    def bgp_summary(self, node: str) -> dict[str, Any]:
        """``show bgp ipv4 unicast summary json`` of a router: its peers, states and prefix counts."""
        return self.frr(node).show("show bgp ipv4 unicast summary json")

    def bgp_routes(self, node: str) -> dict[str, Any]:
        return self.frr(node).show("show bgp ipv4 unicast json")

    def bfd_peers(self, node: str) -> list[dict[str, Any]]:
        answer = self.frr(node).show("show bfd peers json", daemon="bfdd")
        return answer if isinstance(answer, list) else []

    def ipsec_sas(self, node: str) -> list[dict[str, Any]]:
        return self.charon(node).security_associations()

    def routes(self, node: str) -> list[dict[str, object]]:
        """The routes installed in the node's kernel (main table): what the daemons really programmed."""
        return netns.routes(self.namespace(node))

    # ----------------------------------------------------------------------------- what a drill uses
    def restart_daemon(self, node: str, daemon: str) -> None:
        """Start a killed FRR daemon of ``node`` again, configured, as an operator would."""
        self.frr(node).restart(daemon, self._recorder(node))

    def set_bgp_session(self, node: str, peer: IPv4Address, up: bool) -> None:
        """Shut (or bring back) ``node``'s BGP session with ``peer``, links untouched: what disabling a
        circuit's private peering, or Azure's circuit link failover test, does to the MSEE's sessions."""
        config = self.plan.node(node).frr_config or ""
        match = re.search(r"^router bgp ([0-9]+)", config, re.MULTILINE)
        if match is None or f"neighbor {peer} " not in config:
            raise LabError(f"{node} has no BGP session with {peer}",
                           fix="name a router and one of its configured neighbours")
        self.frr(node).apply([f"router bgp {match.group(1)}",
                              f"{'no ' if up else ''}neighbor {peer} shutdown"])

    def show(self, node: str, command: str) -> Any:
        """A ``show ... json`` command on ``node``'s FRR (BGP, BFD, routes), parsed ({} or [] if the
        daemon does not answer: a killed daemon is a state, not an error)."""
        return self.frr(node).show(command, daemon_for(command))

    def frr_session(self, node: str) -> FrrSession:
        """``show`` over kept vty sockets, for polling many times a second; close it when done."""
        return self.frr(node).session()

    def ipsec_events(self, node: str, stop: threading.Event) -> Iterator[tuple[str, dict[str, Any]]]:
        """The IKE/CHILD SA events of a VPN end as they happen, until ``stop`` is set."""
        return self.charon(node).events(stop)

    def routers(self) -> list[str]:
        """The nodes that run FRR."""
        return [node.name for node in self.plan.nodes if node.frr_config]

    def vpn_ends(self) -> list[str]:
        """The nodes that run strongSwan (the VPN appliance and the VPN gateway's instances)."""
        return [node.name for node in self.plan.nodes if node.swanctl_config]

    def spawn_agent(self, node: str, argv: Sequence[str]) -> subprocess.Popen[str]:
        """Start a program of ``hybridnet.agents`` in ``node`` (through the lab's ``nsenter``, which
        execs: the PID is the agent's, so signals reach it). Its stderr is a pipe for the caller;
        ``down`` stops it with the rest of the lab's processes."""
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
        try:
            return subprocess.Popen(processes.command_in(self.namespace(node), list(argv)),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment)
        except FileNotFoundError as exc:
            raise LabError(f"cannot start {argv[0]} in {node}: {exc.strerror}") from None

    def open_pinhole(self, node: str, source: IPv4Address, ports: Sequence[int], tag: str) -> bool:
        """Let ``source`` reach ``ports`` through the NSG of workload ``node`` (first rule, tagged);
        False when the workload has no NSG (nothing filters)."""
        if self.run(node, ["nft", "list", "table", "inet", NSG_TABLE]).returncode != 0:
            return False
        rule = pinhole_rule(str(source), ports, tag)
        result = self.run(node, ["nft", f"insert rule inet {NSG_TABLE} inbound {rule}"])
        if result.returncode != 0:
            raise LabError(f"cannot open ports {', '.join(map(str, ports))} in the NSG of {node}: "
                           f"{result.stderr.strip()[:200]}", exit_code=EXIT_FAILED)
        return True

    def close_pinhole(self, node: str, tag: str) -> None:
        """Remove the NSG rules tagged ``tag`` from workload ``node``."""
        listing = self.run(node, ["nft", "-a", "list", "chain", "inet", NSG_TABLE, "inbound"])
        for handle in pinhole_handles(listing.stdout, tag):
            self.run(node, ["nft", "delete", "rule", "inet", NSG_TABLE, "inbound", "handle", handle])

    def trace(self, source: str, destination: IPv4Address) -> PathReport:
        """The way from ``source`` to ``destination`` by the installed routes (FIB walk, hop by hop)."""
        return trace_path(self, source, destination)  # type: ignore[arg-type]

    def path_markers(self) -> dict[str, str]:
        """Address → ``ExpressRoute`` / ``VPN`` for every address only one path uses."""
        return self.plan.path_markers()

    def missing_parts(self, expressroute: bool = False) -> list[str]:
        """What is not up: BGP sessions, BFD peers, tunnels (and, if asked, traffic over ExpressRoute)."""
        lab: Any = self
        missing = bgp_missing(lab) or bfd_missing(lab) or (vpn_missing(lab) if self.plan.tunnels else [])
        return missing or (expressroute_missing(lab) if expressroute else [])

    def wait_whole(self, timeout_s: float, expressroute: bool = False) -> bool:
        """Until every BGP session, BFD peer and (if any) tunnel is up; False if not within ``timeout_s``."""
        return poll_until(lambda: not self.missing_parts(expressroute), timeout_s, 0.2)

    def vpn_missing(self) -> list[str]:
        """What the VPN backup lacks (CHILD SAs, BGP over the tunnels); [] when it stands by."""
        return vpn_missing(self)  # type: ignore[arg-type]

    def vpn_failure(self, *, definite: bool = False) -> str | None:
        """strongSwan's reason why the VPN is not up; with ``definite``, only one waiting cannot cure
        (keys or proposals that differ)."""
        lab: Any = self
        return vpn_definite_failure(lab) if definite else vpn_failure_reason(lab)

    def secrets(self) -> list[str]:
        """The pre-shared keys the lab's VPN ends hold, so that no report can carry them."""
        return lab_secrets(self)  # type: ignore[arg-type]


PACKAGE_ROOT = Path(agents.__file__).resolve().parents[2]
"""The directory that holds the ``hybridnet`` package: agents started with ``-m`` import it from here."""


def python_interpreter() -> str:
    """The system interpreter for the stdlib-only helpers (a few MB each, not a full venv)."""
    return "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def script_path(name: str) -> Path:
    return agents.script_path(name)
