"""The reference design fails over the way the guidance promises: ExpressRoute first, the
secondary link when the primary is cut, the VPN when the circuit is down, symmetric throughout, and
traffic lost only when neither path is left."""

from __future__ import annotations

import pytest

from hybridnet.model import Topology
from hybridnet.routing import (
    Analysis,
    Flag,
    GatewayKind,
    analyse,
    failure_points,
    failure_scenarios,
    routing_design,
)

REFERENCE_PARTS = (
    "primary-link",
    "secondary-link",
    "circuit",
    "er-gateway",
    "vpn-tunnel-0",
    "vpn-tunnel-1",
    "vpn-gateway-0",
    "vpn-gateway-1",
    "onprem-ce1",
    "onprem-ce2",
    "onprem-vpn",
)


@pytest.fixture
def analysis(reference: Topology) -> Analysis:
    return analyse(reference)


def _er_survives(failed: frozenset[str]) -> bool:
    """An independent statement of when ExpressRoute still joins the two sides."""
    if {"circuit", "er-gateway"} & failed:
        return False
    primary = not {"primary-link", "onprem-ce1"} & failed
    secondary = not {"secondary-link", "onprem-ce2"} & failed
    return primary or secondary


def _vpn_survives(failed: frozenset[str]) -> bool:
    if "onprem-vpn" in failed:
        return False
    return any(not {f"vpn-tunnel-{i}", f"vpn-gateway-{i}"} & failed for i in (0, 1))


def test_scenarios_are_every_single_and_double_failure_of_the_reference_parts(reference: Topology) -> None:
    design = routing_design(reference)
    assert tuple(point.name for point in failure_points(design)) == REFERENCE_PARTS
    scenarios = failure_scenarios(design)
    assert len(scenarios) == 1 + 11 + 55
    assert len({item.failed for item in scenarios}) == len(scenarios)
    assert scenarios[0].name == "all-up" and not scenarios[0].failed
    assert {item.name for item in scenarios if item.depth == 1} == set(REFERENCE_PARTS)
    assert "primary-link+onprem-vpn" in {item.name for item in scenarios}


def test_flows_join_the_onprem_space_to_every_workload_subnet(analysis: Analysis) -> None:
    assert [flow.label for flow in analysis.flows] == [
        "192.168.0.0/16 ↔ web",
        "192.168.0.0/16 ↔ biz",
        "192.168.0.0/16 ↔ data",
    ]


def test_every_flow_goes_over_expressroute_with_everything_up(analysis: Analysis) -> None:
    result = analysis.scenario_result("all-up")
    for flow, outcome in analysis.rows(result):
        assert outcome.forward.gateway is GatewayKind.ER, flow.label
        assert outcome.reverse.gateway is GatewayKind.ER, flow.label
        assert not outcome.flags, flow.label
    # Azure uses both links of the circuit (ECMP), on-prem both CEs (iBGP multipath on the core).
    web = analysis.result("all-up", "192.168.0.0/16", "web")
    assert {branch.hops for branch in web.forward.branches} == {
        ("onprem-core", "onprem-ce1", "msee-primary", "er-gateway", "vnet-fabric"),
        ("onprem-core", "onprem-ce2", "msee-secondary", "er-gateway", "vnet-fabric"),
    }
    assert {branch.hops for branch in web.reverse.branches} == {
        ("vnet-fabric", "er-gateway", "msee-primary", "onprem-ce1", "onprem-core"),
        ("vnet-fabric", "er-gateway", "msee-secondary", "onprem-ce2", "onprem-core"),
    }


@pytest.mark.parametrize("failed", ["primary-link", "onprem-ce1"])
def test_traffic_takes_the_secondary_link_when_the_primary_fails(analysis: Analysis, failed: str) -> None:
    web = analysis.result(failed, "192.168.0.0/16", "web")
    assert web.forward.hops == ("onprem-core", "onprem-ce2", "msee-secondary", "er-gateway", "vnet-fabric")
    assert web.reverse.hops == ("vnet-fabric", "er-gateway", "msee-secondary", "onprem-ce2", "onprem-core")
    assert len(web.forward.branches) == len(web.reverse.branches) == 1
    assert not web.flags


@pytest.mark.parametrize(
    "failed", ["circuit", "er-gateway", "primary-link+secondary-link", "onprem-ce1+onprem-ce2"]
)
def test_traffic_moves_to_vpn_when_the_circuit_fails(analysis: Analysis, failed: str) -> None:
    web = analysis.result(failed, "192.168.0.0/16", "web")
    assert web.forward.gateway is GatewayKind.VPN
    assert web.reverse.gateway is GatewayKind.VPN
    assert not web.flags
    # active-active: both tunnels carry traffic
    assert {branch.hops for branch in web.reverse.branches} == {
        ("vnet-fabric", "vpn-gateway-0", "onprem-vpn", "onprem-core"),
        ("vnet-fabric", "vpn-gateway-1", "onprem-vpn", "onprem-core"),
    }


def test_one_vpn_gateway_instance_carries_everything_when_the_other_fails(analysis: Analysis) -> None:
    web = analysis.result("circuit+vpn-gateway-0", "192.168.0.0/16", "web")
    assert web.forward.hops == ("onprem-core", "onprem-vpn", "vpn-gateway-1", "vnet-fabric")
    assert web.reverse.hops == ("vnet-fabric", "vpn-gateway-1", "onprem-vpn", "onprem-core")
    assert len(web.forward.branches) == 1


def test_the_reference_is_never_asymmetric_nor_on_an_unexpected_path(analysis: Analysis) -> None:
    for result in analysis.results:
        for flow, outcome in analysis.rows(result):
            assert Flag.ASYMMETRIC not in outcome.flags, (result.scenario.name, flow.label)
            assert Flag.UNEXPECTED_PATH not in outcome.flags, (result.scenario.name, flow.label)


def test_black_holes_only_when_both_paths_fail(analysis: Analysis) -> None:
    holes = 0
    for result in analysis.results:
        failed = result.scenario.failed
        expected_hole = not _er_survives(failed) and not _vpn_survives(failed)
        holes += expected_hole
        for flow, outcome in analysis.rows(result):
            assert (Flag.BLACKHOLE in outcome.flags) == expected_hole, (result.scenario.name, flow.label)
            if not expected_hole:
                expected = GatewayKind.ER if _er_survives(failed) else GatewayKind.VPN
                assert outcome.forward.gateway is outcome.reverse.gateway is expected, result.scenario.name
    assert holes > 0  # e.g. circuit+onprem-vpn: the oracle above is not vacuous


def test_a_black_hole_says_where_traffic_is_dropped(analysis: Analysis) -> None:
    web = analysis.result("circuit+onprem-vpn", "192.168.0.0/16", "web")
    assert web.forward.gateway is GatewayKind.NONE
    assert web.forward.dropped_at == ("onprem-core",)
    assert web.reverse.dropped_at == ("vnet-fabric",)
    assert any("dropped at onprem-core" in reason for reason in web.reasons)
