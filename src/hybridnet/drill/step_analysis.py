"""From a drill run's probe records and step windows to StepResults: pure, so it is unit-tested.

``probes.analyse_udp`` measures an outage from the last reply before to the first reply after, so
within one step's window it cannot see an outage that began in an earlier step or was still going
on when the step ended — with both paths down, the outage spans the fault, the verify and the
restore steps, and no window holds both of its ends. So the outages of the whole run are found
first (an outage that never ended runs to the last probe sent) and each step also gets its share
of them, clipped to its window.

The path of each reply comes from its IP TTLs (``TtlPaths``): the number of routers crossed on
each path is read from the installed routes, the ExpressRoute TTL from what step 1 measured.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from hybridnet.drill.probes import (
    Record,
    UdpAnalysis,
    analyse_udp,
    combined_path,
    records_between,
    step_from_analysis,
)
from hybridnet.drill.result import Direction, Outage, PathMtuResult, StepResult, TcpStreamResult
from hybridnet.drill.scenario import Step
from hybridnet.drill.stream_checks import MissingSummary, http_figures, tcp_stream_result

DIRECTIONS: tuple[Direction, Direction] = ("onprem-to-vnet", "vnet-to-onprem")
SENDERS: dict[Direction, str] = {"onprem-to-vnet": "udp-onprem-to-vnet", "vnet-to-onprem": "udp-vnet-to-onprem"}
LEAD_IN_S = 0.3
DEFAULT_TTL = 64


@dataclass
class StepWindow:
    """What the runner saw of one step while it ran, on the monotonic clock."""

    step: Step
    start_ns: int
    end_ns: int = 0
    change_ns: int | None = None
    settled: bool = True
    path_mtu: PathMtuResult | None = None
    routes_path: tuple[str, str] = ("unknown", "unknown")
    """What the installed routes said at the step's end: (on-prem → VNet, VNet → on-prem)."""

    @property
    def analysed_from_ns(self) -> int:
        """A fault or restore step is analysed from a little before its change (the last reply before)."""
        return self.change_ns - int(LEAD_IN_S * 1e9) if self.change_ns is not None else self.start_ns


def _other(direction: str) -> str:
    return "vnet-to-onprem" if direction == "onprem-to-vnet" else "onprem-to-vnet"


@dataclass(frozen=True)
class TtlPaths:
    """Names a reply's path from its TTLs, per network direction (``onprem-to-vnet`` is the way
    from on-prem to the VNet, whichever end sent the probe)."""

    ttl: Mapping[tuple[str, int], str]

    @classmethod
    def calibrate(cls, records: Mapping[str, list[Record]], first: StepWindow | None,
                  routers: Mapping[tuple[str, str], int]) -> TtlPaths:
        """``routers[(direction, path)]``: routers crossed, from the installed routes.

        Over the VPN the tunnel's outer hops do not count, so in the reference the VPN path is one
        router shorter than ExpressRoute (appliance + VPN gateway vs edge + MSEE + ER gateway);
        without a VPN route seen, that difference is assumed.
        """
        observed: dict[str, list[int]] = {d: [] for d in DIRECTIONS}
        if first is not None and first.routes_path != ("ExpressRoute", "ExpressRoute"):
            first = None  # step 1 did not run over ExpressRoute: its TTLs would name the wrong path
        for direction, sender in SENDERS.items():
            for record in records.get(sender, []):
                if (record.get("kind") == "reply" and first is not None
                        and first.start_ns <= int(record["sent_ns"]) < first.end_ns):
                    observed[direction].append(int(record["request_ttl"]))
                    observed[_other(direction)].append(int(record["reply_ttl"]))
        table: dict[tuple[str, int], str] = {}
        for direction in DIRECTIONS:
            er_routers = routers.get((direction, "ExpressRoute"))
            if er_routers is None:
                continue
            vpn_routers = routers.get((direction, "VPN"), er_routers - 1)
            er_ttl = statistics.mode(observed[direction]) if observed[direction] else DEFAULT_TTL - er_routers
            table[(direction, er_ttl)] = "ExpressRoute"
            if vpn_routers != er_routers:
                table[(direction, er_ttl + er_routers - vpn_routers)] = "VPN"
        return cls(table)

    def label(self, network_direction: str, ttl: int) -> str:
        return self.ttl.get((network_direction, ttl), "unknown")

    def path_of(self, direction: Direction) -> Callable[[Record], str]:
        return lambda r: combined_path(self.label(direction, int(r.get("request_ttl", -1))),
                                       self.label(_other(direction), int(r.get("reply_ttl", -1))))


