"""The run's timeline on constructed records: which way probes died, how long, and on which path."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from hybridnet.drill.analysis.paths import TtlPaths
from hybridnet.drill.analysis.steps import paths_around
from hybridnet.drill.analysis.timeline import segment_paths
from hybridnet.drill.result import Outage, PathSegment, ProbeSample, StepResult
from tests.unit.drill.analysis.simulated import analyse_whole

MS = 1_000_000
ER_TTL, VPN_TTL = 59, 60  # five routers over ExpressRoute, four over the VPN (see analysis.paths)
PATHS = TtlPaths({("onprem-to-vnet", ER_TTL): "ExpressRoute", ("onprem-to-vnet", VPN_TTL): "VPN",
                  ("vnet-to-onprem", ER_TTL): "ExpressRoute", ("vnet-to-onprem", VPN_TTL): "VPN"})


@dataclass
class SimulatedProbe:
    """Builds sender records the way udp_probe's sender and reflector would write them."""

    interval_ms: float = 10.0
    one_way_ms: float = 1.0
    request_drops: set[int] = field(default_factory=set)
    reply_drops: set[int] = field(default_factory=set)
    vpn_from: int | None = None
    reflector_restart_at: int | None = None

    def records(self, count: int) -> list[dict]:
        records: list[dict] = []
        received_total = 0
        previous_recv = 0
        reflector_id = 1
        for seq in range(count):
            sent_ns = int(seq * self.interval_ms * MS)
            records.append({"kind": "sent", "seq": seq, "sent_ns": sent_ns})
            if self.reflector_restart_at is not None and seq == self.reflector_restart_at:
                reflector_id, received_total, previous_recv = 2, 0, 0
            if seq in self.request_drops:
                continue
            recv_ns = sent_ns + int(self.one_way_ms * MS)
            received_total += 1
            ttl = VPN_TTL if self.vpn_from is not None and seq >= self.vpn_from else ER_TTL
            reply = {"kind": "reply", "seq": seq, "sent_ns": sent_ns,
                     "recv_ns": recv_ns + int(self.one_way_ms * MS), "reflector_recv_ns": recv_ns,
                     "request_ttl": ttl, "reply_ttl": ttl, "reflector_id": reflector_id,
                     "received_total": received_total, "prev_recv_ns": previous_recv}
            previous_recv = recv_ns
            if seq not in self.reply_drops:
                records.append(reply)
        records.append({"kind": "summary", "role": "udp-sender", "sent": count,
                        "interval_ms": self.interval_ms})
        return records


def analyse(records: list[dict], threshold_ms: float | None = None) -> StepResult:
    return analyse_whole(records, path_of=PATHS.path_of("onprem-to-vnet"), threshold_ms=threshold_ms)[0]


def test_a_clean_run_has_no_outage_and_no_loss() -> None:
    figures = analyse(SimulatedProbe().records(100)).udp
    assert (figures.sent, figures.received, figures.lost, figures.outage_ms) == (100, 100, 0, 0.0)
    assert figures.rtt_ms_median == pytest.approx(2.0)


def test_lost_requests_are_told_apart_from_lost_replies() -> None:
    probe = SimulatedProbe(request_drops=set(range(10, 20)), reply_drops=set(range(40, 45)))
    figures = analyse(probe.records(100)).udp
    assert figures.lost == 15
    assert (figures.request_lost, figures.reply_lost, figures.lost_unattributed) == (10, 5, 0)
    # last reply before (seq 9) to first reply after (seq 20): 11 intervals
    assert figures.outage_ms == pytest.approx(110.0)
    assert figures.request_outage_ms == pytest.approx(110.0)  # the reflector saw 9 then 20
    assert figures.reply_outage_ms == pytest.approx(60.0)  # it answered 39 .. 45; 40-44 died on the way back
    assert [o.lost for o in figures.outages] == [10, 5]


def test_loss_across_a_reflector_restart_is_not_attributed() -> None:
    probe = SimulatedProbe(request_drops=set(range(30, 40)), reflector_restart_at=35)
    figures = analyse(probe.records(80)).udp
    assert figures.lost == 10
    assert figures.lost_unattributed == 10
    assert figures.request_lost == figures.reply_lost == 0


