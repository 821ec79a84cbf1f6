"""Reaching into a running lab's nodes: what tests, status and drills do with a lab.

Run commands in a node, cut or degrade its links, stop its daemons, and read what its daemons
and kernel say (BGP, BFD, IPsec SAs and events, installed routes) as plain data. ``Lab`` gets
these from ``NodeAccess``; the life cycle (up, down) lives in ``hybridnet.emulate.lab``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from hybridnet import agents
from hybridnet.emulate import netns, processes
from hybridnet.emulate.daemons import CharonInstance, FrrInstance
from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan import VNET_FABRIC_NODE, LabPlan, Link
from hybridnet.emulate.state import LabState, ProcessRecord, namespace_name, start_ticks


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
        return [
            r for r in routes
            if r.get("protocol", "boot") == "boot" and "nhid" not in r and r.get("gateway")
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

    def ipsec_events(self, node: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """IKE/CHILD SA up/down events of a VPN end, as a generator (for drill timelines)."""
        return self.charon(node).events()

    def routes(self, node: str) -> list[dict[str, object]]:
        """The routes installed in the node's kernel (main table): what the daemons really programmed."""
        return netns.routes(self.namespace(node))

    def installed_routes(self) -> dict[str, list[dict[str, object]]]:
        return {node.name: self.routes(node.name) for node in self.plan.nodes if node.forwarding}


def python_interpreter() -> str:
    """The system interpreter for the stdlib-only helpers (a few MB each, not a full venv)."""
    return "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def script_path(name: str) -> Path:
    return agents.script_path(name)
