"""The two classic mistakes, as shipped example files: on-prem not preferring ExpressRoute
(ExpressRoute and the VPN then tie on AS-path length, and the router ID decides: asymmetric paths
when the VPN appliance's is lowest) and a more specific prefix over the VPN only (traffic pinned to
the VPN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hybridnet.model import Topology, default_topology, load
from hybridnet.routing import Analysis, Flag, GatewayKind, OnPremBgp, analyse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def no_er_preference() -> Topology:
    return load(EXAMPLES / "variant-no-er-preference.yaml")


@pytest.fixture(scope="module")
def pinned() -> Topology:
    return load(EXAMPLES / "variant-vpn-pinned-24.yaml")


def _without_name(topology: Topology) -> dict[str, Any]:
    return topology.model_dump(mode="json", exclude={"name"})


def test_no_er_preference_variant_is_the_reference_with_equal_local_preference(
    no_er_preference: Topology,
) -> None:
    variant = _without_name(no_er_preference)
    reference = _without_name(default_topology())
    for router in variant["onprem"]["edge_routers"]:
        assert router["local_preference"] == 100 == variant["onprem"]["vpn_appliance"]["local_preference"]
        assert router["as_path_prepend"] == 0
        router["local_preference"] = 150
    assert variant == reference


def test_pinned_variant_is_the_reference_with_a_24_over_the_vpn_only(pinned: Topology) -> None:
    variant = _without_name(pinned)
    reference = _without_name(default_topology())
    assert variant["onprem"]["vpn_appliance"].pop("advertised_prefixes") == [
        "192.168.0.0/16",
        "192.168.1.0/24",
    ]
    reference["onprem"]["vpn_appliance"].pop("advertised_prefixes")
    assert variant == reference


def _both_paths_up(failed: frozenset[str]) -> bool:
    er = not {"circuit", "er-gateway"} & failed and (
        not {"primary-link", "onprem-ce1"} & failed or not {"secondary-link", "onprem-ce2"} & failed
    )
    vpn = "onprem-vpn" not in failed and any(
        not {f"vpn-tunnel-{i}", f"vpn-gateway-{i}"} & failed for i in (0, 1)
    )
    return bool(er and vpn)


APPLIANCE_FIRST = OnPremBgp(router_ids={"onprem-vpn": 0, "onprem-core": 1, "onprem-ce1": 2, "onprem-ce2": 3})
"""Router IDs that rank the VPN appliance lowest (the rendered ones rank it after the CEs)."""


def test_without_er_preference_the_tie_goes_to_the_lowest_router_id(no_er_preference: Topology) -> None:
    """``12076`` (the MSEE strips 65515) against ``65515``: equal length, origin IGP, MED not compared
    between neighbouring ASes, iBGP at the core: the rendered router IDs put the CEs first."""
    web = analyse(no_er_preference, depth=0).result("all-up", "192.168.0.0/16", "web")
    assert web.forward.gateway is web.reverse.gateway is GatewayKind.ER
    assert not web.flags
    notes = analyse(no_er_preference, depth=0).design.notes
    assert any("lowest router ID decides" in note for note in notes), notes


def test_without_er_preference_an_appliance_with_the_lowest_router_id_takes_the_traffic(
    no_er_preference: Topology,
) -> None:
    web = analyse(no_er_preference, depth=0, bgp=APPLIANCE_FIRST).result("all-up", "192.168.0.0/16", "web")
    assert web.forward.gateway is GatewayKind.VPN
    assert web.reverse.gateway is GatewayKind.ER  # Azure prefers ExpressRoute for the same prefix
    assert web.flags == {Flag.ASYMMETRIC, Flag.UNEXPECTED_PATH}
    assert any("local preference" in reason for reason in web.reasons)


def test_the_reference_keeps_expressroute_whatever_the_router_ids(reference: Topology) -> None:
    analysis = analyse(reference, depth=1, bgp=APPLIANCE_FIRST)
    assert not any(_flagged(analysis, r.scenario.name, Flag.ASYMMETRIC) for r in analysis.results)
    assert not any(
        "router ID" in note for note in analysis.design.notes
    )  # local preference 150 decides, not the tie-break


def test_asymmetry_is_flagged_exactly_where_both_paths_are_up(no_er_preference: Topology) -> None:
    analysis = analyse(no_er_preference, bgp=APPLIANCE_FIRST)
    asymmetric = {
        r.scenario.name for r in analysis.results if _flagged(analysis, r.scenario.name, Flag.ASYMMETRIC)
    }
    expected = {r.scenario.name for r in analysis.results if _both_paths_up(r.scenario.failed)}
    assert asymmetric == expected
    assert "all-up" in asymmetric and "circuit" not in asymmetric and "onprem-vpn" not in asymmetric
    assert not any(_flagged(analyse(no_er_preference), name, Flag.ASYMMETRIC) for name in expected)


def _flagged(analysis: Analysis, scenario: str, flag: Flag) -> bool:
    result = analysis.scenario_result(scenario)
    return any(flag in outcome.flags for _, outcome in analysis.rows(result))


def test_a_24_over_the_vpn_only_pins_that_flow_to_the_vpn_while_er_is_up(pinned: Topology) -> None:
    analysis = analyse(pinned)
    pinned_flow = analysis.result("all-up", "192.168.1.0/24", "web")
    assert pinned_flow.reverse.gateway is GatewayKind.VPN
    assert pinned_flow.forward.gateway is GatewayKind.ER
    assert Flag.UNEXPECTED_PATH in pinned_flow.flags
    assert any("more specific prefix" in reason for reason in pinned_flow.reasons)
    aggregate = analysis.result("all-up", "192.168.0.0/16", "web")
    assert aggregate.reverse.gateway is GatewayKind.ER and not aggregate.flags


def test_the_pinned_24_falls_back_to_the_aggregate_over_er_when_the_vpn_is_down(pinned: Topology) -> None:
    analysis = analyse(pinned)
    for scenario in ("onprem-vpn", "vpn-tunnel-0+vpn-tunnel-1", "vpn-gateway-0+vpn-gateway-1"):
        flow = analysis.result(scenario, "192.168.1.0/24", "web")
        assert flow.reverse.gateway is GatewayKind.ER, scenario
        assert not flow.flags, scenario


def test_the_pinned_24_is_not_unexpected_once_er_is_gone(pinned: Topology) -> None:
    flow = analyse(pinned).result("circuit", "192.168.1.0/24", "web")
    assert flow.forward.gateway is flow.reverse.gateway is GatewayKind.VPN
    assert not flow.flags
