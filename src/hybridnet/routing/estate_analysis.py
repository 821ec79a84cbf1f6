"""The failover matrix of an estate: every site prefix ↔ every VNet subnet (hub and spokes) both ways, and
every pair of sites a site says it must ``reach`` through Azure, in every scenario.

How each side chooses (the same decision code as the reference's analysis, ``bestpath``):

* Azure, per on-prem prefix: longest prefix (and a subnet's UDRs) first, then ExpressRoute over VPN, then
  the connection ``routing_weight`` across circuits, then the AS path (site ASN, prepends included);
  the VPN gateway instances prefer what the ExpressRoute gateway learned (``12076 <site AS>``) and fall
  back to their tunnels. Transit between sites: the VPN gateway carries traffic between two VPN sites
  (it re-advertises what it learns from one BGP peer to the others); it does not carry traffic between an
  ExpressRoute-connected and a VPN-connected site (that needs Azure Route Server), nor between two circuits
  (that needs ExpressRoute Global Reach).
* on-prem, per site: BGP best path at every device (weight, local preference, AS path, origin, MED,
  eBGP over iBGP, router ID) over a full iBGP mesh with next-hop-self, hop by hop along the site links.

Flags beyond the reference's ``asymmetric``, ``blackhole`` and ``unexpected-path``:

* ``transit``: a flow between two sites is lost although both sites are connected to the hub, because what
  is left of their connections is of different kinds (or ExpressRoute on both): Azure does not transit.
* ``firewall-asymmetric``: the flow leaves through one set of stateful firewalls and comes back through
  another; the firewall that sees the reply holds no state for it and drops it.
* ``spof``: in the scenario where one part alone has failed, the flow is lost, although with everything up
  it is delivered both ways and some other single failure moves it to another path where it survives (the
  design gives it a backup, but that part is on every path). A removed peering or a whole site down is a
  change, not a failure, and is never a spof.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from ipaddress import IPv4Network

from hybridnet.routing.analysis import (
    Analysis,
    Flag,
    Flow,
    FlowResult,
    ScenarioResult,
    _judge,
    _pinned_by_more_specific,
)
from hybridnet.routing.bestpath import LOCAL_WEIGHT, AzureRoute, BgpRoute, Origin, Via, azure_best, bgp_best
from hybridnet.routing.decisions import Choices, NextHop, OnPremBgp, RoutingError
from hybridnet.routing.design import ER_AS_PATH_ONPREM, ER_GATEWAY, VNET_FABRIC, PrefixKey, key_of
from hybridnet.routing.estate_design import MSEE_ASN, EstateDesign, SiteView, VnetView
from hybridnet.routing.paths import Branch, Fate, Path, trace
from hybridnet.routing.prefixes import Announcers, ChainLink, PrefixClass, _CoverIndex
from hybridnet.routing.scenarios import Scenario, ScenarioError, scenario
from hybridnet.routing.subnet_routes import FirstHop, SubnetRouting, first_hop

COST_BUDGET = 2_000_000
"""Scenario × flow-class evaluations the default depth 2 may cost before falling back to depth 1."""


# ------------------------------------------------------------------------------------------- scenarios


def estate_scenarios(design: EstateDesign, depth: int) -> tuple[Scenario, ...]:
    from itertools import combinations

    names = tuple(point.name for point in design.points)
    found = [scenario(frozenset())]
    for size in range(1, depth + 1):
        found.extend(scenario(frozenset(parts), names) for parts in combinations(names, size))
    return tuple(found)


def scenario_count(design: EstateDesign, depth: int) -> int:
    n = len(design.points)
    return 1 + (n if depth >= 1 else 0) + (n * (n - 1) // 2 if depth >= 2 else 0)


def parse_estate_scenario(design: EstateDesign, spec: str) -> Scenario:
    """``[NAME=]part,...``, plus ``peering-location=<location>`` and ``site=<site>``."""
    name, _, parts_text = spec.rpartition("=")
    name = name.strip()
    if name == "peering-location":
        location = parts_text.strip()
        circuits = [c for c in design.circuits if c.location.lower() == location.lower()]
        if not circuits:
            known = ", ".join(dict.fromkeys(c.location for c in design.circuits)) or "none"
            raise ScenarioError(f"scenario {spec!r}: no circuit is in peering location {location!r}; "
                                f"choose from {known}")
        return scenario(frozenset({circuits[0].location_part}), name=f"peering-location={circuits[0].location}")
    if name == "site":
        site = next((s for s in design.sites if s.name == parts_text.strip()), None)
        if site is None:
            raise ScenarioError(f"scenario {spec!r}: no site named {parts_text.strip()!r}; choose from "
                                f"{', '.join(s.name for s in design.sites)}")
        return scenario(frozenset({site.part}), name=f"site={site.name}")
    parts = [part.strip() for part in parts_text.split(",") if part.strip()]
    known = tuple(point.name for point in design.points)
    unknown = [part for part in parts if part not in known and part not in design.hidden_parts]
    if unknown:
        raise ScenarioError(
            f"scenario {spec!r}: {', '.join(unknown)} is not a part of this design that can fail; "
            f"choose from {', '.join(known) or 'nothing'} (or peering-location=<location>, site=<site>)"
        )
    return scenario(frozenset(parts), known, name or None)


@dataclass(frozen=True)
class EstateState:
    up: frozenset[str]
    """On-prem devices that are up."""
    to_gateway: frozenset[str]
    """Circuits whose MSEEs reach the ExpressRoute gateway."""
    er_gateway_up: bool
    sessions: frozenset[str]
    """Edge devices whose session with their MSEE is up."""
    vpn_instances: frozenset[int]
    tunnels: frozenset[tuple[str, int]]
    """(VPN device, gateway instance) tunnels that are up and carry routes."""
    announced: frozenset[str]
    """VNets whose prefixes the hub's gateways announce (the hub; spokes with gateway transit)."""


