"""A drill result built the way the drill will build it — sender records through the real analysis —
from a simulated network, for the report tests; and checks that the simulation is what it claims."""

from __future__ import annotations

from collections.abc import Callable

from hybridnet.drill.analysis import StepWindow, TtlPaths, step_results
from hybridnet.drill.analysis.timers import predict_detection
from hybridnet.drill.result import (
    Direction,
    DrillResult,
    Event,
    HttpFigures,
    PathMtuResult,
    TcpStreamResult,
    summarise_repeats,
)
from hybridnet.drill.scenario import Step
from hybridnet.model import default_topology

MS = 1_000_000
ROUTERS = {"ExpressRoute": 5, "VPN": 4}  # the reference lab's paths (see drill.analysis.paths)
ER_TTL = 64 - ROUTERS["ExpressRoute"]
PATHS = TtlPaths.from_routers({(d, p): n for d in ("onprem-to-vnet", "vnet-to-onprem") for p, n in ROUTERS.items()})
# (step, start s, end s, change at s). A fault or restore step is analysed from a little before
# its change, so the last reply before the fault belongs to the step whose outage it bounds.
STEPS = ((Step("verify over ExpressRoute", "verify", "ExpressRoute", False), 0.0, 2.0, None),
         (Step("stop the circuit", "apply", "VPN", True), 2.0, 4.0, 2.0),
         (Step("verify over the VPN", "verify", "VPN", False), 4.0, 5.0, None),
         (Step("restore the circuit", "undo", "ExpressRoute", True), 5.0, 8.0, 5.0))
PathAt = Callable[[float], str | None]


def circuit_stopped_at_2s(detection_s: float) -> PathAt:
    """ExpressRoute until the cut at 2 s, nothing until BFD notices, VPN until failback at 6.2 s."""
    def path_at(t: float) -> str | None:
        if t < 2.0 or t >= 6.2:
            return "ExpressRoute"
        return None if t < 2.0 + detection_s else "VPN"
    return path_at


def simulated_sender_records(path_at: PathAt, duration_s: float = 8.0,
                             interval_ms: float = 10.0) -> list[dict]:
    """Sender records as udp_probe writes them, with the reflector's echo, for a network whose path
    (or black hole) at each instant is ``path_at``."""
    records: list[dict] = []
    received_total, previous_recv = 0, 0
    for seq in range(int(duration_s * 1000 / interval_ms)):
        sent_ns = int(seq * interval_ms * MS)
        records.append({"kind": "sent", "seq": seq, "sent_ns": sent_ns})
        path = path_at(sent_ns / 1e9)
        if path is None:
            continue
        one_way_ns = (1 if path == "ExpressRoute" else 2) * MS
        recv_ns = sent_ns + one_way_ns
        received_total += 1
        ttl = 64 - ROUTERS[path]
        records.append({"kind": "reply", "seq": seq, "sent_ns": sent_ns, "recv_ns": recv_ns + one_way_ns,
                        "reflector_recv_ns": recv_ns, "request_ttl": ttl, "reply_ttl": ttl, "reflector_id": 7,
                        "received_total": received_total, "prev_recv_ns": previous_recv})
        previous_recv = recv_ns
    records.append({"kind": "summary", "role": "udp-sender", "interval_ms": interval_ms})
    return records


