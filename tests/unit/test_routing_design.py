"""Designs other than the reference: route limits, prepending, static VPN, a missing VPN or circuit."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Network
from typing import Any

from hybridnet.model import Topology
from hybridnet.routing import Flag, GatewayKind, OnPremBgp, analyse, failure_points, parse_scenario, routing_design
from hybridnet.routing.scenarios import ScenarioError
from tests.conftest import reference_document, topology_from

MANY = (
    *(IPv4Network(f"192.168.{i // 256}.{i % 256}/32") for i in range(4001)),
    IPv4Network("192.168.0.0/16"),
)


def variant(*edits: Callable[[dict[str, Any]], None]) -> Topology:
    document = reference_document()
    for edit in edits:
        edit(document)
    return topology_from(document)


def ce(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["onprem"]["edge_routers"][index].update(fields)


def appliance(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["onprem"]["vpn_appliance"].update(fields)


def circuit_tier(tier: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["circuit"].update(sku_tier=tier)


def without_vpn(doc: dict[str, Any]) -> None:
    del doc["onprem"]["vpn_appliance"]
    doc["gateways"] = [g for g in doc["gateways"] if g["type"] != "Vpn"]
    doc["connections"] = [c for c in doc["connections"] if c["type"] != "IPsec"]
    doc["local_network_gateways"] = []


def without_expressroute(doc: dict[str, Any]) -> None:
    doc["gateways"] = [g for g in doc["gateways"] if g["type"] != "ExpressRoute"]
    doc["connections"] = [c for c in doc["connections"] if c["type"] != "ExpressRoute"]


def static_vpn(*prefixes: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["connections"][1]["enable_bgp"] = False
        doc["local_network_gateways"][0]["address_prefixes"] = list(prefixes)
        del doc["local_network_gateways"][0]["bgp"]

    return edit


def announcing_many(topology: Topology, over_er: bool, over_vpn: bool) -> Topology:
    """The topology with 4002 prefixes announced (built directly: a YAML round trip of them is slow)."""
    onprem = topology.onprem
    routers = tuple(
        r.model_copy(update={"advertised_prefixes": MANY}) if over_er else r for r in onprem.edge_routers
    )
    vpn = onprem.vpn_appliance
    if over_vpn and vpn is not None:
        vpn = vpn.model_copy(update={"advertised_prefixes": MANY})
    return topology.model_copy(
        update={"onprem": onprem.model_copy(update={"edge_routers": routers, "vpn_appliance": vpn})}
    )


def test_a_standard_circuit_drops_sessions_announcing_more_than_4000_prefixes() -> None:
    topology = announcing_many(variant(circuit_tier("Standard")), over_er=True, over_vpn=False)
    design = routing_design(topology)
    assert all(link.dropped for link in design.er_links)
    assert any("4002 prefixes" in note and "4000" in note for note in design.notes)
    web = analyse(topology, depth=0).result("all-up", "192.168.0.0/16", "web")
    assert web.forward.gateway is web.reverse.gateway is GatewayKind.VPN
    assert not web.flags  # ExpressRoute is down for routing: the VPN is the expected path


def test_a_premium_circuit_accepts_the_same_4001_prefixes() -> None:
    topology = announcing_many(variant(circuit_tier("Premium")), over_er=True, over_vpn=False)
    assert not any(link.dropped for link in routing_design(topology).er_links)
    web = analyse(topology, depth=0).result("all-up", "192.168.0.0/16", "web")
    assert web.reverse.gateway is GatewayKind.ER


def test_the_vpn_gateway_drops_a_peer_announcing_more_than_4000_prefixes() -> None:
    topology = announcing_many(variant(), over_er=False, over_vpn=True)
    design = routing_design(topology)
    assert design.vpn_dropped
    web = analyse(topology, [parse_scenario(design, "circuit")]).result("circuit", "192.168.0.0/16", "web")
    assert Flag.BLACKHOLE in web.flags  # the backup was never there


def test_without_a_vpn_only_expressroute_parts_fail_and_a_circuit_loss_is_a_black_hole() -> None:
    topology = variant(without_vpn)
    names = [point.name for point in failure_points(routing_design(topology))]
    assert names == ["primary-link", "secondary-link", "circuit", "er-gateway", "onprem-ce1", "onprem-ce2"]
    analysis = analyse(topology)
    assert len(analysis.results) == 1 + 6 + 15
    assert analysis.result("all-up", "192.168.0.0/16", "web").forward.gateway is GatewayKind.ER
    assert Flag.BLACKHOLE in analysis.result("circuit", "192.168.0.0/16", "web").flags


def test_without_expressroute_the_vpn_is_the_expected_path() -> None:
    topology = variant(without_expressroute)
    web = analyse(topology, depth=0).result("all-up", "192.168.0.0/16", "web")
    assert web.forward.gateway is web.reverse.gateway is GatewayKind.VPN
    assert not web.flags


def test_prepending_on_one_ce_steers_azure_to_the_other_link() -> None:
    web = analyse(variant(ce(0, as_path_prepend=2)), depth=0).result("all-up", "192.168.0.0/16", "web")
    assert web.reverse.hops == ("vnet-fabric", "er-gateway", "msee-secondary", "onprem-ce2", "onprem-core")
    assert len(web.forward.branches) == 2  # on-prem still sends over both CEs


def test_prepending_towards_azure_does_not_make_on_prem_prefer_expressroute() -> None:
    """Prepending changes what Azure sees, not what on-prem chooses: only local preference fixes that.
    With equal local preference the paths tie (12076 / 65515) and the lowest router ID decides."""
    topology = variant(ce(0, local_preference=100), ce(1, local_preference=100), appliance(as_path_prepend=3))
    appliance_first = OnPremBgp(router_ids={"onprem-vpn": 0, "onprem-ce1": 1, "onprem-ce2": 2})
    web = analyse(topology, depth=0, bgp=appliance_first).result("all-up", "192.168.0.0/16", "web")
    assert web.forward.gateway is GatewayKind.VPN
    assert web.reverse.gateway is GatewayKind.ER
    assert Flag.ASYMMETRIC in web.flags


def test_a_lower_local_preference_on_the_edges_sends_on_prem_over_the_vpn_whatever_the_router_ids() -> None:
    topology = variant(ce(0, local_preference=90), ce(1, local_preference=90))
    web = analyse(topology, depth=0).result("all-up", "192.168.0.0/16", "web")
    assert web.forward.gateway is GatewayKind.VPN and web.reverse.gateway is GatewayKind.ER
    assert Flag.ASYMMETRIC in web.flags


def test_a_prefix_inside_the_vnet_is_ignored_with_a_note() -> None:
    design = routing_design(variant(appliance(advertised_prefixes=["192.168.0.0/16", "10.0.1.0/24"])))
    assert "10.0.1.0/24" not in {str(prefix) for prefix in design.vpn_advertised}
    assert any("10.0.1.0/24" in note and "Azure ignores it" in note for note in design.notes)


def test_a_static_vpn_carries_the_local_network_gateway_prefixes() -> None:
    topology = variant(static_vpn("192.168.0.0/16"))
    assert not routing_design(topology).vpn_bgp
    analysis = analyse(topology)
    assert analysis.result("all-up", "192.168.0.0/16", "web").forward.gateway is GatewayKind.ER
    circuit_down = analysis.result("circuit", "192.168.0.0/16", "web")
    assert circuit_down.forward.gateway is circuit_down.reverse.gateway is GatewayKind.VPN


def test_a_static_vpn_with_a_more_specific_prefix_pins_it() -> None:
    analysis = analyse(variant(static_vpn("192.168.1.0/24")), depth=0)
    pinned = analysis.result("all-up", "192.168.1.0/24", "web")
    assert pinned.reverse.gateway is GatewayKind.VPN
    assert Flag.UNEXPECTED_PATH in pinned.flags


def test_an_active_standby_vpn_gateway_has_one_instance_and_one_tunnel() -> None:
    def single_instance(doc: dict[str, Any]) -> None:
        gateway = next(g for g in doc["gateways"] if g["type"] == "Vpn")
        gateway["active_active"] = False
        gateway["instances"] = gateway["instances"][:1]

    topology = variant(single_instance)
    names = [point.name for point in failure_points(routing_design(topology))]
    assert "vpn-gateway-0" in names and "vpn-gateway-1" not in names and "vpn-tunnel-1" not in names
    web = analyse(topology).result("circuit", "192.168.0.0/16", "web")
    assert web.reverse.hops == ("vnet-fabric", "vpn-gateway-0", "onprem-vpn", "onprem-core")
    assert Flag.BLACKHOLE in analyse(topology).result("circuit+vpn-gateway-0", "192.168.0.0/16", "web").flags


def test_a_named_scenario_must_name_parts_the_design_has() -> None:
    design = routing_design(variant(without_vpn))
    maintenance = parse_scenario(design, "maintenance=primary-link, onprem-ce2")
    assert maintenance.name == "maintenance" and maintenance.failed == {"primary-link", "onprem-ce2"}
    assert parse_scenario(design, "onprem-ce2,primary-link").name == "primary-link+onprem-ce2"
    try:
        parse_scenario(design, "vpn-gateway-0")
    except ScenarioError as error:
        assert "vpn-gateway-0" in str(error) and "choose from primary-link" in str(error)
    else:
        raise AssertionError("a part the design lacks was accepted")


def route_table(
    subnet: str, *routes: tuple[str, str], propagation: bool = True
) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        table = {
            "name": f"{subnet}-rt",
            "disable_bgp_route_propagation": not propagation,
            "routes": [
                {"name": f"r{i}", "prefix": prefix, "next_hop_type": hop}
                | ({"next_hop_ip": "10.0.9.4"} if hop == "VirtualAppliance" else {})
                for i, (prefix, hop) in enumerate(routes)
            ],
        }
        doc.setdefault("route_tables", []).append(table)
        next(s for s in doc["vnet"]["subnets"] if s["name"] == subnet)["route_table"] = table["name"]

    return edit


def test_a_subnet_without_gateway_route_propagation_cannot_reach_on_prem() -> None:
    analysis = analyse(variant(route_table("biz", propagation=False)), depth=0)
    biz = analysis.result("all-up", "192.168.0.0/16", "biz")
    assert Flag.BLACKHOLE in biz.flags
    assert biz.reverse.dropped_at == ("vnet-fabric",)
    assert any("disables gateway route propagation" in reason for reason in biz.reasons)
    assert not analysis.result("all-up", "192.168.0.0/16", "web").flags


def test_a_udr_to_the_vpn_gateway_beats_expressroute_for_that_subnet() -> None:
    """The UDR sends the subnet's traffic to the VPN gateway, but the gateway instances prefer the
    ExpressRoute gateway's route to on-prem: while ExpressRoute is up it hairpins through both."""
    analysis = analyse(variant(route_table("web", ("192.168.0.0/16", "VirtualNetworkGateway"))), depth=1)
    web = analysis.result("all-up", "192.168.0.0/16", "web")
    assert {branch.hops[:3] for branch in web.reverse.branches} == {
        ("vnet-fabric", "vpn-gateway-0", "er-gateway"),
        ("vnet-fabric", "vpn-gateway-1", "er-gateway"),
    }
    assert web.reverse.gateway is GatewayKind.MIXED and web.forward.gateway is GatewayKind.ER
    assert {Flag.ASYMMETRIC, Flag.UNEXPECTED_PATH} <= web.flags
    assert any("UDR 192.168.0.0/16 in route table web-rt" in reason for reason in web.reasons)
    assert analysis.result("all-up", "192.168.0.0/16", "data").reverse.gateway is GatewayKind.ER
    assert analysis.result("circuit", "192.168.0.0/16", "web").reverse.gateway is GatewayKind.VPN
    assert Flag.BLACKHOLE not in analysis.result("onprem-vpn", "192.168.0.0/16", "web").flags


def test_a_longer_gateway_route_beats_a_default_udr_and_an_equal_udr_beats_bgp() -> None:
    default_only = analyse(variant(route_table("web", ("0.0.0.0/0", "VirtualAppliance"))), depth=0)
    assert default_only.result("all-up", "192.168.0.0/16", "web").reverse.gateway is GatewayKind.ER
    to_appliance = analyse(variant(route_table("web", ("192.168.0.0/16", "VirtualAppliance"))), depth=0)
    web = to_appliance.result("all-up", "192.168.0.0/16", "web")
    assert web.reverse.hops == ("vnet-fabric", "virtual-appliance-10.0.9.4")
    assert Flag.UNEXPECTED_PATH in web.flags and Flag.BLACKHOLE not in web.flags
    dropped = analyse(variant(route_table("web", ("192.168.0.0/16", "None"))), depth=0)
    assert Flag.BLACKHOLE in dropped.result("all-up", "192.168.0.0/16", "web").flags