def live(design: EstateDesign, failed: frozenset[str]) -> EstateState:
    up = set()
    for site in design.sites:
        if site.part in failed:
            continue
        for device in site.devices:
            parts = site.device_parts[device]
            if not (parts and all(part in failed for part in parts)):
                up.add(device)
    circuits_up = {c.name for c in design.circuits if c.circuit_part not in failed and c.location_part not in failed}
    er_up = design.er_gateway and ER_GATEWAY not in failed
    to_gateway = frozenset(c.name for c in design.circuits if c.name in circuits_up and er_up and c.connected)
    sessions = frozenset(
        e.device for e in design.edges
        if e.device in up and e.circuit in circuits_up and e.link_part not in failed and not e.dropped
    )
    instances = frozenset(t.index for t in design.vpn_tunnels if t.gateway_node not in failed)
    tunnels = frozenset(
        (v.device, index) for v in design.vpns for index, part in v.tunnels
        if v.device in up and index in instances and part not in failed and not v.dropped
    )
    announced = frozenset(
        v.name for v in design.vnets if v.hub or (v.transit and v.peering_part not in failed)
    )
    return EstateState(frozenset(up), to_gateway, er_up, sessions, instances, tunnels, announced)


# ------------------------------------------------------------------------------------------- on-prem BGP


