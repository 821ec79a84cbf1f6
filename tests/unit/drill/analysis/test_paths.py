"""The one path labeller: a probe's TTLs, or a list of hops, name ExpressRoute or the VPN."""

from __future__ import annotations

from hybridnet.drill.analysis.paths import (
    TtlPaths,
    arriving_ttl,
    combined_path,
    path_from_hops,
    routers_crossed,
)
from hybridnet.drill.run.path_checks import parse_traceroute
from tests.unit.drill.analysis.simulated import ROUTERS, TTL

REFERENCE_ER_WALK = ["onprem-host1", "onprem-core", "onprem-ce1", "msee-primary", "er-gateway", "vnet-fabric",
                     "web-vm1"]
REFERENCE_VPN_WALK = ["onprem-host1", "onprem-core", "onprem-vpn", "vpn-gateway-0", "vnet-fabric", "web-vm1"]


def test_hop_counts_come_from_the_fib_walk_and_the_vpn_path_is_one_router_shorter() -> None:
    assert routers_crossed(REFERENCE_ER_WALK) == ROUTERS["ExpressRoute"] == 5
    assert routers_crossed(REFERENCE_VPN_WALK) == ROUTERS["VPN"] == 4
    assert routers_crossed(["onprem-host1"]) == 0
    assert arriving_ttl(5) == TTL["ExpressRoute"] == 59 and arriving_ttl(4) == TTL["VPN"] == 60


def test_ttl_labels_and_asymmetric_round_trips() -> None:
    routers = {(d, p): n for d in ("onprem-to-vnet", "vnet-to-onprem") for p, n in ROUTERS.items()}
    labels = TtlPaths.from_routers(routers)
    assert labels.label("onprem-to-vnet", 59) == "ExpressRoute"
    assert labels.label("onprem-to-vnet", 60) == "VPN"
    assert labels.label("onprem-to-vnet", 7) == "unknown"
    assert combined_path("ExpressRoute", "VPN") == "ExpressRoute/VPN"
    assert combined_path("VPN", "VPN") == "VPN"
    outbound = labels.path_of("onprem-to-vnet")
    assert outbound({"request_ttl": 60, "reply_ttl": 59}) == "VPN/ExpressRoute"
    assert outbound({}) == "unknown"


def test_a_longer_vpn_path_is_named_too() -> None:
    """The labeller follows the routes, not an assumption: a VPN path with more routers (as in the
    namespace test's miniature network) has the lower TTL."""
    labels = TtlPaths.from_routers({("onprem-to-vnet", "ExpressRoute"): 1, ("onprem-to-vnet", "VPN"): 2})
    assert (labels.label("onprem-to-vnet", 63), labels.label("onprem-to-vnet", 62)) == ("ExpressRoute", "VPN")


def test_a_measured_expressroute_ttl_shifts_both_paths() -> None:
    labels = TtlPaths.from_routers({("vnet-to-onprem", "ExpressRoute"): 5}, {"vnet-to-onprem": 123})
    assert labels.label("vnet-to-onprem", 123) == "ExpressRoute"
    assert labels.label("vnet-to-onprem", 124) == "VPN"  # one router fewer assumed, the VPN not yet seen


def test_traceroute_names_the_gateway_it_went_through() -> None:
    output = ("traceroute to 10.0.1.4 (10.0.1.4), 10 hops max, 60 byte packets\n"
              " 1  192.168.1.1  0.101 ms\n 2  169.254.21.1  1.502 ms\n 3  *\n 4  10.0.1.4  2.020 ms\n")
    hops = parse_traceroute(output)
    assert hops == ["192.168.1.1", "169.254.21.1", None, "10.0.1.4"]
    markers = {"172.16.0.2": "ExpressRoute", "172.16.0.6": "ExpressRoute", "169.254.21.1": "VPN"}
    assert path_from_hops(hops, markers) == "VPN"
    assert path_from_hops(["192.168.1.1", "10.0.1.4"], markers) == "unknown"
    assert path_from_hops([None, None], markers) == "none"
