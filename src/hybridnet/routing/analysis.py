"""The failover matrix: every flow's path both ways in every scenario, and what is wrong with it.

A flow is one on-prem prefix ↔ one VNet subnet. Forward is on-prem → Azure (from the core router),
reverse is Azure → on-prem (from the VNet fabric). Flows whose prefixes are routed alike share one
result object, so the analysis costs (scenarios × prefix classes), not (scenarios × flows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network

from hybridnet.model import Topology
from hybridnet.routing.bestpath import Via
from hybridnet.routing.decisions import (
    Choices,
    NextHop,
    OnPremBgp,
    onprem_prefix_choices,
    vnet_choices,
)
from hybridnet.routing.design import VNET_FABRIC, RoutingDesign, key_of, routing_design
from hybridnet.routing.estate_design import EstateDesign, estate_design, is_estate
from hybridnet.routing.paths import Fate, GatewayKind, Path, trace
from hybridnet.routing.prefixes import Announcers, PrefixClass, classify
from hybridnet.routing.scenarios import LiveState, Scenario, failure_scenarios, live_state
from hybridnet.routing.subnet_routes import SubnetRouting, first_hop

ChoicesFor = Callable[[Announcers], Choices]


class Flag(StrEnum):
    ASYMMETRIC = "asymmetric"
    BLACKHOLE = "blackhole"
    UNEXPECTED_PATH = "unexpected-path"
    TRANSIT = "transit"
    """Estates: two sites lose each other because Azure does not transit between their connections."""
    FIREWALL_ASYMMETRIC = "firewall-asymmetric"
    """Estates: out through one stateful firewall, back through another; the flow dies."""
    SPOF = "spof"
    """Estates: one part alone cuts a flow that the design otherwise backs up."""


REFERENCE_FLAGS = (Flag.ASYMMETRIC, Flag.BLACKHOLE, Flag.UNEXPECTED_PATH)
"""What the reference's single shape can show (its output lists these only)."""


@dataclass(frozen=True)
class Flow:
    onprem_prefix: IPv4Network
    subnet: str
    subnet_prefix: IPv4Network
    site: str | None = None
    """Estates: the on-prem site the prefix belongs to."""
    peer_site: str | None = None
    """Estates: for a flow between two sites, the other one (``subnet`` is then ``<site>:<prefix>``)."""

    @property
    def label(self) -> str:
        return f"{self.onprem_prefix} ↔ {self.subnet}"


@dataclass(frozen=True)
class FlowResult:
    forward: Path
    """On-prem → Azure, from the core router."""
    reverse: Path
    """Azure → on-prem, from the VNet fabric."""
    flags: frozenset[Flag]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    by_class: tuple[FlowResult, ...]


@dataclass(frozen=True)
class Analysis:
    design: RoutingDesign | EstateDesign
    flows: tuple[Flow, ...]
    flow_class: tuple[int, ...]
    """Each flow's index into every ``ScenarioResult.by_class``."""
    results: tuple[ScenarioResult, ...]

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        return tuple(result.scenario for result in self.results)

    def scenario_result(self, name: str) -> ScenarioResult:
        for result in self.results:
            if result.scenario.name == name:
                return result
        raise KeyError(f"no scenario named {name!r}")

    def flow_index(self, onprem_prefix: str | IPv4Network, subnet: str) -> int:
        prefix = IPv4Network(onprem_prefix)
        for index, flow in enumerate(self.flows):
            if flow.onprem_prefix == prefix and flow.subnet == subnet:
                return index
        raise KeyError(f"no flow {prefix} ↔ {subnet}")

    def result(self, scenario: str, onprem_prefix: str | IPv4Network, subnet: str) -> FlowResult:
        """One flow's answer in one scenario, by names (what tests and users ask for)."""
        return self.scenario_result(scenario).by_class[
            self.flow_class[self.flow_index(onprem_prefix, subnet)]
        ]

    def rows(self, result: ScenarioResult) -> Iterator[tuple[Flow, FlowResult]]:
        for flow, index in zip(self.flows, self.flow_class, strict=True):
            yield flow, result.by_class[index]


