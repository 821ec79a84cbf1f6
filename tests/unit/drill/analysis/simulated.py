"""Simulated drill runs: probe records as the probe agents write them, for a network whose paths
(or black holes) at each instant are given per direction.

A realistic stand-in for a recorded run of the reference lab, so the analysis can be checked on
every shape a drill meets: a hard cut, a gray failure with an asymmetric moment, a failback
without loss, an outage spanning steps, one that never ends. TTLs are what the reference lab
shows: a probe crosses five routers over ExpressRoute (on-prem core, edge, MSEE, ExpressRoute
gateway, VNet fabric) and four over the VPN (core, VPN appliance, VPN gateway, fabric), from 64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hybridnet.drill.analysis.steps import StepWindow, owned_by_step, step_result
from hybridnet.drill.analysis.timeline import DirectionTimeline, direction_timeline
from hybridnet.drill.result import StepResult
from hybridnet.drill.scenario import Step

MS = 1_000_000
S = 1_000_000_000
ORIGIN_NS = 7 * S
"""The drill's clock origin: monotonic time, not zero, as in a real run."""
ROUTERS = {"ExpressRoute": 5, "VPN": 4}
TTL = {path: 64 - routers for path, routers in ROUTERS.items()}
ONE_WAY_MS = {"ExpressRoute": 1.0, "VPN": 2.5}

PathAt = Callable[[float], str | None]
"""The path a packet sent at t (seconds since the origin) takes one way; None drops it."""


@dataclass
class Direction:
    """One sender → reflector → sender loop: ``request`` is the way out, ``reply`` the way back."""

    request: PathAt
    reply: PathAt
    stalls: tuple[tuple[float, float], ...] = ()
    """(from, to): the reflector is paused; requests arriving meanwhile are answered at ``to``."""
    duplicates: tuple[int, ...] = ()
    late: dict[int, float] = field(default_factory=dict)
    """seq → extra ms its reply takes (reordering)."""


def sender_records(direction: Direction, *, start_s: float, stop_s: float, interval_ms: float = 10.0,
                   reflector_id: int = 11) -> list[dict]:
    """What ``udp-send`` writes: a ready record, sent/reply records, the summary."""
    records: list[dict] = [{"kind": "ready", "role": "udp-sender", "interval_ms": interval_ms}]
    received_total, previous_recv = 0, 0
    replies: list[dict] = []
    seq = 0
    while True:
        sent_ns = ORIGIN_NS + int(start_s * S) + int(seq * interval_ms * MS)
        if sent_ns >= ORIGIN_NS + int(stop_s * S):
            break
        records.append({"kind": "sent", "seq": seq, "sent_ns": sent_ns})
        t = (sent_ns - ORIGIN_NS) / S
        out = direction.request(t)
        if out is not None:
            arrive_ns = sent_ns + int(ONE_WAY_MS[out] * MS)
            for stall_from, stall_to in direction.stalls:
                if stall_from <= (arrive_ns - ORIGIN_NS) / S < stall_to:
                    arrive_ns = ORIGIN_NS + int(stall_to * S) + seq % 3 * 10_000
            received_total += 1
            back = direction.reply((arrive_ns - ORIGIN_NS) / S)
            reply = {"kind": "reply", "seq": seq, "sent_ns": sent_ns, "reflector_recv_ns": arrive_ns,
                     "request_ttl": TTL[out], "reflector_id": reflector_id, "received_total": received_total,
                     "prev_recv_ns": previous_recv}
            previous_recv = arrive_ns
            if back is not None:
                recv_ns = arrive_ns + int((ONE_WAY_MS[back] + direction.late.get(seq, 0.0)) * MS)
                replies.append(dict(reply, recv_ns=recv_ns, reply_ttl=TTL[back]))
                if seq in direction.duplicates:
                    replies.append(dict(reply, recv_ns=recv_ns + 3 * MS, reply_ttl=TTL[back]))
        seq += 1
    records += sorted(replies, key=lambda r: r["recv_ns"])
    records.append({"kind": "summary", "role": "udp-sender", "sent": seq, "interval_ms": interval_ms})
    return records


