"""Control-plane events from FRR JSON and VICI messages, shaped as FRR 8.4 and strongSwan 5.9 emit them."""

from __future__ import annotations

from hybridnet.drill.analysis.control_plane import ControlPlaneTracker, bgp_states, route_path, vici_event

SECOND = 1_000_000_000
LABELS = {"172.16.0.2": "ExpressRoute", "172.16.0.6": "ExpressRoute", "169.254.21.1": "VPN"}


def bfd_peers(status: str, diagnostic: str = "ok") -> list[dict]:
    return [{"multihop": False, "peer": "172.16.0.2", "local": "172.16.0.1", "vrf": "default",
             "interface": "msee1", "id": 1, "remote-id": 2, "passive-mode": False, "status": status,
             "diagnostic": diagnostic, "remote-diagnostic": "ok", "receive-interval": 300,
             "transmit-interval": 300, "detect-multiplier": 3}]


def bgp_summary(state: str) -> dict:
    return {"ipv4Unicast": {"routerId": "172.16.0.1", "as": 65010, "peers": {
        "172.16.0.2": {"remoteAs": 12076, "state": state, "peerState": "OK", "pfxRcd": 1},
        "169.254.21.1": {"remoteAs": 65515, "state": "Established", "peerState": "OK", "pfxRcd": 1}}}}


def routes(*nexthops: str) -> dict:
    if not nexthops:
        return {}
    return {"10.0.0.0/16": [{"prefix": "10.0.0.0/16", "protocol": "bgp", "selected": True, "installed": True,
                             "nexthops": [{"ip": hop, "interfaceName": "x", "active": True, "fib": True}
                                          for hop in nexthops]}]}


def test_bfd_going_down_is_an_event_at_the_observation_time() -> None:
    tracker = ControlPlaneTracker(origin_ns=100 * SECOND)
    assert tracker.observe_bfd("onprem-ce1", 101 * SECOND, bfd_peers("up")) == []  # baseline
    assert tracker.observe_bfd("onprem-ce1", 102 * SECOND, bfd_peers("up")) == []  # no change
    events = tracker.observe_bfd("onprem-ce1", 102 * SECOND + 900_000_000,
                                 bfd_peers("down", "control detection time expired"))
    assert len(events) == 1
    event = events[0]
    assert (event.t_s, event.source, event.kind, event.node) == (2.9, "bfd", "peer down", "onprem-ce1")
    assert event.detail == "172.16.0.2%msee1: up → down (control detection time expired)"


def test_bgp_session_down_and_up() -> None:
    tracker = ControlPlaneTracker(origin_ns=0)
    tracker.observe_bgp("onprem-ce1", 0, bgp_summary("Established"))
    down = tracker.observe_bgp("onprem-ce1", 3 * SECOND, bgp_summary("Idle"))
    assert [(e.kind, e.detail) for e in down] == [("session down", "neighbor 172.16.0.2: Established → Idle")]
    assert tracker.observe_bgp("onprem-ce1", 4 * SECOND, bgp_summary("Active"))[0].kind == "session active"
    assert tracker.observe_bgp("onprem-ce1", 6 * SECOND, bgp_summary("Established"))[0].kind == "session up"
    assert bgp_states(bgp_summary("Idle"))["169.254.21.1"] == "Established"


def test_route_moves_from_expressroute_to_vpn() -> None:
    tracker = ControlPlaneTracker(origin_ns=0)
    prefixes = ["10.0.0.0/16"]
    tracker.observe_routes("onprem-core", 0, routes("172.16.0.2", "172.16.0.6"), prefixes, LABELS)
    changed = tracker.observe_routes("onprem-core", SECOND, routes("169.254.21.1"), prefixes, LABELS)
    assert [e.kind for e in changed] == ["route changed"]
    assert changed[0].detail.endswith("→ 169.254.21.1 (VPN)")
    gone = tracker.observe_routes("onprem-core", 2 * SECOND, routes(), prefixes, LABELS)
    assert [e.kind for e in gone] == ["route withdrawn"]
    back = tracker.observe_routes("onprem-core", 3 * SECOND, routes("172.16.0.2"), prefixes, LABELS)
    assert [(e.kind, e.detail) for e in back] == [
        ("route installed", "10.0.0.0/16 via 172.16.0.2 (ExpressRoute)")]


def test_route_path_names_the_gateway() -> None:
    assert route_path(routes("172.16.0.2", "172.16.0.6"), "10.0.0.0/16", LABELS) == "ExpressRoute"
    assert route_path(routes("169.254.21.1"), "10.0.0.0/16", LABELS) == "VPN"
    assert route_path(routes("172.16.0.2", "169.254.21.1"), "10.0.0.0/16", LABELS) == "ExpressRoute+VPN"
    assert route_path(routes(), "10.0.0.0/16", LABELS) == "none"


def test_vici_events_keep_names_and_states_only() -> None:
    up = vici_event(2.5, "onprem-vpn", "ike-updown", {
        b"up": b"yes", b"azure-vpn": {b"uniqueid": b"3", b"state": b"ESTABLISHED", b"child-sas": {}}})
    assert up is not None
    assert (up.source, up.kind, up.detail) == ("ike", "IKE_SA up", "azure-vpn [ESTABLISHED]")
    child = vici_event(2.6, "onprem-vpn", "child-updown", {
        b"azure-vpn": {b"state": b"DELETING", b"child-sas": {b"azure-vpn-1": {b"state": b"DELETING"}}}})
    assert child is not None and child.kind == "CHILD_SA down" and "azure-vpn-1" in child.detail
    rekey = vici_event(9.0, "onprem-vpn", "child-rekey", {b"azure-vpn": {b"child-sas": {b"azure-vpn-2": {}}}})
    assert rekey is not None and rekey.kind == "CHILD_SA rekeyed"
    assert vici_event(1.0, "onprem-vpn", "log", {b"msg": b"x"}) is None
