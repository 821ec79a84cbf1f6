"""The routing-intent rules and the routing analysis are two independent answers to one question;
on generated routing designs they must agree.

- HN-RT-001 (on-prem does not prefer ExpressRoute by local preference) fires exactly when, with router
  IDs that rank the VPN appliance first, some scenario with ExpressRoute still up sends on-prem traffic
  into the VPN while Azure answers over ExpressRoute (ExpressRoute's ``12076`` and the VPN's ``65515``
  are equally long, so at equal local preference only the router ID keeps ExpressRoute); with the
  rendered router IDs such an asymmetry never appears without the rule firing.
- HN-RT-002 (a prefix pinned to the VPN) fires exactly when, with everything up, Azure sends some flow
  to on-prem over the VPN.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridnet.routing import ALL_UP, Flag, GatewayKind, OnPremBgp, analyse
from hybridnet.rules import all_rules
from tests.conftest import reference_document, topology_from

PREFERENCES = st.sampled_from((50, 100, 150, 200))
# ExpressRoute always covers the whole on-prem space: where it announces less than the VPN, the analysis
# judges an aggregate flow by its exact prefix while Azure forwards per address (see the report).
ER_ANNOUNCEMENTS = st.sampled_from((None, ["192.168.0.0/16", "192.168.1.0/24"]))
VPN_ANNOUNCEMENTS = st.sampled_from(
    (
        None,
        ["192.168.0.0/16"],
        ["192.168.0.0/16", "192.168.1.0/24"],
        ["192.168.1.0/24"],
        ["192.168.0.0/17", "192.168.128.0/17"],
    )
)


@st.composite
def routing_designs(draw: st.DrawFn) -> dict[str, Any]:
    document = reference_document()
    onprem = document["onprem"]
    for router in onprem["edge_routers"]:
        router["local_preference"] = draw(PREFERENCES)
        announced = draw(ER_ANNOUNCEMENTS)
        if announced is not None:
            router["advertised_prefixes"] = announced
    onprem["vpn_appliance"]["local_preference"] = draw(PREFERENCES)
    announced = draw(VPN_ANNOUNCEMENTS)
    if announced is not None:
        onprem["vpn_appliance"]["advertised_prefixes"] = announced
    return document


def _fires(rule_id: str, topology: Any) -> bool:
    return bool(next(r for r in all_rules() if r.id == rule_id)(topology))


APPLIANCE_FIRST = OnPremBgp(router_ids={"onprem-vpn": 0, "onprem-core": 1, "onprem-ce1": 2, "onprem-ce2": 3})


def _onprem_prefers_vpn(topology: Any, bgp: OnPremBgp) -> bool:
    analysis = analyse(topology, depth=1, bgp=bgp)
    return any(
        result.forward.uses_vpn and result.reverse.gateway is GatewayKind.ER and Flag.ASYMMETRIC in result.flags
        for scenario in analysis.results
        for _, result in analysis.rows(scenario)
    )


@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(routing_designs())
def test_routing_intent_rules_agree_with_the_routing_analysis(document: dict[str, Any]) -> None:
    topology = topology_from(document)
    analysis = analyse(topology, depth=1)
    pinned_to_vpn = any(result.reverse.uses_vpn for _, result in analysis.rows(analysis.scenario_result(ALL_UP)))
    fires = _fires("HN-RT-001", topology)
    assert fires == _onprem_prefers_vpn(topology, APPLIANCE_FIRST)
    assert fires or not _onprem_prefers_vpn(topology, OnPremBgp())
    assert _fires("HN-RT-002", topology) == pinned_to_vpn