def http_records(ok: Callable[[float], bool], *, start_s: float, stop_s: float,
                 interval_ms: float = 200.0) -> list[dict]:
    records = []
    t = start_s
    while t < stop_s:
        status = 200 if ok(t) else 0
        records.append({"kind": "http", "t_ns": ORIGIN_NS + int(t * S), "status": status,
                        "served_by": "web-vm1" if status == 200 else ""})
        t += interval_ms / 1000.0
    return records


def until(t_s: float, first: str | None, then: str | None) -> PathAt:
    return lambda t: first if t < t_s else then


def spans(*changes: tuple[float, str | None], initial: str | None = "ExpressRoute") -> PathAt:
    """The path from each change time on: ``spans((3.0, None), (3.19, "VPN"))``."""
    def path_at(t: float) -> str | None:
        current = initial
        for at, path in changes:
            if t >= at:
                current = path
        return current
    return path_at


@dataclass(frozen=True)
class WindowSpec:
    """A step as the runner records it (seconds since the origin)."""

    step: Step
    start_s: float
    end_s: float
    change_s: float | None = None
    routes_path: tuple[str, str] = ("ExpressRoute", "ExpressRoute")
    path_mtu: tuple[str, int, int] | None = None


VERIFY_ER = Step("verify over ExpressRoute", "verify", "ExpressRoute", False)
VERIFY_VPN = Step("verify over the VPN", "verify", "VPN", False)


def stop(name: str = "stop the circuit", expected: str = "VPN") -> Step:
    return Step(name, "apply", expected, True)


def restore(name: str = "restore the circuit") -> Step:
    return Step(name, "undo", "ExpressRoute", True)


@dataclass(frozen=True)
class SimulatedRun:
    """Both directions' sender records, the HTTP requester's, and the step windows."""

    name: str
    onprem_to_vnet: Direction
    vnet_to_onprem: Direction
    windows: tuple[WindowSpec, ...]
    stop_s: float
    http_ok: Callable[[float], bool] = lambda _t: True
    fault_title: str = "circuit hard down"

    def records(self) -> dict[str, list[dict]]:
        start = 0.2
        return {"udp-onprem-to-vnet": sender_records(self.onprem_to_vnet, start_s=start, stop_s=self.stop_s),
                "udp-vnet-to-onprem": sender_records(self.vnet_to_onprem, start_s=start + 0.004,
                                                     stop_s=self.stop_s, reflector_id=12),
                "http": http_records(self.http_ok, start_s=start, stop_s=self.stop_s)}


def _both(path: PathAt) -> Direction:
    return Direction(request=path, reply=path)


def hard_cut() -> SimulatedRun:
    """The seed procedure: the circuit stops at 3.0 s, ~190 ms without replies in both directions,
    then the VPN; failback at 8.4 s loses nothing. Step 1 has a duplicate and a late reply, the VPN
    verify a 60 ms reflector stall (late replies, nothing lost)."""
    path = spans((3.0, None), (3.19, "VPN"), (8.4, "ExpressRoute"))
    back = spans((3.0, None), (3.185, "VPN"), (8.43, "ExpressRoute"))
    out = Direction(request=path, reply=back, duplicates=(40,), late={60: 25.0}, stalls=((6.0, 6.06),))
    into = Direction(request=back, reply=path)
    return SimulatedRun(
        "hard cut", out, into,
        (WindowSpec(VERIFY_ER, 0.5, 2.5),
         WindowSpec(stop(), 3.0, 5.0, change_s=3.0, routes_path=("VPN", "VPN")),
         WindowSpec(VERIFY_VPN, 5.2, 7.2, routes_path=("VPN", "VPN"), path_mtu=("VPN", 1372, 1310)),
         WindowSpec(restore(), 8.0, 10.0, change_s=8.0)),
        stop_s=10.3, http_ok=lambda t: not 3.0 <= t < 3.25)


