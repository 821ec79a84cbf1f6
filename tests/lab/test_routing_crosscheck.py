"""The route analysis against the emulator, its ground truth: for the reference and both variants,
in every failure the lab can produce, every node's predicted next hop is the route FRR installed,
and the predicted path is the one the kernel FIBs take, both ways.

The lab produces a failure by cutting cables (both ends go down at once, like a fibre cut). The VPN
gateway's BGP timers are lowered to 1/3 s for these labs, so a lost tunnel shows within seconds
instead of Azure's 180 s; route choice does not depend on timers. By default every single failure
runs (about 2 minutes per topology); ``HYBRIDNET_CROSSCHECK_DEPTH=2`` adds every double failure
(about 20 minutes per topology).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from itertools import combinations
from pathlib import Path

import pytest

from hybridnet.emulate import Lab, LabError, down, plan
from hybridnet.emulate.status import trace_path
from hybridnet.model import BgpTimers, Topology, VpnGateway, default_topology, load
from hybridnet.routing import analyse, failure_points, routing_design, routing_table, scenario
from hybridnet.routing.crosscheck import InstalledRoutes, RouteMismatch, compare_routes, path_matches
from hybridnet.routing.tables import comparable_routes
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOPOLOGIES = {
    "reference": None,
    "no-er-preference": EXAMPLES / "variant-no-er-preference.yaml",
    "vpn-pinned-24": EXAMPLES / "variant-vpn-pinned-24.yaml",
}
CUT, SILENT = "cut", "silent"
FAILURES = {
    "primary-link": [(CUT, "onprem-ce1", "msee-primary")],
    "secondary-link": [(CUT, "onprem-ce2", "msee-secondary")],
    "circuit": [
        (CUT, "onprem-ce1", "msee-primary"),
        (CUT, "onprem-ce2", "msee-secondary"),
        (CUT, "msee-primary", "er-gateway"),
        (CUT, "msee-secondary", "er-gateway"),
    ],
    "er-gateway": [
        (CUT, "msee-primary", "er-gateway"),
        (CUT, "msee-secondary", "er-gateway"),
        (CUT, "er-gateway", "vnet-fabric"),
    ],
    "vpn-tunnel-0": [(SILENT, "internet", "vpn-gateway-0")],
    "vpn-tunnel-1": [(SILENT, "internet", "vpn-gateway-1")],
    "vpn-gateway-0": [(SILENT, "internet", "vpn-gateway-0"), (SILENT, "vpn-gateway-0", "vnet-fabric")],
    "vpn-gateway-1": [(SILENT, "internet", "vpn-gateway-1"), (SILENT, "vpn-gateway-1", "vnet-fabric")],
    "onprem-ce1": [(CUT, "onprem-ce1", "msee-primary"), (SILENT, "onprem-core", "onprem-ce1")],
    "onprem-ce2": [(CUT, "onprem-ce2", "msee-secondary"), (SILENT, "onprem-core", "onprem-ce2")],
    "onprem-vpn": [(SILENT, "onprem-vpn", "internet"), (SILENT, "onprem-core", "onprem-vpn")],
}
"""How the lab produces each part's failure: cables cut (both ends down, like a fibre cut), or
silenced (every packet dropped while the link stays up, as when a router or a tunnel dies quietly).
Silence is used on the core's links and on the VPN's: flapping the core's links leaves FRR 8.4's
kernel nexthop groups out of step with zebra (the labs now run without them: see the test below),
and a cut internet link makes
charon give up the IKE SA, which then takes minutes to come back; either would poison the
scenarios that follow."""

DOWN_NODES = {
    "circuit": {"msee-primary", "msee-secondary"},
    "er-gateway": {"er-gateway"},
    "vpn-gateway-0": {"vpn-gateway-0"},
    "vpn-gateway-1": {"vpn-gateway-1"},
    "onprem-ce1": {"onprem-ce1"},
    "onprem-ce2": {"onprem-ce2"},
    "onprem-vpn": {"onprem-vpn"},
}
"""Nodes a failure takes down: their own tables mean nothing (in the lab they live on, cut off)."""

CONVERGE_S = 45.0
"""Some failures are only seen when an iBGP hold timer (30 s) runs out: a silenced core link, and
the fabric's session to the ExpressRoute gateway, whose GatewaySubnet bridge stays up when the
gateway's cable is cut."""

