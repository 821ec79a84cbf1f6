"""How fast `hybridnet analyse` answers: all 1- and 2-failure scenarios × all flows.

Targets (issue 5): the reference in ≤ 0.2 s, an on-prem side with 10,000 prefixes in ≤ 2 s.
Prints min / median / max wall-clock over several runs, and the size of each problem.

    .venv/bin/python bench/analyse_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from ipaddress import IPv4Network

from hybridnet.model import Topology, default_topology
from hybridnet.routing import Analysis, analyse
from hybridnet.routing.export import analysis_to_dict

LARGE_SPACE = IPv4Network("100.64.0.0/10")


def with_many_prefixes(count: int, vpn_aggregate_only: bool) -> Topology:
    """The reference, its on-prem side announcing ``count`` /24s over ExpressRoute (Premium: 10,000
    accepted). Over the VPN either the same /24s (the gateway accepts 4000, so it drops the session)
    or one covering aggregate (what a sound design announces over the VPN)."""
    reference = default_topology()
    prefixes = tuple(list(LARGE_SPACE.subnets(new_prefix=24))[:count])
    onprem = reference.onprem
    vpn_prefixes = (LARGE_SPACE,) if vpn_aggregate_only else prefixes
    assert onprem.vpn_appliance is not None
    updated = onprem.model_copy(
        update={
            "address_space": prefixes,
            "vpn_appliance": onprem.vpn_appliance.model_copy(update={"advertised_prefixes": vpn_prefixes}),
        }
    )
    return reference.model_copy(update={"onprem": updated})


def measure(label: str, run: Callable[[], Analysis], runs: int) -> None:
    times = []
    analysis = None
    for _ in range(runs):
        start = time.perf_counter()
        analysis = run()
        times.append(time.perf_counter() - start)
    assert analysis is not None
    answers = len(analysis.results) * len(analysis.flows)
    classes = len(analysis.results[0].by_class) if analysis.results else 0
    print(
        f"{label}: {len(analysis.results)} scenarios × {len(analysis.flows)} flows = {answers} answers "
        f"({classes} flow classes); min {min(times):.3f} s, median {statistics.median(times):.3f} s, "
        f"max {max(times):.3f} s over {runs} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    reference = default_topology()
    measure("reference (target ≤ 0.2 s)", lambda: analyse(reference), args.runs)
    for aggregate in (True, False):
        large = with_many_prefixes(10_000, vpn_aggregate_only=aggregate)
        vpn = "the VPN one aggregate" if aggregate else "the VPN the same 10,000 (session dropped)"
        measure(
            f"10,000 on-prem prefixes over ER, {vpn} (target ≤ 2 s)", lambda t=large: analyse(t), args.runs
        )
    large = with_many_prefixes(10_000, vpn_aggregate_only=True)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        size = len(json.dumps(analysis_to_dict(analyse(large))))
        times.append(time.perf_counter() - start)
    print(
        f"10,000 on-prem prefixes, analysis and --json ({size / 1e6:.1f} MB): min {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s, max {max(times):.3f} s over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