class _Site:
    """One site in one scenario: its live graph, shortest paths and BGP."""

    def __init__(self, design: EstateDesign, view: SiteView, state: EstateState, bgp: OnPremBgp) -> None:
        self.view = view
        self.state = state
        self.live = [d for d in view.devices if d in state.up]
        self._toward: dict[str, dict[str, tuple[str, ...]]] = {}
        self.component = self._components()
        ranks = {name: rank for rank, name in enumerate(view.devices)}
        for node in (*(e.msee for e in design.edges), *(t.gateway_node for t in design.vpn_tunnels)):
            ranks.setdefault(node, len(ranks))
        self.ranks = bgp.router_ids if bgp.router_ids is not None else ranks
        self.multipath = bgp.multipath
        lan = [d for d in view.lan if d in state.up]
        self.lan = frozenset(lan)
        self.start = lan[0] if lan else view.lan[0]
        self.to_lan = self._toward_set(self.lan)
        self.reached = frozenset(self.to_lan) | self.lan
        """Live devices the LAN reaches over the site's links."""

    def _components(self) -> dict[str, int]:
        component: dict[str, int] = {}
        for device in self.live:
            if device in component:
                continue
            stack = [device]
            component[device] = len(component)
            while stack:
                node = stack.pop()
                for other in self.view.adjacency[node]:
                    if other in self.state.up and other not in component:
                        component[other] = component[device]
                        stack.append(other)
        return component

    def _toward_set(self, targets: frozenset[str]) -> dict[str, tuple[str, ...]]:
        """Device → its neighbours on a shortest live path to the nearest target (ECMP)."""
        distance = {t: 0 for t in targets}
        frontier = sorted(targets)
        while frontier:
            nxt = []
            for node in frontier:
                for other in sorted(self.view.adjacency[node]):
                    if other in self.state.up and other not in distance:
                        distance[other] = distance[node] + 1
                        nxt.append(other)
            frontier = nxt
        return {
            node: tuple(o for o in sorted(self.view.adjacency[node]) if distance.get(o) == d - 1)
            for node, d in distance.items() if d > 0
        }

    def toward(self, device: str, target: str) -> tuple[str, ...]:
        if target not in self._toward:
            self._toward[target] = self._toward_set(frozenset({target}))
        return self._toward[target].get(device, ())

    def best(self, ebgp: dict[str, list[BgpRoute]]) -> dict[str, tuple[BgpRoute, ...]]:
        """Each live device's best path(s) once the full iBGP mesh has settled (a firewall that speaks no
        BGP listens: its static routes follow the site's choice)."""
        speakers = [d for d in self.live if d in self.view.speakers]
        announced: dict[str, BgpRoute | None] = dict.fromkeys(speakers)
        for _ in range(2 * len(speakers) + 3):
            best: dict[str, tuple[BgpRoute, ...]] = {}
            for device in self.live:
                candidates = list(ebgp.get(device, ())) if device in self.view.speakers else []
                for speaker, route in announced.items():
                    if route is not None and speaker != device and self.component[speaker] == self.component[device]:
                        candidates.append(BgpRoute(speaker, route.via, route.as_path, route.local_preference,
                                                   origin=route.origin, med=route.med, ebgp=False))
                best[device] = bgp_best(candidates, self.ranks, self.multipath)
            settled = {
                s: best[s][0] if best[s] and (best[s][0].ebgp or best[s][0].local) else None for s in speakers
            }
            if settled == announced:
                return best
            announced = settled
        raise RoutingError(f"the iBGP sessions of site {self.view.name} do not settle on a best path")

    def choices(self, ebgp: dict[str, list[BgpRoute]], cache: dict | None = None) -> Choices:
        """Each live device's next hops; ``cache`` shares the answer across scenarios that leave the site
        the same (same live devices, same routes learned over eBGP)."""
        key = None
        if cache is not None:
            key = (self.view.name, tuple(self.live), tuple((d, tuple(ebgp[d])) for d in sorted(ebgp)))
            if key in cache:
                return cache[key]
        choices: Choices = {}
        for device, routes in self.best(ebgp).items():
            hops: list[NextHop] = []
            for route in routes:
                if route.next_hop in self.view.adjacency:
                    hops += [NextHop(n, route.via) for n in self.toward(device, route.next_hop)]
                else:
                    hops.append(NextHop(route.next_hop, route.via))
            if hops:
                choices[device] = tuple(dict.fromkeys(hops))
        if cache is not None:
            cache[key] = choices
        return choices


# ------------------------------------------------------------------------------------------- one scenario