def _topology(key: str) -> Topology:
    path = TOPOLOGIES[key]
    topology = load(path) if path is not None else default_topology()
    gateways = tuple(
        g.model_copy(update={"bgp": g.bgp.model_copy(update={"timers": BgpTimers(keepalive_s=1, hold_s=3)})})
        if isinstance(g, VpnGateway) and g.bgp is not None
        else g
        for g in topology.gateways
    )
    return topology.model_copy(update={"gateways": gateways})


def _scenarios() -> list[frozenset[str]]:
    """Every single failure by default; HYBRIDNET_CROSSCHECK_DEPTH=2 adds every double failure
    (about 20 minutes per topology instead of 2)."""
    depth = int(os.environ.get("HYBRIDNET_CROSSCHECK_DEPTH", "1"))
    parts = [point.name for point in failure_points(routing_design(default_topology()))]
    assert set(parts) == set(FAILURES), "every part that can fail needs a way to fail it in the lab"
    found = [frozenset()]
    for size in range(1, depth + 1):
        found += [frozenset(combo) for combo in combinations(parts, size)]
    return found


def installed_by_zebra(lab: Lab, scope: dict[str, tuple[IPv4Network, ...]]) -> InstalledRoutes:
    """What each router's zebra selected and installed, next hops named by the node that owns them."""
    table: dict[str, dict[IPv4Network, set[str]]] = {}
    for node in scope:
        routes: dict[IPv4Network, set[str]] = {}
        try:
            answer = lab.frr(node).show("show ip route json", daemon="zebra")
        except LabError:  # still starting: no routes yet
            answer = {}
        for prefix, entries in answer.items():
            for entry in entries:
                if entry.get("selected") and entry.get("installed"):
                    routes[IPv4Network(prefix)] = {
                        lab.plan.owner_of(IPv4Address(hop["ip"])) or hop["ip"]
                        for hop in entry.get("nexthops", [])
                        if hop.get("fib") and hop.get("ip")
                    }
        table[node] = routes
    return table


def _converge(lab: Lab, failed: frozenset[str], timeout_s: float = CONVERGE_S) -> list[RouteMismatch]:
    """Wait until the lab's routes are the predicted ones; what still differs at the deadline."""
    topology = lab.plan.topology
    predicted = routing_table(topology, scenario(failed))
    down_nodes = set().union(*(DOWN_NODES.get(part, set()) for part in failed))
    scope = {node: prefixes for node, prefixes in comparable_routes(topology).items() if node not in down_nodes}
    deadline = time.monotonic() + timeout_s
    while True:
        mismatches = compare_routes(predicted, installed_by_zebra(lab, scope), scope)
        if not mismatches or time.monotonic() > deadline:
            return mismatches
        time.sleep(0.5)


def _fail(lab: Lab, failed: frozenset[str], active: bool) -> None:
    for part in failed:
        for how, a, b in FAILURES[part]:
            if how == SILENT:
                lab.set_gray_failure(a, b, active)
                continue
            lab.set_link(a, b, not active)


