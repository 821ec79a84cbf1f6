"""Soak: N up/down cycles of the reference lab, reporting leaks and each cycle's bring-up time.

    .venv/bin/python bench/soak.py [--cycles 20] [--topology FILE]

After every `down` it checks that no namespace, netns mount, file or process of the lab is left
(processes as recorded during the cycle; zombies awaiting their reaper count as gone).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from hybridnet.emulate import Lab, LabError, down, plan
from hybridnet.emulate.lab import footprint
from hybridnet.emulate.readiness import EXPRESSROUTE_READY, VPN_READY
from hybridnet.model import load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--topology", default=None)
    parser.add_argument("--lab", default=f"soak{os.getpid() % 10000}")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 2
    lab_plan = plan(load(arguments.topology), lab=arguments.lab)
    bringup, failures, leaks = [], 0, 0
    for cycle in range(1, arguments.cycles + 1):
        pids: list[int] = []
        started = time.monotonic()
        try:
            lab = Lab.up(lab_plan, timeout_s=120)
            pids = [record.pid for record in lab.state.processes]
            bringup.append(lab.timings[VPN_READY])
            line = (f"cycle {cycle:3}: ExpressRoute {lab.timings[EXPRESSROUTE_READY]:.2f} s, "
                    f"VPN backup {lab.timings[VPN_READY]:.2f} s")
        except LabError as error:
            failures += 1
            line = f"cycle {cycle:3}: FAILED after {time.monotonic() - started:.1f} s: {error}"
            state_pids = []
            try:
                from hybridnet.emulate.state import LabState

                state = LabState.load(arguments.lab)
                state_pids = [record.pid for record in state.processes] if state else []
            except LabError:
                pass
            pids = state_pids
        removed = down(arguments.lab)
        left = {kind: items for kind, items in footprint(arguments.lab, pids).items() if items}
        if left or removed["leftover"]:
            leaks += 1
            line += f"  LEAK: {left or removed['leftover']}"
        print(line, flush=True)
    print(f"\n{arguments.cycles} cycles: {failures} failed to come up, {leaks} leaked")
    if bringup:
        print(f"bring-up (VPN backup ready): min {min(bringup):.2f} / median {statistics.median(bringup):.2f} / "
              f"max {max(bringup):.2f} s")
    return 1 if failures or leaks else 0


if __name__ == "__main__":
    sys.exit(main())
