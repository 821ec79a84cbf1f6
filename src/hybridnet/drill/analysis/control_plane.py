"""Control-plane events from the daemons' own state, on the same clock as the probes.

FRR's log timestamps have one-second precision by default and charon's log is in wall-clock time,
too coarse and on the wrong clock to line up with a 10 ms probe. So the drill polls FRR's JSON
(``show bfd peers json``, ``show bgp summary json``, ``show ip route json``) every few tens of
milliseconds and listens to charon's VICI events, stamping each observation with CLOCK_MONOTONIC;
this module turns consecutive observations into Events (a change is an event). Pure: it never talks
to a daemon itself, so it is tested on captured output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hybridnet.drill.result import Event, EventSource, PathLabel

Json = Any


def _text(value: Json) -> str:
    """VICI messages carry bytes; FRR JSON carries str."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else str(value)


def bfd_states(peers: Json) -> dict[str, str]:
    """peer address (and interface) → status, from ``show bfd peers json``."""
    states: dict[str, str] = {}
    for peer in peers or []:
        key = peer["peer"] + (f"%{peer['interface']}" if peer.get("interface") else "")
        states[key] = f"{peer.get('status', 'unknown')}" + (
            f" ({peer['diagnostic']})" if peer.get("status") == "down" and peer.get("diagnostic") else "")
    return states


def bgp_states(summary: Json) -> dict[str, str]:
    """neighbor → state (``Established``, ``Idle``, ``Active``…), from ``show bgp summary json``."""
    states: dict[str, str] = {}
    for family in (summary or {}).values():
        if isinstance(family, dict):
            for neighbor, peer in (family.get("peers") or {}).items():
                states[neighbor] = str(peer.get("state", "unknown"))
    return states


def selected_nexthops(routes: Json, prefix: str) -> tuple[str, ...]:
    """Next hops (address or interface) of the selected, installed route to ``prefix``."""
    for route in (routes or {}).get(prefix, []):
        if route.get("selected") and route.get("installed", True):
            return tuple(sorted(h.get("ip") or h.get("interfaceName", "?")
                                for h in route.get("nexthops", []) if h.get("active", True)))
    return ()


def route_path(routes: Json, prefix: str, nexthop_labels: Mapping[str, PathLabel]) -> PathLabel:
    """Which gateway a router's route to ``prefix`` points at: ``none`` when it has no route."""
    hops = selected_nexthops(routes, prefix)
    if not hops:
        return "none"
    labels = {nexthop_labels.get(hop, "unknown") for hop in hops}
    return labels.pop() if len(labels) == 1 else "+".join(sorted(labels))


class ControlPlaneTracker:
    """Remembers the last observation per node and source; reports what changed as Events."""

    def __init__(self, origin_ns: int) -> None:
        self._origin_ns = origin_ns
        self._last: dict[tuple[str, str], dict[str, Any]] = {}

    def _t(self, t_ns: int) -> float:
        return (t_ns - self._origin_ns) / 1e9

    def _diff(self, node: str, source: str, current: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        previous = self._last.get((node, source))
        self._last[(node, source)] = current
        if previous is None:
            return []  # the first observation is the baseline, not an event
        return [(key, previous.get(key), current.get(key)) for key in sorted(previous.keys() | current.keys())
                if previous.get(key) != current.get(key)]

    def observe_bfd(self, node: str, t_ns: int, peers: Json) -> list[Event]:
        return [Event(self._t(t_ns), "bfd", f"peer {_word(new, 'gone')}",
                      f"{peer}: {old or 'absent'} → {new or 'absent'}", node)
                for peer, old, new in self._diff(node, "bfd", bfd_states(peers))]

    def observe_bgp(self, node: str, t_ns: int, summary: Json) -> list[Event]:
        events = []
        for neighbor, old, new in self._diff(node, "bgp", bgp_states(summary)):
            kind = "session up" if new == "Established" else (
                "session down" if old == "Established" else f"session {str(new or 'gone').lower()}")
            events.append(Event(self._t(t_ns), "bgp", kind, f"neighbor {neighbor}: {old} → {new}", node))
        return events

    def observe_routes(self, node: str, t_ns: int, routes: Json, prefixes: Iterable[str],
                       nexthop_labels: Mapping[str, PathLabel]) -> list[Event]:
        current = {prefix: selected_nexthops(routes, prefix) for prefix in prefixes}
        events = []
        for prefix, old, new in self._diff(node, "routes", current):
            path = route_path(routes, prefix, nexthop_labels)
            if not new:
                kind, detail = "route withdrawn", f"{prefix} via {', '.join(old)}: no route left"
            elif not old:
                kind, detail = "route installed", f"{prefix} via {', '.join(new)} ({path})"
            else:
                kind, detail = "route changed", f"{prefix} via {', '.join(old)} → {', '.join(new)} ({path})"
            events.append(Event(self._t(t_ns), "zebra", kind, detail, node))
        return events


def _word(status: str | None, missing: str) -> str:
    return (status or missing).split(" ")[0]


VICI_EVENT_SOURCES: dict[str, EventSource] = {"ike-updown": "ike", "ike-rekey": "ike",
                                              "child-updown": "child_sa", "child-rekey": "child_sa"}


def vici_event(t_s: float, node: str, name: str, message: Mapping[Any, Json]) -> Event | None:
    """One VICI event (``ike-updown``, ``child-updown``, ``ike-rekey``, ``child-rekey``) as an Event.

    Only names and states are kept: VICI SA listings carry no keys, and nothing else is copied.
    """
    source = VICI_EVENT_SOURCES.get(name)
    if source is None:
        return None
    fields = {_text(k): v for k, v in message.items()}
    up = _text(fields.pop("up", b"no")) == "yes"
    sa_names = sorted(fields)
    states = []
    for sa_name in sa_names:
        sa = fields[sa_name] if isinstance(fields[sa_name], Mapping) else {}
        state = _text(sa.get(b"state", sa.get("state", "")))
        children = sa.get(b"child-sas", sa.get("child-sas", {})) or {}
        child_names = ", ".join(_text(c) for c in children)
        states.append(sa_name + (f" [{state}]" if state else "")
                      + (f" children: {child_names}" if child_names else ""))
    if name.endswith("updown"):
        kind = f"{'IKE_SA' if source == 'ike' else 'CHILD_SA'} {'up' if up else 'down'}"
    else:
        kind = f"{'IKE_SA' if source == 'ike' else 'CHILD_SA'} rekeyed"
    return Event(t_s, source, kind, "; ".join(states), node)
