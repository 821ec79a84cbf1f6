"""Watch the control plane while a drill runs: FRR state polled as JSON, charon's VICI events.

FRR's logs have one-second stamps, too coarse next to a 10 ms probe, so a thread asks the routers
that decide the path (the customer edges, the on-prem core, the VPN appliance, the ExpressRoute
gateway, the VNet fabric) for BFD peers, BGP sessions and the routes to the other side, over a
persistent vty socket per daemon to keep the load low on a small machine; ``ControlPlaneTracker``
turns changes into timestamped events. One thread per strongSwan instance listens to VICI events
(IKE and CHILD SA up, down, rekeyed). Every event is stamped on the drill's monotonic clock.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import vici

from hybridnet.drill.analysis.control_plane import ControlPlaneTracker, vici_event
from hybridnet.drill.result import Event, PathLabel
from hybridnet.emulate.plan import ER_GATEWAY_NODE, MSEE_NODES, VNET_FABRIC_NODE

if TYPE_CHECKING:
    from hybridnet.emulate.lab import Lab

VICI_EVENTS = ["ike-updown", "child-updown", "ike-rekey", "child-rekey"]


@dataclass(frozen=True)
class Watched:
    """One router and what is read from it each round."""

    node: str
    bfd: bool = False
    bgp: bool = False
    prefixes: tuple[str, ...] = ()


def gateway_labels(lab: Lab) -> dict[str, PathLabel]:
    """Address → path for every address that only one path uses: the circuit's routers and the
    ExpressRoute gateway mean ExpressRoute, the VPN appliance and the VPN gateways mean VPN. Used
    to name a route's next hop and a traceroute's hops."""
    topology = lab.plan.topology
    expressroute = {r.name for r in topology.onprem.edge_routers} | set(MSEE_NODES.values()) | {ER_GATEWAY_NODE}
    vpn = {topology.onprem.vpn_appliance.name} if topology.onprem.vpn_appliance else set()
    vpn |= {node.name for node in lab.plan.nodes if node.name.startswith("vpn-gateway-")}
    labels: dict[str, PathLabel] = {}
    for node in lab.plan.nodes:
        label = "ExpressRoute" if node.name in expressroute else "VPN" if node.name in vpn else None
        if label is None:
            continue
        addresses = list(node.addresses) + (list(node.tunnel.addresses) if node.tunnel else [])
        labels.update({str(address.local.ip): label for address in addresses})
    return labels


def watched_routers(lab: Lab) -> list[Watched]:
    topology = lab.plan.topology
    vnet = tuple(str(p) for p in topology.vnet.address_space)
    onprem = tuple(str(p) for p in topology.onprem.address_space)
    routers = [Watched(r.name, bfd=True, bgp=True) for r in topology.onprem.edge_routers]
    routers.append(Watched(topology.onprem.core_router.name, prefixes=vnet))
    if topology.onprem.vpn_appliance is not None:
        routers.append(Watched(topology.onprem.vpn_appliance.name, bgp=True))
    routers += [Watched(ER_GATEWAY_NODE, bgp=True), Watched(VNET_FABRIC_NODE, bgp=True, prefixes=onprem)]
    return [w for w in routers if lab.plan.node(w.node).frr_config]


def parse_documents(text: str) -> list[Any]:
    """The JSON documents vtysh printed one after another (one per ``-c``)."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return documents
        try:
            document, position = decoder.raw_decode(text, position)
        except ValueError:
            return documents
        documents.append(document)