def analyse(
    topology: Topology | RoutingDesign | EstateDesign,
    scenarios: Iterable[Scenario] | None = None,
    *,
    depth: int | None = None,
    bgp: OnPremBgp = OnPremBgp(),
    onprem_prefixes: Iterable[IPv4Network] = (),
) -> Analysis:
    """Predict every flow's path in every scenario (by default all single and double failures).

    Flows run from every on-prem prefix the design owns or announces, plus ``onprem_prefixes``
    (so two designs can be compared on the same flows), to every VNet subnet. An estate (spokes,
    several sites or circuits) goes to ``estate_analysis``; there ``onprem_prefixes`` is not used (each
    flow belongs to a site), and without ``depth`` the double failures are left out when too many.
    """
    if isinstance(topology, Topology) and is_estate(topology):
        topology = estate_design(topology)
    if isinstance(topology, EstateDesign):
        from hybridnet.routing.estate_analysis import analyse_estate

        return analyse_estate(topology, scenarios, depth=depth, bgp=bgp)
    depth = 2 if depth is None else depth
    design = topology if isinstance(topology, RoutingDesign) else routing_design(topology)
    chosen = tuple(scenarios) if scenarios is not None else failure_scenarios(design, depth)
    prefixes = design.onprem_prefixes()
    extra = tuple(onprem_prefixes)
    if extra:
        every = {key_of(prefix): prefix for prefix in (*prefixes, *extra)}
        prefixes = tuple(every[key] for key in sorted(every))
    onprem_classes, onprem_member = classify(design, prefixes)
    vnet_keys = [
        (any(subnet.prefix.subnet_of(vnet) for vnet in design.vnet_prefixes), SubnetRouting.of(subnet))
        for subnet in design.vnet_subnets
    ]
    vnet_classes = list(dict.fromkeys(vnet_keys))
    subnet_class = [vnet_classes.index(key) for key in vnet_keys]
    flows, flow_class = [], []
    for onprem_index, prefix in zip(onprem_member, prefixes, strict=True):
        base = onprem_index * len(vnet_classes)
        for subnet, vnet_index in zip(design.vnet_subnets, subnet_class, strict=True):
            flows.append(Flow(prefix, subnet.name, subnet.prefix))
            flow_class.append(base + vnet_index)
    results = tuple(_scenario_result(design, item, onprem_classes, vnet_classes, bgp) for item in chosen)
    return Analysis(design, tuple(flows), tuple(flow_class), results)


VnetClass = tuple[bool, SubnetRouting]
"""Subnets routed alike: inside the VNet address space or not, and their route table's effect."""


def _scenario_result(
    design: RoutingDesign,
    scenario: Scenario,
    onprem_classes: tuple[PrefixClass, ...],
    vnet_classes: list[VnetClass],
    bgp: OnPremBgp,
) -> ScenarioResult:
    state = live_state(design, scenario.failed)
    to_vnet = vnet_choices(design, state, bgp)
    cache: dict[Announcers, Choices] = {}

    def towards(announcers: Announcers) -> Choices:
        if announcers not in cache:
            cache[announcers] = onprem_prefix_choices(design, state, announcers)
        return cache[announcers]

    forwards = {covered: _forward(design, to_vnet, covered) for covered, _ in vnet_classes}
    er_links_up = {
        link.edge_router
        for link in design.er_links
        if link.link in state.ce_sessions and link.link in state.msee_to_gateway
    }
    by_class = []
    for prefix_class in onprem_classes:
        pinned = _pinned_by_more_specific(prefix_class, towards, er_links_up)
        er_announces = any(link.announcers & er_links_up for link in prefix_class.chain)
        reverses: dict[SubnetRouting, tuple[Path, str | None]] = {}
        for covered, routing in vnet_classes:
            if routing not in reverses:
                reverses[routing] = _reverse(design, state, routing, prefix_class, towards)
            reverse, because = reverses[routing]
            by_class.append(
                _judge(forwards[covered], reverse, bool(er_links_up), er_announces, pinned, because)
            )
    return ScenarioResult(scenario, tuple(by_class))


