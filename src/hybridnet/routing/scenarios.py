"""Failure scenarios: which parts can fail, every single and double failure, and what stays up.

A scenario is a set of failed parts, named by the parts (``primary-link+vpn-gateway-0``) so the
same scenario has the same name in two designs and in the emulator's drills.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

from hybridnet.errors import BadInput
from hybridnet.routing.design import RoutingDesign

if TYPE_CHECKING:
    from hybridnet.routing.estate_design import EstateDesign

PRIMARY_LINK = "primary-link"
SECONDARY_LINK = "secondary-link"
CIRCUIT = "circuit"
ER_GATEWAY_FAILURE = "er-gateway"
ALL_UP = "all-up"


class ScenarioError(BadInput, ValueError):
    """A scenario names a part the design does not have; the message lists the parts it has."""


@dataclass(frozen=True)
class FailurePoint:
    """One part that can fail, and what its failure means in the field's words."""

    name: str
    description: str


@dataclass(frozen=True)
class Scenario:
    name: str
    failed: frozenset[str]

    @property
    def depth(self) -> int:
        return len(self.failed)


@dataclass(frozen=True)
class LiveState:
    """What still works in one scenario: the BGP sessions and forwarding parts that are up."""

    ce_sessions: frozenset[str]
    """Links whose CE ↔ MSEE session is up (CE, link and circuit up, route limit respected)."""
    msee_to_gateway: frozenset[str]
    """Links whose MSEE still reaches the ExpressRoute gateway (circuit, gateway and connection up)."""
    er_gateway_up: bool
    tunnels: frozenset[int]
    """VPN tunnels that are up and carry routes (appliance, instance and tunnel up)."""
    vpn_instances: frozenset[int]


def failure_points(design: RoutingDesign | EstateDesign) -> tuple[FailurePoint, ...]:
    """Every part of this design whose failure the analysis tries, in a stable order."""
    if not isinstance(design, RoutingDesign):
        return design.points
    points: list[FailurePoint] = []
    links = {link.link for link in design.er_links}
    if "primary" in links:
        points.append(FailurePoint(PRIMARY_LINK, "the circuit's primary link (CE ↔ primary MSEE) is cut"))
    if "secondary" in links:
        points.append(
            FailurePoint(SECONDARY_LINK, "the circuit's secondary link (CE ↔ secondary MSEE) is cut")
        )
    if links:
        points.append(
            FailurePoint(CIRCUIT, "the whole ExpressRoute circuit is down (both links, both MSEEs)")
        )
    if design.er_gateway:
        points.append(FailurePoint(ER_GATEWAY_FAILURE, "the ExpressRoute virtual network gateway is down"))
    for tunnel in design.vpn_tunnels:
        points.append(
            FailurePoint(
                f"vpn-tunnel-{tunnel.index}",
                f"the IPsec tunnel to VPN gateway instance {tunnel.index} is down",
            )
        )
    for tunnel in design.vpn_tunnels:
        points.append(FailurePoint(tunnel.gateway_node, f"VPN gateway instance {tunnel.index} is down"))
    for link in design.er_links:
        points.append(FailurePoint(link.edge_router, f"customer-edge router {link.edge_router} is down"))
    if design.vpn_appliance is not None and design.vpn_tunnels:
        points.append(
            FailurePoint(design.vpn_appliance, f"the on-prem VPN appliance {design.vpn_appliance} is down")
        )
    return tuple(points)


def scenario(
    failed: frozenset[str] | set[str] | tuple[str, ...], order: tuple[str, ...] = (), name: str | None = None
) -> Scenario:
    """A scenario from failed parts; its default name lists them in the design's order."""
    failed = frozenset(failed)
    if name is None:
        ranked = sorted(failed, key=lambda part: (order.index(part) if part in order else len(order), part))
        name = "+".join(ranked) if ranked else ALL_UP
    return Scenario(name, failed)


def failure_scenarios(design: RoutingDesign | EstateDesign, depth: int = 2) -> tuple[Scenario, ...]:
    """All-up, then every single failure, then every double failure (up to ``depth`` parts)."""
    names = tuple(point.name for point in failure_points(design))
    found = [scenario(frozenset())]
    for size in range(1, depth + 1):
        found.extend(scenario(frozenset(parts), names) for parts in combinations(names, size))
    return tuple(found)


def parse_scenario(design: RoutingDesign | EstateDesign, spec: str) -> Scenario:
    """Read ``[NAME=]part,part,...`` (e.g. ``maintenance=primary-link,vpn-gateway-0``); an estate also
    takes ``peering-location=<location>`` and ``site=<site>``."""
    if not isinstance(design, RoutingDesign):
        from hybridnet.routing.estate_analysis import parse_estate_scenario

        return parse_estate_scenario(design, spec)
    name, _, parts_text = spec.rpartition("=")
    parts = [part.strip() for part in parts_text.split(",") if part.strip()]
    known = tuple(point.name for point in failure_points(design))
    unknown = [part for part in parts if part not in known]
    if unknown:
        raise ScenarioError(
            f"scenario {spec!r}: {', '.join(unknown)} is not a part of this design that can fail; "
            f"choose from {', '.join(known) or 'nothing (the design has no redundant parts)'}"
        )
    return scenario(frozenset(parts), known, name.strip() or None)


def live_state(design: RoutingDesign, failed: frozenset[str]) -> LiveState:
    """Derive which sessions and parts are up when ``failed`` parts are down."""
    circuit_up = CIRCUIT not in failed
    er_gateway_up = design.er_gateway and ER_GATEWAY_FAILURE not in failed
    ce_sessions = frozenset(
        link.link
        for link in design.er_links
        if circuit_up
        and not link.dropped
        and f"{link.link}-link" not in failed
        and link.edge_router not in failed
    )
    msee_to_gateway = frozenset(
        link.link for link in design.er_links if circuit_up and er_gateway_up and design.er_connected
    )
    appliance_up = design.vpn_appliance is not None and design.vpn_appliance not in failed
    instances = frozenset(t.index for t in design.vpn_tunnels if t.gateway_node not in failed)
    tunnels = frozenset(
        t.index
        for t in design.vpn_tunnels
        if appliance_up
        and t.index in instances
        and f"vpn-tunnel-{t.index}" not in failed
        and not design.vpn_dropped
    )
    return LiveState(
        ce_sessions=ce_sessions,
        msee_to_gateway=msee_to_gateway,
        er_gateway_up=er_gateway_up,
        tunnels=tunnels,
        vpn_instances=instances,
    )
