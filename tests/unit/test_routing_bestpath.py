"""The two decision processes, step by step: FRR's BGP best path on-prem, Azure's order in the VNet."""

from __future__ import annotations

from hybridnet.routing.bestpath import AzureRoute, BgpRoute, Origin, Via, azure_best, bgp_best

IDS = {"ce1": 1, "ce2": 2, "vpn": 3}


def _route(next_hop: str, **changes: object) -> BgpRoute:
    fields: dict[str, object] = {"via": Via.ER, "as_path": (12076,), "local_preference": 100}
    fields.update(changes)
    return BgpRoute(next_hop=next_hop, **fields)  # type: ignore[arg-type]


def test_no_route_means_no_choice() -> None:
    assert bgp_best([], IDS) == ()
    assert azure_best([]) == ()


def test_weight_beats_local_preference() -> None:
    heavy = _route("vpn", weight=32768, local_preference=50)
    assert bgp_best([_route("ce1", local_preference=200), heavy], IDS) == (heavy,)


def test_higher_local_preference_beats_a_shorter_as_path() -> None:
    er = _route("ce1", local_preference=150)
    vpn = _route("vpn", via=Via.VPN, as_path=(65515,), local_preference=100)
    assert bgp_best([vpn, er], IDS) == (er,)


def test_with_equal_local_preference_the_shorter_as_path_wins() -> None:
    prepended = _route("ce1", as_path=(12076, 12076))
    vpn = _route("vpn", via=Via.VPN, as_path=(65515,))
    assert bgp_best([prepended, vpn], IDS) == (vpn,)


def test_expressroute_and_the_vpn_tie_on_path_length_and_the_router_id_decides() -> None:
    """What the core holds with equal local preference: ``12076`` from the CEs (the MSEE strips 65515),
    ``65515`` from the appliance with MED 0, all over iBGP. Length, origin tie; MED is not compared
    (different neighbouring AS); the lowest router ID wins, and only identical paths are multipath."""
    ce1, ce2 = _route("ce1", ebgp=False), _route("ce2", ebgp=False)
    vpn = _route("vpn", via=Via.VPN, as_path=(65515,), med=0, ebgp=False)
    assert bgp_best([vpn, ce2, ce1], IDS) == (ce1, ce2)
    appliance_first = {"vpn": 0, "ce1": 1, "ce2": 2}
    assert bgp_best([ce1, ce2, vpn], appliance_first) == (vpn,)


def test_lower_origin_wins_at_equal_path_length() -> None:
    igp = _route("ce2")
    incomplete = _route("ce1", origin=Origin.INCOMPLETE)
    assert bgp_best([incomplete, igp], IDS) == (igp,)


def test_med_is_compared_only_between_routes_from_the_same_neighbour_as() -> None:
    low = _route("ce1", med=10, ebgp=False)
    high = _route("ce2", med=50, ebgp=False)
    assert bgp_best([high, low], IDS, multipath=False) == (low,)
    other_as = _route("ce2", as_path=(64999,), med=50, ebgp=False)
    # different neighbouring AS: MED is not compared, the router ID decides
    assert bgp_best([other_as, _route("ce1", med=10, ebgp=False)], IDS, multipath=False)[0].next_hop == "ce1"
    assert (
        bgp_best(
            [_route("ce2", med=10, ebgp=False), _route("ce1", as_path=(64999,), med=50, ebgp=False)],
            IDS,
            multipath=False,
        )[0].next_hop
        == "ce1"
    )


def test_ebgp_beats_ibgp() -> None:
    external = _route("ce2", ebgp=True)
    internal = _route("ce1", ebgp=False)
    assert bgp_best([internal, external], IDS) == (external,)


def test_lowest_router_id_breaks_the_last_tie_without_multipath() -> None:
    assert (
        bgp_best([_route("ce2", ebgp=False), _route("ce1", ebgp=False)], IDS, multipath=False)[0].next_hop
        == "ce1"
    )
    assert (
        bgp_best(
            [_route("ce2", ebgp=False), _route("ce1", ebgp=False)], {"ce2": 0, "ce1": 5}, multipath=False
        )[0].next_hop
        == "ce2"
    )


def test_multipath_keeps_equal_routes_with_the_same_as_path_only() -> None:
    same = bgp_best([_route("ce2", ebgp=False), _route("ce1", ebgp=False)], IDS)
    assert [route.next_hop for route in same] == ["ce1", "ce2"]
    different = bgp_best([_route("ce2", ebgp=False, as_path=(12076, 1)), _route("ce1", ebgp=False)], IDS)
    assert [route.next_hop for route in different] == ["ce1"]


def test_azure_prefers_expressroute_over_vpn_even_with_a_longer_as_path() -> None:
    er = AzureRoute("er-gateway", Via.ER, (12076, 65010, 65010, 65010))
    vpn = AzureRoute("vpn-gateway-0", Via.VPN, (65010,))
    assert azure_best([vpn, er]) == (er,)


def test_azure_uses_connection_weight_among_expressroute_routes_before_as_path() -> None:
    heavy = AzureRoute("er-a", Via.ER, (12076, 65010, 65010), weight=100)
    light = AzureRoute("er-b", Via.ER, (12076, 65010), weight=0)
    assert azure_best([light, heavy]) == (heavy,)


def test_azure_honours_as_path_prepending_and_spreads_equal_routes() -> None:
    prepended = AzureRoute("vpn-gateway-0", Via.VPN, (65010, 65010))
    plain = AzureRoute("vpn-gateway-1", Via.VPN, (65010,))
    assert azure_best([prepended, plain]) == (plain,)
    both = azure_best(
        [AzureRoute("vpn-gateway-1", Via.VPN, (65010,)), AzureRoute("vpn-gateway-0", Via.VPN, (1,))]
    )
    assert [route.next_hop for route in both] == ["vpn-gateway-0", "vpn-gateway-1"]
