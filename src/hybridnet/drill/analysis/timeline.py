"""One pass over a drill run's probe records: per direction, every reply, gap and loss on one axis.

The drill runs one UDP sender per direction for its whole length; the steps are windows of that
run. So the records are read once, here, into a ``Timeline`` (what happened, when), and each step's
figures are a slice of it (``steps``): nothing is measured twice, and an outage that crosses a step
boundary is one outage, not two halves.

Definitions (the report and docs/drill-report.md use the same words):

- **outage** — a gap between two consecutive first-reply arrivals (sender's monotonic clock)
  longer than the threshold (3 × the probe interval); its length is last-reply-before to
  first-reply-after. One that never ended (the run stopped inside it) runs from the last reply to
  the last probe sent; with no reply at all, from the first probe sent to the last. Its *onset* is
  when the first probe after the last reply before was sent: when traffic started failing.
- **lost** — probes sent but never answered. Split, from what the reflector echoes, into
  ``request_lost`` (the reflector never saw it) and ``reply_lost`` (it answered, the answer died);
  what cannot be split (the reflector restarted, the run ended in the gap) is unattributed.
- **request outage** — a gap between two requests the reflector received (its clock) longer than
  the threshold; **reply outage** — a span of the reflector's clock between two delivered replies
  whose answers in between were all lost.
- **duplicated** — extra replies for a sequence number; **reordered** — first replies arriving
  after a higher sequence number's.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from hybridnet.agents.agent_io import Record
from hybridnet.drill.result import Direction, PathLabel, PathSegment, ProbeSample

DEFAULT_INTERVAL_MS = 10.0
OUTAGE_INTERVALS = 3
"""A gap longer than this many probe intervals is an outage; shorter ones are jitter."""


@dataclass(frozen=True)
class Reply:
    """The first reply to one probe, with what the reflector echoed and the path its TTLs name."""

    seq: int
    sent_ns: int
    recv_ns: int
    reflector_recv_ns: int
    prev_recv_ns: int
    reflector_id: int
    received_total: int
    path: PathLabel


@dataclass(frozen=True)
class Gap:
    """An outage of the whole run, in nanoseconds of the drill's clock."""

    start_ns: int
    """The last reply before it arrived (or, with no reply at all, the first probe was sent)."""
    end_ns: int
    """The first reply after it arrived (or, if it never ended, the last probe was sent)."""
    onset_ns: int
    """The first probe after the last reply before was sent: when traffic started failing."""
    lost: int
    """Probes sent from shortly before it (still in flight) until its end, never answered."""


@dataclass(frozen=True, order=True)
class Span:
    """A gap on the reflector's clock (the same monotonic clock: one machine)."""

    start_ns: int
    end_ns: int

    @property
    def ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


@dataclass(frozen=True)
class LossGroup:
    """Consecutive lost probes between two answered ones, split by the reflector's counter.

    Between answered probes a < b of one reflector it received ``total_b - total_a - 1`` other
    requests: as many of the lost ones reached it (their reply died), the rest did not. Which ones
    is not known, only how many; a group after the last reply, or across a reflector restart,
    cannot be split at all.
    """

    seqs: tuple[int, ...]
    request_lost: int
    reply_lost: int

    @property
    def unattributed(self) -> int:
        return len(self.seqs) - self.request_lost - self.reply_lost


@dataclass(frozen=True)
class DirectionTimeline:
    """One direction's probes over the whole run."""

    direction: Direction
    origin_ns: int
    threshold_ns: int
    sent_ns: tuple[int, ...]
    """Send times, sorted; ``seqs[i]`` was sent at ``sent_ns[i]``."""
    seqs: tuple[int, ...]
    replies: tuple[Reply, ...]
    """First replies, in order of arrival."""
    reply_of: dict[int, Reply]
    duplicate_seqs: tuple[int, ...]
    reordered_seqs: frozenset[int]
    gaps: tuple[Gap, ...]
    request_gaps: tuple[Span, ...]
    """Request outages: the reflector received nothing for longer than the threshold."""
    reply_gaps: tuple[Span, ...]
    """Reply outages: every reply the reflector sent in that span was lost."""
    loss_groups: tuple[LossGroup, ...]

    def s(self, t_ns: int) -> float:
        """Seconds since the drill's origin."""
        return (t_ns - self.origin_ns) / 1e9

    @property
    def samples(self) -> tuple[ProbeSample, ...]:
        """Every answered probe, by send time, for the timeline picture."""
        return tuple(self.sample(r) for r in sorted(self.replies, key=lambda r: r.sent_ns))

    @property
    def lost_at_s(self) -> tuple[float, ...]:
        """Send times of the probes never answered."""
        return tuple(self.s(t) for t, seq in zip(self.sent_ns, self.seqs, strict=True) if seq not in self.reply_of)

    def sample(self, reply: Reply) -> ProbeSample:
        return ProbeSample(t_s=self.s(reply.sent_ns), seq=reply.seq, rtt_ms=(reply.recv_ns - reply.sent_ns) / 1e6,
                           path=reply.path, direction=self.direction)

    def seqs_sent_between(self, start_ns: int, end_ns: int) -> tuple[int, ...]:
        """Probes sent in [start_ns, end_ns)."""
        return self.seqs[bisect_left(self.sent_ns, start_ns):bisect_left(self.sent_ns, end_ns)]

    def lost_sent_between(self, start_ns: int, end_ns: int) -> int:
        return sum(1 for seq in self.seqs_sent_between(start_ns, end_ns) if seq not in self.reply_of)


