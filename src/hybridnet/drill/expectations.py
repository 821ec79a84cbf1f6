"""Where each probed flow of an estate must be, step by step: from the route analysis, not assumed.

The reference drill knows its one answer ("ExpressRoute, then the VPN while the circuit is down").
An estate has many: a VPN-only branch never uses ExpressRoute, a site on the second circuit does not
notice the first one going down, a spoke whose peering is removed is simply cut off. So for each
probed flow the drill asks ``routing.estate_analysis`` — the same engine as ``hybridnet analyse`` —
for the flow's paths both ways with everything up and with the fault's parts failed
(``Fault.parts``), and a step expects the flow where the analysis puts it: ``ExpressRoute`` (with the
circuit when the analysis names one), ``VPN``, or ``none`` — cut, which is then the expected outcome
and not a drill failure.

A flow is matched to the analysis by its site, the longest of the site's prefixes holding the host's
address, and the workload's subnet (``<spoke>/<subnet>`` for a spoke, as the analysis labels it).
Pure: unit-tested on the three estate examples without a lab.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from hybridnet.drill.analysis.paths import combined_path
from hybridnet.drill.faults import Fault
from hybridnet.drill.result import Direction, PathLabel
from hybridnet.drill.run.fleet import Endpoints
from hybridnet.model import Topology
from hybridnet.routing.analysis import Flag, FlowResult
from hybridnet.routing.estate_analysis import analyse_estate
from hybridnet.routing.estate_design import EstateDesign, estate_design
from hybridnet.routing.paths import GatewayKind, Path
from hybridnet.routing.scenarios import scenario

_LABELS = {GatewayKind.ER: "ExpressRoute", GatewayKind.VPN: "VPN", GatewayKind.MIXED: "ExpressRoute+VPN"}


@dataclass(frozen=True)
class PathPrediction:
    """One flow in one scenario, as the analysis sees it: each way's path and, for ExpressRoute, circuit."""

    forward: PathLabel
    """On-prem → VNet: ``ExpressRoute``, ``VPN``, ``ExpressRoute+VPN`` (ECMP) or ``none`` (not delivered)."""
    reverse: PathLabel
    circuits: tuple[str, ...] = ()
    """The circuits the flow's ExpressRoute branches cross (either way)."""
    reasons: tuple[str, ...] = ()

    @property
    def cut(self) -> bool:
        return "none" in (self.forward, self.reverse)

    def label(self, direction: Direction) -> PathLabel:
        """What the drill measures for a probe sent in ``direction`` (its round trip, as ``TtlPaths``
        names it): ``none`` when either way is cut."""
        if self.cut:
            return "none"
        if direction == "onprem-to-vnet":
            return combined_path(self.forward, self.reverse)
        return combined_path(self.reverse, self.forward)

    @property
    def shown(self) -> str:
        if self.cut:
            return "none (cut)"
        via = f" ({', '.join(self.circuits)})" if self.circuits else ""
        return combined_path(self.forward, self.reverse) + via


@dataclass(frozen=True)
class FlowExpectation:
    """What the analysis says of one probed flow: intact and under the fault."""

    intact: PathPrediction
    faulted: PathPrediction
    untouched: bool
    """The fault changes nothing on the flow's paths (same hops both ways): it must lose nothing."""

    def for_step(self, action: str, direction: Direction) -> PathLabel:
        """The path a step must end on: the faulted one while the fault holds (the apply step and the
        verify after it), the intact one before and after."""
        return (self.faulted if action == "fault" else self.intact).label(direction)


def predict(topology: Topology, flows: tuple[Endpoints, ...], fault: Fault,
            design: EstateDesign | None = None) -> dict[int, FlowExpectation]:
    """Each flow's expectation (by flow index), from one analysis of two scenarios: all up, and the fault."""
    design = design or estate_design(topology)
    names = tuple(point.name for point in design.points)
    intact, faulted = scenario(frozenset()), scenario(fault.parts, names, "drill-fault")
    analysis = analyse_estate(design, [intact, faulted])
    msee_circuit = {edge.msee: edge.circuit for edge in design.edges}
    found: dict[int, FlowExpectation] = {}
    for flow in flows:
        subnet = _subnet_label(topology, flow)
        prefix = _site_prefix(design, flow.site, flow.host_address)
        if subnet is None or prefix is None:
            continue
        index = analysis.flow_index(prefix, subnet)
        before = analysis.results[0].by_class[analysis.flow_class[index]]
        during = analysis.results[1].by_class[analysis.flow_class[index]]
        found[flow.index] = FlowExpectation(
            _prediction(before, msee_circuit), _prediction(during, msee_circuit),
            untouched=(before.forward.branches, before.reverse.branches)
            == (during.forward.branches, during.reverse.branches))
    return found


def _prediction(result: FlowResult, msee_circuit: dict[str, str]) -> PathPrediction:
    dies = Flag.FIREWALL_ASYMMETRIC in result.flags
    circuits = tuple(dict.fromkeys(msee_circuit[hop] for path in (result.forward, result.reverse)
                                   for branch in path.branches for hop in branch.hops if hop in msee_circuit))
    return PathPrediction(_label(result.forward, dies), _label(result.reverse, dies), circuits, result.reasons)


def _label(path: Path, dies: bool) -> PathLabel:
    if dies or not path.delivered:
        return "none"
    return _LABELS.get(path.gateway, "none")


def _subnet_label(topology: Topology, flow: Endpoints) -> str | None:
    """The analysis's name for the workload's subnet: ``web`` in the hub, ``spoke-app/app`` in a spoke."""
    workload = topology.workload(flow.workload)
    if workload is None:
        return None
    hub = workload.vnet is None or workload.vnet == topology.vnet.name
    return workload.subnet if hub else f"{workload.vnet}/{workload.subnet}"


def _site_prefix(design: EstateDesign, site: str, address: IPv4Address) -> str | None:
    """The longest of the site's analysed prefixes that holds ``address``."""
    view = next((s for s in design.sites if s.name == site), None)
    if view is None:
        return None
    holding = [p for p in design.site_prefixes(view) if address in p]
    return str(max(holding, key=lambda p: p.prefixlen)) if holding else None


def untouched_note(expectations: dict[int, FlowExpectation], fault_title: str, not_probed: tuple[str, ...]) -> str:
    """A sentence when the analysis says the fault changes no probed flow's path, else "".

    Such a drill passes with nothing lost because it measures nothing: a peering location whose only
    site has no host, or whose flows the budget left out. The user must hear it rather than read a
    clean PASS (the drill still runs: the control plane's reaction is in the timeline)."""
    if not expectations or not all(e.untouched for e in expectations.values()):
        return ""
    why = ("; the flows it would change are not probed (see not probed)" if not_probed
           else "; nothing in the estate depends on what it takes down")
    return (f"{fault_title}: the analysis says this fault changes no probed flow's path, so the drill "
            f"measures no failover{why}")
