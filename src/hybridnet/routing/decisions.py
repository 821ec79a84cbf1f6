"""Each node's choice of next hop, per kind of destination, in one scenario.

Two kinds of destination cover every flow:

* a VNet prefix: Azure announces all of them the same way (over ExpressRoute and the VPN), so one
  set of choices serves every VNet prefix. On-prem this is a real BGP computation: the CEs and the
  VPN appliance learn the prefix over eBGP and announce their best path to the core, a route
  reflector, which picks its best and reflects it back; an edge device whose best path becomes a
  reflected one stops announcing its own, so the exchange is iterated until it settles;
* an on-prem prefix, identified by the set of routers that announce it: Azure's choice only depends
  on who announces it over which session, so prefixes announced alike share one computation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hybridnet.errors import BadInput
from hybridnet.routing.bestpath import (
    LOCAL_WEIGHT,
    AzureRoute,
    BgpRoute,
    Origin,
    Via,
    azure_best,
    bgp_best,
)
from hybridnet.routing.design import (
    ER_AS_PATH_ONPREM,
    ER_GATEWAY,
    MSEE_ASN,
    VNET_FABRIC,
    RoutingDesign,
)
from hybridnet.routing.scenarios import LiveState


class RoutingError(BadInput, RuntimeError):
    """The modelled iBGP exchange does not settle (it cannot with the policies the model allows)."""


@dataclass(frozen=True)
class NextHop:
    """Where a node sends traffic for a prefix: the next node and the kind of route it follows."""

    node: str
    via: Via


Choices = dict[str, tuple[NextHop, ...]]
"""Node name → its next hops (several when it uses equal-cost multipath); absent means no route."""


@dataclass(frozen=True)
class OnPremBgp:
    """How the on-prem routers run BGP where the topology model says nothing: as ``render.frr``
    configures them, which is what the lab runs and users deploy."""

    router_ids: Mapping[str, int] | None = None
    """Rank of each router's ID for the last tie-break; None: ``default_router_ids``."""
    multipath: bool = True
    """``maximum-paths``: the core spreads over the CEs, the appliance over both tunnels."""
    reflected_next_hops_reachable: bool = False
    """Whether a CE or the VPN appliance can reach the next hop of a route the core reflects to it.
    The rendered wiring gives each of them a /30 to the core and no route to the others' /30s, and
    the core keeps next hops when it reflects, so FRR marks reflected routes inaccessible: each edge
    device only ever uses what it learns itself. True models ``next-hop-self force`` or an IGP."""

    def ranks(self, design: RoutingDesign) -> Mapping[str, int]:
        return self.router_ids if self.router_ids is not None else default_router_ids(design)


def default_router_ids(design: RoutingDesign) -> dict[str, int]:
    """Router-ID order for the last BGP tie-break: core, CEs, VPN appliance, in the model's order.

    ``render.frr`` takes each router ID from the device's transit address, handed out in that same
    order, so the ranks agree with the lab; a caller with other IDs passes its own ranks.
    """
    order = [design.core, *design.edge_routers]
    if design.vpn_appliance is not None:
        order.append(design.vpn_appliance)
    order += [link.msee for link in design.er_links] + [tunnel.gateway_node for tunnel in design.vpn_tunnels]
    return {name: rank for rank, name in enumerate(order)}


def vnet_choices(design: RoutingDesign, state: LiveState, bgp: OnPremBgp) -> Choices:
    """Every node's next hops towards a VNet prefix."""
    choices: Choices = {}
    for speaker, best in onprem_bgp(design, state, bgp).items():
        hops = tuple(
            dict.fromkeys(
                NextHop(_physical_hop(design, speaker, route.next_hop), route.via) for route in best
            )
        )
        if hops:
            choices[speaker] = hops
    for link in design.er_links:
        if link.link in state.msee_to_gateway:
            choices[link.msee] = (NextHop(ER_GATEWAY, Via.ER),)
    if state.er_gateway_up:
        choices[ER_GATEWAY] = (NextHop(VNET_FABRIC, Via.INTERNAL),)
    for tunnel in design.vpn_tunnels:
        if tunnel.index in state.vpn_instances:
            choices[tunnel.gateway_node] = (NextHop(VNET_FABRIC, Via.INTERNAL),)
    return choices


