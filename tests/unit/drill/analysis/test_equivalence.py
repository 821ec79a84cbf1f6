"""Regression check: the timeline analysis gives the StepResults the old per-window analysis gave.

``OLD`` was computed by the analysis this package replaced (``drill/probes.py`` +
``drill/step_analysis.py``, commit efafa5d) on the simulated runs of ``simulated.py`` and frozen
here. ``DELIBERATE`` lists, with the reason, every figure where the new analysis differs on
purpose; everything else must be identical.
"""

from __future__ import annotations

from typing import Any

import pytest

from hybridnet.drill.analysis import StepWindow, TtlPaths, step_results
from hybridnet.drill.result import PathMtuResult, StepResult
from tests.unit.drill.analysis.simulated import ORIGIN_NS, ROUTERS, RUNS, S, SimulatedRun

Projection = tuple[Any, ...]
FIELDS = ("name", "direction", "fault", "start_s", "end_s", "expected", "counts", "figures_ms", "outages",
          "paths", "segments", "http", "path_mtu")
"""counts: sent, received, lost, request_lost, reply_lost, lost_unattributed, duplicated, reordered;
figures_ms: outage_ms, request_outage_ms, reply_outage_ms, rtt_ms_median; outages: (start_s, end_s,
lost); paths: before, during, after; segments: (path, start_s, end_s, replies); http: requests, ok,
failed, longest_failure_ms; path_mtu: (path, largest_df_payload, mss_observed)."""


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def project(step: StepResult) -> Projection:
    u = step.udp
    return (step.name, step.direction, step.fault, _r(step.start_s), _r(step.end_s), step.expected_path,
            (u.sent, u.received, u.lost, u.request_lost, u.reply_lost, u.lost_unattributed, u.duplicated,
             u.reordered),
            (_r(u.outage_ms), _r(u.request_outage_ms), _r(u.reply_outage_ms), _r(u.rtt_ms_median)),
            tuple((_r(o.start_s), _r(o.end_s), o.lost) for o in u.outages),
            (step.path_before, step.path_during, step.path_after),
            tuple((g.path, _r(g.start_s), _r(g.end_s), g.replies) for g in step.segments),
            None if step.http is None else (step.http.requests, step.http.ok, step.http.failed,
                                            _r(step.http.longest_failure_ms)),
            tuple((m.path, m.largest_df_payload, m.mss_observed) for m in step.path_mtu))


def analyse(run: SimulatedRun) -> tuple[list[StepResult], dict]:
    """What the runner does after a run: windows as it recorded them, TTLs calibrated, steps."""
    records = run.records()
    windows = []
    for spec in run.windows:
        window = StepWindow(spec.step, start_ns=ORIGIN_NS + int(spec.start_s * S),
                            end_ns=ORIGIN_NS + int(spec.end_s * S),
                            change_ns=None if spec.change_s is None else ORIGIN_NS + int(spec.change_s * S),
                            routes_path=spec.routes_path)
        window.path_mtu = PathMtuResult(*spec.path_mtu) if spec.path_mtu else None
        windows.append(window)
    seen = {path for spec in run.windows for path in spec.routes_path if path in ROUTERS}
    routers = {(d, p): ROUTERS[p] for d in ("onprem-to-vnet", "vnet-to-onprem") for p in seen}
    return step_results(windows, records, ORIGIN_NS, TtlPaths.calibrate(records, windows[0], routers),
                        run.fault_title, 10.0)


