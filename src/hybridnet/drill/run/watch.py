"""Watch the control plane while a drill runs: FRR state polled as JSON, charon's VICI events.

FRR's logs have one-second stamps, too coarse next to a 10 ms probe, so a thread asks the routers
that decide the path (the customer edges, the on-prem core, the VPN appliance, the ExpressRoute
gateway, the VNet fabric) for BFD peers, BGP sessions and the routes to the other side, through
the lab's kept FRR sessions (``Lab.frr_session``) to keep the load low on a small machine;
``ControlPlaneTracker`` turns changes into timestamped events. One thread per strongSwan instance
follows the lab's VICI event stream (IKE and CHILD SA up, down, rekeyed). Every event is stamped
on the drill's monotonic clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hybridnet.drill.analysis.control_plane import ControlPlaneTracker, vici_event
from hybridnet.drill.result import Event
from hybridnet.model.names import ER_GATEWAY_NODE, VNET_FABRIC_NODE

if TYPE_CHECKING:
    from hybridnet.emulate import FrrSession, Lab


@dataclass(frozen=True)
class Watched:
    """One router and what is read from it each round."""

    node: str
    bfd: bool = False
    bgp: bool = False
    prefixes: tuple[str, ...] = ()

    @property
    def commands(self) -> list[str]:
        return (["show bfd peers json"] if self.bfd else []) + (["show bgp summary json"] if self.bgp else []) + [
            f"show ip route {prefix} json" for prefix in self.prefixes]


def watched_routers(lab: Lab) -> list[Watched]:
    """Per site: its customer edges (BFD, BGP), its LAN router(s) (their routes to the VNets) and its
    VPN ends (BGP); then the ExpressRoute gateway and the VNet fabric (its routes to every site)."""
    topology = lab.plan.topology
    spokes = tuple(p for s in topology.spokes if s.peering.gateway_transit for p in s.address_space)
    vnet = tuple(str(p) for p in (*topology.vnet.address_space, *spokes))
    found: dict[str, Watched] = {}

    def watch(node: str, bfd: bool = False, bgp: bool = False, prefixes: tuple[str, ...] = ()) -> None:
        seen = found.get(node, Watched(node))
        found[node] = Watched(node, seen.bfd or bfd, seen.bgp or bgp, tuple(dict.fromkeys((*seen.prefixes, *prefixes))))

    for site in topology.all_sites:
        for device in site.with_role("edge"):
            watch(device.name, bfd=True, bgp=True)
        for device in site.lan_devices:
            watch(device.name, prefixes=vnet)
        for device in site.with_role("vpn"):
            watch(device.name, bgp=True)
    onprem = tuple(str(p) for site in topology.all_sites for p in site.address_space)
    watch(ER_GATEWAY_NODE, bgp=True)
    watch(VNET_FABRIC_NODE, bgp=True, prefixes=onprem)
    running = set(lab.routers())
    return [w for w in found.values() if w.node in running]


class ControlPlaneWatch:
    """Polls FRR and follows VICI on background threads until ``stop``; ``events`` is the result."""

    def __init__(self, lab: Lab, origin_ns: int, poll_s: float = 0.1) -> None:
        self._lab = lab
        self._origin_ns = origin_ns
        self._poll_s = poll_s
        self._tracker = ControlPlaneTracker(origin_ns)
        self._labels = lab.path_markers()
        self._routers = watched_routers(lab)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._threads: list[threading.Thread] = []
        self._sessions: dict[str, FrrSession] = {}

    @property
    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def start(self) -> None:
        self._poll_once()  # the baseline, before any fault
        self._threads.append(threading.Thread(target=self._poll_loop, name="frr-watch", daemon=True))
        for node in self._lab.vpn_ends():
            self._threads.append(threading.Thread(target=self._listen, args=(node,), name=f"vici-{node}",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> list[Event]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for session in self._sessions.values():
            session.close()
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
            session = self._sessions.get(router.node)
            if session is None:
                session = self._sessions[router.node] = self._lab.frr_session(router.node)
            before = time.monotonic_ns()
            answers = {command: session.show(command) for command in router.commands}
            t_ns = (before + time.monotonic_ns()) // 2
            if router.bfd:
                self._add(self._tracker.observe_bfd(router.node, t_ns, answers["show bfd peers json"]))
            if router.bgp:
                self._add(self._tracker.observe_bgp(router.node, t_ns, answers["show bgp summary json"]))
            if router.prefixes:
                routes: dict[str, Any] = {}
                for prefix in router.prefixes:
                    answer = answers[f"show ip route {prefix} json"]
                    routes.update(answer if isinstance(answer, Mapping) else {})
                self._add(self._tracker.observe_routes(router.node, t_ns, routes, router.prefixes, self._labels))

    def _listen(self, node: str) -> None:
        """VICI events of one charon, until the watch stops (the stream reconnects if charon restarts)."""
        for label, message in self._lab.ipsec_events(node, self._stop):
            event = vici_event((time.monotonic_ns() - self._origin_ns) / 1e9, node, label, message)
            if event is not None:
                self._add([event])
