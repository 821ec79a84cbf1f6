"""Pure analysis of probe-agent records: outage, loss per direction, and which path replies took.

Definitions (the report and docs/drill-report.md use the same words):

- **outage** — a gap between two consecutive reply arrivals (sender's monotonic clock) longer than
  the threshold (default 3 × the probe interval); its length is last-reply-before to
  first-reply-after. ``outage_ms`` is the longest one, 0 when there is none.
- **lost** — probes sent but never answered. Split, from what the reflector echoes, into
  ``request_lost`` (the reflector never saw it) and ``reply_lost`` (it answered, the answer died);
  what cannot be split (reflector restarted, run ended in the gap) is ``lost_unattributed``.
- **request outage** — the longest gap between two requests the reflector received (its clock);
  **reply outage** — between two delivered replies of requests whose answers in between were lost.
- **duplicated** — extra replies for a sequence number; **reordered** — first replies arriving
  after a higher sequence number's.

The TCP, HTTP, DF-size and MSS helpers live in ``stream_checks`` and ``path_checks``.
"""

from __future__ import annotations

import json
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from hybridnet.drill.result import (
    Direction,
    HttpFigures,
    Outage,
    PathLabel,
    PathMtuResult,
    PathSegment,
    ProbeSample,
    StepResult,
    UdpFigures,
)

Record = dict[str, Any]


def read_records(path: Path | str) -> list[Record]:
    """Every JSON-lines record of an agent's output file; a torn last line (agent killed) is skipped."""
    records: list[Record] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


@dataclass(frozen=True)
class PathByTtl:
    """Names the path from a received IP TTL: over the VPN a packet crosses one more router.

    The drill calibrates ``expressroute_ttl`` from step 1 (traffic known to use ExpressRoute); the
    VPN TTL defaults to one less.
    """

    expressroute_ttl: int
    vpn_ttl: int

    @classmethod
    def calibrated(cls, expressroute_ttl: int, extra_vpn_hops: int = 1) -> PathByTtl:
        return cls(expressroute_ttl=expressroute_ttl, vpn_ttl=expressroute_ttl - extra_vpn_hops)

    def label(self, ttl: int) -> PathLabel:
        if ttl == self.expressroute_ttl:
            return "ExpressRoute"
        if ttl == self.vpn_ttl:
            return "VPN"
        return "unknown"

    def label_reply(self, reply: Record, direction_field: str = "request_ttl") -> PathLabel:
        return self.label(int(reply.get(direction_field, -1)))


@dataclass(frozen=True)
class UdpAnalysis:
    """The figures for the report plus the per-probe samples for the timeline."""

    figures: UdpFigures
    samples: tuple[ProbeSample, ...]
    lost_at_s: tuple[float, ...]
    segments: tuple[PathSegment, ...]


