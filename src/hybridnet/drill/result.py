"""What a failover drill measured, as plain dataclasses.

The drill (which needs the emulator) fills these in; ``report/`` renders them. Keeping them plain
and free of any lab handle means a result can be built in a unit test, saved as JSON and rendered
again later without the lab that produced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["onprem-to-vnet", "vnet-to-onprem"]
PathLabel = str
"""Which gateway carried traffic: ``"ExpressRoute"``, ``"VPN"``, ``"none"`` (black hole) or ``"unknown"``."""

EventSource = Literal["bfd", "bgp", "zebra", "ike", "child_sa", "fault", "probe", "drill"]


@dataclass(frozen=True)
class Event:
    """One control-plane or drill event on the drill's monotonic time axis.

    ``t_s`` is seconds since the drill started (the same axis the probes use), so a BFD-down marker
    lands exactly where the probe replies stop on the timeline.
    """

    t_s: float
    source: EventSource
    kind: str
    detail: str = ""
    node: str = ""


@dataclass(frozen=True)
class Outage:
    """One span without replies: from the last reply before to the first reply after."""

    start_s: float
    end_s: float
    lost: int

    @property
    def outage_ms(self) -> float:
        return (self.end_s - self.start_s) * 1000.0


@dataclass(frozen=True)
class PathSegment:
    """A stretch of time during which every reply took the same path."""

    path: PathLabel
    start_s: float
    end_s: float
    replies: int


@dataclass(frozen=True)
class ProbeSample:
    """One answered probe, kept for the timeline picture (not written to JSON by default)."""

    t_s: float
    seq: int
    rtt_ms: float
    path: PathLabel
    direction: Direction


@dataclass(frozen=True)
class UdpFigures:
    """The UDP sequence probe's counts for one step and direction.

    ``request_lost`` never reached the reflector; ``reply_lost`` reached it but the answer did not
    come back; ``lost_unattributed`` could not be split (the reflector restarted, or the run ended
    inside the gap). Their sum is ``lost``.
    """

    sent: int
    received: int
    lost: int
    request_lost: int
    reply_lost: int
    lost_unattributed: int
    duplicated: int
    reordered: int
    outage_ms: float
    request_outage_ms: float
    reply_outage_ms: float
    outages: tuple[Outage, ...] = ()
    rtt_ms_median: float | None = None


@dataclass(frozen=True)
class TcpStreamResult:
    """The long-lived TCP stream: "nothing lost" measured, not assumed."""

    bytes_sent: int
    bytes_received: int
    checksum_ok: bool
    survived: bool
    error: str = ""
    longest_stall_ms: float = 0.0

    @property
    def nothing_lost(self) -> bool:
        return self.survived and self.checksum_ok and self.bytes_sent == self.bytes_received


@dataclass(frozen=True)
class HttpFigures:
    """Requests to the application through the internal load balancer."""

    requests: int
    ok: int
    failed: int
    longest_failure_ms: float = 0.0


@dataclass(frozen=True)
class PathMtuResult:
    """The largest packet that passes a path with DF set, and whether MSS clamping protects TCP.

    ``mss_observed`` is the MSS as the receiving side of a connection sees it (see
    ``path_checks.connection_mss``): the SYN's MSS after any clamp, not lowered by PMTU discovery.
    """

    path: PathLabel
    largest_df_payload: int
    mss_observed: int | None = None

    @property
    def path_mtu(self) -> int:
        return self.largest_df_payload + 28  # 20 bytes IPv4 + 8 bytes ICMP echo header

    @property
    def mss_protects(self) -> bool | None:
        """True when a full-sized TCP segment (MSS + 40 bytes of headers) fits the path."""
        if self.mss_observed is None:
            return None
        return self.mss_observed + 40 <= self.path_mtu


@dataclass(frozen=True)
class StepResult:
    """One step of the scenario in one direction (e.g. "stop the circuit", on-prem → VNet)."""

    name: str
    direction: Direction
    udp: UdpFigures
    path_before: PathLabel
    path_during: PathLabel
    path_after: PathLabel
    expected_path: PathLabel | None = None
    http: HttpFigures | None = None
    path_mtu: tuple[PathMtuResult, ...] = ()
    segments: tuple[PathSegment, ...] = ()
    fault: str = ""
    start_s: float | None = None
    end_s: float | None = None

    @property
    def outage_ms(self) -> float:
        return self.udp.outage_ms

    @property
    def lost(self) -> int:
        return self.udp.lost

    @property
    def path_as_expected(self) -> bool | None:
        return None if self.expected_path is None else self.path_after == self.expected_path


@dataclass(frozen=True)
class RepeatStatistics:
    """Outage over ``--repeat N`` runs of one step and direction."""

    step: str
    direction: Direction
    runs: int
    min_ms: float
    median_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, step: str, direction: Direction, outages_ms: list[float]) -> RepeatStatistics:
        if not outages_ms:
            raise ValueError(f"no outage values for step {step!r} ({direction}) to summarise")
        ordered = sorted(outages_ms)
        return cls(step=step, direction=direction, runs=len(ordered), min_ms=ordered[0],
                   median_ms=_median(ordered), p95_ms=_nearest_rank(ordered, 95.0), max_ms=ordered[-1])


def _median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def _nearest_rank(ordered: list[float], percentile: float) -> float:
    """Nearest-rank percentile: always a value that was actually measured, never an interpolation."""
    rank = max(1, math.ceil(percentile / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TimerPrediction:
    """What the configured timers say detection should take, shown next to the measured outage."""

    mechanism: Literal["bfd", "bgp-hold", "dpd"]
    detection_ms: float
    explanation: str
    applies_to: str = "ExpressRoute private peering"


UNTOUCHED_TOLERANCE_MS = 1000.0
"""A flow the fault does not touch (the analysis gives it the same paths) may stall this long, no longer:
beyond it, the flow lost traffic the analysis says it must not. Measured: untouched flows of
``sites.yaml`` stall 0-100 ms when HQ's traffic moves onto the shared VPN gateway (its ESP runs in user
space), and up to ~750 ms with four labs running on the 2-core machine. A collateral move (the flow
failing over when it should not) is caught by its path, whatever its outage; what this bound catches is
a flow black-holed without a move, which lasts a hold timer or DPD (seconds)."""


@dataclass(frozen=True)
class FlowOutcome:
    """One probed flow of an estate's drill: its steps both ways, its TCP stream, and the analysis's word.

    ``expected_intact`` / ``expected_fault`` are the analysis's paths as shown (with the circuit);
    ``expects_cut``: the analysis says the fault cuts the flow (its loss is then the expected outcome);
    ``untouched``: the fault changes nothing on its paths (it must lose nothing)."""

    index: int
    site: str
    vnet: str
    host: str
    workload: str
    steps: tuple[StepResult, ...]
    tcp_stream: TcpStreamResult | None = None
    expected_intact: str = ""
    expected_fault: str = ""
    expects_cut: bool = False
    untouched: bool = False

    @property
    def worst_outage_ms(self) -> float:
        return max((step.outage_ms for step in self.steps), default=0.0)

    def outage_ms(self, direction: Direction) -> float:
        return max((s.outage_ms for s in self.steps if s.direction == direction), default=0.0)

    @property
    def tcp_bytes_lost(self) -> int | None:
        if self.tcp_stream is None:
            return None
        return max(0, self.tcp_stream.bytes_sent - self.tcp_stream.bytes_received)

    @property
    def problems(self) -> list[str]:
        """Why the flow fails the drill (empty: it passed)."""
        found = [f"{s.name} ({s.direction}): ended on {s.path_after}, the analysis expects {s.expected_path}"
                 for s in self.steps if s.path_as_expected is False]
        if not self.expects_cut and self.tcp_stream is not None and not self.tcp_stream.nothing_lost:
            found.append(f"the TCP stream lost data ({self.tcp_bytes_lost} bytes; {self.tcp_stream.error or 'cut'})"
                         " although the analysis keeps the flow connected")
        if self.untouched and self.worst_outage_ms > UNTOUCHED_TOLERANCE_MS:
            found.append(f"an outage of {self.worst_outage_ms:.0f} ms although the fault does not touch the flow's "
                         "paths")
        return found

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SiteSummary:
    site: str
    flows: int
    passed: int
    worst_outage_ms: float
    tcp_bytes_lost: int


def site_summaries(flows: list[FlowOutcome]) -> list[SiteSummary]:
    """Per site: flows probed, flows as the analysis expects, worst outage, TCP bytes lost."""
    sites = list(dict.fromkeys(flow.site for flow in flows))
    return [SiteSummary(site, sum(1 for f in flows if f.site == site), sum(1 for f in flows if f.site == site
                                                                            and f.passed),
                        max(f.worst_outage_ms for f in flows if f.site == site),
                        sum(f.tcp_bytes_lost or 0 for f in flows if f.site == site)) for site in sites]


@dataclass
class DrillResult:
    """Everything one drill run measured. Mutable only while the drill assembles it."""

    topology: str
    fault: str
    started_at: str
    probe_interval_ms: float
    steps: list[StepResult] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    predictions: list[TimerPrediction] = field(default_factory=list)
    tcp_stream: TcpStreamResult | None = None
    repeats: list[RepeatStatistics] = field(default_factory=list)
    max_outage_ms: float | None = None
    samples: list[ProbeSample] = field(default_factory=list)
    lost_samples: list[tuple[float, Direction]] = field(default_factory=list)
    flows: list[FlowOutcome] = field(default_factory=list)
    """An estate's probed flows (empty for the reference's one flow, which ``steps`` holds)."""
    not_probed: list[str] = field(default_factory=list)
    """Sites, VNets and (when sampled) flows the drill did not probe, and why."""
    flow_note: str = ""
    """How the flows were chosen, when the estate had more than the budget."""
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """Values no report may show (the lab's pre-shared keys): never rendered, only masked."""

    @property
    def worst_outage_ms(self) -> float:
        return max((step.outage_ms for step in self.steps), default=0.0)

    @property
    def passed(self) -> bool:
        """Within ``--max-outage`` (when given), the stream intact, and every path as expected."""
        if self.max_outage_ms is not None and self.worst_outage_ms > self.max_outage_ms:
            return False
        if self.tcp_stream is not None and not self.tcp_stream.nothing_lost:
            return False
        if not all(flow.passed for flow in self.flows):
            return False
        return all(step.path_as_expected is not False for step in self.steps)


def summarise_repeats(runs: list[DrillResult]) -> list[RepeatStatistics]:
    """Min / median / p95 / max outage per step and direction over several runs of one drill."""
    outages: dict[tuple[str, Direction], list[float]] = {}
    for run in runs:
        for step in run.steps:
            outages.setdefault((step.name, step.direction), []).append(step.outage_ms)
    return [RepeatStatistics.of(name, direction, values) for (name, direction), values in outages.items()]