def onprem_bgp(design: RoutingDesign, state: LiveState, bgp: OnPremBgp) -> dict[str, tuple[BgpRoute, ...]]:
    """Each on-prem BGP speaker's best path(s) to a VNet prefix once the iBGP sessions have settled.

    The core is a route reflector for the CEs and the VPN appliance (as ``render.frr`` configures
    them): clients announce their best path only when they learned it over eBGP, the core reflects
    its single best path to every client but the one it came from, and next hops are kept (so a
    client can only use it if ``bgp.reflected_next_hops_reachable``).
    """
    router_ids, multipath = bgp.ranks(design), bgp.multipath
    core, clients = design.core, design.bgp_speakers[1:]
    learned = _ebgp_routes(design, state)
    announced: dict[str, BgpRoute | None] = dict.fromkeys(clients)
    for _ in range(2 * len(clients) + 3):
        best = {
            core: bgp_best(
                [_over_ibgp(route, client) for client, route in announced.items() if route],
                router_ids,
                multipath,
            )
        }
        reflected = best[core][0] if best[core] else None
        for client in clients:
            candidates = list(learned.get(client, ()))
            if reflected is not None and reflected.next_hop != client and bgp.reflected_next_hops_reachable:
                candidates.append(reflected)
            best[client] = bgp_best(candidates, router_ids, multipath)
        settled = {
            client: best[client][0]
            if best[client] and (best[client][0].ebgp or best[client][0].local)
            else None
            for client in clients
        }
        if settled == announced:
            return best
        announced = settled
    raise RoutingError("the on-prem iBGP sessions do not settle on a best path to the VNet")


def _ebgp_routes(design: RoutingDesign, state: LiveState) -> dict[str, list[BgpRoute]]:
    learned: dict[str, list[BgpRoute]] = {}
    for link in design.er_links:
        if link.link in state.ce_sessions and link.link in state.msee_to_gateway:
            learned.setdefault(link.edge_router, []).append(
                BgpRoute(
                    next_hop=link.msee,
                    via=Via.ER,
                    as_path=ER_AS_PATH_ONPREM,
                    local_preference=link.local_preference,
                )
            )
    if design.vpn_appliance is None:
        return learned
    for tunnel in design.vpn_tunnels:
        if tunnel.index not in state.tunnels:
            continue
        if design.vpn_bgp:
            route = BgpRoute(
                next_hop=tunnel.gateway_node,
                via=Via.VPN,
                as_path=(design.vpn_asn,),
                local_preference=design.vpn_local_preference,
            )
        else:  # a static route into the tunnel, redistributed into the iBGP mesh
            route = BgpRoute(
                next_hop=tunnel.gateway_node,
                via=Via.VPN,
                as_path=(),
                local_preference=design.vpn_local_preference,
                weight=LOCAL_WEIGHT,
                origin=Origin.INCOMPLETE,
                ebgp=False,
                local=True,
            )
        learned.setdefault(design.vpn_appliance, []).append(route)
    return learned


def _over_ibgp(route: BgpRoute, speaker: str) -> BgpRoute:
    """The route as an iBGP peer receives it: next-hop-self, weight reset, local preference kept."""
    return BgpRoute(
        next_hop=speaker,
        via=route.via,
        as_path=route.as_path,
        local_preference=route.local_preference,
        origin=route.origin,
        med=route.med,
        ebgp=False,
    )


def _physical_hop(design: RoutingDesign, at: str, bgp_next_hop: str) -> str:
    """On-prem routers hang off the core (a star, as ``render.frr`` wires them), so a router reaches
    another's iBGP next hop through the core."""
    if bgp_next_hop not in design.bgp_speakers or design.core in (at, bgp_next_hop):
        return bgp_next_hop
    return design.core


def onprem_prefix_choices(design: RoutingDesign, state: LiveState, announcers: frozenset[str]) -> Choices:
    """Every Azure node's next hops towards an on-prem prefix announced by ``announcers``."""
    choices: Choices = {}
    to_gateway: list[AzureRoute] = []
    for link in design.er_links:
        if link.edge_router in announcers and link.link in state.ce_sessions:
            choices[link.msee] = (NextHop(link.edge_router, Via.ER),)
            if link.link in state.msee_to_gateway:
                to_gateway.append(AzureRoute(link.msee, Via.ER, (MSEE_ASN, *link.as_path)))
    to_fabric: list[AzureRoute] = []
    gateway_best = azure_best(to_gateway) if state.er_gateway_up else ()
    if gateway_best:
        choices[ER_GATEWAY] = tuple(NextHop(route.next_hop, Via.ER) for route in gateway_best)
        to_fabric.append(AzureRoute(ER_GATEWAY, Via.ER, gateway_best[0].as_path, design.er_weight))
    for tunnel in design.vpn_tunnels:
        # Each VPN gateway instance learns the prefix from the ExpressRoute gateway (iBGP in the
        # GatewaySubnet, AS path 12076 <on-prem AS>) and from its own tunnel (<on-prem AS>), and
        # prefers ExpressRoute whatever the AS paths; the fabric still gets the tunnel's path.
        from_tunnel = design.vpn_appliance in announcers and tunnel.index in state.tunnels
        if from_tunnel:
            to_fabric.append(AzureRoute(tunnel.gateway_node, Via.VPN, design.vpn_as_path))
        if gateway_best and tunnel.index in state.vpn_instances:
            choices[tunnel.gateway_node] = (NextHop(ER_GATEWAY, Via.ER),)
        elif from_tunnel:
            choices[tunnel.gateway_node] = (NextHop(design.vpn_appliance, Via.VPN),)
    fabric_best = azure_best(to_fabric)
    if fabric_best:
        choices[VNET_FABRIC] = tuple(NextHop(route.next_hop, route.via) for route in fabric_best)
    return choices