@dataclass(frozen=True)
class Timeline:
    """Both directions of one run."""

    directions: dict[Direction, DirectionTimeline]

    def __getitem__(self, direction: Direction) -> DirectionTimeline:
        return self.directions[direction]


def interval_ms_of(records: Iterable[Record], default: float = DEFAULT_INTERVAL_MS) -> float:
    """The sender's probe interval, as its summary (or ready record) states it."""
    interval = None
    for record in records:
        if record.get("kind") in ("summary", "ready") and "interval_ms" in record:
            interval = float(record["interval_ms"])
            if record["kind"] == "summary":
                break
    return interval if interval is not None else default


def direction_timeline(records: Sequence[Record], *, origin_ns: int, direction: Direction,
                       path_of: Callable[[Record], PathLabel], outage_threshold_ms: float | None = None,
                       interval_ms: float = DEFAULT_INTERVAL_MS) -> DirectionTimeline:
    """Read one sender's records (in any order) into its timeline; ``interval_ms`` is the probe
    interval when the records do not state it."""
    sent: dict[int, int] = {}
    arrivals: list[Record] = []
    for record in records:
        kind = record.get("kind")
        if kind == "sent":
            sent[int(record["seq"])] = int(record["sent_ns"])
        elif kind == "reply":
            arrivals.append(record)
    threshold_ms = (outage_threshold_ms if outage_threshold_ms is not None
                    else OUTAGE_INTERVALS * interval_ms_of(records, interval_ms))
    threshold_ns = int(threshold_ms * 1e6)
    arrivals.sort(key=lambda r: int(r["recv_ns"]))

    replies: list[Reply] = []
    reply_of: dict[int, Reply] = {}
    duplicates: list[int] = []
    reordered: set[int] = set()
    highest = -1
    for record in arrivals:
        seq = int(record["seq"])
        if seq in reply_of:
            duplicates.append(seq)
            continue
        reply = Reply(seq=seq, sent_ns=int(record["sent_ns"]), recv_ns=int(record["recv_ns"]),
                      reflector_recv_ns=int(record["reflector_recv_ns"]), prev_recv_ns=int(record["prev_recv_ns"]),
                      reflector_id=int(record["reflector_id"]), received_total=int(record["received_total"]),
                      path=path_of(record))
        reply_of[seq] = reply
        replies.append(reply)
        if seq < highest:
            reordered.add(seq)
        highest = max(highest, seq)

    order = sorted(sent.items(), key=lambda item: (item[1], item[0]))
    seqs = tuple(seq for seq, _ in order)
    sent_ns = tuple(t for _, t in order)
    unanswered_sent_ns = sorted(t for seq, t in sent.items() if seq not in reply_of)
    return DirectionTimeline(
        direction=direction, origin_ns=origin_ns, threshold_ns=threshold_ns, sent_ns=sent_ns, seqs=seqs,
        replies=tuple(replies), reply_of=reply_of, duplicate_seqs=tuple(duplicates),
        reordered_seqs=frozenset(reordered),
        gaps=tuple(_gaps(replies, sent, unanswered_sent_ns, threshold_ns)),
        request_gaps=tuple(request_gaps(replies, threshold_ns)), reply_gaps=tuple(reply_gaps(replies, threshold_ns)),
        loss_groups=tuple(_loss_groups(replies, sent, reply_of)))