class _Scenario:
    def __init__(self, design: EstateDesign, failed: frozenset[str], bgp: OnPremBgp, cache: dict) -> None:
        self.design = design
        self.cache = cache
        self.state = state = live(design, failed)
        self.sites = {view.name: _Site(design, view, state, bgp) for view in design.sites}
        self.msee_circuit = {e.msee: e.circuit for e in design.edges}
        self._azure: dict[Announcers, Choices] = {}
        self._transit: dict[Announcers, Choices] = {}
        self._to_vnet = {
            name: site.choices(self._vnet_routes(site.view), cache) for name, site in self.sites.items()
        }
        self._site_transit: dict[tuple[str, Announcers], Choices] = {}

    # what the devices learn over eBGP ---------------------------------------------------------------
    def _vnet_routes(self, site: SiteView) -> dict[str, list[BgpRoute]]:
        state, learned = self.state, {}
        for edge in self.design.edges:
            if edge.site == site.name and edge.device in state.sessions and edge.circuit in state.to_gateway:
                learned.setdefault(edge.device, []).append(
                    BgpRoute(edge.msee, Via.ER, ER_AS_PATH_ONPREM, edge.local_preference))
        for vpn in self.design.vpns:
            if vpn.site != site.name:
                continue
            for index, _ in vpn.tunnels:
                if (vpn.device, index) not in state.tunnels:
                    continue
                node = self.design.vpn_tunnels[index].gateway_node
                if vpn.bgp:
                    route = BgpRoute(node, Via.VPN, (self.design.vpn_asn,), vpn.local_preference)
                else:  # a static route into the tunnel, redistributed
                    route = BgpRoute(node, Via.VPN, (), vpn.local_preference, weight=LOCAL_WEIGHT,
                                     origin=Origin.INCOMPLETE, ebgp=False, local=True)
                learned.setdefault(vpn.device, []).append(route)
        return learned

    def azure(self, announcers: Announcers) -> Choices:
        """Every Azure node's next hops towards an on-prem prefix announced by ``announcers``."""
        if announcers in self._azure:
            return self._azure[announcers]
        state, design = self.state, self.design
        choices: Choices = {}
        to_gateway: list[AzureRoute] = []
        for edge in design.edges:
            if edge.device in announcers and edge.device in state.sessions:
                choices[edge.msee] = (NextHop(edge.device, Via.ER),)
                if edge.circuit in state.to_gateway:
                    weight = next(c.weight for c in design.circuits if c.name == edge.circuit)
                    to_gateway.append(AzureRoute(edge.msee, Via.ER, (MSEE_ASN, *edge.as_path), weight))
        to_fabric: list[AzureRoute] = []
        gateway_best = azure_best(to_gateway) if state.er_gateway_up else ()
        if gateway_best:
            choices[ER_GATEWAY] = tuple(NextHop(r.next_hop, Via.ER) for r in gateway_best)
            to_fabric.append(AzureRoute(ER_GATEWAY, Via.ER, gateway_best[0].as_path, gateway_best[0].weight))
        for tunnel in design.vpn_tunnels:
            heard = self._from_tunnels(tunnel.index, announcers)
            if heard:
                to_fabric.append(AzureRoute(tunnel.gateway_node, Via.VPN, heard[0].as_path))
            if gateway_best and tunnel.index in state.vpn_instances:
                choices[tunnel.gateway_node] = (NextHop(ER_GATEWAY, Via.ER),)
            elif heard:
                choices[tunnel.gateway_node] = tuple(NextHop(r.next_hop, Via.VPN) for r in heard)
        fabric_best = azure_best(to_fabric)
        if fabric_best:
            choices[VNET_FABRIC] = tuple(NextHop(r.next_hop, r.via) for r in fabric_best)
        self._azure[announcers] = choices
        return choices

    def _from_tunnels(self, index: int, announcers: Announcers) -> tuple[AzureRoute, ...]:
        return azure_best([
            AzureRoute(vpn.device, Via.VPN, vpn.as_path) for vpn in self.design.vpns
            if vpn.device in announcers and (vpn.device, index) in self.state.tunnels
        ])

    def transit(self, announcers: Announcers) -> Choices:
        """The VPN gateway instances' next hops for traffic from one VPN site to another: only what they
        learned over tunnels (no transit to ExpressRoute without Route Server)."""
        if announcers in self._transit:
            return self._transit[announcers]
        own = {t.gateway_node: self._from_tunnels(t.index, announcers) for t in self.design.vpn_tunnels
               if t.index in self.state.vpn_instances}
        choices: Choices = {}
        for node, heard in own.items():
            if heard:
                choices[node] = tuple(NextHop(r.next_hop, Via.VPN) for r in heard)
            else:  # iBGP between the instances: hand it to one that has the route
                others = tuple(NextHop(o, Via.INTERNAL) for o, h in own.items() if h and o != node)
                if others:
                    choices[node] = others
        self._transit[announcers] = choices
        return choices

    def site_transit(self, site: str, announcers: Announcers, as_path: tuple[int, ...]) -> Choices:
        """A site's choices towards another site's prefix, learned from the VPN gateway."""
        key = (site, announcers)
        if key not in self._site_transit:
            reachable = bool(self.transit(announcers))
            learned: dict[str, list[BgpRoute]] = {}
            if reachable:
                for vpn in self.design.vpns:
                    if vpn.site != site or not vpn.bgp:
                        continue
                    for index, _ in vpn.tunnels:
                        if (vpn.device, index) in self.state.tunnels:
                            node = self.design.vpn_tunnels[index].gateway_node
                            learned.setdefault(vpn.device, []).append(
                                BgpRoute(node, Via.VPN, (self.design.vpn_asn, *as_path), vpn.local_preference))
            self._site_transit[key] = self.sites[site].choices(learned, self.cache)
        return self._site_transit[key]

    # connectivity facts for the flags ----------------------------------------------------------------
    def er_live(self, site: str) -> bool:
        """An ExpressRoute session of the site carries VNet routes and its LAN reaches that edge."""
        reached = self.sites[site].reached
        return any(e.device in reached and e.device in self.state.sessions and e.circuit in self.state.to_gateway
                   for e in self.design.edges)

    def vpn_live(self, site: str) -> bool:
        reached = self.sites[site].reached
        return any(v.device in reached and any((v.device, i) in self.state.tunnels for i, _ in v.tunnels)
                   for v in self.design.vpns)