def test_duplicates_and_reordering_are_counted() -> None:
    records = SimulatedProbe().records(20)
    replies = [r for r in records if r["kind"] == "reply"]
    duplicate = dict(replies[5], recv_ns=replies[5]["recv_ns"] + 3 * MS)
    late = next(r for r in replies if r["seq"] == 8)
    late["recv_ns"] += 25 * MS  # arrives after 9, 10 and 11
    figures = analyse([*records, duplicate]).udp
    assert figures.duplicated == 1
    assert figures.reordered == 1
    assert figures.lost == 0


def test_jitter_below_the_threshold_is_not_an_outage() -> None:
    records = SimulatedProbe().records(50)
    for reply in (r for r in records if r["kind"] == "reply" and r["seq"] >= 20):
        reply["recv_ns"] += 15 * MS  # the path got 15 ms longer: one 25 ms gap between 19 and 20
    assert analyse(records).udp.outage_ms == 0.0  # 25 ms < 3 × 10 ms
    assert analyse(records, threshold_ms=20.0).udp.outage_ms == pytest.approx(25.0)


def test_replies_are_labelled_by_ttl_and_segmented_by_path() -> None:
    probe = SimulatedProbe(request_drops=set(range(50, 60)), vpn_from=60)
    step = analyse(probe.records(100))
    assert [(s.path, s.replies) for s in step.segments] == [("ExpressRoute", 50), ("VPN", 40)]
    before, during, after = paths_around(step.segments, step.udp.outages, change_s=0.5)
    assert (before, during, after) == ("ExpressRoute", "none", "VPN")


def test_failback_without_loss_keeps_the_old_path_during_the_change() -> None:
    samples = [ProbeSample(t_s=i / 100, seq=i, rtt_ms=1.0, path="VPN" if i < 60 else "ExpressRoute",
                           direction="onprem-to-vnet") for i in range(100)]
    assert paths_around(segment_paths(samples), [], change_s=0.4) == ("VPN", "VPN", "ExpressRoute")


def test_fault_that_does_not_move_traffic_keeps_the_path() -> None:
    segments = [PathSegment("ExpressRoute", 0.0, 2.0, 200)]
    assert paths_around(segments, [], change_s=1.0) == ("ExpressRoute", "ExpressRoute", "ExpressRoute")
    outage = Outage(start_s=1.0, end_s=1.5, lost=50)
    assert paths_around(segments, [outage], change_s=1.0)[1] == "none"


def test_a_stall_without_loss_is_an_outage_but_not_a_black_hole() -> None:
    segments = [PathSegment("VPN", 0.0, 2.0, 200)]
    stall = Outage(start_s=1.0, end_s=1.07, lost=0)
    assert stall.outage_ms == pytest.approx(70.0)
    assert paths_around(segments, [], change_s=0.0) == ("VPN", "VPN", "VPN")  # stalls are not passed in


def test_the_timeline_keeps_every_reply_and_loss_of_the_run() -> None:
    probe = SimulatedProbe(request_drops=set(range(10, 20)), reply_drops={40}, vpn_from=60)
    records = probe.records(100)
    records.append(dict(next(r for r in records if r["kind"] == "reply" and r["seq"] == 5), recv_ns=999 * MS))
    _, line = analyse_whole(records, path_of=PATHS.path_of("onprem-to-vnet"))
    assert len(line.replies) == 89 and line.duplicate_seqs == (5,)
    assert line.lost_at_s == tuple(seq / 100 for seq in [*range(10, 20), 40])
    assert [(gap.lost, gap.onset_ns) for gap in line.gaps] == [(10, 10 * 10 * MS)]  # 40 alone is jitter
    assert [(g.seqs, g.request_lost, g.reply_lost) for g in line.loss_groups] == [
        (tuple(range(10, 20)), 10, 0), ((40,), 0, 1)]
    assert {s.path for s in line.samples} == {"ExpressRoute", "VPN"}
