"""How long `hybridnet verify-matrix` takes on the reference (run as root): total and per scenario.

    .venv/bin/python bench/verify_bench.py [--depth 1|2] [--topology FILE]

The run brings its own lab up (VPN gateway BGP timers at 1/3 s, as the command does) and down
again; "bring-up" is from the start until the lab is whole and on the all-up prediction, each
scenario from its first action to a converged reading, and "total" everything incl. tear-down.
The issue's target for depth 1: at most 5 minutes (the lab cross-check of the same scenarios took
about 18).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from hybridnet.model import default_topology, load
from hybridnet.verify import verify_matrix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, choices=(1, 2), default=1)
    parser.add_argument("--topology", type=Path)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: the bench brings up a lab", file=sys.stderr)
        return 2
    topology = load(args.topology) if args.topology else default_topology()
    started = time.monotonic()
    result = verify_matrix(topology, lab_name=f"vb{os.getpid() % 100000}", depth=args.depth)
    wall = time.monotonic() - started
    print(f"{'scenario':<32} {'seconds':>8}  verdict")
    for item in result.scenarios:
        verdict = "agrees" if item.agrees else (item.error or "differs")
        print(f"{item.name:<32} {item.seconds:>8.1f}  {verdict}")
    print(f"bring-up (lab whole, on the all-up prediction): {result.bring_up_s or 0:.1f} s")
    print(f"total: {wall:.1f} s for {len(result.scenarios)} scenarios at depth {args.depth} "
          f"({'every scenario agrees' if result.agrees else f'{len(result.differing)} differ'})")
    return 0 if result.agrees else 1


if __name__ == "__main__":
    sys.exit(main())
