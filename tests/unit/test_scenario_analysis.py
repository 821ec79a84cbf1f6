"""A drill run's records become step results: an outage that spans several steps is counted in
each of them, one that never ended still counts, and a step that ends in an outage ended on no path."""

from __future__ import annotations

from hybridnet.drill.probes import Record
from hybridnet.drill.scenario import Step
from hybridnet.drill.step_analysis import SENDERS, StepWindow, TtlPaths, step_results

MS = 1_000_000
PATHS = TtlPaths({("onprem-to-vnet", 59): "ExpressRoute", ("vnet-to-onprem", 59): "ExpressRoute"})


def _records(duration_ms: int, silent: tuple[int, int]) -> list[Record]:
    """A 10 ms probe answered (RTT 1 ms, TTL 59 both ways) except for probes sent in ``silent``."""
    records: list[Record] = [{"kind": "summary", "role": "udp-sender", "interval_ms": 10.0}]
    answered = 0
    for seq, t in enumerate(range(0, duration_ms, 10)):
        records.append({"kind": "sent", "seq": seq, "sent_ns": t * MS})
        if silent[0] <= t < silent[1]:
            continue
        answered += 1
        records.append({"kind": "reply", "seq": seq, "sent_ns": t * MS, "recv_ns": (t + 1) * MS,
                        "reflector_recv_ns": t * MS, "request_ttl": 59, "reply_ttl": 59, "reflector_id": 1,
                        "received_total": answered, "prev_recv_ns": 0})
    return records


def _windows(*bounds: tuple[str, int, int]) -> list[StepWindow]:
    return [StepWindow(Step(name, "verify", "ExpressRoute", False), start_ns=a * MS, end_ns=b * MS)
            for name, a, b in bounds]


def test_an_outage_spanning_steps_counts_in_each() -> None:
    records = {sender: _records(6000, (1000, 5000)) for sender in SENDERS.values()}
    windows = _windows(("fault", 0, 2000), ("verify", 2000, 4000), ("restore", 4000, 6000))
    steps, _ = step_results(windows, records, 0, PATHS, "both down", 10.0)
    outage = {(s.name, s.direction): s.outage_ms for s in steps}
    assert 990 <= outage[("fault", "onprem-to-vnet")] <= 1010  # last reply at 1 ms past 990 → window end
    assert outage[("verify", "onprem-to-vnet")] == 2000  # the whole window, no reply at all
    assert 990 <= outage[("restore", "vnet-to-onprem")] <= 1010
    fault = next(s for s in steps if s.name == "fault")
    assert fault.path_after == "none" and fault.path_as_expected is False
    restore = next(s for s in steps if s.name == "restore")
    assert restore.path_after == "ExpressRoute"


def test_an_outage_that_never_ended_still_counts() -> None:
    records = {sender: _records(3000, (2000, 3000)) for sender in SENDERS.values()}
    steps, _ = step_results(_windows(("fault", 0, 3000)), records, 0, PATHS, "both down", 10.0)
    assert all(980 <= s.outage_ms <= 1000 and s.lost == 100 for s in steps), [s.udp for s in steps]


def test_a_clean_run_has_no_outage_and_every_reply_on_expressroute() -> None:
    records = {sender: _records(2000, (0, 0)) for sender in SENDERS.values()}
    steps, whole = step_results(_windows(("verify", 0, 2000)), records, 0, PATHS, "", 10.0)
    assert all(s.outage_ms == 0 and s.lost == 0 and s.path_after == "ExpressRoute" for s in steps)
    assert {sample.path for analysis in whole.values() for sample in analysis.samples} == {"ExpressRoute"}


def test_ttls_are_calibrated_from_step_one_and_the_routers_each_path_crosses() -> None:
    records = {sender: _records(1000, (0, 0)) for sender in SENDERS.values()}
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