# ------------------------------------------------------------------------------------------- flows and classes


@dataclass(frozen=True)
class _OnPremClass:
    site: str
    prefix_class: PrefixClass
    as_path: tuple[int, ...]
    """The AS path of the site's VPN announcement (for what other sites learn through the VPN gateway)."""


def _classify(design: EstateDesign, prefixes: dict[str, tuple[IPv4Network, ...]]
              ) -> tuple[list[_OnPremClass], dict[tuple[str, PrefixKey], int]]:
    announced: dict[PrefixKey, set[str]] = {}
    sessions = [(e.device, e.advertised) for e in design.edges if not e.dropped]
    sessions += [(v.device, v.advertised) for v in design.vpns if v.tunnels and not v.dropped]
    for announcer, announced_prefixes in sessions:
        for prefix in announced_prefixes:
            announced.setdefault(key_of(prefix), set()).add(announcer)
    udrs: dict[PrefixKey, list] = {}
    for route in design.user_routes:
        udrs.setdefault(key_of(route.prefix), []).append(route)
    links = {
        key: ChainLink(frozenset(announced.get(key, ())), tuple(udrs.get(key, ()))) for key in {*announced, *udrs}
    }
    index = _CoverIndex(links)
    classes: dict[_OnPremClass, int] = {}
    member: dict[tuple[str, PrefixKey], int] = {}
    for site in design.sites:
        space = _CoverIndex(key_of(p) for p in site.space)
        vpn_path = next((v.as_path for v in design.vpns if v.site == site.name and v.bgp), (site.asn,))
        for prefix in prefixes[site.name]:
            key = key_of(prefix)
            found = _OnPremClass(site.name, PrefixClass(tuple(links[k] for k in index.covering(key)),
                                                        bool(space.covering(key))), vpn_path)
            member[(site.name, key)] = classes.setdefault(found, len(classes))
    return list(classes), member


@dataclass(frozen=True)
class _VnetClass:
    vnet: int
    routing: SubnetRouting


class _Interner:
    """Keeps one object per distinct path and result: most scenarios leave most flows as they were."""

    def __init__(self) -> None:
        self.paths: dict[tuple[Branch, ...], Path] = {}
        self.results: dict[tuple[int, int, frozenset[Flag], tuple[str, ...]], FlowResult] = {}
        self.verdicts: dict[tuple, FlowResult] = {}
        self.sites: dict = {}
        self.placed: dict[tuple[int, str], Path] = {}
        """A judged pair of (interned) paths in its circumstances: judging it again gives the same answer."""

    def path(self, branches: tuple[Branch, ...]) -> Path:
        found = self.paths.get(branches)
        if found is None:
            found = self.paths[branches] = Path(branches)
        return found

    def result(self, forward: Path, reverse: Path, flags: frozenset[Flag], reasons: tuple[str, ...]) -> FlowResult:
        key = (id(forward), id(reverse), flags, reasons)
        found = self.results.get(key)
        if found is None:
            found = self.results[key] = FlowResult(forward, reverse, flags, reasons)
        return found


