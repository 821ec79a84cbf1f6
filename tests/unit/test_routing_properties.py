"""Properties that hold for any policy and any failure: paths follow real links through parts that
are up, never loop, are lost only when no path is left, and Azure always prefers ExpressRoute for
the same prefix. Checked against an independent statement of the reference's wiring."""

from __future__ import annotations

from ipaddress import IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridnet.model import Topology, default_topology
from hybridnet.routing import Fate, GatewayKind, OnPremBgp, analyse, failure_points, routing_design, scenario

REFERENCE = default_topology()
PARTS = tuple(point.name for point in failure_points(routing_design(REFERENCE)))
LINKS = {
    frozenset(pair)
    for pair in (
        ("onprem-core", "onprem-ce1"),
        ("onprem-core", "onprem-ce2"),
        ("onprem-core", "onprem-vpn"),
        ("onprem-ce1", "msee-primary"),
        ("onprem-ce2", "msee-secondary"),
        ("msee-primary", "er-gateway"),
        ("msee-secondary", "er-gateway"),
        ("er-gateway", "vnet-fabric"),
        ("onprem-vpn", "vpn-gateway-0"),
        ("onprem-vpn", "vpn-gateway-1"),
        ("vpn-gateway-0", "vnet-fabric"),
        ("vpn-gateway-1", "vnet-fabric"),
    )
}
LINK_FAILURES = {
    "primary-link": {frozenset(("onprem-ce1", "msee-primary"))},
    "secondary-link": {frozenset(("onprem-ce2", "msee-secondary"))},
    "vpn-tunnel-0": {frozenset(("onprem-vpn", "vpn-gateway-0"))},
    "vpn-tunnel-1": {frozenset(("onprem-vpn", "vpn-gateway-1"))},
}
NODE_FAILURES = {
    "circuit": {"msee-primary", "msee-secondary"},
    "er-gateway": {"er-gateway"},
    "vpn-gateway-0": {"vpn-gateway-0"},
    "vpn-gateway-1": {"vpn-gateway-1"},
    "onprem-ce1": {"onprem-ce1"},
    "onprem-ce2": {"onprem-ce2"},
    "onprem-vpn": {"onprem-vpn"},
}


def _er_survives(failed: frozenset[str]) -> bool:
    if {"circuit", "er-gateway"} & failed:
        return False
    return not {"primary-link", "onprem-ce1"} & failed or not {"secondary-link", "onprem-ce2"} & failed


def _vpn_survives(failed: frozenset[str]) -> bool:
    return "onprem-vpn" not in failed and any(
        not {f"vpn-tunnel-{i}", f"vpn-gateway-{i}"} & failed for i in (0, 1)
    )


def _with_policy(
    ce_preference: tuple[int, int], vpn_preference: int, prepends: tuple[int, int, int]
) -> Topology:
    onprem = REFERENCE.onprem
    assert onprem.vpn_appliance is not None
    routers = tuple(
        router.model_copy(update={"local_preference": preference, "as_path_prepend": prepend})
        for router, preference, prepend in zip(onprem.edge_routers, ce_preference, prepends, strict=False)
    )
    appliance = onprem.vpn_appliance.model_copy(
        update={"local_preference": vpn_preference, "as_path_prepend": prepends[2]}
    )
    return REFERENCE.model_copy(
        update={"onprem": onprem.model_copy(update={"edge_routers": routers, "vpn_appliance": appliance})}
    )


preferences = st.integers(min_value=0, max_value=300)
prepends = st.tuples(*(st.integers(min_value=0, max_value=3) for _ in range(3)))
failures = st.frozensets(st.sampled_from(PARTS), max_size=3)


@settings(max_examples=150, deadline=None)
@given(st.tuples(preferences, preferences), preferences, prepends, failures)
def test_paths_follow_live_links_and_are_lost_only_without_a_path(
    ce_preference: tuple[int, int], vpn_preference: int, prepend: tuple[int, int, int], failed: frozenset[str]
) -> None:
    topology = _with_policy(ce_preference, vpn_preference, prepend)
    analysis = analyse(topology, [scenario(failed, PARTS)])
    outcome = analysis.results[0].by_class[analysis.flow_class[0]]
    down_nodes = set().union(*(NODE_FAILURES.get(part, set()) for part in failed))
    down_links = set().union(*(LINK_FAILURES.get(part, set()) for part in failed))
    for path in (outcome.forward, outcome.reverse):
        for branch in path.branches:
            assert branch.fate is not Fate.LOOP
            assert not down_nodes & set(branch.hops), branch.hops
            for hop, next_hop in zip(branch.hops, branch.hops[1:], strict=False):
                edge = frozenset((hop, next_hop))
                assert edge in LINKS and edge not in down_links, branch.hops
    reachable = _er_survives(failed) or _vpn_survives(failed)
    assert outcome.forward.delivered == outcome.reverse.delivered == reachable
    if _er_survives(failed):
        assert outcome.reverse.gateway is GatewayKind.ER  # Azure: ExpressRoute first, whatever the AS path
        if min(ce_preference) > vpn_preference:
            assert outcome.forward.gateway is GatewayKind.ER and not outcome.flags
    elif reachable:
        assert outcome.forward.gateway is outcome.reverse.gateway is GatewayKind.VPN


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=255), min_size=1, max_size=6), failures)
def test_prefixes_announced_over_the_vpn_only_are_pinned_exactly_while_er_is_up(
    third_octets: set[int], failed: frozenset[str]
) -> None:
    onprem = REFERENCE.onprem
    assert onprem.vpn_appliance is not None
    extra = tuple(IPv4Network(f"192.168.{octet}.0/24") for octet in sorted(third_octets))
    appliance = onprem.vpn_appliance.model_copy(
        update={"advertised_prefixes": (*onprem.address_space, *extra)}
    )
    topology = REFERENCE.model_copy(update={"onprem": onprem.model_copy(update={"vpn_appliance": appliance})})
    analysis = analyse(topology, [scenario(failed, PARTS)])
    result = analysis.results[0]
    for flow, outcome in analysis.rows(result):
        if flow.onprem_prefix in extra and _er_survives(failed) and _vpn_survives(failed):
            assert outcome.reverse.gateway is GatewayKind.VPN, flow.label
            assert "unexpected-path" in outcome.flags
        elif _er_survives(failed):
            assert outcome.reverse.gateway is GatewayKind.ER, flow.label


@settings(max_examples=80, deadline=None)
@given(st.tuples(preferences, preferences), preferences, prepends, failures)
def test_flows_do_not_depend_on_whether_edges_can_reach_reflected_next_hops(
    ce_preference: tuple[int, int], vpn_preference: int, prepend: tuple[int, int, int], failed: frozenset[str]
) -> None:
    """Only the core sends on-prem traffic towards Azure, and its choice is the same either way."""
    topology = _with_policy(ce_preference, vpn_preference, prepend)
    chosen = [scenario(failed, PARTS)]
    plain = analyse(topology, chosen)
    reachable = analyse(topology, chosen, bgp=OnPremBgp(reflected_next_hops_reachable=True))
    assert plain.results[0].by_class == reachable.results[0].by_class
