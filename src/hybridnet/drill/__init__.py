"""The failover drill: a scenario played on a lab, measured, as a DrillResult for ``report/``.

``run_drill(topology, scenario, options, lab=None)`` is the whole drill: it checks what was asked,
plans the lab once, attaches to the lab already running this topology (or brings one up, and takes
it down again afterwards unless ``options.keep``), runs the scenario ``options.repeat`` times and
returns the result with the secrets reports must mask.

- ``scenario``, ``faults``: what a drill does, as data (printable and testable without root);
- ``run/``: the runner, the probe fleet, the control-plane watch and the path checks — on a lab,
  through the public Lab API of ``hybridnet.emulate`` only;
- ``analysis/``: pure, from records to results; ``result``: the results themselves.

The programs that run inside the lab's namespaces (the probe agent) are in ``hybridnet.agents``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hybridnet.drill.options import DrillOptions
from hybridnet.errors import BadInput, HybridnetError

if TYPE_CHECKING:
    from hybridnet.drill.result import DrillResult
    from hybridnet.drill.scenario import Scenario
    from hybridnet.emulate import Lab, LabPlan
    from hybridnet.model import Topology

Progress = Callable[[str], None]
BRING_UP_TIMEOUT_S = 120.0

__all__ = ["DrillOptions", "run_drill"]


def run_drill(topology: Topology, scenario: Scenario | str, options: DrillOptions | None = None,
              lab: Lab | None = None, *, progress: Progress | None = None) -> DrillResult:
    """Drill ``scenario`` (a Scenario, or its name) on ``topology``; the result carries ``secrets``.

    With ``lab``, the drill runs on that lab and leaves it as it is. Without, it uses the lab named
    ``options.lab`` (default: from the topology's name) if that runs this topology, or brings one
    up. Raises HybridnetError subclasses: bad input (exit 2) before anything touches the system,
    failures (exit 1) after; ``cause`` says which part failed.
    """
    from hybridnet.drill.flows import select_flows
    from hybridnet.drill.run.runner import run_scenario
    from hybridnet.drill.scenario import SCENARIO_FORMS, build_scenario, is_scenario_name
    from hybridnet.emulate import LabError, check_environment, plan

    options = options or DrillOptions()
    say = progress or (lambda _message: None)
    if isinstance(scenario, str) and not is_scenario_name(scenario):
        raise BadInput(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIO_FORMS)}")
    options.check()
    select_flows(topology, options.flow_budget, options.host, options.workload)  # bad input before anything runs
    chosen = build_scenario(scenario, topology, flaps=options.flaps) if isinstance(scenario, str) else scenario
    if lab is None:
        try:
            lab_plan = plan(topology, lab=options.lab)  # once per drill: attaching or bringing up reuses it
        except LabError as error:
            raise LabError(error.message, fix=error.fix, cause="bad input") from None
        try:
            check_environment()  # root and the daemons, before anything touches the system
        except LabError as error:
            raise LabError(error.message, fix=error.fix, cause="environment") from None
        running, ours = _lab_for(lab_plan, topology, say)
    else:
        running, ours = lab, False
    if isinstance(scenario, str) and "=" in scenario:  # a fault that may cut every cable of a device: the lab's
        chosen = build_scenario(scenario, topology, flaps=options.flaps, cables=_cables(running))
    try:
        secrets = tuple(running.secrets())  # read while the lab's files exist: it may be taken down below
        result = _run(running, chosen, options, say, run_scenario)
    finally:
        if ours and not options.keep:
            say(f"taking lab {running.name} down")
            _down(running.name)
    result.secrets = secrets + _topology_secrets(topology)
    return result


def _run(lab: Lab, scenario: Scenario, options: DrillOptions, say: Progress,
         run_scenario: Callable[..., DrillResult]) -> DrillResult:
    from pyroute2 import NetlinkError

    from hybridnet.drill.run.runner import BackupNotReady
    from hybridnet.errors import system_error

    try:
        return run_scenario(lab, scenario, options, repeat=options.repeat, progress=say)
    except BackupNotReady:
        raise  # its message and cause say why already (exit 1)
    except HybridnetError as error:
        raise DrillFailed(f"the drill could not run: {error}", "lab") from error
    except (OSError, NetlinkError) as error:
        raise DrillFailed(f"the drill could not run: {system_error(error)}", "lab") from error


class DrillFailed(HybridnetError):
    """The drill started but could not finish (a lab or agent failure on the way)."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message, cause=cause)


def _lab_for(lab_plan: LabPlan, topology: Topology, say: Progress) -> tuple[Lab, bool]:
    """The running lab of the plan's name (if it runs this topology), or a new one; True when we started it."""
    from pyroute2 import NetlinkError

    from hybridnet.emulate import Lab, LabError, LabNotReady, down
    from hybridnet.errors import system_error

    name = lab_plan.lab
    try:
        if Lab.is_running(name):
            running = Lab.attach(name, lab_plan)
            if not running.runs(topology):
                raise LabError(f"lab {name} runs a different topology ({running.state.topology}); take it down "
                               f"with `hybridnet down --lab {name}` or choose another --lab", cause="bad input")
            say(f"using the running lab {name}")
            return running, False
        say(f"bringing lab {name} up")
        return Lab.up(lab_plan, timeout_s=BRING_UP_TIMEOUT_S, progress=say), True
    except LabNotReady as error:
        cause = _vpn_diagnosis(name, lab_plan) or "the lab did not become ready"
        down(name)
        raise DrillFailed(f"the lab did not become ready: {error}", cause) from None
    except (OSError, NetlinkError) as error:
        raise DrillFailed(f"lab {name} could not be brought up: {system_error(error)}", "lab") from None


def _vpn_diagnosis(name: str, lab_plan: LabPlan) -> str | None:
    """strongSwan's reason why the VPN of lab ``name`` is not up, if it gives one."""
    from hybridnet.emulate import Lab

    try:
        return Lab.attach(name, lab_plan).vpn_failure()
    except (HybridnetError, OSError):
        return None


def _down(name: str) -> None:
    from hybridnet.emulate import down

    down(name)


def _cables(lab: Lab) -> tuple[tuple[str, str], ...] | None:
    """The lab's cables as node pairs (None when its plan does not list them)."""
    links = getattr(lab.plan, "links", None)
    return None if links is None else tuple((link.a.node, link.b.node) for link in links)


def _topology_secrets(topology: Topology) -> tuple[str, ...]:
    """The topology's own keys (when it names them), masked too."""
    from hybridnet.emulate import lab_keys

    keys = lab_keys(topology)
    return () if keys.generated else keys.all_keys