class VtyClient:
    """A daemon's vty socket spoken to as vtysh does: a command ends in NUL, the answer in three
    NULs and a status byte. A persistent socket costs about a millisecond per command, where
    starting vtysh costs tens of milliseconds of CPU — which, on a small machine, would stall the
    very probes the drill measures. A daemon that is gone (killed by a fault) answers nothing."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._socket: socket.socket | None = None

    def command(self, command: str) -> str:
        for _attempt in range(2):
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX)
                    self._socket.settimeout(2.0)
                    self._socket.connect(str(self._path))
                    self._exchange("enable")  # some show commands (bfdd's) exist only there
                return self._exchange(command)
            except OSError:
                self.close()
        return ""

    def _exchange(self, command: str) -> str:
        assert self._socket is not None
        self._socket.sendall(command.encode() + b"\0")
        answer = b""
        while len(answer) < 4 or answer[-4:-1] != b"\0\0\0":
            piece = self._socket.recv(1 << 16)
            if not piece:
                raise ConnectionResetError("vty closed")
            answer += piece
        return answer[:-4].decode("utf-8", "replace")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class ControlPlaneWatch:
    """Polls FRR and listens to VICI on background threads until ``stop``; ``events`` is the result."""

    def __init__(self, lab: Lab, origin_ns: int, poll_s: float = 0.1) -> None:
        self._lab = lab
        self._origin_ns = origin_ns
        self._poll_s = poll_s
        self._tracker = ControlPlaneTracker(origin_ns)
        self._labels = gateway_labels(lab)
        self._routers = watched_routers(lab)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._threads: list[threading.Thread] = []
        self._clients: dict[tuple[str, str], VtyClient] = {}

    @property
    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def start(self) -> None:
        self._poll_once()  # the baseline, before any fault
        self._threads.append(threading.Thread(target=self._poll_loop, name="frr-watch", daemon=True))
        for node in self._lab.plan.nodes:
            if node.swanctl_config:
                self._threads.append(threading.Thread(target=self._listen, args=(node.name,),
                                                      name=f"vici-{node.name}", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> list[Event]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for client in self._clients.values():
            client.close()
        return self.events

    def _add(self, events: list[Event]) -> None:
        if events:
            with self._lock:
                self._events.extend(events)

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self._poll_once()
            self._stop.wait(max(0.0, self._poll_s - (time.monotonic() - started)))

    def _poll_once(self) -> None:
        for router in self._routers:
            if self._stop.is_set():
                return
            commands = (["show bfd peers json"] if router.bfd else []) + (
                ["show bgp summary json"] if router.bgp else []) + [
                f"show ip route {prefix} json" for prefix in router.prefixes]
            before = time.monotonic_ns()
            documents = self._vtysh(router.node, commands)
            t_ns = (before + time.monotonic_ns()) // 2
            answers = dict(zip(commands, documents, strict=True))
            if router.bfd:
                self._add(self._tracker.observe_bfd(router.node, t_ns, answers["show bfd peers json"]))
            if router.bgp:
                self._add(self._tracker.observe_bgp(router.node, t_ns,
                                                    answers["show bgp summary json"]))
            if router.prefixes:
                routes: dict[str, Any] = {}
                for prefix in router.prefixes:
                    answer = answers[f"show ip route {prefix} json"]
                    routes.update(answer if isinstance(answer, Mapping) else {})
                self._add(self._tracker.observe_routes(router.node, t_ns, routes, router.prefixes,
                                                       self._labels))

    def _vtysh(self, node: str, commands: list[str]) -> list[Any]:
        """Each command's JSON over the daemon's own vty socket (kept open between rounds)."""
        documents: list[Any] = []
        for command in commands:
            daemon = "bfdd" if command.startswith("show bfd") else "bgpd" if "bgp" in command else "zebra"
            key = (node, daemon)
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = VtyClient(self._lab.frr(node).run_dir / f"{daemon}.vty")
            text = client.command(command)
            parsed = parse_documents(text) if text else []
            documents.append(parsed[0] if parsed else ([] if daemon == "bfdd" else {}))
        return documents

    def _listen(self, node: str) -> None:
        """VICI events of one charon; reconnects if charon restarts, ends when the watch stops."""
        path = str(self._lab.charon(node).socket)
        while not self._stop.is_set():
            connection = socket.socket(socket.AF_UNIX)
            try:
                connection.connect(path)
                session = vici.Session(connection)
                for name, message in session.listen(VICI_EVENTS, timeout=0.2):
                    if self._stop.is_set():
                        break
                    if name is None or message is None:
                        continue
                    t_s = (time.monotonic_ns() - self._origin_ns) / 1e9
                    label = name.decode() if isinstance(name, bytes) else str(name)
                    event = vici_event(t_s, node, label, message)
                    if event is not None:
                        self._add([event])
            except (OSError, vici.exception.SessionException, vici.exception.CommandException):
                self._stop.wait(0.5)
            finally:
                connection.close()
