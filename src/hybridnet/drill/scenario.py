"""Scenarios: the seed's test procedure, and the other faults, as a list of steps.

The reference guidance ends with a manual test: connect over ExpressRoute, have the provider stop
the circuit, check the VPN carries the traffic, restore. ``circuit-down`` is exactly that; every
other scenario keeps the same shape (verify, fault, verify, undo) around another fault, and
``flapping`` cuts the circuit several times in a row. A scenario is pure data: the runner decides
how long to wait from the topology's timers (``step_timeout_s``), so a drill on a topology with
Azure's 180 s hold time waits long enough, and one with BFD does not wait needlessly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hybridnet.drill.faults import ARGUMENT_FAULTS, FAULT_BUILDERS, Cables, Fault, FaultError, build_fault
from hybridnet.drill.result import PathLabel
from hybridnet.model import Topology

StepAction = Literal["verify", "apply", "undo"]
DEFAULT_SCENARIO = "circuit-down"
MAX_FLAPS = 20
VERIFY_S = 2.0
"""How long a verify step watches traffic on the expected path."""
SETTLE_S = 1.0
"""After a move, traffic must flow on the new path this long before the step ends."""
WATCH_S = 3.0
"""How long a fault that must *not* move traffic is watched, beyond the time to detect it."""


@dataclass(frozen=True)
class Step:
    """One step: what the drill does, and where traffic must be when the step ends.

    ``waits_for_move``: the step ends once traffic has settled on ``expected_path`` (bounded by the
    step timeout); otherwise the drill watches for ``watch_s`` and then checks where traffic is.
    """

    name: str
    action: StepAction
    expected_path: PathLabel
    waits_for_move: bool
    watch_s: float = VERIFY_S


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    steps: tuple[Step, ...]

    @property
    def title(self) -> str:
        return self.fault.title if self.name != "flapping" else f"flapping: {self.fault.title}, repeatedly"


SCENARIO_NAMES = (*FAULT_BUILDERS, "flapping")
SCENARIO_FORMS = (*SCENARIO_NAMES, *(f"{name}={arg}" for name, (arg, _b) in ARGUMENT_FAULTS.items()))
"""Every scenario; those with ``=<...>`` take an argument (``site-firewall-down=hq``)."""


def is_scenario_name(name: str) -> bool:
    """Whether ``name`` is a scenario (``circuit-down``, or ``peering-location=<anything>``); whether the
    argument names something of the topology is for ``build_scenario`` to say."""
    kind, equals, _argument = name.partition("=")
    return (not equals and (name in FAULT_BUILDERS or name == "flapping")) or (bool(equals) and kind in ARGUMENT_FAULTS)

_WORDS: dict[str, tuple[str, str]] = {
    "circuit-down": ("stop the circuit", "restore the circuit"),
    "primary-link-down": ("cut the primary link", "restore the primary link"),
    "gray-failure": ("drop silently on the circuit", "end the silent drop"),
    "vpn-down": ("stop the VPN", "restore the VPN"),
    "both-down": ("stop the circuit and the VPN", "restore the circuit and the VPN"),
    "gateway-daemon-killed": ("kill the ExpressRoute gateway's bgpd", "restart the ExpressRoute gateway's bgpd"),
}

_ARGUMENT_WORDS: dict[str, tuple[str, str]] = {
    "peering-location": ("take the peering location down", "restore the peering location"),
    "bgp-disconnect": ("disconnect the circuit's BGP", "reconnect the circuit's BGP"),
    "site-firewall-down": ("take the site's firewall down", "restore the site's firewall"),
    "spoke-peering-removed": ("remove the spoke's peering", "restore the spoke's peering"),
    "branch-vpn-down": ("stop the site's VPN", "restore the site's VPN"),
}


def build_scenario(name: str, topology: Topology, *, flaps: int = 3, watch_s: float = WATCH_S,
                   cables: Cables | None = None) -> Scenario:
    """The scenario called ``name`` (see SCENARIO_NAMES); FaultError for an unknown name or a bad count.

    ``cables``: the lab plan's cables (node pairs), for faults that cut every cable of a device.
    Faults with an argument verify ExpressRoute first and restore at the end like the others; where
    each flow must be meanwhile is the analysis's to say (``drill.expectations``), so their middle
    step is "verify where the analysis expects"."""
    if name == "flapping":
        if not 1 <= flaps <= MAX_FLAPS:
            raise FaultError(f"flapping needs between 1 and {MAX_FLAPS} cuts, not {flaps}")
        fault = build_fault("circuit-down", topology)
        steps = [Step("verify over ExpressRoute", "verify", "ExpressRoute", False)]
        for cut in range(1, flaps + 1):
            steps += [Step(f"cut {cut}: stop the circuit", "apply", fault.expected_path, True),
                      Step(f"cut {cut}: restore the circuit", "undo", "ExpressRoute", True)]
        return Scenario("flapping", fault, tuple(steps))
    fault = build_fault(name, topology, cables)
    kind = name.partition("=")[0]
    if kind in ARGUMENT_FAULTS:
        return Scenario(fault.name, fault, (
            Step("verify over ExpressRoute", "verify", "ExpressRoute", False),
            Step(f"{_ARGUMENT_WORDS[kind][0]} ({fault.title})", "apply", fault.expected_path, fault.moves, watch_s),
            Step("verify where the analysis expects", "verify", fault.expected_path, False),
            Step(_ARGUMENT_WORDS[kind][1], "undo", "ExpressRoute", True),
        ))
    apply_words, undo_words = _WORDS[name]
    during = "verify over the VPN" if fault.expected_path == "VPN" else "verify over ExpressRoute"
    return Scenario(name, fault, (
        Step("verify over ExpressRoute", "verify", "ExpressRoute", False),
        Step(apply_words, "apply", fault.expected_path, fault.moves, watch_s),
        Step(during, "verify", fault.expected_path, False),
        Step(undo_words, "undo", "ExpressRoute", True),
    ))


def detection_budget_s(topology: Topology, fault: Fault) -> float:
    """The longest the routers may take to notice ``fault``, from the topology's timers.

    A cut link or a killed daemon is noticed at once (carrier loss, a closed TCP session), and so
    is a stopped VPN on the VPN appliance's side; a gray failure only by BFD, or without it by the
    BGP hold timer.
    """
    peering = topology.circuit.private_peering if topology.circuit is not None else None
    if fault.name != "gray-failure" or peering is None:
        return 1.0
    if peering.bfd.enabled:
        return peering.bfd.detection_ms / 1000.0
    return float(peering.bgp_timers.hold_s)


def step_timeout_s(topology: Topology, fault: Fault, step: Step) -> float:
    """How long a step may wait for traffic to settle before the drill says it did not verify.

    Detection plus generous convergence: Azure documents up to a minute between the ExpressRoute
    gateways and the MSEEs, and after a restore the BGP sessions must connect again (connect
    retry) before traffic can return.
    """
    if step.action == "undo":
        return 90.0
    if step.action == "apply":
        return detection_budget_s(topology, fault) + 60.0
    return step.watch_s + 30.0


def watch_s(topology: Topology, fault: Fault, step: Step) -> float:
    """How long to watch a step that does not wait for a move: its own time, plus detection when
    the point is to show that a fault (once noticed) still leaves traffic where it was."""
    if step.action == "apply" and not step.waits_for_move:
        return detection_budget_s(topology, fault) + step.watch_s
    return step.watch_s