def _gaps(replies: list[Reply], sent: dict[int, int], unanswered_sent_ns: list[int],
          threshold_ns: int) -> list[Gap]:
    if not sent:
        return []
    if not replies:  # nothing ever came back: the whole run is one outage
        first, last = min(sent.values()), max(sent.values())
        return [Gap(first, last, first, len(unanswered_sent_ns))]
    # The first probe after each reply, by sequence number (for the onsets), from one sorted list.
    by_seq = sorted(sent.items())
    seq_keys = [seq for seq, _ in by_seq]

    def onset(after: Reply) -> int:  # sequence numbers are sent in order: the next one is the first after
        index = bisect_right(seq_keys, after.seq)
        return by_seq[index][1] if index < len(by_seq) else after.recv_ns

    gaps: list[Gap] = []
    for before, after in pairwise(replies):
        if after.recv_ns - before.recv_ns > threshold_ns:
            # Probes sent from shortly before the last reply (still in flight then) until the first one after.
            lost = (bisect_left(unanswered_sent_ns, after.recv_ns)
                    - bisect_left(unanswered_sent_ns, before.recv_ns - threshold_ns))
            gaps.append(Gap(before.recv_ns, after.recv_ns, onset(before), lost))
    last_reply = replies[-1]
    last_sent_ns = max(sent.values())
    last_answered_sent_ns = max(r.sent_ns for r in replies)
    trailing = len(unanswered_sent_ns) - bisect_right(unanswered_sent_ns, last_answered_sent_ns)
    if trailing and last_sent_ns - last_reply.recv_ns > threshold_ns:  # the run ended inside it
        gaps.append(Gap(last_reply.recv_ns, last_sent_ns, onset(last_reply), trailing))
    return gaps


def _loss_groups(replies: list[Reply], sent: dict[int, int], reply_of: dict[int, Reply]) -> list[LossGroup]:
    by_seq = sorted(replies, key=lambda r: r.seq)
    lost_seqs = sorted(seq for seq in sent if seq not in reply_of)
    groups: list[LossGroup] = []
    previous: Reply | None = None
    for reply in by_seq:
        low = previous.seq if previous is not None else -1
        missing = tuple(lost_seqs[bisect_right(lost_seqs, low):bisect_left(lost_seqs, reply.seq)])
        if missing:
            if previous is None:
                received_between: int | None = reply.received_total - 1
            elif previous.reflector_id == reply.reflector_id:
                received_between = reply.received_total - previous.received_total - 1
            else:
                received_between = None  # the reflector restarted: its counter began again
            if received_between is None:
                groups.append(LossGroup(missing, 0, 0))
            else:
                received_between = min(max(received_between, 0), len(missing))
                groups.append(LossGroup(missing, len(missing) - received_between, received_between))
        previous = reply
    after_last = tuple(lost_seqs[bisect_right(lost_seqs, previous.seq if previous else -1):])
    if after_last:
        groups.append(LossGroup(after_last, 0, 0))  # no reply after them: nothing to split by
    return groups


def build_timeline(records: Mapping[str, list[Record]], senders: Mapping[Direction, str], *, origin_ns: int,
                   path_of: Callable[[Direction], Callable[[Record], PathLabel]],
                   interval_ms: float = DEFAULT_INTERVAL_MS) -> Timeline:
    """Both directions' timelines from the run's records (``senders[direction]`` names the agent)."""
    return Timeline({direction: direction_timeline(records.get(sender, []), origin_ns=origin_ns,
                                                   direction=direction, path_of=path_of(direction),
                                                   interval_ms=interval_ms)
                     for direction, sender in senders.items()})


def request_gaps(replies: Iterable[Reply], threshold_ns: int) -> list[Span]:
    """Gaps the reflector saw between two requests (its receive clock), from each reply's echo."""
    return sorted(Span(r.prev_recv_ns, r.reflector_recv_ns) for r in replies
                  if r.prev_recv_ns > 0 and r.reflector_recv_ns - r.prev_recv_ns > threshold_ns)


def reply_gaps(replies: Iterable[Reply], threshold_ns: int) -> list[Span]:
    """Spans of the reflector's clock whose replies were all lost, between delivered ones.

    Each spans from the reflector answering a delivered probe to answering the next delivered one,
    when it did answer something in between; a forward gap inside that span is included.
    """
    spans = []
    for a, b in pairwise(sorted(replies, key=lambda r: r.seq)):
        if a.reflector_id != b.reflector_id:
            continue
        replied_in_between = b.received_total - a.received_total - 1
        if replied_in_between > 0 and b.reflector_recv_ns - a.reflector_recv_ns > threshold_ns:
            spans.append(Span(a.reflector_recv_ns, b.reflector_recv_ns))
    return sorted(spans)


def median_rtt_ms(replies: Sequence[Reply]) -> float | None:
    return statistics.median((r.recv_ns - r.sent_ns) / 1e6 for r in replies) if replies else None


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
