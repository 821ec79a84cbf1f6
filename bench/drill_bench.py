"""The failover drill's outage distribution on the reference lab: hard cut and gray failure.

Targets (issue 4), with BFD 300 ms × 3: hard cut median ≤ 250 ms, gray failure median ≤ 1.1 s
(the detection time is 0.9 s), failback losing no probe. Brings up its own lab (removed at the
end, also on failure or Ctrl-C), runs each scenario N times with the 10 ms probe and prints, per
scenario and direction, min / median / p95 / max of the failover outage, the probes failback lost,
and the machine's load (the lab shares its cores with everything else running).

    .venv/bin/python bench/drill_bench.py [--repeat N] [--scenario circuit-down --scenario gray-failure]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from hybridnet.drill import DrillOptions, run_drill
from hybridnet.drill.result import DrillResult
from hybridnet.drill.scenario import build_scenario
from hybridnet.emulate import Lab, down, plan
from hybridnet.model import default_topology

TARGETS_MS = {"circuit-down": 250.0, "gray-failure": 1100.0}


def nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, -(-len(ordered) * int(percentile) // 100)) - 1]


def summarise(name: str, result: DrillResult) -> dict[str, object]:
    """Failover outage per direction (the fault step) and failback loss (the restore step)."""
    figures: dict[str, object] = {"scenario": name}
    for direction in ("onprem-to-vnet", "vnet-to-onprem"):
        steps = [s for s in result.steps if s.direction == direction]
        fault = [s.outage_ms for s in steps if s.fault]
        back = [s for s in steps if s.name.startswith(("restore", "end the"))]
        figures[direction] = {
            "runs": len(fault),
            "min_ms": min(fault), "median_ms": statistics.median(fault), "p95_ms": nearest_rank(fault, 95),
            "max_ms": max(fault),
            "failback_lost_probes": [s.lost for s in back],
            "failback_outage_ms": [round(s.outage_ms) for s in back],
            "moved": sorted({f"{s.path_before}→{s.path_after}" for s in steps if s.fault}),
        }
    figures["tcp_stream_nothing_lost"] = result.tcp_stream.nothing_lost if result.tcp_stream else None
    return figures


def progress(message: str) -> None:
    """One line per run (its first step), so a long bench shows it is alive."""
    if message.startswith("run ") and message.endswith("verify over ExpressRoute …"):
        print(f"  {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--scenario", action="append", choices=sorted(TARGETS_MS))
    parser.add_argument("--lab", default=f"bench{os.getpid() % 100000}")
    args = parser.parse_args()
    scenarios = args.scenario or ["circuit-down", "gray-failure"]
    if os.geteuid() != 0:
        print("the drill bench needs root (network namespaces, daemons)", file=sys.stderr)
        return 2
    topology = default_topology()
    try:
        started = time.monotonic()
        lab = Lab.up(plan(topology, lab=args.lab), timeout_s=120)
        print(f"lab {args.lab} up in {time.monotonic() - started:.1f} s; load {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores", flush=True)
        for name in scenarios:
            started = time.monotonic()
            result = run_drill(topology, build_scenario(name, topology),
                               DrillOptions(path_checks=False, repeat=args.repeat), lab, progress=progress)
            figures = summarise(name, result)
            print(f"\n== {name}: {args.repeat} runs in {time.monotonic() - started:.0f} s, "
                  f"load {os.getloadavg()[0]:.1f}; target median ≤ {TARGETS_MS[name]:g} ms")
            for direction in ("onprem-to-vnet", "vnet-to-onprem"):
                f = figures[direction]
                assert isinstance(f, dict)
                verdict = "meets" if f["median_ms"] <= TARGETS_MS[name] else "MISSES"
                print(f"  {direction}: outage min {f['min_ms']:.0f} / median {f['median_ms']:.0f} / "
                      f"p95 {f['p95_ms']:.0f} / max {f['max_ms']:.0f} ms ({verdict} the target); "
                      f"failback lost {sum(f['failback_lost_probes'])} probes in {f['runs']} runs "
                      f"(per run {f['failback_lost_probes']}); paths {', '.join(f['moved'])}")
            print(f"  TCP stream lost nothing: {figures['tcp_stream_nothing_lost']}")
            print(json.dumps(figures), flush=True)
    finally:
        down(args.lab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
