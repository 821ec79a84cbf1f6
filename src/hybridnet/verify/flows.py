"""What the analysis predicts for each flow the lab can probe, in the lab's node names (pure).

A flow here is one on-prem host ↔ one workload VM: the first host of each site against every
workload, hub and spokes (for an estate: site × VNet, one row per workload of the VNet). Its
prediction is the analysis's answer for the host's most specific site prefix and the workload's
subnet, both ways, with every ECMP branch. The analysis and the lab name nodes alike (``model.names``),
so a prediction and a live hop list compare node for node; the one modelling difference — the lab's
peering is a cable from the hub's fabric — is ``_through_hub``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from hybridnet.errors import BadInput
from hybridnet.model import Topology
from hybridnet.model.names import SPOKE_NODE_PREFIX, VNET_FABRIC_NODE
from hybridnet.routing import Analysis, Fate, Path, Scenario, analyse, failure_scenarios, routing_design
from hybridnet.routing.estate_analysis import estate_scenarios
from hybridnet.routing.estate_design import EstateDesign, estate_design, is_estate


class VerifyInputError(BadInput, ValueError):
    """The topology gives the matrix nothing to verify (no host or no workload), or a bad depth."""


@dataclass(frozen=True)
class FlowEnds:
    """The two nodes a flow runs between in the lab, and what the analysis calls the flow."""

    name: str
    site: str
    vnet: str
    host: str
    host_address: IPv4Address
    workload: str
    workload_address: IPv4Address
    subnet: str
    """The analysis's subnet label (``<spoke>/<subnet>`` in a spoke)."""


@dataclass(frozen=True)
class Branches:
    """One direction of a prediction: every ECMP branch as lab node names, and whether it arrives."""

    branches: tuple[tuple[str, ...], ...]
    delivered: tuple[bool, ...]

    @property
    def all_delivered(self) -> bool:
        return all(self.delivered)

    @property
    def any_delivered(self) -> bool:
        return any(self.delivered)


@dataclass(frozen=True)
class FlowPrediction:
    flow: FlowEnds
    prefix: IPv4Network
    forward: Branches
    """Host → workload: from the site's router that holds the LAN into the VNet."""
    reverse: Branches


def scenarios_for(topology: Topology, depth: int, only: Iterable[str] = ()) -> tuple[Scenario, ...]:
    """All-up, then every single failure (and with ``depth`` 2 every double one): the failure points
    of the route analysis, ``estate_scenarios`` for an estate; ``only`` keeps all-up and those named."""
    if depth not in (1, 2):
        raise VerifyInputError(f"--depth {depth}: give 1 (every single failure) or 2 (and every double one)")
    if is_estate(topology):
        every = estate_scenarios(estate_design(topology), depth)
    else:
        every = failure_scenarios(routing_design(topology), depth)
    chosen = set(only)
    if not chosen:
        return every
    unknown = sorted(chosen - {item.name for item in every})
    if unknown:
        raise VerifyInputError(f"--only {', '.join(unknown)}: no such scenario at depth {depth}",
                               fix=f"choose from: {', '.join(item.name for item in every[1:])}")
    return (every[0], *(item for item in every[1:] if item.name in chosen))


def flow_ends(topology: Topology) -> tuple[FlowEnds, ...]:
    """The first host of every site against every workload: what the matrix probes."""
    found: list[FlowEnds] = []
    hub = topology.vnet.name
    for site in topology.all_sites:
        hosts = [host for subnet in site.subnets for host in subnet.hosts]
        if not hosts:
            continue
        host = hosts[0]
        for workload in topology.workloads:
            vnet = workload.vnet or hub
            label = workload.subnet if vnet == hub else f"{vnet}/{workload.subnet}"
            found.append(FlowEnds(f"{host.name} ↔ {workload.name}", site.name, vnet, host.name, host.address,
                                  workload.name, workload.address, label))
    if not found:
        raise VerifyInputError(
            f"{topology.source or 'the topology'}: no flow to verify: the matrix needs an on-prem host "
            "(onprem.subnets[].hosts or sites[].subnets[].hosts) and a workload (workloads)")
    return tuple(found)


def predict(topology: Topology, scenarios: Iterable[Scenario]) -> dict[str, tuple[FlowPrediction, ...]]:
    """Scenario name → every flow's prediction, in lab node names."""
    design: EstateDesign | Topology = estate_design(topology) if is_estate(topology) else topology
    chosen = tuple(scenarios)
    analysis = analyse(design, chosen)
    ends = flow_ends(topology)
    keys = [_flow_key(analysis, end) for end in ends]
    predicted: dict[str, tuple[FlowPrediction, ...]] = {}
    for result in analysis.results:
        rows = []
        for end, (index, prefix) in zip(ends, keys, strict=True):
            answer = result.by_class[analysis.flow_class[index]]
            rows.append(FlowPrediction(end, prefix, _branches(answer.forward),
                                       _branches(answer.reverse)))
        predicted[result.scenario.name] = tuple(rows)
    return predicted


def _flow_key(analysis: Analysis, end: FlowEnds) -> tuple[int, IPv4Network]:
    """The analysis flow of this host and workload: the host's most specific prefix of its site."""
    candidates = [
        (index, flow.onprem_prefix) for index, flow in enumerate(analysis.flows)
        if flow.subnet == end.subnet and flow.peer_site is None and end.host_address in flow.onprem_prefix
        and (flow.site is None or flow.site == end.site)
    ]
    if not candidates:
        raise VerifyInputError(
            f"host {end.host} ({end.host_address}) of site {end.site} is in no prefix its site owns or announces, "
            f"so the analysis has no flow to {end.subnet}: give the host an address inside the site's address space")
    return max(candidates, key=lambda item: item[1].prefixlen)


def _branches(path: Path) -> Branches:
    return Branches(
        tuple(_through_hub(branch.hops) for branch in path.branches),
        tuple(branch.fate is Fate.DELIVERED for branch in path.branches),
    )


def _through_hub(hops: tuple[str, ...]) -> tuple[str, ...]:
    """The analysis goes from a gateway straight into a peered spoke (a peering is a system route, not a
    router); the lab's peering is a cable from the hub's fabric, so the fabric is one more hop between a
    spoke and anything but the fabric."""
    found: list[str] = []
    for hop in hops:
        if found and _is_spoke(hop) != _is_spoke(found[-1]) and VNET_FABRIC_NODE not in (hop, found[-1]):
            found.append(VNET_FABRIC_NODE)
        found.append(hop)
    return tuple(found)


def _is_spoke(node: str) -> bool:
    return node.startswith(SPOKE_NODE_PREFIX) and node[len(SPOKE_NODE_PREFIX):].isdigit()