def analyse_estate(
    design: EstateDesign,
    scenarios: Iterable[Scenario] | None = None,
    *,
    depth: int | None = None,
    bgp: OnPremBgp = OnPremBgp(),
) -> Analysis:
    """Every flow of the estate in every scenario (by default every single and double failure, or every
    single failure when the double ones would cost more than ``COST_BUDGET``)."""
    prefixes = {site.name: design.site_prefixes(site) for site in design.sites}
    onprem, member = _classify(design, prefixes)
    vnet_classes: dict[_VnetClass, int] = {}
    flows: list[Flow] = []
    keys: list[tuple] = []
    for site in design.sites:
        for prefix in prefixes[site.name]:
            oc = member[(site.name, key_of(prefix))]
            for v, vnet in enumerate(design.vnets):
                for subnet in vnet.subnets:
                    vc = vnet_classes.setdefault(_VnetClass(v, SubnetRouting.of(subnet)), len(vnet_classes))
                    flows.append(Flow(prefix, subnet.name, subnet.prefix, site=site.name))
                    keys.append(("vnet", oc, vc))
    for a, b in _reach_pairs(design):
        labels = [(other, f"{b}:{other}", member[(b, key_of(other))]) for other in prefixes[b]]
        for prefix in prefixes[a]:
            mine = member[(a, key_of(prefix))]
            for other, label, theirs in labels:
                flows.append(Flow(prefix, label, other, site=a, peer_site=b))
                keys.append(("site", mine, theirs))
    classes = list(dict.fromkeys(keys))
    number = {key: i for i, key in enumerate(classes)}
    flow_class = tuple(number[key] for key in keys)
    vnet_list = list(vnet_classes)

    if scenarios is None:
        if depth is None:
            depth = 2
            if scenario_count(design, 2) * max(len(classes), 1) > COST_BUDGET:
                depth = 1
                design = replace(design, notes=(*design.notes, (
                    f"{scenario_count(design, 2)} single and double failures × {len(classes)} flow classes exceed "
                    f"the budget of {COST_BUDGET:,} evaluations: single failures only (--depth 2 forces them)")))
        chosen = estate_scenarios(design, depth)
    else:
        chosen = tuple(scenarios)
    interner = _Interner()
    results = [
        ScenarioResult(item, _scenario(design, item, classes, onprem, vnet_list, bgp, interner)) for item in chosen
    ]
    results = _mark_spofs(design, results, interner)
    return Analysis(design, tuple(flows), flow_class, tuple(results))  # type: ignore[arg-type]


def _reach_pairs(design: EstateDesign) -> list[tuple[str, str]]:
    names = {site.name for site in design.sites}
    pairs: dict[frozenset[str], tuple[str, str]] = {}
    for site in design.sites:
        for other in site.reach:
            if other in names and other != site.name:
                pairs.setdefault(frozenset((site.name, other)), (site.name, other))
    return list(pairs.values())


def _scenario(design: EstateDesign, item: Scenario, classes: list[tuple], onprem: list[_OnPremClass],
              vnet_classes: list[_VnetClass], bgp: OnPremBgp, interner: _Interner) -> tuple[FlowResult, ...]:
    now = _Scenario(design, item.failed, bgp, interner.sites)
    forward_stub: dict[str, Path] = {}
    reverse_stub: dict[tuple[int, SubnetRouting], tuple[Path, str | None]] = {}
    pinning: dict[int, tuple[bool, bool]] = {}
    between: dict[tuple, tuple[Path, Path]] = {}
    state = now.state
    er_edges_up = {e.device for e in design.edges if e.device in state.sessions and e.circuit in state.to_gateway}
    out: list[FlowResult] = []
    for key in classes:
        if key[0] == "vnet":
            oc, vc = onprem[key[1]], vnet_classes[key[2]]
            vnet = design.vnets[vc.vnet]
            site = now.sites[oc.site]
            if vnet.name in now.state.announced:
                if oc.site not in forward_stub:
                    forward_stub[oc.site] = interner.path(_forward_to_hub(now, site).branches)
                forward = _place_forward(interner, interner.placed, forward_stub[oc.site], vnet.node)
            else:
                forward = interner.path((Branch((site.start,), Fate.NO_ROUTE),))
            reverse, because = _reverse_to_site(now, interner, reverse_stub, key[1], oc, vc, vnet)
            if key[1] not in pinning:
                pinning[key[1]] = (
                    _pinned_by_more_specific(oc.prefix_class, now.azure, er_edges_up),
                    any(link.announcers & er_edges_up for link in oc.prefix_class.chain),
                )
            pinned, er_announces = pinning[key[1]]
            verdict = (id(forward), id(reverse), now.er_live(oc.site), er_announces, pinned, because)
            if verdict not in interner.verdicts:
                judged = _judge(forward, reverse, verdict[2], er_announces, pinned, because)
                interner.verdicts[verdict] = _finish(design, interner, judged, None)
            out.append(interner.verdicts[verdict])
        else:
            a, b = onprem[key[1]], onprem[key[2]]
            if (a.site, b.site, key[1], key[2]) not in between:
                between[(a.site, b.site, key[1], key[2])] = (
                    interner.path(_site_to_site(now, a.site, b).branches),
                    interner.path(_site_to_site(now, b.site, a).branches),
                )
            forward, reverse = between[(a.site, b.site, key[1], key[2])]
            kinds = tuple((now.er_live(s), now.vpn_live(s)) for s in (a.site, b.site))
            verdict = (id(forward), id(reverse), a.site, b.site, kinds)
            if verdict not in interner.verdicts:
                judged = _judge(forward, reverse, False, False, False, None)
                interner.verdicts[verdict] = _finish(design, interner, judged, (now, a.site, b.site))
            out.append(interner.verdicts[verdict])
    return tuple(out)


