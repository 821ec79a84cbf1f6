"""Per-node routing tables, named as the emulator names its nodes, and the diff between designs."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from hybridnet.model import Topology, load
from hybridnet.routing import NextHop, OnPremBgp, Via, analyse, scenario
from hybridnet.routing.crosscheck import compare_routes, path_matches
from hybridnet.routing.diff import compare
from hybridnet.routing.export import analysis_to_dict
from hybridnet.routing.tables import comparable_routes, routing_table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VNET = IPv4Network("10.0.0.0/16")
ONPREM = IPv4Network("192.168.0.0/16")
EMULATOR_NODES = {
    "onprem-core",
    "onprem-ce1",
    "onprem-ce2",
    "onprem-vpn",
    "msee-primary",
    "msee-secondary",
    "er-gateway",
    "vpn-gateway-0",
    "vpn-gateway-1",
    "vnet-fabric",
}


def test_every_node_is_named_as_the_emulator_names_it(reference: Topology) -> None:
    table = routing_table(reference, scenario(set()))
    assert set(table) == EMULATOR_NODES


def test_with_everything_up_each_node_points_along_expressroute(reference: Topology) -> None:
    table = routing_table(reference, scenario(set()))
    assert table["onprem-core"][VNET] == (NextHop("onprem-ce1", Via.ER), NextHop("onprem-ce2", Via.ER))
    assert table["onprem-ce1"][VNET] == (NextHop("msee-primary", Via.ER),)
    # The core reflects CE1's route with CE1's next hop, which the appliance cannot reach (rendered
    # wiring): it keeps its own routes over both tunnels, and the core never sends it VNet traffic.
    assert table["onprem-vpn"][VNET] == (NextHop("vpn-gateway-0", Via.VPN), NextHop("vpn-gateway-1", Via.VPN))
    assert table["vnet-fabric"][ONPREM] == (NextHop("er-gateway", Via.ER),)
    assert table["er-gateway"][ONPREM] == (NextHop("msee-primary", Via.ER), NextHop("msee-secondary", Via.ER))
    # Each VPN gateway instance prefers what the ExpressRoute gateway tells it over its own tunnel's.
    assert table["vpn-gateway-0"][ONPREM] == (NextHop("er-gateway", Via.ER),)
    assert table["msee-primary"][ONPREM] == (NextHop("onprem-ce1", Via.ER),)


def test_a_ce_whose_link_is_cut_has_no_route_and_the_core_uses_the_other(reference: Topology) -> None:
    table = routing_table(reference, scenario({"primary-link"}))
    assert VNET not in table.get("onprem-ce1", {})
    assert table["onprem-core"][VNET] == (NextHop("onprem-ce2", Via.ER),)
    assert ONPREM not in table["msee-primary"]


def test_with_reachable_reflected_next_hops_a_cut_ce_sends_through_the_core(reference: Topology) -> None:
    table = routing_table(
        reference, scenario({"primary-link"}), bgp=OnPremBgp(reflected_next_hops_reachable=True)
    )
    assert table["onprem-ce1"][VNET] == (NextHop("onprem-core", Via.ER),)
    assert table["onprem-vpn"][VNET] == (NextHop("onprem-core", Via.ER),)  # LP 150 beats its own 100


def test_with_the_circuit_down_nodes_point_along_the_vpn(reference: Topology) -> None:
    table = routing_table(reference, scenario({"circuit"}))
    assert table["onprem-core"][VNET] == (NextHop("onprem-vpn", Via.VPN),)
    assert table["onprem-vpn"][VNET] == (NextHop("vpn-gateway-0", Via.VPN), NextHop("vpn-gateway-1", Via.VPN))
    assert table["vnet-fabric"][ONPREM] == (
        NextHop("vpn-gateway-0", Via.VPN),
        NextHop("vpn-gateway-1", Via.VPN),
    )
    assert "msee-primary" not in table  # the MSEEs are gone with the circuit
    assert ONPREM not in table["er-gateway"]  # the gateway is up but learns nothing


@pytest.mark.parametrize("failed", [{"vpn-tunnel-0"}, {"onprem-vpn"}, {"primary-link"}])
def test_vpn_gateway_instances_keep_the_expressroute_route_while_the_er_gateway_has_one(
    reference: Topology, failed: set[str]
) -> None:
    table = routing_table(reference, scenario(failed))
    assert table["vpn-gateway-0"][ONPREM] == table["vpn-gateway-1"][ONPREM] == (NextHop("er-gateway", Via.ER),)


@pytest.mark.parametrize("failed", [{"circuit"}, {"er-gateway"}, {"primary-link", "secondary-link"}])
def test_vpn_gateway_instances_fall_back_to_their_tunnels_when_expressroute_withdraws(
    reference: Topology, failed: set[str]
) -> None:
    table = routing_table(reference, scenario(failed))
    assert table["vpn-gateway-0"][ONPREM] == table["vpn-gateway-1"][ONPREM] == (NextHop("onprem-vpn", Via.VPN),)


def test_a_vpn_gateway_instance_without_tunnel_or_expressroute_has_no_on_prem_route(reference: Topology) -> None:
    table = routing_table(reference, scenario({"circuit", "vpn-tunnel-0"}))
    assert ONPREM not in table.get("vpn-gateway-0", {})
    assert table["vpn-gateway-1"][ONPREM] == (NextHop("onprem-vpn", Via.VPN),)


def test_a_prefix_announced_over_the_vpn_only_stays_on_the_tunnel_at_the_vpn_gateway() -> None:
    table = routing_table(load(EXAMPLES / "variant-vpn-pinned-24.yaml"), scenario(set()))
    assert table["vpn-gateway-0"][IPv4Network("192.168.1.0/24")] == (NextHop("onprem-vpn", Via.VPN),)
    assert table["vpn-gateway-0"][ONPREM] == (NextHop("er-gateway", Via.ER),)


def test_router_ids_decide_between_the_ces_without_multipath(reference: Topology) -> None:
    ranks = {"onprem-ce2": 1, "onprem-ce1": 2}
    table = routing_table(reference, scenario(set()), bgp=OnPremBgp(router_ids=ranks, multipath=False))
    assert table["onprem-core"][VNET] == (NextHop("onprem-ce2", Via.ER),)


def test_a_design_compared_with_itself_has_no_changes(reference: Topology) -> None:
    assert compare(analyse(reference), analyse(reference)) == []


def test_the_diff_names_only_the_flows_that_change(reference: Topology) -> None:
    pinned = load(EXAMPLES / "variant-vpn-pinned-24.yaml")
    prefixes = (ONPREM, IPv4Network("192.168.1.0/24"))
    changes = compare(analyse(reference, onprem_prefixes=prefixes), analyse(pinned, onprem_prefixes=prefixes))
    assert changes
    assert {change.onprem_prefix for change in changes} == {"192.168.1.0/24"}
    all_up = [change for change in changes if change.scenario == "all-up" and change.subnet == "web"]
    assert all_up[0].what == ("reverse ER → VPN", "+asymmetric", "+unexpected-path")
    assert "circuit" not in {change.scenario for change in changes}  # both designs use the VPN there


def test_the_json_export_names_gateways_hops_and_flags(reference: Topology) -> None:
    data = analysis_to_dict(analyse(reference, depth=1))
    assert data["topology"] == "ra-hybrid-vpn-er"
    assert [point["name"] for point in data["failure_points"]][:3] == [
        "primary-link",
        "secondary-link",
        "circuit",
    ]
    assert [(f["onprem_prefix"], f["subnet"], f["group"]) for f in data["flows"]] == [
        ("192.168.0.0/16", "web", 0),
        ("192.168.0.0/16", "biz", 0),
        ("192.168.0.0/16", "data", 0),
    ]
    circuit = next(item for item in data["scenarios"] if item["name"] == "circuit")
    assert circuit["failed"] == ["circuit"]
    (group,) = circuit["groups"]
    assert group["group"] == 0
    assert group["forward"]["gateway"] == "VPN" and group["reverse"]["gateway"] == "VPN"
    assert group["forward"]["hops"][0] == "onprem-core" and group["flags"] == []
    assert {branch["fate"] for branch in group["reverse"]["branches"]} == {"delivered"}


def test_the_json_export_groups_flows_routed_alike() -> None:
    data = analysis_to_dict(analyse(load(EXAMPLES / "variant-vpn-pinned-24.yaml"), depth=0))
    groups = {f["onprem_prefix"]: f["group"] for f in data["flows"]}
    assert groups == {"192.168.0.0/16": 0, "192.168.1.0/24": 1}
    all_up = {group["group"]: group for group in data["scenarios"][0]["groups"]}
    assert all_up[0]["flags"] == [] and all_up[1]["flags"] == ["asymmetric", "unexpected-path"]


def test_the_crosscheck_names_each_route_the_lab_disagrees_on(reference: Topology) -> None:
    predicted = routing_table(reference, scenario({"primary-link"}))
    installed = {
        node: {prefix: [hop.node for hop in hops] for prefix, hops in table.items()}
        for node, table in predicted.items()
    }
    scope = comparable_routes(reference)
    assert compare_routes(predicted, installed, scope) == []
    installed["onprem-core"][VNET] = ["onprem-vpn"]
    del installed["vnet-fabric"][ONPREM]
    installed.setdefault("onprem-ce1", {})[ONPREM] = ["blackhole"]  # the CE's own Null0 anchor: not compared
    mismatches = compare_routes(predicted, installed, scope)
    assert [str(m) for m in mismatches] == [
        "onprem-core 10.0.0.0/16: predicted onprem-ce2, installed onprem-vpn",
        "vnet-fabric 192.168.0.0/16: predicted er-gateway, installed no route",
    ]


def test_a_traceroute_matches_one_predicted_branch(reference: Topology) -> None:
    web = analyse(reference, depth=0).result("all-up", "192.168.0.0/16", "web")
    assert path_matches(web.forward, ["onprem-ce2", "msee-secondary", "er-gateway", "vnet-fabric"])
    assert path_matches(
        web.forward, ["onprem-core", "onprem-ce1", "msee-primary", "er-gateway", "vnet-fabric"]
    )
    assert not path_matches(web.forward, ["onprem-vpn", "vpn-gateway-0", "vnet-fabric"])


def test_comparable_routes_cover_each_side_of_the_hybrid_link(reference: Topology) -> None:
    scope = comparable_routes(reference)
    assert set(scope) == EMULATOR_NODES
    assert scope["onprem-core"] == scope["onprem-ce1"] == scope["onprem-vpn"] == (VNET,)
    assert scope["msee-primary"] == scope["er-gateway"] == scope["vpn-gateway-1"] == (VNET, ONPREM)
    assert scope["vnet-fabric"] == (ONPREM,)
