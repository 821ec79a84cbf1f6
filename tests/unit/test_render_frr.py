"""On-prem FRR configs: ExpressRoute preferred by local preference, BFD and timers from the model."""

from __future__ import annotations

from hybridnet.model import Topology
from hybridnet.render.frr import onprem_wiring, render_onprem
from tests.conftest import reference_document, topology_from


def test_edge_routers_prefer_expressroute_with_local_preference_150(reference: Topology) -> None:
    config = render_onprem(reference)["onprem-ce1/frr.conf"]
    assert "set local-preference 150" in config
    assert "neighbor 172.16.0.2 route-map EXPRESSROUTE-IN in" in config


def test_edge_router_peers_with_its_msee_using_bfd_and_circuit_timers(reference: Topology) -> None:
    config = render_onprem(reference)["onprem-ce2/frr.conf"]
    assert "neighbor 172.16.0.6 remote-as 12076" in config
    assert "neighbor 172.16.0.6 timers 60 180" in config
    assert "neighbor 172.16.0.6 bfd profile expressroute" in config
    assert "receive-interval 300" in config
    assert "no bgp ebgp-requires-policy" in config
    assert "neighbor 172.16.0.6 advertisement-interval 0" in config


def test_edge_router_announces_only_the_onprem_space(reference: Topology) -> None:
    config = render_onprem(reference)["onprem-ce1/frr.conf"]
    assert "ip prefix-list ONPREM-TO-AZURE seq 5 permit 192.168.0.0/16" in config
    assert "match ip address prefix-list ONPREM-TO-AZURE" in config
    assert "ip route 192.168.0.0/16 Null0 254" in config and "network 192.168.0.0/16" in config


def test_vpn_appliance_peers_over_both_tunnels_at_lower_preference(reference: Topology) -> None:
    config = render_onprem(reference)["onprem-vpn/frr.conf"]
    assert "neighbor 169.254.21.1 remote-as 65515" in config
    assert "neighbor 169.254.22.1 update-source 169.254.22.2" in config
    assert "set local-preference 100" in config
    assert "ebgp-multihop" not in config


def test_core_reflects_routes_between_edges(reference: Topology) -> None:
    config = render_onprem(reference)["onprem-core/frr.conf"]
    assert "neighbor ONPREM-EDGE route-reflector-client" in config
    assert "network 192.168.1.0/24" in config


def test_as_path_prepend_is_rendered() -> None:
    document = reference_document()
    document["onprem"]["vpn_appliance"]["as_path_prepend"] = 2
    config = render_onprem(topology_from(document))["onprem-vpn/frr.conf"]
    assert "set as-path prepend 65010 65010" in config


def test_default_wiring_gives_each_edge_device_a_transit_30(reference: Topology) -> None:
    wiring = onprem_wiring(reference)
    assert [str(link.device_address) for link in wiring.transit] == ["100.64.0.2/30", "100.64.0.6/30",
                                                                      "100.64.0.10/30"]
    assert str(wiring.lans[0].gateway) == "192.168.1.1/24"

