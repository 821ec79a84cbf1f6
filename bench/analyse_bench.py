"""How fast `hybridnet analyse` answers: all 1- and 2-failure scenarios × all flows.

Targets (issue 5): the reference in ≤ 0.2 s, an on-prem side with 10,000 prefixes in ≤ 2 s; (issue 9) the
reference ≤ 0.02 s, an estate of 8 sites, 2 circuits, a hub and 20 spokes, 1,000 on-prem prefixes in ≤ 5 s and
≤ 1 GB. Prints min / median / max wall-clock over several runs, the size of each problem, and the peak memory
(the process's maximum resident set, which includes the interpreter and the packages).

    .venv/bin/python bench/analyse_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections.abc import Callable
from ipaddress import IPv4Network

from hybridnet.model import Topology, default_topology
from hybridnet.model.loader import example_yaml
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


def large_estate(spokes: int = 20, branches: int = 6, prefixes: int = 1000) -> Topology:
    """``examples/estates/sites.yaml`` grown to 8 sites (HQ on one circuit behind its firewall cluster, which is
    also its VPN end; dc2 on the second circuit; six VPN-only branches), 2 circuits, the hub and ``spokes``
    spokes with gateway transit, and ``prefixes`` on-prem prefixes announced by the sites (/24s, shared out)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(example_yaml("sites"))
    template = data["sites"][2]
    data["sites"] = data["sites"][:2]
    data["local_network_gateways"] = data["local_network_gateways"][:1]
    data["connections"] = [c for c in data["connections"] if c["type"] == "ExpressRoute"] + [
        c for c in data["connections"] if c.get("local_network_gateway") == "hq-lgw"]
    vpn_connection = data["connections"][-1]
    for number in range(1, branches + 1):
        name = f"branch{number}"
        site = json.loads(json.dumps(template))
        site.update(name=name, asn=65100 + number, address_space=[f"10.{100 + number}.0.0/16"], reach=["hq"])
        site["subnets"][0].update(prefix=f"10.{100 + number}.1.0/24")
        site["subnets"][0]["hosts"] = [{"name": f"{name}-host1", "address": f"10.{100 + number}.1.10"}]
        device = site["devices"][0]
        device.update(name=f"{name}-rtr")
        device["vpn"].update(public_ip=f"40.50.{70 + number}.1", bgp_addresses=[f"169.254.21.{4 * number + 2}"],
                             local_network_gateway=f"{name}-lgw")
        data["sites"].append(site)
        bgp = {"asn": 65100 + number, "peer_address": f"169.254.21.{4 * number + 2}"}
        data["local_network_gateways"].append(
            {"name": f"{name}-lgw", "gateway_ip": f"40.50.{70 + number}.1", "address_prefixes": [], "bgp": bgp})
        data["connections"].append({**vpn_connection, "name": f"{name}-vpn-cn", "local_network_gateway": f"{name}-lgw"})
    data["spokes"] = [
        {"name": f"spoke{n}", "address_space": [f"10.{200 + n // 100}.{n % 100}.0/24"],
         "subnets": [{"name": "app", "prefix": f"10.{200 + n // 100}.{n % 100}.0/25"}],
         "peering": {"hub": {"allow_gateway_transit": True}, "spoke": {"use_remote_gateways": True}}}
        for n in range(spokes)
    ]
    sites = data["sites"]
    space = list(LARGE_SPACE.subnets(new_prefix=24))[:prefixes]
    for index, site in enumerate(sites):
        site["address_space"] = [*site["address_space"], *(str(p) for p in space[index::len(sites)])]
    return Topology.model_validate(data)


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
    measure("reference (target ≤ 0.02 s)", lambda: analyse(reference), args.runs)
    for aggregate in (True, False):
        large = with_many_prefixes(10_000, vpn_aggregate_only=aggregate)
        vpn = "the VPN one aggregate" if aggregate else "the VPN the same 10,000 (session dropped)"
        measure(
            f"10,000 on-prem prefixes over ER, {vpn} (target ≤ 2 s)", lambda t=large: analyse(t), args.runs
        )
    estate = large_estate()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    measure("estate: 8 sites, 2 circuits, hub + 20 spokes, 1,000 on-prem prefixes, depth 2 "
            "(target ≤ 5 s, ≤ 1 GB)", lambda: analyse(estate, depth=2), args.runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"estate: peak resident memory {peak / 1024:.0f} MB (before it {before / 1024:.0f} MB)")
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