def _forward_to_hub(now: _Scenario, site: _Site) -> Path:
    """From the site's LAN to the hub's gateways (the VNet's own hop is added per destination)."""
    choices = now._to_vnet[site.view.name]
    gateways = {t.gateway_node for t in now.design.vpn_tunnels} | {ER_GATEWAY}

    def next_hops(node: str) -> tuple[NextHop, ...]:
        if node in now.msee_circuit:
            return (NextHop(ER_GATEWAY, Via.ER),) if now.msee_circuit[node] in now.state.to_gateway else ()
        return choices.get(node, ())

    return trace(site.start, next_hops, lambda node: Fate.DELIVERED if node in gateways else None)


def _place_forward(interner: _Interner, placed: dict[tuple[int, str], Path], stub: Path, node: str) -> Path:
    key = (id(stub), node)
    if key not in placed:
        placed[key] = interner.path(tuple(
            Branch((*b.hops, node), b.fate) if b.fate is Fate.DELIVERED else b for b in stub.branches
        ))
    return placed[key]


def _reverse_to_site(now: _Scenario, interner: _Interner, stubs: dict, oc_index: int, oc: _OnPremClass,
                     vc: _VnetClass, vnet: VnetView) -> tuple[Path, str | None]:
    if vnet.name not in now.state.announced:
        why = ("the peering to the hub is removed" if vnet.transit else
               "it does not use the hub's gateways (allow_gateway_transit on the hub and use_remote_gateways on "
               "the spoke must both be true)")
        return interner.path((Branch((vnet.node,), Fate.NO_ROUTE),)), f"spoke {vnet.name} has no route to " \
                                                                        f"on-premises: {why}"
    key = (oc_index, vc.routing)
    if key not in stubs:
        path, because = _reverse(now, oc, vc.routing)
        stubs[key] = (interner.path(path.branches), because)
    stub, because = stubs[key]
    if vnet.hub:
        return stub, because
    moved = (id(stub), vnet.node)
    if moved not in interner.placed:
        interner.placed[moved] = interner.path(tuple(Branch((vnet.node, *b.hops[1:]), b.fate) for b in stub.branches))
    return interner.placed[moved], because


def _reverse(now: _Scenario, oc: _OnPremClass, routing: SubnetRouting) -> tuple[Path, str | None]:
    prefix_class = oc.prefix_class
    start: FirstHop = first_hop(now.design, now.state, routing, prefix_class, now.azure)  # type: ignore[arg-type]
    owner = now.sites[oc.site]
    devices = {name: now.sites[site.name] for site in now.design.sites for name in site.devices}

    def next_hops(node: str) -> tuple[NextHop, ...]:
        if node == VNET_FABRIC:
            return start.hops
        if node in devices:
            if devices[node] is owner:
                return tuple(NextHop(n, Via.INTERNAL) for n in owner.to_lan.get(node, ()))
            return ()
        for link in prefix_class.chain:
            hops = now.azure(link.announcers).get(node)
            if hops:
                return hops
        return ()

    def end_of(node: str) -> Fate | None:
        if node.startswith("virtual-appliance"):
            return Fate.UNMODELLED
        return Fate.DELIVERED if prefix_class.internal and node in owner.lan else None

    return trace(VNET_FABRIC, next_hops, end_of), start.because


