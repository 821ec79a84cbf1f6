"""The comparison of a live hop list with the prediction: pure data, reference and estates."""

from __future__ import annotations

from pathlib import Path

from hybridnet.model import load
from hybridnet.verify.compare import LivePath, compare_direction, compare_flow, same_hops
from hybridnet.verify.flows import Branches, predict, scenarios_for

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "estates"
ER = ("onprem-core", "onprem-ce1", "msee-primary", "er-gateway", "vnet-fabric")
ER2 = ("onprem-core", "onprem-ce2", "msee-secondary", "er-gateway", "vnet-fabric")


def _live(*hops: str, reached: bool = True) -> LivePath:
    return LivePath(hops, reached)


def test_a_live_path_that_is_one_ecmp_branch_agrees() -> None:
    predicted = Branches((ER, ER2), (True, True))
    assert compare_direction(predicted, _live("onprem-host1", *ER2, "web-vm1")).agrees


def test_a_live_path_over_the_vpn_differs_from_an_expressroute_prediction_and_says_why() -> None:
    predicted = Branches((ER,), (True,))
    verdict = compare_direction(predicted, _live("onprem-host1", "onprem-core", "onprem-vpn", "internet",
                                                 "vpn-gateway-0", "vnet-fabric", "web-vm1"))
    assert not verdict.agrees
    assert verdict.why == "the lab takes another path"


def test_delivered_against_lost_differs_both_ways() -> None:
    delivered = Branches((ER,), (True,))
    lost = compare_direction(delivered, _live("onprem-host1", "onprem-core", "onprem-ce1", reached=False))
    assert not lost.agrees and "loses it after onprem-ce1" in lost.why
    blackhole = Branches((("onprem-core",),), (False,))
    found = compare_direction(blackhole, _live("onprem-host1", *ER, "web-vm1"))
    assert not found.agrees and found.why == "predicted lost, but the lab delivers it"


def test_lost_at_the_same_node_agrees_and_at_another_differs() -> None:
    blackhole = Branches((("onprem-core", "onprem-ce1"),), (False,))
    assert compare_direction(blackhole, _live("onprem-host1", "onprem-core", "onprem-ce1", reached=False)).agrees
    assert not compare_direction(blackhole, _live("onprem-host1", "onprem-core", reached=False)).agrees


def test_only_one_leading_hop_of_slack() -> None:
    assert same_hops(("hq-core", "hq-fw", "hq-ce1"), ("hq-fw", "hq-ce1"))
    assert same_hops(("hq-ce1",), ("hq-fw", "hq-ce1"))
    assert not same_hops(("a", "b", "hq-fw", "hq-ce1"), ("hq-fw", "hq-ce1"))
    assert not same_hops(("hq-fw", "hq-ce2"), ("hq-fw", "hq-ce1"))


def _estate_prediction(example: str, scenario: str, flow: str):  # type: ignore[no-untyped-def]
    topology = load(EXAMPLES / f"{example}.yaml")
    chosen = [s for s in scenarios_for(topology, 1) if s.name == scenario]
    return next(p for p in predict(topology, chosen)[scenario] if p.flow.name == flow)


def test_estate_second_circuit_paths_compare_in_the_labs_msee_names() -> None:
    """dc2 is on the second circuit: its MSEEs are msee2-primary/secondary in the analysis and the lab alike."""
    prediction = _estate_prediction("sites", "all-up", "dc2-host1 ↔ web-vm1")
    forward = _live("dc2-host1", "dc2-core", "dc2-ce1", "msee2-primary", "er-gateway", "vnet-fabric", "web-vm1")
    reverse = _live("web-vm1", "vnet-fabric", "er-gateway", "msee2-primary", "dc2-ce1", "dc2-core", "dc2-host1")
    assert compare_flow(prediction, forward, reverse).agrees
    wrong = _live("web-vm1", "vnet-fabric", "er-gateway", "msee-primary", "hq-ce1", "hq-fw", "dc2-host1")
    assert not compare_flow(prediction, forward, wrong).agrees


def test_estate_branch_moves_to_its_other_tunnel_when_one_tunnel_fails() -> None:
    prediction = _estate_prediction("sites", "vpn-tunnel-branch1-rtr-0", "branch1-host1 ↔ biz-vm1")
    over_1 = _live("branch1-host1", "branch1-rtr", "vpn-gateway-1", "vnet-fabric", "biz-vm1")
    over_0 = _live("branch1-host1", "branch1-rtr", "vpn-gateway-0", "vnet-fabric", "biz-vm1")
    back_1 = _live("biz-vm1", "vnet-fabric", "vpn-gateway-1", "branch1-rtr", "branch1-host1")
    assert compare_flow(prediction, over_1, back_1).agrees
    assert not compare_flow(prediction, over_0, back_1).agrees


def test_estate_spoke_paths_use_the_labs_spoke_node_and_a_removed_peering_loses_the_flow() -> None:
    """The lab's peering is a cable from the hub fabric: a spoke's path crosses it (the analysis has none)."""
    up = _estate_prediction("hub-spoke", "all-up", "onprem-host1 ↔ app-vm1")
    forward = _live("onprem-host1", "onprem-core", "onprem-ce1", "msee-primary", "er-gateway", "vnet-fabric",
                    "vnet-spoke1", "app-vm1")
    reverse = _live("app-vm1", "vnet-spoke1", "vnet-fabric", "er-gateway", "msee-primary", "onprem-ce1",
                    "onprem-core", "onprem-host1")
    assert compare_flow(up, forward, reverse).agrees
    skipping_the_hub = _live("onprem-host1", "onprem-core", "onprem-ce1", "msee-primary", "er-gateway",
                             "vnet-spoke1", "app-vm1")
    assert not compare_flow(up, skipping_the_hub, reverse).agrees
    removed = _estate_prediction("hub-spoke", "peering-spoke-app", "onprem-host1 ↔ app-vm1")
    assert not compare_flow(removed, forward, reverse).agrees
    assert compare_direction(removed.reverse, _live("app-vm1", "vnet-spoke1", reached=False)).agrees


def test_a_loop_agrees_with_a_walk_that_stops_before_the_repeated_node() -> None:
    loop = Branches((("onprem-core", "onprem-ce1", "onprem-core"),), (False,))
    assert compare_direction(loop, _live("onprem-host1", "onprem-core", "onprem-ce1", reached=False)).agrees
