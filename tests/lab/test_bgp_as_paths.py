"""What the routers' BGP tables hold in the reference lab, against Microsoft's published route tables
(on-prem sees the VNet as ``12076`` over ExpressRoute, ``65515`` over the VPN; each VPN gateway
instance learns the on-prem prefix from the ExpressRoute gateway as ``12076 <on-prem AS>`` and
prefers it over its tunnel's ``<on-prem AS>``), and that the instances fall back to their tunnels
when the circuit fails and return to ExpressRoute when it comes back."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from hybridnet.emulate import Lab, netns
from hybridnet.waiting import poll_until

pytestmark = pytest.mark.lab

VNET = "10.0.0.0/16"
ONPREM = "192.168.0.0/16"
CIRCUIT = [("onprem-ce1", "msee-primary"), ("onprem-ce2", "msee-secondary")]



def paths(lab: Lab, node: str, prefix: str) -> list[dict[str, Any]]:
    """Every path bgpd holds for ``prefix``: AS path, next hop, best or not."""
    table = lab.frr(node).show("show bgp ipv4 unicast json")
    found = []
    for entry in table.get("routes", {}).get(prefix, []):
        hops = [hop.get("ip") for hop in entry.get("nexthops", [])]
        found.append({"path": entry.get("path", ""), "next_hop": hops[0] if hops else None,
                      "best": bool(entry.get("bestpath")), "valid": bool(entry.get("valid"))})
    return found


def best(lab: Lab, node: str, prefix: str) -> tuple[str, str | None] | None:
    chosen = [(p["path"], p["next_hop"]) for p in paths(lab, node, prefix) if p["best"]]
    return chosen[0] if chosen else None


def er_gateway_address(lab: Lab) -> str:
    return next(str(a.local.ip) for a in lab.plan.node("er-gateway").addresses if a.interface == "vnet")


def tunnel_peer(lab: Lab, gateway: str) -> str:
    return str(next(s.peer_address for s in lab.plan.bgp_sessions
                    if s.node == gateway and s.role.startswith("VPN tunnel")))


def installed_next_hop(lab: Lab, node: str) -> str | None:
    gateway, _interface = netns.lookup(lab.namespace(node), IPv4Address("192.168.1.10"))
    return str(gateway) if gateway is not None else None


def test_on_prem_sees_the_vnet_as_12076_over_expressroute_and_65515_over_the_vpn(reference_lab: Lab) -> None:
    asn = reference_lab.plan.topology.onprem.asn
    assert poll_until(lambda: best(reference_lab, "onprem-ce1", VNET) == ("12076", "172.16.0.2"), 30), \
        paths(reference_lab, "onprem-ce1", VNET)
    vpn = [p["path"] for p in paths(reference_lab, "onprem-vpn", VNET) if p["valid"] and p["path"] != "12076"]
    assert vpn == ["65515", "65515"], paths(reference_lab, "onprem-vpn", VNET)
    # the core compares 12076 (from the CEs, local preference 150) with 65515 (from the appliance)
    core = {p["path"] for p in paths(reference_lab, "onprem-core", VNET)}
    assert core == {"12076", "65515"}, core
    assert all("65515" not in p["path"].split() for p in paths(reference_lab, "onprem-ce2", VNET))
    # what the ExpressRoute gateway learns from the MSEEs is unchanged: 12076 <on-prem AS>
    assert {p["path"] for p in paths(reference_lab, "er-gateway", ONPREM)} == {f"12076 {asn}"}


def test_vpn_gateway_instances_prefer_the_expressroute_gateway_and_fall_back_to_their_tunnels(
    reference_lab: Lab,
) -> None:
    asn = reference_lab.plan.topology.onprem.asn
    er = er_gateway_address(reference_lab)
    for gateway in ("vpn-gateway-0", "vpn-gateway-1"):
        peer = tunnel_peer(reference_lab, gateway)
        assert poll_until(lambda g=gateway: best(reference_lab, g, ONPREM) == (f"12076 {asn}", er), 30), \
            paths(reference_lab, gateway, ONPREM)
        held = {(p["path"], p["next_hop"]) for p in paths(reference_lab, gateway, ONPREM)}
        assert held == {(f"12076 {asn}", er), (str(asn), peer)}, held
        assert installed_next_hop(reference_lab, gateway) == er
    # the fabric still holds the tunnels' paths as backups (add-path), and prefers ExpressRoute
    fabric = paths(reference_lab, "vnet-fabric", ONPREM)
    assert sorted(p["path"] for p in fabric) == [f"12076 {asn}", str(asn), str(asn)], fabric
    try:
        for a, b in CIRCUIT:
            reference_lab.set_link(a, b, False)
        for gateway in ("vpn-gateway-0", "vpn-gateway-1"):
            peer = tunnel_peer(reference_lab, gateway)
            assert poll_until(lambda g=gateway, p=peer: best(reference_lab, g, ONPREM) == (str(asn), p), 30), \
                paths(reference_lab, gateway, ONPREM)
            assert poll_until(lambda g=gateway, p=peer: installed_next_hop(reference_lab, g) == p, 10)
        # the appliance still learns the VNet over the tunnels, and on-prem now uses it
        assert poll_until(lambda: (best(reference_lab, "onprem-core", VNET) or ("",))[0] == "65515", 30), \
            paths(reference_lab, "onprem-core", VNET)
    finally:
        for a, b in CIRCUIT:
            reference_lab.set_link(a, b, True)
    for gateway in ("vpn-gateway-0", "vpn-gateway-1"):
        assert poll_until(lambda g=gateway: best(reference_lab, g, ONPREM) == (f"12076 {asn}", er), 60), \
            paths(reference_lab, gateway, ONPREM)
    assert poll_until(lambda: best(reference_lab, "onprem-core", VNET) == ("12076", "100.64.0.2"), 60), \
        paths(reference_lab, "onprem-core", VNET)