def _initiate_tunnels(lab: Lab) -> None:
    """Restart every tunnel of the VPN appliance, as an operator clears a stuck crypto session.

    After a silent outage longer than DPD one end may have deleted an SA the other still uses
    (traffic then dies on a stale SPI); charon would find out by itself, but only after minutes."""
    appliance = lab.plan.topology.onprem.vpn_appliance
    if appliance is None:
        return
    with lab.charon(appliance.name).session() as session:
        for connection in list(session.list_conns()):  # read it all before the next request
            for name, settings in connection.items():
                with contextlib.suppress(Exception):  # vici's own error types: e.g. no such SA
                    for _log in session.terminate({"ike": _text(name), "timeout": 5000}):
                        pass
                for child in settings.get(b"children", settings.get("children", {})):
                    request = {"ike": _text(name), "child": _text(child), "timeout": 10000}
                    try:
                        for _log in session.initiate(request):
                            pass
                    except Exception:  # vici raises its own error types, e.g. for a tunnel that is up
                        continue


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _path_divergences(lab: Lab, key: str, failed: frozenset[str]) -> list[tuple[str, IPv4Network, str]]:
    """Flows (from the first on-prem host to every workload and back) whose FIB path is not predicted."""
    topology = lab.plan.topology
    analysis = analyse(topology, [scenario(failed)])
    host = topology.onprem.subnets[0].hosts[0]
    prefix = max(
        (f.onprem_prefix for f in analysis.flows if host.address in f.onprem_prefix), key=lambda p: p.prefixlen
    )
    found = []
    for workload in topology.workloads:
        predicted = analysis.result(analysis.results[0].scenario.name, prefix, workload.subnet)
        for direction, path, source, target in (
            ("forward", predicted.forward, host.name, workload),
            ("reverse", predicted.reverse, workload.name, host),
        ):
            traced = trace_path(lab, source, target.address)
            reached = traced.hops[-1] == target.name
            hops = traced.hops[1:-1] if reached else traced.hops[1:]
            if reached != path.delivered or (reached and not path_matches(path, hops)):
                found.append(
                    (
                        direction,
                        prefix,
                        f"{workload.name}: lab {traced.hops}, predicted {[b.hops for b in path.branches]}",
                    )
                )
    return found


@pytest.fixture(scope="module", params=list(TOPOLOGIES))
def lab(request: pytest.FixtureRequest) -> Iterator[tuple[str, Lab]]:
    name = lab_name(f"rx{list(TOPOLOGIES).index(request.param)}")
    try:
        # The emulator's readiness check expects on-prem to prefer ExpressRoute, which the
        # no-preference variant does not: the prediction for all-up is the readiness check here.
        running = Lab.up(plan(_topology(request.param), lab=name), wait=False)
        not_ready = _converge(running, frozenset(), timeout_s=120)
        assert not not_ready, f"the lab never reached the predicted all-up routes: {not_ready}"
        yield request.param, running
    finally:
        down(name)


def test_predicted_routes_and_paths_are_what_the_lab_installs_and_takes(lab: tuple[str, Lab]) -> None:
    key, running = lab
    failures: list[str] = []
    for failed in _scenarios():
        name = scenario(failed).name
        _fail(running, failed, active=True)
        try:
            failures += [f"{name}: {m}" for m in _converge(running, failed)]
            for direction, prefix, detail in _path_divergences(running, key, failed):
                failures.append(f"{name} {direction} {prefix}: {detail}")
        finally:
            _fail(running, failed, active=False)
            leftover = _converge(running, frozenset(), timeout_s=20)
            if leftover:  # a long silent outage can leave an IKE SA in retransmit back-off
                _initiate_tunnels(running)
                leftover = _converge(running, frozenset(), timeout_s=90)
        if leftover:
            failures.append(f"the lab did not return to all-up after {name}: {leftover}")
            break
    assert not failures, "\n".join(failures)


def test_the_kernel_forwards_as_zebra_installed_after_a_link_flap(lab: tuple[str, Lab]) -> None:
    key, running = lab
    if key != "reference":
        pytest.skip("shown once, on the reference")
    running.set_link("onprem-core", "onprem-ce2", False)
    time.sleep(3)
    running.set_link("onprem-core", "onprem-ce2", True)
    assert not _converge(running, frozenset())
    kernel = {
        tuple(sorted(h["gateway"] for h in r["nexthops"] if h.get("gateway")))
        for r in running.routes("onprem-core")
        if r.get("destination") == "10.0.0.0/16"
    }
    assert kernel == {("100.64.0.2", "100.64.0.6")}, kernel
