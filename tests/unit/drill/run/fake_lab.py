"""A fake lab that implements the Lab API the drill uses, for unit tests of the runner, fleet and watch.

As httpx tests clients against a mock transport, the drill is tested here against this lab: its plan
is the real (pure) plan of the topology, so node names, addresses and path markers are the real
ones; its links, daemons and agents are scripted. Cutting both links of the circuit starts an
outage of ``outage_s`` after which traffic runs over the VPN; restoring them brings ExpressRoute
back at once. Agents are ``fake_agent.py`` processes that follow that schedule (no namespace, no
root). Everything the drill did is in ``actions``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from hybridnet.emulate import LabError, LabPlan, PathReport, plan
from hybridnet.model import Topology
from hybridnet.model.names import ER_GATEWAY_NODE, MSEE_NODES, VNET_FABRIC_NODE, vpn_gateway_node

FAKE_AGENT = Path(__file__).with_name("fake_agent.py")


class FakeSession:
    """``show`` answers of one router, from the fake lab's state (what FRR's JSON looks like)."""

    def __init__(self, lab: FakeLab, node: str) -> None:
        self._lab = lab
        self._node = node
        self.closed = False

    def show(self, command: str) -> Any:
        path = self._lab.path_now()
        circuit_up = path == "ExpressRoute"
        if command == "show bfd peers json":
            return [{"peer": "172.16.0.2", "status": "up" if circuit_up else "down"}]
        if command == "show bgp summary json":
            return {"ipv4Unicast": {"peers": {"172.16.0.2": {"state": "Established" if circuit_up else "Idle"}}}}
        prefix = command.split()[3]
        if path == "none":
            return {}
        return {prefix: [{"selected": True, "installed": True,
                          "nexthops": [{"ip": self._lab.marker(path), "active": True}]}]}

    def close(self) -> None:
        self.closed = True


class FakeLab:
    """The Lab API, scripted."""

    def __init__(self, topology: Topology, directory: Path, *, outage_s: float = 0.3,
                 vpn_problems: Sequence[str] = (), vpn_failure: str | None = None) -> None:
        self.plan: LabPlan = plan(topology, lab="fake")
        self.name = "fake"
        self.directory = directory
        self.outage_s = outage_s
        self.actions: list[tuple[str, ...]] = []
        self.pinholes: set[tuple[str, str]] = set()
        self.sessions: list[FakeSession] = []
        self.agents: list[subprocess.Popen[str]] = []
        self._vpn_problems = list(vpn_problems)
        self._vpn_failure = vpn_failure
        self._down: set[frozenset[str]] = set()
        self._circuit = {frozenset((r.name, MSEE_NODES[r.link])) for r in topology.onprem.edge_routers}
        self._schedule_file = directory / "schedule.json"
        self._schedule: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._save()

    # -------------------------------------------------------------------------- the schedule
    def _save(self) -> None:
        """Write-then-rename: the agents read the schedule while it changes and must never see half of it."""
        partial = self._schedule_file.with_suffix(".partial")
        partial.write_text(json.dumps(self._schedule), encoding="utf-8")
        os.replace(partial, self._schedule_file)

    def path_now(self) -> str:
        now = time.monotonic_ns()
        path = "ExpressRoute"
        for t_ns, label in self._schedule:
            if t_ns <= now:
                path = label
        return path

    def marker(self, path: str) -> str:
        return next(address for address, label in self.plan.path_markers().items() if label == path)

    # -------------------------------------------------------------------------- acting on the lab
    def set_link(self, a: str, b: str, up: bool) -> None:
        self.actions.append(("set_link", a, b, "up" if up else "down"))
        with self._lock:
            (self._down.discard if up else self._down.add)(frozenset((a, b)))
            now = time.monotonic_ns()
            if not self._circuit & self._down:
                self._schedule.append((now, "ExpressRoute"))
                self._save()
        if self._circuit <= self._down:
            self._move_to_vpn()

    def set_gray_failure(self, a: str, b: str, active: bool) -> None:
        self.set_link(a, b, not active)

    def kill_daemon(self, node: str, program: str, signal_number: int = 9) -> list[int]:
        """Killing the ExpressRoute gateway's bgpd withdraws ExpressRoute: an outage, then the VPN."""
        self.actions.append(("kill_daemon", node, program))
        if (node, program) == (ER_GATEWAY_NODE, "bgpd"):
            self._move_to_vpn()
        return [1]

    def pids(self, node: str, program: str | None = None) -> list[int]:
        return []

    def restart_daemon(self, node: str, daemon: str) -> None:
        self.actions.append(("restart_daemon", node, daemon))
        with self._lock:
            self._schedule.append((time.monotonic_ns(), "ExpressRoute"))
            self._save()

    def _move_to_vpn(self) -> None:
        with self._lock:
            now = time.monotonic_ns()
            self._schedule += [(now, "none"), (now + int(self.outage_s * 1e9), "VPN")]
            self._save()

    def open_pinhole(self, node: str, source: IPv4Address, ports: Sequence[int], tag: str) -> bool:
        self.pinholes.add((node, tag))
        return True

    def close_pinhole(self, node: str, tag: str) -> None:
        self.pinholes.discard((node, tag))

    def spawn_agent(self, node: str, argv: Sequence[str]) -> subprocess.Popen[str]:
        arguments = list(argv)[list(argv).index("hybridnet.agents.probe_agent") + 1:]
        process = subprocess.Popen([sys.executable, str(FAKE_AGENT), *arguments], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True,
                                   env={"FAKE_LAB_SCHEDULE": str(self._schedule_file), "PATH": "/usr/bin:/bin"})
        self.agents.append(process)
        return process

    def run(self, node: str, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        if argv and argv[0] == "traceroute":
            path = self.path_now()
            hops = "" if path == "none" else f" 1  {self.marker(path)}  1.0 ms\n 2  *\n"
            return subprocess.CompletedProcess(list(argv), 0, f"traceroute to x\n{hops}", "")
        raise LabError(f"the fake lab does not run {argv[0]}")

    # -------------------------------------------------------------------------- reading the lab
    def trace(self, source: str, destination: IPv4Address) -> PathReport:
        path = self.path_now()
        topology = self.plan.topology
        onprem = [topology.onprem.core_router.name]
        if path == "ExpressRoute":
            middle = [*onprem, topology.onprem.edge_routers[0].name, MSEE_NODES["primary"], ER_GATEWAY_NODE,
                      VNET_FABRIC_NODE]
        elif path == "VPN":
            assert topology.onprem.vpn_appliance is not None
            middle = [*onprem, topology.onprem.vpn_appliance.name, vpn_gateway_node(0), VNET_FABRIC_NODE]
        else:
            return PathReport(source, str(destination), str(destination), [source], "unreachable")
        target = self.plan.owner_of(destination) or str(destination)
        hops = [source, *(middle if source.startswith("onprem") else middle[::-1]), target]
        return PathReport(source, str(destination), str(destination), hops, path)

    def path_markers(self) -> dict[str, str]:
        return self.plan.path_markers()

    def routers(self) -> list[str]:
        return [node.name for node in self.plan.nodes if node.frr_config]

    def vpn_ends(self) -> list[str]:
        return [node.name for node in self.plan.nodes if node.swanctl_config]

    def frr_session(self, node: str) -> FakeSession:
        session = FakeSession(self, node)
        self.sessions.append(session)
        return session

    def ipsec_events(self, node: str, stop: threading.Event) -> Iterator[tuple[str, dict[str, Any]]]:
        yield "ike-updown", {"up": "yes", "vpn-tunnel": {"state": "ESTABLISHED"}}
        stop.wait()

    def missing_parts(self, expressroute: bool = False) -> list[str]:
        return []

    def wait_whole(self, timeout_s: float, expressroute: bool = False) -> bool:
        return True

    def vpn_missing(self) -> list[str]:
        return list(self._vpn_problems)

    def vpn_failure(self, *, definite: bool = False) -> str | None:
        return self._vpn_failure

    def secrets(self) -> list[str]:
        return ["fake-pre-shared-key"]
