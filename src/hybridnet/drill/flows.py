"""Which flows a drill probes: one host per site to one workload per VNet, within a budget.

The reference has one site and one VNet, so one flow: the host and workload the user named (or the
first of each), exactly as before. An estate has every site × every VNet (hub first, then the
spokes); each site is represented by its first host and each VNet by its first workload, and every
probed flow gets the UDP sequence probes both ways and its own TCP stream. Each flow costs four or
five agent processes, so a drill probes at most ``budget`` flows: when the estate has more, it
samples deterministically — first one flow per site and per VNet (so every site and every VNet is
probed at least once), then the remaining pairs in order — and the report says which were left out.
Sites without hosts and VNets without workloads cannot be probed; the report names them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from hybridnet.drill.run.fleet import DrillSetupError, Endpoints
from hybridnet.model import Topology

DEFAULT_FLOW_BUDGET = 12
MAX_FLOW_BUDGET = 64


@dataclass(frozen=True)
class FlowSelection:
    """The flows a drill probes, and what it leaves out and why (for the report)."""

    flows: tuple[Endpoints, ...]
    candidates: int
    """Flows the estate has (sites with a host × VNets with a workload)."""
    not_probed: tuple[str, ...] = ()
    """Why a site or VNet (or a flow, when sampled) is not probed, one sentence each."""

    @property
    def sampled(self) -> bool:
        return len(self.flows) < self.candidates

    @property
    def note(self) -> str:
        if not self.sampled:
            return ""
        return (f"{self.candidates} flows, budget {len(self.flows)}: probed a deterministic sample (every site and "
                "every VNet at least once, then the remaining pairs in order); raise --flow-budget to probe all")


def is_estate(topology: Topology) -> bool:
    """Spokes, several circuits or sites in the role form: the drill probes per site and VNet."""
    return bool(topology.estate_features())


def select_flows(topology: Topology, budget: int = DEFAULT_FLOW_BUDGET, host: str | None = None,
                 workload: str | None = None) -> FlowSelection:
    """The flows to probe (see the module's docstring); DrillSetupError (exit 2) names the choices for an
    unknown ``host`` or ``workload`` and says when there is nothing to probe."""
    if not is_estate(topology):
        return FlowSelection((Endpoints.choose(topology, host, workload),), 1)
    hosts = {h.name: (site.name, h.address) for site in topology.all_sites for subnet in site.subnets
             for h in subnet.hosts}
    workloads = {w.name: (w.vnet or topology.vnet.name, w.address) for w in topology.workloads}
    if host is not None and host not in hosts:
        raise DrillSetupError(f"--host {host!r} is not an on-prem host of this topology; choose one of: "
                              f"{', '.join(hosts) or 'none'}")
    if workload is not None and workload not in workloads:
        raise DrillSetupError(f"--workload {workload!r} is not a workload of this topology; choose one of: "
                              f"{', '.join(workloads) or 'none'}")
    not_probed: list[str] = []
    site_host: dict[str, str] = {}
    for site in topology.all_sites:
        if host is not None and hosts[host][0] != site.name:
            continue
        first = host if host is not None else next((h.name for s in site.subnets for h in s.hosts), None)
        if first is None:
            not_probed.append(f"site {site.name}: not probed, it has no host (add subnets[].hosts)")
        else:
            site_host[site.name] = first
    vnet_workload: dict[str, str] = {}
    isolated = {spoke.name for spoke in topology.spokes if not spoke.peering.gateway_transit}
    for vnet in topology.all_vnets:
        if workload is not None and workloads[workload][0] != vnet.name:
            continue
        if vnet.name in isolated and workload is not None:
            raise DrillSetupError(f"--workload {workload!r} is in spoke {vnet.name}, whose peering has no gateway "
                                  "transit: no on-prem host reaches it; choose a workload in the hub or a spoke "
                                  "that uses the hub's gateways")
        if vnet.name in isolated:
            # no gateway transit: on-prem cannot reach it by design (Azure and the lab agree), so there is
            # no flow to fail over; a TCP stream to it could not even start
            not_probed.append(f"VNet {vnet.name}: not probed, its peering has no gateway transit, so no site "
                              "reaches it (allow_gateway_transit and use_remote_gateways make it reachable)")
            continue
        first = workload if workload is not None else next(
            (name for name, (in_vnet, _a) in workloads.items() if in_vnet == vnet.name), None)
        if first is None:
            not_probed.append(f"VNet {vnet.name}: not probed, it has no workload (add a workload with vnet: "
                              f"{vnet.name})")
        else:
            vnet_workload[vnet.name] = first
    if not site_host or not vnet_workload:
        raise DrillSetupError("the drill probes from an on-prem host to a workload: give a site's subnets hosts and "
                              "a VNet a workload")
    pairs = [(s, v) for s in site_host for v in vnet_workload]
    chosen = sample_pairs(list(site_host), list(vnet_workload), budget)
    not_probed += [f"flow {s} → {v}: not probed (flow budget {budget})" for s, v in pairs if (s, v) not in chosen]
    url = _http_url(topology)
    flows = tuple(
        Endpoints(site_host[s], _address(hosts[site_host[s]][1]), vnet_workload[v],
                  _address(workloads[vnet_workload[v]][1]),
                  url if index == 0 and v == topology.vnet.name else None, site=s, vnet=v, index=index)
        for index, (s, v) in enumerate(chosen))
    return FlowSelection(flows, len(pairs), tuple(not_probed))


def sample_pairs(sites: list[str], vnets: list[str], budget: int) -> list[tuple[str, str]]:
    """At most ``budget`` (site, VNet) pairs: all of them when they fit; otherwise first a covering set (pair
    k is site k mod S with VNet k mod V, for k < max(S, V): every site and VNet once), then the remaining
    pairs in site-major order. Deterministic: the same estate and budget give the same flows."""
    every = [(s, v) for s in sites for v in vnets]
    if len(every) <= budget:
        return every
    chosen: list[tuple[str, str]] = []
    for k in range(max(len(sites), len(vnets))):
        pair = (sites[k % len(sites)], vnets[k % len(vnets)])
        if pair not in chosen:
            chosen.append(pair)
    chosen += [pair for pair in every if pair not in chosen]
    return chosen[:budget]


def _address(value: object) -> IPv4Address:
    return IPv4Address(str(value))


def _http_url(topology: Topology) -> str | None:
    if not topology.load_balancers:
        return None
    balancer = topology.load_balancers[0]
    port = balancer.rules[0].frontend_port if balancer.rules else 80
    return f"http://{balancer.frontend.address}:{port}/"