def sample_drill(detection_s: tuple[float, float] | float = (0.9, 1.1),
                 max_outage_ms: float | None = 2000.0) -> DrillResult:
    """Both directions through the four steps of the guidance's test, circuit hard down at 2 s."""
    detections = detection_s if isinstance(detection_s, tuple) else (detection_s, detection_s)
    result = DrillResult(topology="ra-hybrid-vpn-er", fault="circuit hard down",
                         started_at="2026-11-25T16:00:00Z", probe_interval_ms=10.0,
                         predictions=predict_detection(default_topology()), max_outage_ms=max_outage_ms)
    directions: tuple[Direction, Direction] = ("onprem-to-vnet", "vnet-to-onprem")
    records = {f"udp-{direction}": simulated_sender_records(circuit_stopped_at_2s(detection))
               for direction, detection in zip(directions, detections, strict=True)}
    windows = [StepWindow(step, start_ns=int(start * 1e9), end_ns=int(end * 1e9),
                          change_ns=None if change is None else int(change * 1e9))
               for step, start, end, change in STEPS]
    windows[2].path_mtu = PathMtuResult("VPN", 1372, 1310)
    records["http"] = [{"kind": "http", "t_ns": t * 200 * MS, "status": 200} for t in range(40)]
    steps, whole = step_results(windows, records, 0, PATHS, "circuit hard down", 10.0)
    result.steps = sorted(steps, key=lambda s: directions.index(s.direction))
    for direction, line in whole.items():
        result.samples.extend(line.samples)
        result.lost_samples.extend((t, direction) for t in line.lost_at_s)
    result.events = [Event(2.0, "fault", "circuit down", "links primary+secondary down", "lab"),
                     Event(2.9, "bfd", "peer down", "172.16.0.2 down (detect timer)", "onprem-ce1"),
                     Event(2.9, "bgp", "session down", "neighbor 172.16.0.2 Down BFD down received",
                           "onprem-ce1"),
                     Event(2.95, "zebra", "route withdrawn", "10.0.0.0/16 via 172.16.0.2", "onprem-core"),
                     Event(2.97, "zebra", "route installed", "10.0.0.0/16 via VPN", "onprem-core"),
                     Event(5.0, "fault", "circuit restored", "", "lab"),
                     Event(6.1, "bgp", "session up", "neighbor 172.16.0.2 Up", "onprem-ce1"),
                     Event(7.5, "child_sa", "rekey", "CHILD_SA azure-vpn{3} rekeyed", "onprem-vpn")]
    result.tcp_stream = TcpStreamResult(bytes_sent=33_554_432, bytes_received=33_554_432, checksum_ok=True,
                                        survived=True)
    return result


def test_the_sample_drill_measures_the_outage_it_simulates() -> None:
    result = sample_drill()
    stop = {s.direction: s for s in result.steps if s.name == "stop the circuit"}
    # From the last reply before the cut (sent 1.99 s, back 2 ms later over ExpressRoute) to the first
    # after (sent 2.90 s / 3.10 s, back 4 ms later over the VPN).
    assert abs(stop["onprem-to-vnet"].outage_ms - 912.0) < 0.01
    assert abs(stop["vnet-to-onprem"].outage_ms - 1112.0) < 0.01
    assert stop["onprem-to-vnet"].lost == 90 and stop["onprem-to-vnet"].udp.request_lost == 90
    assert stop["onprem-to-vnet"].http == HttpFigures(requests=11, ok=11, failed=0)  # 1.8 s … 3.8 s
    paths = (stop["onprem-to-vnet"].path_before, stop["onprem-to-vnet"].path_during,
             stop["onprem-to-vnet"].path_after)
    assert paths == ("ExpressRoute", "none", "VPN")
    restore = next(s for s in result.steps if s.name == "restore the circuit")
    assert (restore.lost, restore.path_before, restore.path_during, restore.path_after) == (
        0, "VPN", "VPN", "ExpressRoute")
    assert result.passed


def test_repeats_summarise_each_step_and_direction() -> None:
    runs = [sample_drill(detection_s=d) for d in (0.5, 0.9, 1.3)]
    stats = {(r.step, r.direction): r for r in summarise_repeats(runs)}
    stop = stats[("stop the circuit", "onprem-to-vnet")]
    assert stop.runs == 3
    assert [round(v, 3) for v in (stop.min_ms, stop.median_ms, stop.max_ms)] == [512.0, 912.0, 1312.0]
    assert stop.p95_ms == stop.max_ms  # nearest rank of 3 values
