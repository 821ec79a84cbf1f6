"""Every single (or double) failure live, each flow's live path against ``analyse``'s prediction.

Attach to the lab that runs the topology, or bring one up (and down again afterwards). Then per
scenario: make the failure, read the lab until the predicted state is there and holds (or a bounded
timeout: reported as "did not converge"), record every flow's verdict, undo the failure and read until
the lab is whole again and back on the all-up prediction before the next scenario.

The one lab-internal timer changed is the one the cross-check lowered: a lab this command brings up
runs the VPN gateway's BGP at keepalive 1 s / hold 3 s (Azure: 60/180 s), so a lost tunnel shows in
seconds; route choice does not depend on timers. An attached lab keeps its timers (the timeout then
grows with the VPN's hold time).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hybridnet.errors import BadInput, HybridnetError
from hybridnet.model import BgpTimers, Topology, VpnGateway
from hybridnet.routing import Scenario, routing_table
from hybridnet.routing.estate_design import is_estate
from hybridnet.routing.tables import comparable_routes
from hybridnet.verify.actions import CannotProduce, actions_for, apply, down_nodes, undo
from hybridnet.verify.flows import FlowPrediction, predict, scenarios_for
from hybridnet.verify.live import Reading, read, settle
from hybridnet.verify.result import MatrixResult, ScenarioOutcome

if TYPE_CHECKING:
    from hybridnet.emulate import Lab

Progress = Callable[[str], None]
LAB_VPN_TIMERS = BgpTimers(keepalive_s=1, hold_s=3)
SETTLE_S = 20.0
"""A failure's routes settle within a second or two (BFD, a Cease, a cut); beyond the VPN hold timer,
this is the bound after which the scenario counts as not converged."""
RESTORE_S = 20.0
"""Back to all-up within this, or the VPN's tunnels are started again by hand (as an operator would)."""
RESTORE_AFTER_KICK_S = 60.0
BRING_UP_S = 120.0


def fast_vpn_timers(topology: Topology) -> Topology:
    """The topology with the VPN gateway's BGP timers at 1/3 s (the lab's only lowered timer)."""
    gateways = tuple(
        g.model_copy(update={"bgp": g.bgp.model_copy(update={"timers": LAB_VPN_TIMERS})})
        if isinstance(g, VpnGateway) and g.bgp is not None else g
        for g in topology.gateways
    )
    return topology.model_copy(update={"gateways": gateways})


def verify_matrix(topology: Topology, *, lab_name: str | None = None, depth: int = 1,
                  progress: Progress | None = None, only: tuple[str, ...] = ()) -> MatrixResult:
    """Run the matrix; bad input (exit 2) is raised before anything touches the system."""
    from hybridnet.emulate import Lab, LabError, check_environment, down, lab_name_for, plan

    say = progress or (lambda _message: None)
    scenarios = scenarios_for(topology, depth, only)
    name = lab_name or lab_name_for(topology)
    predict(topology, scenarios[:1])  # a topology without hosts or workloads fails here, not in the lab
    started = time.monotonic()
    bring_up: float | None = None
    notes: list[str] = []
    check_environment()
    if Lab.is_running(name):
        lab = Lab.attach(name)
        if not (lab.runs(topology) or lab.runs(fast_vpn_timers(topology))):
            raise BadInput(f"lab {name} runs another topology than {topology.source or topology.name}",
                           fix="give --lab the name of the lab that runs it, or a free name to bring one up")
        ours = False
        notes.append(f"attached to the running lab {name}; its timers are left as they are")
    else:
        try:
            lab_plan = plan(fast_vpn_timers(topology), lab=name)
        except LabError as error:
            raise LabError(error.message, fix=error.fix, cause="bad input") from None
        say(f"bringing lab {name} up")
        lab = Lab.up(lab_plan, wait=False)
        ours = True
        notes.append("VPN gateway BGP timers lowered to keepalive 1 s / hold 3 s in this lab (Azure: 60/180 s), "
                     "as the cross-check test does; route choice does not depend on timers")
    notes.append("a node that fails stops its bgpd (SIGTERM: its peers learn at once, not after a 30 s hold "
                 "timer) and has its links cut, or silenced on the internet, VPN-gateway and on-prem side")
    try:
        live_topology = lab.plan.topology
        predictions = predict(live_topology, scenarios)
        timeout = SETTLE_S + _vpn_hold_s(live_topology)
        all_up = scenarios[0]
        reading, ok = settle(lambda: _read(lab, all_up, predictions[all_up.name]), BRING_UP_S,
                             lambda: not lab.missing_parts())
        if ours:
            bring_up = time.monotonic() - started
            say(f"lab up and on the all-up prediction in {bring_up:.1f} s")
        outcomes = [_outcome(all_up, (), 0.0, reading, ok)]
        say(_said(outcomes[-1]))
        for item in scenarios[1:]:
            outcomes.append(_one(lab, item, predictions[item.name], predictions[all_up.name], all_up, timeout))
            say(_said(outcomes[-1]))
            if outcomes[-1].error and "did not return" in outcomes[-1].error:
                for rest in scenarios[len(outcomes):]:
                    outcomes.append(ScenarioOutcome(rest.name, tuple(sorted(rest.failed)), (), 0.0, False, (),
                                                    error="not run: the lab did not return to all-up before"))
                break
    finally:
        if ours:
            say(f"taking lab {name} down")
            down(name)
    return MatrixResult(live_topology.name, name, depth, tuple(outcomes), time.monotonic() - started,
                        bring_up, tuple(notes))


