"""A drill run's records become step results, each a slice of the run's timeline: an outage that
spans several steps belongs whole to the step where it started, one that never ended still counts,
and a step that ends in an outage ended on no path."""

from __future__ import annotations

import pytest

from hybridnet.agents.agent_io import Record
from hybridnet.drill.analysis.paths import SENDERS, TtlPaths
from hybridnet.drill.analysis.steps import StepWindow, step_results
from hybridnet.drill.result import StepResult
from hybridnet.drill.scenario import Step

MS = 1_000_000
PATHS = TtlPaths({("onprem-to-vnet", 59): "ExpressRoute", ("vnet-to-onprem", 59): "ExpressRoute"})


def _records(duration_ms: int, *silent: tuple[int, int]) -> list[Record]:
    """A 10 ms probe answered (RTT 1 ms, TTL 59 both ways) except for probes sent in ``silent``."""
    records: list[Record] = [{"kind": "summary", "role": "udp-sender", "interval_ms": 10.0}]
    answered = 0
    for seq, t in enumerate(range(0, duration_ms, 10)):
        records.append({"kind": "sent", "seq": seq, "sent_ns": t * MS})
        if any(a <= t < b for a, b in silent):
            continue
        answered += 1
        records.append({"kind": "reply", "seq": seq, "sent_ns": t * MS, "recv_ns": (t + 1) * MS,
                        "reflector_recv_ns": t * MS, "request_ttl": 59, "reply_ttl": 59, "reflector_id": 1,
                        "received_total": answered, "prev_recv_ns": 0})
    return records


def _windows(*bounds: tuple[str, int, int]) -> list[StepWindow]:
    return [StepWindow(Step(name, "verify", "ExpressRoute", False), start_ns=a * MS, end_ns=b * MS)
            for name, a, b in bounds]


def _run(duration_ms: int, windows: list[StepWindow], *silent: tuple[int, int]) -> dict[str, StepResult]:
    records = {sender: _records(duration_ms, *silent) for sender in SENDERS.values()}
    steps, _ = step_results(windows, records, 0, PATHS, "both down", 10.0)
    assert len(steps) == 2 * len(windows)
    return {s.name: s for s in steps if s.direction == "onprem-to-vnet"}


def test_an_outage_spanning_steps_belongs_whole_to_the_step_where_it_started() -> None:
    windows = _windows(("fault", 0, 2000), ("verify", 2000, 4000), ("restore", 4000, 6000))
    steps = _run(6000, windows, (1000, 5000))
    fault, verify, restore = steps["fault"], steps["verify"], steps["restore"]
    # Last reply at 991 ms (probe of 990), first after at 5001 ms: one outage, reported whole.
    assert [(o.start_s, o.end_s, o.lost) for o in fault.udp.outages] == [(0.991, 5.001, 400)]
    assert fault.outage_ms == pytest.approx(4010.0) and fault.lost == 100
    # The steps it spans report their lost probes, but the outage is not theirs.
    assert verify.udp.outages == () and verify.outage_ms == 0 and verify.lost == 200
    assert restore.udp.outages == () and restore.outage_ms == 0 and restore.lost == 100
    assert fault.path_after == "none" and fault.path_as_expected is False
    assert restore.path_after == "ExpressRoute"


def test_a_window_with_no_reply_ended_on_no_path() -> None:
    windows = _windows(("fault", 0, 2000), ("verify", 2000, 4000), ("restore", 4000, 6000))
    verify = _run(6000, windows, (1000, 5000))["verify"]
    assert (verify.udp.sent, verify.udp.received, verify.udp.rtt_ms_median) == (200, 0, None)
    assert (verify.path_before, verify.path_during, verify.path_after) == ("none", "none", "none")
    assert verify.segments == () and verify.path_as_expected is False
    # Requests lost, as the reflector's counter shows once replies resume: not "reply lost".
    assert (verify.udp.request_lost, verify.udp.reply_lost, verify.udp.lost_unattributed) == (200, 0, 0)


def test_an_outage_that_never_ended_runs_to_the_last_probe_sent() -> None:
    steps = _run(3000, _windows(("fault", 0, 2500)), (2000, 3000))
    fault = steps["fault"]
    assert [(o.start_s, o.end_s, o.lost) for o in fault.udp.outages] == [(1.991, 2.99, 100)]
    assert fault.lost == 50 and fault.udp.lost_unattributed == 50  # no reply after them to split by
    assert fault.path_after == "none"


