"""Bring-up time, tear-down time and memory of the reference lab (run as root).

    .venv/bin/python bench/lab_bench.py [--runs 3] [--topology FILE]

Bring-up is measured from `Lab.up` until traffic flows over ExpressRoute both ways (kernel routes
installed on the on-prem core and the VNet fabric) and until the VPN backup is ready (IPsec SAs
installed, BGP over both tunnels carrying prefixes); tear-down is `down` until no namespace,
process or file of the lab is left. Memory is the RSS and PSS (shared pages split between the
processes that map them) of every process the lab started, by program, read from /proc.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from hybridnet.emulate import Lab, down, plan
from hybridnet.emulate.lab import footprint
from hybridnet.emulate.readiness import EXPRESSROUTE_READY, VPN_READY
from hybridnet.model import load


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in kB, from /proc/PID/smaps_rollup (0, 0 if it is gone)."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii").splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def lab_memory(lab: Lab) -> dict[str, tuple[int, int, int]]:
    """Per program: (processes, RSS kB, PSS kB) over every process the lab recorded."""
    totals: dict[str, tuple[int, int, int]] = {}
    for record in lab.state.processes:
        rss, pss = memory_kb(record.pid)
        count, rss_sum, pss_sum = totals.get(record.program, (0, 0, 0))
        totals[record.program] = (count + 1, rss_sum + rss, pss_sum + pss)
    return totals


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return Path("/proc/loadavg").read_text(encoding="ascii").split()[0]


def figures(values: list[float]) -> str:
    return f"min {min(values):.2f} / median {statistics.median(values):.2f} / max {max(values):.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--topology", default=None, help="topology file (default: the reference)")
    parser.add_argument("--lab", default=f"bench{os.getpid() % 10000}")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 2
    lab_plan = plan(load(arguments.topology), lab=arguments.lab)
    expressroute, vpn, teardown, cpu = [], [], [], []
    memory: dict[str, tuple[int, int, int]] = {}
    for run in range(arguments.runs):
        try:
            before = os.times()
            load_now = load_average()
            lab = Lab.up(lab_plan, timeout_s=120)
            after = os.times()
            ours = (after.user - before.user) + (after.system - before.system)
            helpers = (after.children_user - before.children_user) + (after.children_system - before.children_system)
            daemons = sum(cpu_seconds(record.pid) for record in lab.state.processes)
            cpu.append(ours + helpers + daemons)
            expressroute.append(lab.timings[EXPRESSROUTE_READY])
            vpn.append(lab.timings[VPN_READY])
            if run == 0:
                time.sleep(2)  # memory once the daemons have settled, not mid start-up
                memory = lab_memory(lab)
            pids = [record.pid for record in lab.state.processes]
            print(
                f"run {run + 1} (load average {load_now}): CPU {cpu[-1]:.1f} s, "
                f"network {lab.timings['network_s']:.2f} s, daemons started "
                f"{lab.timings['daemons_s']:.2f} s, ExpressRoute ready {expressroute[-1]:.2f} s, "
                f"VPN backup ready {vpn[-1]:.2f} s",
                flush=True,
            )
        finally:
            started = time.monotonic()
            down(arguments.lab)
            teardown.append(time.monotonic() - started)
        leaks = {kind: items for kind, items in footprint(arguments.lab, pids).items() if items}
        if leaks:
            print(f"  LEAK after down: {leaks}")
    print(f"\nbring-up until traffic over ExpressRoute: {figures(expressroute)}")
    print(f"bring-up until the VPN backup is ready:   {figures(vpn)}")
    print(f"tear-down:                                {figures(teardown)}")
    print(
        f"CPU used by one bring-up (all processes): median {statistics.median(cpu):.1f} s "
        f"(on {os.cpu_count()} cores: at least {statistics.median(cpu) / (os.cpu_count() or 1):.1f} s of wall clock)"
    )
    print("\nmemory of the lab's processes (after start-up settled):")
    total_rss = total_pss = 0
    for program, (count, rss, pss) in sorted(memory.items(), key=lambda item: -item[1][2]):
        print(f"  {program:16} x{count:<3} RSS {rss / 1024:7.1f} MB   PSS {pss / 1024:7.1f} MB")
        total_rss, total_pss = total_rss + rss, total_pss + pss
    daemons = {"zebra", "bgpd", "bfdd", "staticd", "charon"}
    daemon_pss = sum(pss for program, (_c, _r, pss) in memory.items() if program in daemons)
    print(f"  {'all':16}      RSS {total_rss / 1024:7.1f} MB   PSS {total_pss / 1024:7.1f} MB")
    print(f"  daemons only (FRR + charon): PSS {daemon_pss / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