def analyse_udp(records: Iterable[Record], *, origin_ns: int, direction: Direction,
                path_of: Callable[[Record], PathLabel],
                outage_threshold_ms: float | None = None) -> UdpAnalysis:
    """Analyse one sender's records; times in the result are seconds since ``origin_ns``."""
    sent: dict[int, int] = {}
    arrivals: list[Record] = []
    interval_ms = 10.0
    for record in records:
        kind = record.get("kind")
        if kind == "sent":
            sent[int(record["seq"])] = int(record["sent_ns"])
        elif kind == "reply":
            arrivals.append(record)
        elif kind == "summary" and "interval_ms" in record:
            interval_ms = float(record["interval_ms"])
    threshold_ns = int((outage_threshold_ms if outage_threshold_ms is not None else 3 * interval_ms) * 1e6)
    arrivals.sort(key=lambda r: int(r["recv_ns"]))

    first_replies: list[Record] = []
    answered: set[int] = set()
    duplicated = reordered = 0
    highest = -1
    for reply in arrivals:
        seq = int(reply["seq"])
        if seq in answered:
            duplicated += 1
            continue
        answered.add(seq)
        if seq < highest:
            reordered += 1
        highest = max(highest, seq)
        first_replies.append(reply)

    outages = _outages(first_replies, sent, answered, threshold_ns, origin_ns)
    request_lost, reply_lost, unattributed = _split_loss(first_replies, sent, answered)
    samples = tuple(
        ProbeSample(t_s=(int(r["sent_ns"]) - origin_ns) / 1e9, seq=int(r["seq"]),
                    rtt_ms=(int(r["recv_ns"]) - int(r["sent_ns"])) / 1e6, path=path_of(r),
                    direction=direction)
        for r in first_replies)
    lost_at = tuple(sorted((t - origin_ns) / 1e9 for seq, t in sent.items() if seq not in answered))
    figures = UdpFigures(
        sent=len(sent), received=len(answered & sent.keys()), lost=len(lost_at),
        request_lost=request_lost, reply_lost=reply_lost, lost_unattributed=unattributed,
        duplicated=duplicated, reordered=reordered,
        outage_ms=max((o.outage_ms for o in outages), default=0.0),
        request_outage_ms=_request_outage_ms(first_replies, threshold_ns),
        reply_outage_ms=_reply_outage_ms(first_replies, threshold_ns),
        outages=tuple(outages),
        rtt_ms_median=statistics.median(s.rtt_ms for s in samples) if samples else None,
    )
    return UdpAnalysis(figures=figures, samples=samples, lost_at_s=lost_at, segments=segment_paths(samples))


def _outages(first_replies: list[Record], sent: dict[int, int], answered: set[int], threshold_ns: int,
             origin_ns: int) -> list[Outage]:
    outages: list[Outage] = []
    unanswered_sent_ns = sorted(t for seq, t in sent.items() if seq not in answered)
    for before, after in pairwise(first_replies):
        start, end = int(before["recv_ns"]), int(after["recv_ns"])
        if end - start > threshold_ns:
            # Probes sent from shortly before the last reply (still in flight then) until the first one after.
            lost = (bisect_left(unanswered_sent_ns, end)
                    - bisect_left(unanswered_sent_ns, start - threshold_ns))
            outages.append(Outage(start_s=(start - origin_ns) / 1e9, end_s=(end - origin_ns) / 1e9,
                                  lost=lost))
    return outages


def _split_loss(first_replies: list[Record], sent: dict[int, int],
                answered: set[int]) -> tuple[int, int, int]:
    """(request_lost, reply_lost, unattributed) from the reflector's echoed distinct-receive counter.

    Between two answered probes a < b of one reflector, it received ``total_b - total_a - 1`` other
    requests; the unanswered ones it received lost their reply, the rest lost the request.
    """
    by_seq = sorted(first_replies, key=lambda r: int(r["seq"]))
    lost_seqs = sorted(seq for seq in sent if seq not in answered)
    request_lost = reply_lost = 0
    attributed: set[int] = set()
    previous: Record | None = None
    for reply in by_seq:
        seq = int(reply["seq"])
        low = int(previous["seq"]) if previous is not None else -1
        missing = lost_seqs[bisect_right(lost_seqs, low):bisect_left(lost_seqs, seq)]
        if missing:
            if previous is None:
                received_between = int(reply["received_total"]) - 1
            elif previous["reflector_id"] == reply["reflector_id"]:
                received_between = int(reply["received_total"]) - int(previous["received_total"]) - 1
            else:
                received_between = None
            if received_between is not None:
                received_between = min(max(received_between, 0), len(missing))
                reply_lost += received_between
                request_lost += len(missing) - received_between
                attributed.update(missing)
        previous = reply
    return request_lost, reply_lost, len(lost_seqs) - len(attributed)


def _request_outage_ms(first_replies: list[Record], threshold_ns: int) -> float:
    """Longest gap the reflector saw between two requests (its receive clock)."""
    gaps = [int(r["reflector_recv_ns"]) - int(r["prev_recv_ns"])
            for r in first_replies if int(r["prev_recv_ns"]) > 0]
    return max((gap / 1e6 for gap in gaps if gap > threshold_ns), default=0.0)


