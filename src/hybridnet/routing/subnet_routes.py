"""Where a VNet subnet sends traffic for an on-prem prefix: its effective routes, as Azure builds them.

Azure takes the longest prefix among the subnet's routes; for the same prefix a user-defined route
beats a gateway-learned (BGP) one (azure-facts §3.3). A route table that disables gateway route
propagation leaves the subnet with no BGP route at all, so unless a UDR covers on-prem, traffic
from that subnet has nowhere to go: the analysis shows it as a black hole with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hybridnet.model.names import INTERNET_NODE
from hybridnet.routing.bestpath import Via
from hybridnet.routing.decisions import Choices, NextHop
from hybridnet.routing.design import VNET_FABRIC, RoutingDesign, UserRoute, VnetSubnet
from hybridnet.routing.prefixes import Announcers, PrefixClass
from hybridnet.routing.scenarios import LiveState

INTERNET = INTERNET_NODE
"""The emulator's name for the internet: a UDR to ``Internet`` sends private traffic there."""


def virtual_appliance(route: UserRoute) -> str:
    return f"virtual-appliance-{route.next_hop_ip}" if route.next_hop_ip else "virtual-appliance"


@dataclass(frozen=True)
class SubnetRouting:
    """What makes subnets route alike towards on-prem: their route table and its propagation."""

    route_table: str | None
    bgp_propagation: bool

    @classmethod
    def of(cls, subnet: VnetSubnet) -> SubnetRouting:
        return cls(subnet.route_table, subnet.bgp_propagation)


@dataclass(frozen=True)
class FirstHop:
    """The subnet's choice: next hops (empty: dropped), and why, when it is not a gateway route."""

    hops: tuple[NextHop, ...]
    because: str | None = None


def first_hop(
    design: RoutingDesign,
    state: LiveState,
    routing: SubnetRouting,
    prefix_class: PrefixClass,
    towards: Callable[[Announcers], Choices],
) -> FirstHop:
    """The subnet's effective route for a prefix: longest prefix, a UDR before BGP for the same one."""
    for link in prefix_class.chain:
        user_route = next((r for r in link.user_routes if r.table == routing.route_table), None)
        if user_route is not None:
            return _user_route_hop(design, state, user_route)
        if routing.bgp_propagation:
            hops = towards(link.announcers).get(VNET_FABRIC)
            if hops:
                return FirstHop(hops)
    if not routing.bgp_propagation:
        return FirstHop(
            (),
            f"route table {routing.route_table} disables gateway route propagation, so the "
            "subnet learns no route to on-prem; enable propagation or add a UDR",
        )
    return FirstHop(())


def _user_route_hop(design: RoutingDesign, state: LiveState, route: UserRoute) -> FirstHop:
    where = f"UDR {route.prefix} in route table {route.table}"
    if route.next_hop_type == "VirtualNetworkGateway":
        # A UDR can only name the VPN gateway; Azure spreads over its instances that are up.
        hops = tuple(
            NextHop(tunnel.gateway_node, Via.VPN)
            for tunnel in design.vpn_tunnels
            if tunnel.index in state.vpn_instances
        )
        return FirstHop(hops, f"{where} sends it to the VPN gateway, whatever ExpressRoute offers")
    if route.next_hop_type == "Internet":
        return FirstHop((NextHop(INTERNET, Via.INTERNAL),), f"{where} sends it to the internet")
    if route.next_hop_type == "VirtualAppliance":
        return FirstHop(
            (NextHop(virtual_appliance(route), Via.INTERNAL),),
            f"{where} sends it to a virtual appliance, which the analysis does not model",
        )
    return FirstHop((), f"{where} sends it to {route.next_hop_type}: it is dropped")