def _forward(design: RoutingDesign, to_vnet: Choices, covered: bool) -> Path:
    return trace(
        design.core,
        lambda node: to_vnet.get(node, ()) if covered else (),
        lambda node: Fate.DELIVERED if covered and node == VNET_FABRIC else None,
    )


def _reverse(
    design: RoutingDesign,
    state: LiveState,
    routing: SubnetRouting,
    prefix_class: PrefixClass,
    towards: ChoicesFor,
) -> tuple[Path, str | None]:
    """Azure → on-prem from a subnet; also why the subnet's first hop is not a gateway route, if so."""
    edges = (*design.edge_routers, design.vpn_appliance)
    to_core = (NextHop(design.core, Via.INTERNAL),) if prefix_class.internal else ()
    start = first_hop(design, state, routing, prefix_class, towards)

    def next_hops(node: str) -> tuple[NextHop, ...]:
        if node == VNET_FABRIC:
            return start.hops
        if node in edges:
            return to_core
        for link in prefix_class.chain:  # longest prefix first
            hops = towards(link.announcers).get(node)
            if hops:
                return hops
        return ()

    def end_of(node: str) -> Fate | None:
        if node.startswith("virtual-appliance"):
            return Fate.UNMODELLED
        return Fate.DELIVERED if prefix_class.internal and node == design.core else None

    return trace(VNET_FABRIC, next_hops, end_of), start.because


def _pinned_by_more_specific(prefix_class: PrefixClass, towards: ChoicesFor, er_links_up: set[str]) -> bool:
    """Azure matched a prefix announced over the VPN only while a covering one comes over ExpressRoute."""
    for depth, link in enumerate(prefix_class.chain):
        if towards(link.announcers).get(VNET_FABRIC):
            return any(less.announcers & er_links_up for less in prefix_class.chain[depth + 1 :])
    return False


def _judge(
    forward: Path, reverse: Path, er_up: bool, er_announces: bool, pinned: bool, because: str | None
) -> FlowResult:
    flags: set[Flag] = set()
    reasons: list[str] = [f"from the subnet: {because}"] if because else []
    if reverse.unmodelled:
        flags.add(Flag.UNEXPECTED_PATH)
    for name, path in (("forward", forward), ("reverse", reverse)):
        if path.blackhole:
            flags.add(Flag.BLACKHOLE)
            where = ", ".join(path.dropped_at)
            reasons.append(
                f"{name} traffic is dropped at {where}"
                if path.gateway is GatewayKind.NONE
                else f"part of the {name} traffic is dropped at {where}"
            )
    if GatewayKind.NONE not in (forward.gateway, reverse.gateway) and forward.gateway != reverse.gateway:
        flags.add(Flag.ASYMMETRIC)
        reasons.append(
            f"on-prem sends over {forward.gateway} but Azure answers over {reverse.gateway}: "
            "a stateful firewall on the way drops the flow"
        )
    if er_up and forward.uses_vpn:
        flags.add(Flag.UNEXPECTED_PATH)
        reasons.append(
            "on-prem sends over the VPN while ExpressRoute is up: give the CEs' ExpressRoute routes a "
            "higher local preference than the VPN appliance's"
        )
    if er_announces and reverse.uses_vpn:
        flags.add(Flag.UNEXPECTED_PATH)
        reasons.append(
            "Azure sends over the VPN while ExpressRoute is up: a more specific prefix is announced "
            "over the VPN only, and the longest prefix wins before ExpressRoute is preferred"
            if pinned
            else "Azure sends over the VPN while ExpressRoute is up"
        )
    return FlowResult(forward, reverse, frozenset(flags), tuple(reasons))
