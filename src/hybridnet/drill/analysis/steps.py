"""Each step of a drill as a slice of the run's timeline: pure, so it is unit-tested.

The runner records each step's window on the monotonic clock (``StepWindow``); the records of the
whole run are read once into a ``Timeline`` (``timeline``), and a step's figures are what that
timeline holds for the step:

- **its probes** are those *sent* in its window, from a little before its fault or restore
  (``LEAD_IN_S``, so that the last reply before the change belongs to it) to its end — with
  their replies whenever those arrived. Sent, received, lost, duplicated, reordered, the request
  and reply outages and the paths of the replies come from those probes.
- **its outages** (and the reflector's request and reply outages) are the run's outages that
  *started* in it: an outage belongs to the step in
  whose window its onset lies (the first probe after the last reply before was sent then), and it
  is reported whole, however many steps it spans — from the last reply before to the first reply
  after, or to the last probe sent when the run ended inside it. When windows overlap (a change
  right after the previous step's end), the earlier step has it: traffic failed before the later
  step's change. One that began between two steps' windows (while the drill ran a check) belongs to
  the next step it reaches. So with both paths down, the step that cut them reports the whole
  outage, and the steps that follow report their lost probes but no outage of their own.
- **its paths**: before, during and after its change, from the replies' TTLs (``paths``); a step
  that ends inside an outage that had lost probes by then ended on no path (``none``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hybridnet.agents.agent_io import Record
from hybridnet.drill.analysis.paths import SENDERS, TtlPaths
from hybridnet.drill.analysis.streams import http_figures
from hybridnet.drill.analysis.timeline import (
    DirectionTimeline,
    Gap,
    Span,
    build_timeline,
    median_rtt_ms,
    segment_paths,
)
from hybridnet.drill.result import Direction, Outage, PathLabel, PathMtuResult, PathSegment, StepResult, UdpFigures

if TYPE_CHECKING:
    from hybridnet.drill.scenario import Step

LEAD_IN_S = 0.3


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

    def holds(self, t_ns: int) -> bool:
        return self.analysed_from_ns <= t_ns < self.end_ns


def owner(onset_ns: int, end_ns: int, windows: Sequence[StepWindow]) -> int | None:
    """The index of the step an outage that began at ``onset_ns`` and ended at ``end_ns`` belongs
    to (see the module's docstring); None if it began and ended outside every step."""
    for index, window in enumerate(windows):
        if window.holds(onset_ns):
            return index
    for index, window in enumerate(windows):
        if onset_ns < window.analysed_from_ns < end_ns:
            return index
    return None


@dataclass(frozen=True)
class Owned:
    """What of the run's outages belongs to one step in one direction."""

    outages: tuple[Gap, ...] = ()
    request_gaps: tuple[Span, ...] = ()
    reply_gaps: tuple[Span, ...] = ()


def owned_by_step(line: DirectionTimeline, windows: Sequence[StepWindow]) -> list[Owned]:
    """Each step's share of one direction's outages: the outages by their onset; the reflector's
    request and reply outages by their start (the same instant, on the reflector's side)."""
    shares: list[dict[str, list]] = [{"outages": [], "request_gaps": [], "reply_gaps": []} for _ in windows]
    for gap in line.gaps:
        index = owner(gap.onset_ns, gap.end_ns, windows)
        if index is not None:
            shares[index]["outages"].append(gap)
    for kind, spans in (("request_gaps", line.request_gaps), ("reply_gaps", line.reply_gaps)):
        for span in spans:
            index = owner(span.start_ns, span.end_ns, windows)
            if index is not None:
                shares[index][kind].append(span)
    return [Owned(**{kind: tuple(items) for kind, items in share.items()}) for share in shares]


def paths_around(segments: Sequence[PathSegment], black_holes: Sequence[Outage],
                 change_s: float) -> tuple[PathLabel, PathLabel, PathLabel]:
    """(before, during, after) a fault or restore made at ``change_s``.

    *before* is the path of the last reply before the change (or of the first reply, for a step
    that opens at its change), *after* the path at the end of the step. *during* is ``"none"``
    when traffic was black-holed (an outage that lost probes) between the change and the first
    reply on the final path, otherwise the path(s) that carried it meanwhile.
    """
    if not segments:
        return "none", "none", "none"
    earlier = [s for s in segments if s.start_s < change_s]
    before = earlier[-1].path if earlier else segments[0].path  # a step that opens at its change
    after = segments[-1].path
    settled_s = segments[-1].start_s  # first reply of the final run on the final path
    if settled_s <= change_s:  # the path did not change after the fault
        return before, "none" if any(o.end_s > change_s for o in black_holes) else after, after
    if any(o.end_s > change_s and o.start_s < settled_s for o in black_holes):
        return before, "none", after
    window = [s.path for s in segments if s.end_s >= change_s and s.start_s < settled_s]
    return before, "+".join(dict.fromkeys(window)) if window else before, after


def _outage(line: DirectionTimeline, gap: Gap) -> Outage:
    return Outage(start_s=line.s(gap.start_ns), end_s=line.s(gap.end_ns), lost=gap.lost)


def _loss_split(line: DirectionTimeline, lost: set[int]) -> tuple[int, int, int]:
    """(request_lost, reply_lost, unattributed) of a step's lost probes.

    A group of consecutive losses wholly in the step keeps its split. Part of a group that crosses
    the step's edge keeps it only when the whole group died one way; otherwise which of its probes
    reached the reflector is not known, and that part is unattributed.
    """
    request = reply = unattributed = 0
    for group in line.loss_groups:
        inside = sum(1 for seq in group.seqs if seq in lost)
        if not inside:
            continue
        if inside == len(group.seqs):
            request, reply, unattributed = (request + group.request_lost, reply + group.reply_lost,
                                            unattributed + group.unattributed)
        elif group.request_lost == len(group.seqs):
            request += inside
        elif group.reply_lost == len(group.seqs):
            reply += inside
        else:
            unattributed += inside
    return request, reply, unattributed


def udp_figures(line: DirectionTimeline, window: StepWindow, owned: Owned) -> UdpFigures:
    """The step's UDP figures: its probes' counts, and the outages that belong to it."""
    start_ns, end_ns = window.analysed_from_ns, window.end_ns
    seqs = line.seqs_sent_between(start_ns, end_ns)
    replies = [line.reply_of[seq] for seq in seqs if seq in line.reply_of]
    lost = {seq for seq in seqs if seq not in line.reply_of}
    request_lost, reply_lost, unattributed = _loss_split(line, lost)
    outages = tuple(sorted((_outage(line, gap) for gap in owned.outages), key=lambda o: o.start_s))
    return UdpFigures(
        sent=len(seqs), received=len(replies), lost=len(lost), request_lost=request_lost, reply_lost=reply_lost,
        lost_unattributed=unattributed,
        duplicated=sum(1 for seq in line.duplicate_seqs if start_ns <= line.reply_of[seq].sent_ns < end_ns),
        reordered=sum(1 for r in replies if r.seq in line.reordered_seqs),
        outage_ms=max((o.outage_ms for o in outages), default=0.0),
        request_outage_ms=max((span.ms for span in owned.request_gaps), default=0.0),
        reply_outage_ms=max((span.ms for span in owned.reply_gaps), default=0.0),
        outages=outages, rtt_ms_median=median_rtt_ms(sorted(replies, key=lambda r: r.sent_ns)))


def ended_in_outage(line: DirectionTimeline, end_ns: int) -> bool:
    """True when an outage was going on at ``end_ns`` and had lost probes by then (a mere stall of
    the replies, with nothing lost, does not count)."""
    return any(gap.start_ns < end_ns < gap.end_ns and line.lost_sent_between(gap.start_ns, end_ns)
               for gap in line.gaps)


def step_paths(line: DirectionTimeline, window: StepWindow,
               segments: Sequence[PathSegment]) -> tuple[PathLabel, PathLabel, PathLabel]:
    start_ns, end_ns = window.analysed_from_ns, window.end_ns
    black_holes = [_outage(line, gap) for gap in line.gaps
                   if gap.lost and gap.start_ns < end_ns and gap.end_ns > start_ns]
    before, during, after = paths_around(segments, black_holes, line.s(window.change_ns or window.start_ns))
    if ended_in_outage(line, end_ns):
        after = "none"  # nothing carried traffic when the step ended
    return before, during, after


def step_result(line: DirectionTimeline, window: StepWindow, owned: Owned, *, fault_title: str = "",
                http: Sequence[Record] = ()) -> StepResult:
    """One step in one direction; ``owned``: the run's outages that belong to it."""
    start_ns, end_ns = window.analysed_from_ns, window.end_ns
    samples = [line.sample(line.reply_of[seq]) for seq in line.seqs_sent_between(start_ns, end_ns)
               if seq in line.reply_of]
    segments = segment_paths(samples)
    before, during, after = step_paths(line, window, segments)
    outbound = line.direction == "onprem-to-vnet"
    requests = [r for r in http if start_ns <= int(r.get("t_ns", 0)) < end_ns]
    return StepResult(
        name=window.step.name, direction=line.direction, udp=udp_figures(line, window, owned),
        path_before=before, path_during=during, path_after=after, expected_path=window.step.expected_path,
        http=http_figures(requests) if outbound and requests else None,
        path_mtu=(window.path_mtu,) if outbound and window.path_mtu else (), segments=segments,
        fault=fault_title if window.step.action == "apply" else "", start_s=line.s(start_ns),
        end_s=line.s(end_ns))


def step_results(windows: Sequence[StepWindow], records: Mapping[str, list[Record]], origin_ns: int,
                 ttl_paths: TtlPaths, fault_title: str,
                 interval_ms: float) -> tuple[list[StepResult], dict[Direction, DirectionTimeline]]:
    """One StepResult per step and direction, and the whole run's timeline per direction."""
    timeline = build_timeline(records, SENDERS, origin_ns=origin_ns, path_of=ttl_paths.path_of,
                              interval_ms=interval_ms)
    owned = {direction: owned_by_step(line, windows) for direction, line in timeline.directions.items()}
    steps = [step_result(line, window, owned[direction][index], fault_title=fault_title, http=records.get("http", []))
             for index, window in enumerate(windows) for direction, line in timeline.directions.items()]
    return steps, timeline.directions