def _reply_outage_ms(first_replies: list[Record], threshold_ns: int) -> float:
    """Longest span of the reflector's clock whose replies were all lost, between delivered ones.

    It spans from the reflector answering the last delivered probe to answering the next delivered
    one, when it did answer something in between; a forward gap inside that span is included.
    """
    by_seq = sorted(first_replies, key=lambda r: int(r["seq"]))
    longest = 0.0
    for a, b in pairwise(by_seq):
        if a["reflector_id"] != b["reflector_id"]:
            continue
        replied_in_between = int(b["received_total"]) - int(a["received_total"]) - 1
        span = int(b["reflector_recv_ns"]) - int(a["reflector_recv_ns"])
        if replied_in_between > 0 and span > threshold_ns:
            longest = max(longest, span / 1e6)
    return longest


def segment_paths(samples: Sequence[ProbeSample]) -> tuple[PathSegment, ...]:
    """Consecutive replies on the same path, as time spans (send time of first to last)."""
    segments: list[PathSegment] = []
    for sample in sorted(samples, key=lambda s: s.t_s):
        if segments and segments[-1].path == sample.path:
            last = segments[-1]
            segments[-1] = PathSegment(last.path, last.start_s, sample.t_s, last.replies + 1)
        else:
            segments.append(PathSegment(sample.path, sample.t_s, sample.t_s, 1))
    return tuple(segments)


def paths_around(segments: Sequence[PathSegment], outages: Sequence[Outage],
                 change_s: float) -> tuple[PathLabel, PathLabel, PathLabel]:
    """(before, during, after) a fault or restore made at ``change_s``.

    *before* is the path of the last reply before the change (or of the first reply, for a step
    that opens at its change), *after* the path at the end of the step. *during* is ``"none"``
    when traffic was black-holed between the change and the first reply on the final path,
    otherwise the path(s) that carried it meanwhile.
    """
    if not segments:
        return "none", "none", "none"
    earlier = [s for s in segments if s.start_s < change_s]
    before = earlier[-1].path if earlier else segments[0].path  # a step that opens at its change
    after = segments[-1].path
    settled_s = segments[-1].start_s  # first reply of the final run on the final path
    if settled_s <= change_s:  # the path did not change after the fault
        return before, "none" if any(o.end_s > change_s for o in outages) else after, after
    if any(o.end_s > change_s and o.start_s < settled_s for o in outages):
        return before, "none", after
    window = [s.path for s in segments if s.end_s >= change_s and s.start_s < settled_s]
    return before, "+".join(dict.fromkeys(window)) if window else before, after


def combined_path(forward: PathLabel, reverse: PathLabel) -> PathLabel:
    """One label for a round trip; an asymmetric one (out on one gateway, back on the other) shows both."""
    return forward if forward == reverse else f"{forward}/{reverse}"


def records_between(records: Iterable[Record], start_ns: int, end_ns: int) -> list[Record]:
    """The part of one long-running sender's records that belongs to a step: probes *sent* in
    [start_ns, end_ns), with their replies whenever those arrived. The summary is kept (interval).

    Start the window a little before the step's fault (a lead-in of a few hundred ms): an outage is
    measured from the last reply *before* it, and a window that opens on lost probes has none.
    """
    return [r for r in records
            if r.get("kind") == "summary" or ("sent_ns" in r and start_ns <= int(r["sent_ns"]) < end_ns)]


def step_from_analysis(name: str, direction: Direction, analysis: UdpAnalysis, *, change_s: float,
                       start_s: float, end_s: float, expected_path: PathLabel | None = None,
                       fault: str = "", http: HttpFigures | None = None,
                       path_mtu: tuple[PathMtuResult, ...] = ()) -> StepResult:
    """A StepResult for one step and direction whose fault (or restore) was made at ``change_s``."""
    before, during, after = paths_around(analysis.segments, analysis.figures.outages, change_s)
    return StepResult(name=name, direction=direction, udp=analysis.figures, path_before=before,
                      path_during=during, path_after=after, expected_path=expected_path, http=http,
                      path_mtu=path_mtu, segments=analysis.segments, fault=fault, start_s=start_s,
                      end_s=end_s)