def _site_to_site(now: _Scenario, source: str, to: _OnPremClass) -> Path:
    site, owner = now.sites[source], now.sites[to.site]
    chain = to.prefix_class.chain

    def next_hops(node: str) -> tuple[NextHop, ...]:
        if node in site.view.adjacency:
            for link in chain:
                hops = now.site_transit(source, link.announcers, to.as_path).get(node)
                if hops:
                    return hops
            return ()
        if node in owner.view.adjacency:
            return tuple(NextHop(n, Via.INTERNAL) for n in owner.to_lan.get(node, ()))
        for link in chain:
            hops = now.transit(link.announcers).get(node)
            if hops:
                return hops
        return ()

    def end_of(node: str) -> Fate | None:
        return Fate.DELIVERED if to.prefix_class.internal and node in owner.lan else None

    if not site.lan:
        return Path((Branch((site.start,), Fate.NO_ROUTE),))
    return trace(site.start, next_hops, end_of)


def _firewalls(design: EstateDesign, path: Path) -> set[frozenset[str]]:
    stateful = {fw for site in design.sites for fw in site.firewalls}
    return {frozenset(h for h in b.hops if h in stateful) for b in path.branches if b.fate is Fate.DELIVERED}


def _finish(design: EstateDesign, interner: _Interner, judged: FlowResult,
            between: tuple[_Scenario, str, str] | None) -> FlowResult:
    flags, reasons = set(judged.flags), list(judged.reasons)
    out, back = _firewalls(design, judged.forward), _firewalls(design, judged.reverse)
    if out and back and (len(out | back) > 1):
        flags.add(Flag.FIREWALL_ASYMMETRIC)
        shown = lambda walls: " / ".join(", ".join(sorted(w)) or "none" for w in sorted(walls, key=sorted))  # noqa: E731
        reasons.append(f"the flow leaves through firewall(s) {shown(out)} and comes back through {shown(back)}: "
                       "a stateful firewall drops the reply it holds no state for, and the flow dies")
    if between is not None and not (judged.forward.delivered and judged.reverse.delivered):
        now, a, b = between
        kinds = {s: (now.er_live(s), now.vpn_live(s)) for s in (a, b)}
        connected = all(er or vpn for er, vpn in kinds.values())
        if connected and not (kinds[a][1] and kinds[b][1]):
            flags.add(Flag.TRANSIT)
            reasons.append(f"sites {a} and {b} are both connected to the hub, but not both by VPN: Azure does not "
                           "transit between ExpressRoute and VPN without Route Server (branch-to-branch), nor "
                           "between circuits without ExpressRoute Global Reach")
    return interner.result(judged.forward, judged.reverse, frozenset(flags), tuple(reasons))


def _mark_spofs(design: EstateDesign, results: list[ScenarioResult], interner: _Interner) -> list[ScenarioResult]:
    base = next((r for r in results if not r.scenario.failed), None)
    if base is None:
        return results
    singles = [i for i, r in enumerate(results) if r.scenario.depth == 1]

    def delivered(item: FlowResult) -> bool:
        return item.forward.delivered and item.reverse.delivered

    def walks(item: FlowResult) -> tuple:
        return (item.forward.branches, item.reverse.branches)

    backed = set()
    for index, item in enumerate(base.by_class):
        if delivered(item) and any(
            delivered(results[i].by_class[index]) and walks(results[i].by_class[index]) != walks(item)
            for i in singles
        ):
            backed.add(index)
    for i in singles:
        (part,) = results[i].scenario.failed
        if part in design.deliberate_parts:
            continue
        by_class = list(results[i].by_class)
        changed = False
        for index in backed:
            item = by_class[index]
            if not delivered(item) and Flag.SPOF not in item.flags:
                by_class[index] = interner.result(
                    item.forward, item.reverse, item.flags | {Flag.SPOF},
                    (*item.reasons, f"{part} is a single point of failure: the flow has a backup for other "
                                    "failures, but every path it has crosses this part"))
                changed = True
        if changed:
            results[i] = ScenarioResult(results[i].scenario, tuple(by_class))
    return results