def test_a_step_black_holed_at_its_end_has_no_path_after_but_a_stall_keeps_it() -> None:
    black_holed = _run(3000, _windows(("step", 0, 1500)), (1200, 2000))["step"]
    assert (black_holed.path_before, black_holed.path_during, black_holed.path_after) == (
        "ExpressRoute", "none", "none")
    records = {sender: _records(1500) for sender in SENDERS.values()}
    for sender in records.values():  # replies to 1000–1290 ms held back until 1300 ms: late, not lost
        for record in sender:
            if record["kind"] == "reply" and 1000 * MS <= record["sent_ns"] < 1300 * MS:
                record["recv_ns"] = 1300 * MS + record["seq"]
    steps, _ = step_results(_windows(("step", 0, 1500)), records, 0, PATHS, "", 10.0)
    stalled = steps[0]
    assert stalled.outage_ms > 200 and stalled.lost == 0
    assert (stalled.path_during, stalled.path_after) == ("ExpressRoute", "ExpressRoute")


def test_an_outage_in_the_overlap_of_two_windows_belongs_to_the_earlier_step() -> None:
    """A restore's window opens LEAD_IN_S before its change, over the end of the step before: an
    outage that began there began before the restore was made."""
    records = {sender: _records(4000, (1900, 2300)) for sender in SENDERS.values()}
    fault = StepWindow(Step("fault", "apply", "VPN", True), start_ns=500 * MS, end_ns=2000 * MS, change_ns=500 * MS)
    restore = StepWindow(Step("restore", "undo", "ExpressRoute", True), start_ns=2100 * MS, end_ns=4000 * MS,
                         change_ns=2100 * MS)
    assert restore.analysed_from_ns == 1800 * MS
    steps, _ = step_results([fault, restore], records, 0, PATHS, "cut", 10.0)
    by_name = {s.name: s for s in steps if s.direction == "onprem-to-vnet"}
    assert [o.lost for o in by_name["fault"].udp.outages] == [40]
    assert by_name["restore"].udp.outages == ()
    assert by_name["fault"].fault == "cut" and by_name["restore"].fault == ""


def test_an_outage_that_began_between_steps_belongs_to_the_next() -> None:
    windows = _windows(("one", 0, 1000), ("two", 1500, 3000))
    steps = _run(3000, windows, (1200, 2000))
    assert steps["one"].udp.outages == ()
    assert [(o.start_s, o.end_s) for o in steps["two"].udp.outages] == [(1.191, 2.001)]


def test_a_clean_run_has_no_outage_and_every_reply_on_expressroute() -> None:
    records = {sender: _records(2000) for sender in SENDERS.values()}
    steps, whole = step_results(_windows(("verify", 0, 2000)), records, 0, PATHS, "", 10.0)
    assert all(s.outage_ms == 0 and s.lost == 0 and s.path_after == "ExpressRoute" for s in steps)
    assert {sample.path for line in whole.values() for sample in line.samples} == {"ExpressRoute"}


def test_ttls_are_calibrated_from_step_one_and_the_routers_each_path_crosses() -> None:
    records = {sender: _records(1000) for sender in SENDERS.values()}
    first = _windows(("verify", 0, 1000))[0]
    first.routes_path = ("ExpressRoute", "ExpressRoute")
    routers = {("onprem-to-vnet", "ExpressRoute"): 5, ("onprem-to-vnet", "VPN"): 4,
               ("vnet-to-onprem", "ExpressRoute"): 5}
    paths = TtlPaths.calibrate(records, first, routers)
    assert paths.label("onprem-to-vnet", 59) == "ExpressRoute"
    assert paths.label("onprem-to-vnet", 60) == "VPN"
    assert paths.label("vnet-to-onprem", 60) == "VPN"  # one router fewer assumed when not yet seen
    assert paths.label("vnet-to-onprem", 58) == "unknown"
    first.routes_path = ("VPN", "VPN")  # step 1 was not on ExpressRoute: its TTLs are not trusted
    assert TtlPaths.calibrate(records, first, routers).label("onprem-to-vnet", 59) == "ExpressRoute"