def gray_failure() -> SimulatedRun:
    """A silent drop on the circuit from 3.0 s: BFD notices after ~0.9 s; on-prem moves to the VPN at
    3.95 s, Azure at 4.05 s, so for 100 ms on-prem's probes reach the VNet over the VPN and their
    replies die on ExpressRoute. The drop ends at 8.0 s; on-prem moves back at 8.6 s, Azure at 8.7 s
    (replies over the other path meanwhile), nothing lost."""
    onprem_side = spans((3.0, None), (3.95, "VPN"), (8.6, "ExpressRoute"))
    azure_side = spans((3.0, None), (4.05, "VPN"), (8.7, "ExpressRoute"))
    return SimulatedRun(
        "gray failure", Direction(request=onprem_side, reply=azure_side),
        Direction(request=azure_side, reply=onprem_side),
        (WindowSpec(VERIFY_ER, 0.5, 2.5),
         WindowSpec(stop("drop silently on the circuit"), 3.0, 6.0, change_s=3.0, routes_path=("VPN", "VPN")),
         WindowSpec(VERIFY_VPN, 6.1, 7.6, routes_path=("VPN", "VPN")),
         WindowSpec(restore("end the silent drop"), 8.0, 10.5, change_s=8.0)),
        stop_s=10.8, fault_title="circuit gray failure")


def both_down() -> SimulatedRun:
    """Both paths down from 3.0 s until the restore at 8.0 s (+0.6 s to reconnect): the outage
    spans the fault step, the whole verify step (no reply at all) and part of the restore step."""
    path = spans((3.0, None), (8.6, "ExpressRoute"))
    return SimulatedRun(
        "both down", _both(path), _both(path),
        (WindowSpec(VERIFY_ER, 0.5, 2.5),
         WindowSpec(stop("stop the circuit and the VPN"), 3.0, 5.0, change_s=3.0, routes_path=("none", "none")),
         WindowSpec(VERIFY_VPN, 5.1, 7.1, routes_path=("none", "none")),
         WindowSpec(restore("restore the circuit and the VPN"), 8.0, 10.0, change_s=8.0)),
        stop_s=10.3, http_ok=lambda t: not 3.0 <= t < 8.7, fault_title="circuit and VPN down")


def trailing_outage() -> SimulatedRun:
    """The circuit stops at 3.0 s and nothing ever answers again: the run ends inside the outage."""
    path = spans((3.0, None))
    return SimulatedRun(
        "trailing outage", _both(path), _both(path),
        (WindowSpec(VERIFY_ER, 0.5, 2.5),
         WindowSpec(stop(), 3.0, 5.0, change_s=3.0, routes_path=("none", "none"))),
        stop_s=5.3)


def flapping() -> SimulatedRun:
    """Two cuts in a row, windows back to back (the lead-in of each change overlaps the step
    before): every cut loses ~150 ms, every restore nothing."""
    path = spans((3.0, None), (3.15, "VPN"), (5.0, "ExpressRoute"), (6.4, None), (6.55, "VPN"),
                 (8.3, "ExpressRoute"))
    return SimulatedRun(
        "flapping", _both(path), _both(path),
        (WindowSpec(VERIFY_ER, 0.5, 2.5),
         WindowSpec(Step("cut 1: stop the circuit", "apply", "VPN", True), 3.0, 4.45, change_s=3.0,
                    routes_path=("VPN", "VPN")),
         WindowSpec(Step("cut 1: restore the circuit", "undo", "ExpressRoute", True), 4.5, 6.3,
                    change_s=4.5),
         WindowSpec(Step("cut 2: stop the circuit", "apply", "VPN", True), 6.35, 8.0, change_s=6.35,
                    routes_path=("VPN", "VPN")),
         WindowSpec(Step("cut 2: restore the circuit", "undo", "ExpressRoute", True), 8.05, 9.5,
                    change_s=8.05)),
        stop_s=9.8)


RUNS = (hard_cut, gray_failure, both_down, trailing_outage, flapping)


def analyse_whole(records: list[dict], *, origin_ns: int = 0, direction: str = "onprem-to-vnet",
                  path_of: Callable[[dict], str] = lambda _r: "ExpressRoute",
                  threshold_ms: float | None = None) -> tuple[StepResult, DirectionTimeline]:
    """One sender's whole run as a single step (a verify step: no change inside it)."""
    line = direction_timeline(records, origin_ns=origin_ns, direction=direction,  # type: ignore[arg-type]
                              path_of=path_of, outage_threshold_ms=threshold_ms)
    times = [int(r["sent_ns"]) for r in records if "sent_ns" in r] or [origin_ns]
    window = StepWindow(Step("whole run", "verify", "ExpressRoute", False), start_ns=min(times),
                        end_ns=max(times) + 1)
    return step_result(line, window, owned_by_step(line, [window])[0]), line