def _one(lab: Lab, item: Scenario, predicted: tuple[FlowPrediction, ...], all_up_predicted: tuple[FlowPrediction, ...],
         all_up: Scenario, timeout: float) -> ScenarioOutcome:
    failed = tuple(sorted(item.failed))
    try:
        actions = actions_for(lab.plan, item)
    except CannotProduce as error:
        return ScenarioOutcome(item.name, failed, (), 0.0, False, (), error=str(error))
    begun = time.monotonic()
    failure: HybridnetError | None = None
    try:
        apply(lab, actions)
        reading, ok = settle(lambda: _read(lab, item, predicted), timeout)
    except HybridnetError as error:
        failure = error
    seconds = time.monotonic() - begun
    problems = undo(lab, actions)
    restored = _restore(lab, all_up, all_up_predicted, problems)
    described = tuple(a.description for a in actions)
    if failure is not None:
        return ScenarioOutcome(item.name, failed, described, seconds, False, (),
                               error=f"could not produce it: {failure}" + (f"; {restored}" if restored else ""))
    outcome = _outcome(item, described, seconds, reading, ok)
    if restored:
        return ScenarioOutcome(**{**outcome.__dict__, "error": restored})
    return outcome


def _restore(lab: Lab, all_up: Scenario, predicted: tuple[FlowPrediction, ...], problems: list[str]) -> str | None:
    """Back to whole and all-up; after ``RESTORE_S`` the on-prem VPN ends start their tunnels again."""
    if problems:
        return "did not return to all-up: " + "; ".join(problems)

    def whole() -> bool:
        return not lab.missing_parts()

    _, ok = settle(lambda: _read(lab, all_up, predicted), RESTORE_S, whole)
    if not ok:
        _start_tunnels(lab)
        _, ok = settle(lambda: _read(lab, all_up, predicted), RESTORE_AFTER_KICK_S, whole)
    if not ok:
        return f"did not return to all-up afterwards: {', '.join(lab.missing_parts()) or 'routes differ'}"
    return None


def _read(lab: Lab, item: Scenario, predicted: tuple[FlowPrediction, ...]) -> Reading:
    topology = lab.plan.topology
    if is_estate(topology):
        return read(lab, predicted, None, {})
    down = down_nodes(lab.plan, item)
    scope = {node: prefixes for node, prefixes in comparable_routes(topology).items() if node not in down}
    return read(lab, predicted, routing_table(topology, item), scope)


def _outcome(item: Scenario, actions: tuple[str, ...], seconds: float, reading: Reading, ok: bool) -> ScenarioOutcome:
    return ScenarioOutcome(item.name, tuple(sorted(item.failed)), actions, seconds, ok, reading.flows,
                           tuple(str(m) for m in reading.routes))


def _said(outcome: ScenarioOutcome) -> str:
    if outcome.agrees:
        return f"{outcome.name}: agrees ({outcome.seconds:.1f} s)"
    if outcome.error:
        return f"{outcome.name}: {outcome.error}"
    differing = sum(not flow.agrees for flow in outcome.flows) + len(outcome.route_differences)
    return f"{outcome.name}: {differing} difference(s){'' if outcome.converged else ', did not converge'}"


def _vpn_hold_s(topology: Topology) -> float:
    holds = [g.bgp.timers.hold_s for g in topology.gateways if isinstance(g, VpnGateway) and g.bgp is not None]
    return float(max(holds, default=0))


def _start_tunnels(lab: Lab) -> None:
    """Start every CHILD SA of the on-prem VPN ends again, as an operator clears a stuck crypto session:
    after a silent outage longer than DPD one end may have deleted an SA the other still uses."""
    for node in lab.plan.nodes:
        if node.side != "onprem" or not node.swanctl_config:
            continue
        for connection, children in _swanctl_children(node.swanctl_config).items():
            lab.run(node.name, ["swanctl", "--terminate", "--ike", connection, "--timeout", "5"], timeout=10)
            for child in children:
                lab.run(node.name, ["swanctl", "--initiate", "--child", child, "--timeout", "10"], timeout=15)


def _swanctl_children(config: str) -> dict[str, list[str]]:
    """Connection → its CHILD SA names, from a swanctl.conf's ``connections`` block."""
    found: dict[str, list[str]] = {}
    path: list[str] = []
    for line in config.splitlines():
        text = line.strip()
        opened = re.fullmatch(r"([\w.-]+)\s*\{", text)
        if opened:
            if len(path) == 1 and path[0] == "connections":
                found[opened.group(1)] = []
            elif len(path) == 3 and path[0] == "connections" and path[2] == "children":
                found[path[1]].append(opened.group(1))
            path.append(opened.group(1))
        elif text == "}" and path:
            path.pop()
    return found