def run_outages(analysis: UdpAnalysis, origin_ns: int, records: list[Record], threshold_s: float) -> list[Outage]:
    """The whole run's outages, including one still going on when probing stopped (it then runs
    from the last reply to the last probe sent)."""
    outages = list(analysis.figures.outages)
    sends = [(int(r["sent_ns"]) - origin_ns) / 1e9 for r in records if r.get("kind") == "sent"]
    arrivals = [(int(r["recv_ns"]) - origin_ns) / 1e9 for r in records if r.get("kind") == "reply"]
    if not sends or not analysis.lost_at_s:
        return outages
    if not arrivals:
        return [Outage(min(sends), max(sends), len(analysis.lost_at_s))]
    last_answered = max(sample.t_s for sample in analysis.samples)
    trailing = [t for t in analysis.lost_at_s if t > last_answered]
    if trailing and max(sends) - max(arrivals) > threshold_s:
        outages.append(Outage(max(arrivals), max(sends), len(trailing)))
    return outages


def with_run_outages(analysis: UdpAnalysis, outages: list[Outage], lost_at_s: tuple[float, ...],
                     start_s: float, end_s: float) -> UdpAnalysis:
    """Add to a step's figures the part of each run outage inside its window (if not already there)."""
    own = list(analysis.figures.outages)
    for outage in outages:
        clipped_start, clipped_end = max(outage.start_s, start_s), min(outage.end_s, end_s)
        if clipped_end <= clipped_start or any(abs(o.start_s - outage.start_s) < 1e-6 and
                                               abs(o.end_s - outage.end_s) < 1e-6 for o in own):
            continue
        lost = sum(1 for t in lost_at_s if clipped_start <= t < clipped_end)
        if lost:
            own.append(Outage(clipped_start, clipped_end, lost))
    longest = max((o.outage_ms for o in own), default=0.0)
    figures = replace(analysis.figures, outages=tuple(sorted(own, key=lambda o: o.start_s)), outage_ms=longest)
    return replace(analysis, figures=figures)


def ended_in_outage(outages: list[Outage], lost_at_s: tuple[float, ...], end_s: float) -> bool:
    """True when an outage was going on at ``end_s`` and had lost probes by then (a mere stall of
    the replies, with nothing lost, does not count)."""
    return any(o.start_s < end_s < o.end_s and any(o.start_s <= t < end_s for t in lost_at_s) for o in outages)


def step_results(windows: list[StepWindow], records: Mapping[str, list[Record]], origin_ns: int,
                 ttl_paths: TtlPaths, fault_title: str, interval_ms: float) -> tuple[list[StepResult],
                                                                                     dict[Direction, UdpAnalysis]]:
    """One StepResult per step and direction, and the whole run's analysis per direction."""
    def s(t_ns: int) -> float:
        return (t_ns - origin_ns) / 1e9

    whole = {d: analyse_udp(records.get(SENDERS[d], []), origin_ns=origin_ns, direction=d,
                            path_of=ttl_paths.path_of(d)) for d in DIRECTIONS}
    threshold_s = 3 * interval_ms / 1000.0
    outages = {d: run_outages(whole[d], origin_ns, records.get(SENDERS[d], []), threshold_s) for d in DIRECTIONS}
    steps: list[StepResult] = []
    http_records = records.get("http", [])
    for window in windows:
        start_ns, change_ns = window.analysed_from_ns, window.change_ns or window.start_ns
        for direction in DIRECTIONS:
            analysis = analyse_udp(records_between(records.get(SENDERS[direction], []), start_ns, window.end_ns),
                                   origin_ns=origin_ns, direction=direction, path_of=ttl_paths.path_of(direction))
            analysis = with_run_outages(analysis, outages[direction], whole[direction].lost_at_s, s(start_ns),
                                        s(window.end_ns))
            outbound = direction == "onprem-to-vnet"
            http = [r for r in http_records if start_ns <= int(r.get("t_ns", 0)) < window.end_ns]
            step = step_from_analysis(
                window.step.name, direction, analysis, change_s=s(change_ns), start_s=s(start_ns),
                end_s=s(window.end_ns), expected_path=window.step.expected_path,
                fault=fault_title if window.step.action == "apply" else "",
                http=http_figures(http) if outbound and http else None,
                path_mtu=(window.path_mtu,) if outbound and window.path_mtu else ())
            if ended_in_outage(outages[direction], whole[direction].lost_at_s, s(window.end_ns)):
                step = replace(step, path_after="none")  # nothing carried traffic when the step ended
            steps.append(step)
    return steps, whole


def tcp_result(records: Mapping[str, list[Record]]) -> TcpStreamResult:
    """The stream's outcome; the source's own view when the sink never wrote its summary."""
    for sink in (records.get("tcp-sink"), None):
        try:
            return tcp_stream_result(records.get("tcp-source", []), sink)
        except MissingSummary as error:
            message = str(error)
    return TcpStreamResult(bytes_sent=0, bytes_received=0, checksum_ok=False, survived=False, error=message)