OLD: dict[str, list[Projection]] = {
    'hard cut': [
        ('verify over ExpressRoute', 'onprem-to-vnet', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 1, 1),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.5, 2.49, 200),), (10, 10, 0, 0.0), ()),
        ('verify over ExpressRoute', 'vnet-to-onprem', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.504, 2.494, 200),), None, ()),
        ('stop the circuit', 'onprem-to-vnet', 'circuit hard down', 2.7, 5.0, 'VPN', (230, 211, 19, 19, 0, 0, 0, 0),
         (203.0, 201.5, 0.0, 5.0), ((2.992, 3.195, 19),), ('ExpressRoute', 'none', 'VPN'),
         (('ExpressRoute', 2.7, 2.99, 30), ('VPN', 3.19, 4.99, 181)), (11, 9, 2, 400.0), ()),
        ('stop the circuit', 'vnet-to-onprem', 'circuit hard down', 2.7, 5.0, 'VPN', (230, 211, 19, 19, 0, 0, 0, 0),
         (203.0, 201.5, 0.0, 5.0), ((2.996, 3.199, 19),), ('ExpressRoute', 'none', 'VPN'),
         (('ExpressRoute', 2.704, 2.994, 30), ('VPN', 3.194, 4.994, 181)), None, ()),
        ('verify over the VPN', 'onprem-to-vnet', '', 5.2, 7.2, 'VPN', (200, 200, 0, 0, 0, 0, 0, 4),
         (67.5, 67.51, 0.0, 5.0), ((5.995, 6.0625, 0),), ('VPN', 'none', 'VPN'), (('VPN', 5.2, 7.19, 200),),
         (10, 10, 0, 0.0), (('VPN', 1372, 1310),)),
        ('verify over the VPN', 'vnet-to-onprem', '', 5.2, 7.2, 'VPN', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 5.0), (), ('VPN', 'VPN', 'VPN'), (('VPN', 5.204, 7.194, 200),), None, ()),
        ('restore the circuit', 'onprem-to-vnet', '', 7.7, 10.0, 'ExpressRoute', (230, 230, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN+ExpressRoute/VPN', 'ExpressRoute'),
         (('VPN', 7.7, 8.39, 70), ('ExpressRoute/VPN', 8.4, 8.42, 3), ('ExpressRoute', 8.43, 9.99, 157)),
         (12, 12, 0, 0.0), ()),
        ('restore the circuit', 'vnet-to-onprem', '', 7.7, 10.0, 'ExpressRoute', (230, 230, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN+VPN/ExpressRoute', 'ExpressRoute'),
         (('VPN', 7.704, 8.394, 70), ('VPN/ExpressRoute', 8.404, 8.424, 3), ('ExpressRoute', 8.434, 9.994, 157)),
         None, ()),
    ],
    'gray failure': [
        ('verify over ExpressRoute', 'onprem-to-vnet', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.5, 2.49, 200),), (10, 10, 0, 0.0), ()),
        ('verify over ExpressRoute', 'vnet-to-onprem', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.504, 2.494, 200),), None, ()),
        ('drop silently on the circuit', 'onprem-to-vnet', 'circuit gray failure', 2.7, 6.0, 'VPN',
         (330, 225, 105, 95, 10, 0, 0, 0), (1063.0, 0.0, 1061.5, 5.0), ((2.992, 4.055, 105),),
         ('ExpressRoute', 'none', 'VPN'), (('ExpressRoute', 2.7, 2.99, 30), ('VPN', 4.05, 5.99, 195)),
         (16, 16, 0, 0.0), ()),
        ('drop silently on the circuit', 'vnet-to-onprem', 'circuit gray failure', 2.7, 6.0, 'VPN',
         (330, 225, 105, 105, 0, 0, 0, 0), (1063.0, 1061.5, 0.0, 5.0), ((2.996, 4.059, 105),),
         ('ExpressRoute', 'none', 'VPN'), (('ExpressRoute', 2.704, 2.994, 30), ('VPN', 4.054, 5.994, 195)), None,
         ()),
        ('verify over the VPN', 'onprem-to-vnet', '', 6.1, 7.6, 'VPN', (150, 150, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 5.0), (), ('VPN', 'VPN', 'VPN'), (('VPN', 6.1, 7.59, 150),), (7, 7, 0, 0.0), ()),
        ('verify over the VPN', 'vnet-to-onprem', '', 6.1, 7.6, 'VPN', (150, 150, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 5.0), (), ('VPN', 'VPN', 'VPN'), (('VPN', 6.104, 7.594, 150),), None, ()),
        ('end the silent drop', 'onprem-to-vnet', '', 7.7, 10.5, 'ExpressRoute', (280, 280, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN+ExpressRoute/VPN', 'ExpressRoute'),
         (('VPN', 7.7, 8.59, 90), ('ExpressRoute/VPN', 8.6, 8.69, 10), ('ExpressRoute', 8.7, 10.49, 180)),
         (14, 14, 0, 0.0), ()),
        ('end the silent drop', 'vnet-to-onprem', '', 7.7, 10.5, 'ExpressRoute', (280, 280, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN+VPN/ExpressRoute', 'ExpressRoute'),
         (('VPN', 7.704, 8.594, 90), ('VPN/ExpressRoute', 8.604, 8.694, 10), ('ExpressRoute', 8.704, 10.494, 180)),
         None, ()),
    ],
    'both down': [
        ('verify over ExpressRoute', 'onprem-to-vnet', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.5, 2.49, 200),), (10, 10, 0, 0.0), ()),
        ('verify over ExpressRoute', 'vnet-to-onprem', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.504, 2.494, 200),), None, ()),
        ('stop the circuit and the VPN', 'onprem-to-vnet', 'circuit and VPN down', 2.7, 5.0, 'VPN',
         (230, 30, 200, 0, 0, 200, 0, 0), (2008.0, 0.0, 0.0, 2.0), ((2.992, 5.0, 200),),
         ('ExpressRoute', 'none', 'none'), (('ExpressRoute', 2.7, 2.99, 30),), (11, 1, 10, 0.0), ()),
        ('stop the circuit and the VPN', 'vnet-to-onprem', 'circuit and VPN down', 2.7, 5.0, 'VPN',
         (230, 30, 200, 0, 0, 200, 0, 0), (2004.0, 0.0, 0.0, 2.0), ((2.996, 5.0, 200),),
         ('ExpressRoute', 'none', 'none'), (('ExpressRoute', 2.704, 2.994, 30),), None, ()),
        ('verify over the VPN', 'onprem-to-vnet', '', 5.1, 7.1, 'VPN', (200, 0, 200, 0, 0, 200, 0, 0),
         (2000.0, 0.0, 0.0, None), ((5.1, 7.1, 200),), ('none', 'none', 'none'), (), (10, 0, 10, 0.0), ()),
        ('verify over the VPN', 'vnet-to-onprem', '', 5.1, 7.1, 'VPN', (200, 0, 200, 0, 0, 200, 0, 0),
         (2000.0, 0.0, 0.0, None), ((5.1, 7.1, 200),), ('none', 'none', 'none'), (), None, ()),
        ('restore the circuit and the VPN', 'onprem-to-vnet', '', 7.7, 10.0, 'ExpressRoute',
         (230, 140, 90, 0, 90, 0, 0, 0), (902.0, 5610.0, 0.0, 2.0), ((7.7, 8.602, 90),),
         ('ExpressRoute', 'none', 'ExpressRoute'), (('ExpressRoute', 8.6, 9.99, 140),), (12, 7, 5, 1000.0), ()),
        ('restore the circuit and the VPN', 'vnet-to-onprem', '', 7.7, 10.0, 'ExpressRoute',
         (230, 140, 90, 0, 90, 0, 0, 0), (906.0, 5610.0, 0.0, 2.0), ((7.7, 8.606, 90),),
         ('ExpressRoute', 'none', 'ExpressRoute'), (('ExpressRoute', 8.604, 9.994, 140),), None, ()),
    ],
    'trailing outage': [
        ('verify over ExpressRoute', 'onprem-to-vnet', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.5, 2.49, 200),), (10, 10, 0, 0.0), ()),
        ('verify over ExpressRoute', 'vnet-to-onprem', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.504, 2.494, 200),), None, ()),
        ('stop the circuit', 'onprem-to-vnet', 'circuit hard down', 2.7, 5.0, 'VPN',
         (230, 30, 200, 0, 0, 200, 0, 0), (2008.0, 0.0, 0.0, 2.0), ((2.992, 5.0, 200),),
         ('ExpressRoute', 'none', 'none'), (('ExpressRoute', 2.7, 2.99, 30),), (11, 11, 0, 0.0), ()),
        ('stop the circuit', 'vnet-to-onprem', 'circuit hard down', 2.7, 5.0, 'VPN',
         (230, 30, 200, 0, 0, 200, 0, 0), (2004.0, 0.0, 0.0, 2.0), ((2.996, 5.0, 200),),
         ('ExpressRoute', 'none', 'none'), (('ExpressRoute', 2.704, 2.994, 30),), None, ()),
    ],
    'flapping': [
        ('verify over ExpressRoute', 'onprem-to-vnet', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.5, 2.49, 200),), (10, 10, 0, 0.0), ()),
        ('verify over ExpressRoute', 'vnet-to-onprem', '', 0.5, 2.5, 'ExpressRoute', (200, 200, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('ExpressRoute', 'ExpressRoute', 'ExpressRoute'),
         (('ExpressRoute', 0.504, 2.494, 200),), None, ()),
        ('cut 1: stop the circuit', 'onprem-to-vnet', 'circuit hard down', 2.7, 4.45, 'VPN',
         (175, 160, 15, 15, 0, 0, 0, 0), (163.0, 161.5, 0.0, 5.0), ((2.992, 3.155, 15),),
         ('ExpressRoute', 'none', 'VPN'), (('ExpressRoute', 2.7, 2.99, 30), ('VPN', 3.15, 4.44, 130)),
         (9, 9, 0, 0.0), ()),
        ('cut 1: stop the circuit', 'vnet-to-onprem', 'circuit hard down', 2.7, 4.45, 'VPN',
         (175, 160, 15, 15, 0, 0, 0, 0), (163.0, 161.5, 0.0, 5.0), ((2.996, 3.159, 15),),
         ('ExpressRoute', 'none', 'VPN'), (('ExpressRoute', 2.704, 2.994, 30), ('VPN', 3.154, 4.444, 130)), None,
         ()),
        ('cut 1: restore the circuit', 'onprem-to-vnet', '', 4.2, 6.3, 'ExpressRoute', (210, 210, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN', 'ExpressRoute'),
         (('VPN', 4.2, 4.99, 80), ('ExpressRoute', 5.0, 6.29, 130)), (11, 11, 0, 0.0), ()),
        ('cut 1: restore the circuit', 'vnet-to-onprem', '', 4.2, 6.3, 'ExpressRoute', (210, 210, 0, 0, 0, 0, 0, 0),
         (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN', 'ExpressRoute'),
         (('VPN', 4.204, 4.994, 80), ('ExpressRoute', 5.004, 6.294, 130)), None, ()),
        ('cut 2: stop the circuit', 'onprem-to-vnet', 'circuit hard down', 6.05, 8.0, 'VPN',
         (195, 180, 15, 15, 0, 0, 0, 0), (163.0, 161.5, 0.0, 5.0), ((6.392, 6.555, 15),),
         ('ExpressRoute', 'none', 'VPN'), (('ExpressRoute', 6.05, 6.39, 35), ('VPN', 6.55, 7.99, 145)),
         (9, 9, 0, 0.0), ()),
        ('cut 2: stop the circuit', 'vnet-to-onprem', 'circuit hard down', 6.05, 8.0, 'VPN',
         (195, 180, 15, 15, 0, 0, 0, 0), (163.0, 161.5, 0.0, 5.0), ((6.396, 6.559, 15),),
         ('ExpressRoute', 'none', 'VPN'), (('ExpressRoute', 6.054, 6.394, 35), ('VPN', 6.554, 7.994, 145)), None,
         ()),
        ('cut 2: restore the circuit', 'onprem-to-vnet', '', 7.75, 9.5, 'ExpressRoute',
         (175, 175, 0, 0, 0, 0, 0, 0), (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN', 'ExpressRoute'),
         (('VPN', 7.75, 8.29, 55), ('ExpressRoute', 8.3, 9.49, 120)), (9, 9, 0, 0.0), ()),
        ('cut 2: restore the circuit', 'vnet-to-onprem', '', 7.75, 9.5, 'ExpressRoute',
         (175, 175, 0, 0, 0, 0, 0, 0), (0.0, 0.0, 0.0, 2.0), (), ('VPN', 'VPN', 'ExpressRoute'),
         (('VPN', 7.754, 8.294, 55), ('ExpressRoute', 8.304, 9.494, 120)), None, ()),
    ],
}
OLD_WHOLE_RUN: dict[str, dict[str, tuple[int, int, tuple[str, ...]]]] = {  # samples, lost, paths
    'hard cut': {'onprem-to-vnet': (991, 19, ('ExpressRoute', 'ExpressRoute/VPN', 'VPN')),
        'vnet-to-onprem': (991, 19, ('ExpressRoute', 'VPN', 'VPN/ExpressRoute'))},
    'gray failure': {'onprem-to-vnet': (955, 105, ('ExpressRoute', 'ExpressRoute/VPN', 'VPN')),
        'vnet-to-onprem': (955, 105, ('ExpressRoute', 'VPN', 'VPN/ExpressRoute'))},
    'both down': {'onprem-to-vnet': (450, 560, ('ExpressRoute',)), 'vnet-to-onprem': (450, 560, ('ExpressRoute',))},
    'trailing outage': {'onprem-to-vnet': (280, 230, ('ExpressRoute',)),
        'vnet-to-onprem': (280, 230, ('ExpressRoute',))},
    'flapping': {'onprem-to-vnet': (930, 30, ('ExpressRoute', 'VPN')),
        'vnet-to-onprem': (930, 30, ('ExpressRoute', 'VPN'))},
}


BOUNDARY = ("an outage belongs to the step where it started and is reported whole (it was cut into one "
            "piece per step); the reflector's request outage goes with it")
ATTRIBUTION = ("lost probes at a step's edge are split by the reflector's counter over the whole run: "
               "the old per-window split called the requests lost before a window's first reply "
               "'reply lost', and those after its last reply unattributed")
BOTH_DOWN_ATTRIBUTION = {"counts": (200, 0, 200, 200, 0, 0, 0, 0)}
DELIBERATE: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {
    ("hard cut", "verify over the VPN", "onprem-to-vnet"): (
        "a 60 ms stall of the reflector with nothing lost is not a black hole: 'during' is the path, "
        "not 'none'", {"paths": ("VPN", "VPN", "VPN")}),
    **{("both down", "stop the circuit and the VPN", direction): (BOUNDARY + "; " + ATTRIBUTION, {
        "counts": (230, 30, 200, 200, 0, 0, 0, 0), "figures_ms": (5610.0, 5610.0, 0.0, 2.0),
        "outages": ((start, end, 560),)})
       for direction, start, end in (("onprem-to-vnet", 2.992, 8.602), ("vnet-to-onprem", 2.996, 8.606))},
    **{("both down", "verify over the VPN", direction): (
        BOUNDARY + " (this window, with no reply at all, holds none of it); " + ATTRIBUTION,
        {**BOTH_DOWN_ATTRIBUTION, "figures_ms": (0.0, 0.0, 0.0, None), "outages": ()})
       for direction in ("onprem-to-vnet", "vnet-to-onprem")},
    **{("both down", "restore the circuit and the VPN", direction): (
        BOUNDARY + "; " + ATTRIBUTION + " (these 90 were requests: the reflector received none)",
        {"counts": (230, 140, 90, 90, 0, 0, 0, 0), "figures_ms": (0.0, 0.0, 0.0, 2.0), "outages": ()})
       for direction in ("onprem-to-vnet", "vnet-to-onprem")},
    **{("trailing outage", "stop the circuit", direction): (
        "an outage the run ended in is reported whole, to the last probe sent (it was clipped at the "
        "step's end)", {"figures_ms": (2298.0, 0.0, 0.0, 2.0), "outages": ((start, end, 230),)})
       for direction, start, end in (("onprem-to-vnet", 2.992, 5.29), ("vnet-to-onprem", 2.996, 5.294))},
}


def expected(run: str) -> list[Projection]:
    projections = []
    for old in OLD[run]:
        _reason, changes = DELIBERATE.get((run, old[0], old[1]), ("", {}))
        projections.append(tuple(changes.get(field, value) for field, value in zip(FIELDS, old, strict=True)))
    return projections


@pytest.mark.parametrize("make", RUNS, ids=lambda make: make.__name__)
def test_the_steps_are_what_the_old_analysis_gave_apart_from_deliberate_fixes(make: Any) -> None:
    run = make()
    steps, whole = analyse(run)
    actual = [project(step) for step in steps]
    want = expected(run.name)
    assert [p[:2] for p in actual] == [p[:2] for p in want]
    for got, wanted in zip(actual, want, strict=True):
        for field, a, b in zip(FIELDS, got, wanted, strict=True):
            assert a == b, f"{run.name} / {got[0]} / {got[1]}: {field} is {a!r}, expected {b!r}"
    assert {d: (len(t.samples), len(t.lost_at_s), tuple(sorted({s.path for s in t.samples})))
            for d, t in whole.items()} == OLD_WHOLE_RUN[run.name]


def test_every_deliberate_difference_is_a_real_difference() -> None:
    """A DELIBERATE entry that equals the old value would hide nothing: keep the list honest."""
    for (run, name, direction), (reason, changes) in DELIBERATE.items():
        old = next(p for p in OLD[run] if p[:2] == (name, direction))
        assert reason
        for field, value in changes.items():
            assert old[FIELDS.index(field)] != value, (run, name, direction, field)
