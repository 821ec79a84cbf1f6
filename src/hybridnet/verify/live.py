"""Reading the lab: each flow's live path both ways (the kernel FIB walk, ``Lab.trace``) and, for the
reference, each router's installed next hops (zebra's selected and installed routes, ``Lab.show``).

``settle`` is the condition wait that replaced the cross-check's fixed waits: it reads the lab until
the state the prediction names is there and holds still for one more reading, or a bounded timeout
runs out — the last reading is then reported, marked as not converged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from hybridnet.routing.crosscheck import InstalledRoutes, RouteMismatch, compare_routes
from hybridnet.routing.tables import RoutingTable
from hybridnet.verify.compare import FlowVerdict, LivePath, compare_flow
from hybridnet.verify.flows import FlowPrediction
from hybridnet.waiting import poll_until

if TYPE_CHECKING:
    from hybridnet.emulate import Lab

POLL_S = 0.3
"""Between two readings: a FIB walk of the reference's flows takes a few ms, a route dump ~10 ms per router."""


def live_path(lab: Lab, source: str, target: str, address: IPv4Address) -> LivePath:
    report = lab.trace(source, address)
    hops = tuple(report.hops)
    return LivePath(hops, bool(hops) and hops[-1] == target)


def read_flows(lab: Lab, predictions: Sequence[FlowPrediction]) -> tuple[FlowVerdict, ...]:
    """Every flow's live path both ways, compared with its prediction."""
    verdicts = []
    for prediction in predictions:
        flow = prediction.flow
        forward = live_path(lab, flow.host, flow.workload, flow.workload_address)
        reverse = live_path(lab, flow.workload, flow.host, flow.host_address)
        verdicts.append(compare_flow(prediction, forward, reverse))
    return tuple(verdicts)


def installed_routes(lab: Lab, scope: Mapping[str, Sequence[IPv4Network]]) -> InstalledRoutes:
    """What each router's zebra selected and installed, next hops named by the node that owns them."""
    table: dict[str, dict[IPv4Network, set[str]]] = {}
    for node in scope:
        routes: dict[IPv4Network, set[str]] = {}
        answer = lab.show(node, "show ip route json") or {}
        for prefix, entries in answer.items() if isinstance(answer, dict) else ():
            for entry in entries:
                if entry.get("selected") and entry.get("installed"):
                    routes[IPv4Network(prefix)] = {
                        lab.plan.owner_of(IPv4Address(hop["ip"])) or hop["ip"]
                        for hop in entry.get("nexthops", []) if hop.get("fib") and hop.get("ip")
                    }
        table[node] = routes
    return table


@dataclass(frozen=True)
class Reading:
    flows: tuple[FlowVerdict, ...]
    routes: tuple[RouteMismatch, ...]

    @property
    def agrees(self) -> bool:
        return not self.routes and all(flow.agrees for flow in self.flows)

    def key(self) -> tuple:
        """What must not change between two readings for the state to count as stable."""
        return (tuple((f.forward.live, f.reverse.live) for f in self.flows), self.routes)


def read(lab: Lab, predictions: Sequence[FlowPrediction], table: RoutingTable | None,
         scope: Mapping[str, Sequence[IPv4Network]]) -> Reading:
    routes = tuple(compare_routes(table, installed_routes(lab, scope), scope)) if table is not None else ()
    return Reading(read_flows(lab, predictions), routes)


def settle(reader: Callable[[], Reading], timeout_s: float, extra: Callable[[], bool] = lambda: True,
           ) -> tuple[Reading, bool]:
    """Read until the prediction holds in two readings in a row (and ``extra`` holds: the lab whole
    again, say), or ``timeout_s`` passed; the last reading and whether it converged."""
    last: list[Reading] = []

    def converged() -> bool:
        reading = reader()
        stable = bool(last) and last[-1].key() == reading.key()
        last[:] = [reading]
        return reading.agrees and stable and extra()

    done = poll_until(converged, timeout_s, POLL_S)
    return last[-1], done
