"""Which way traffic went — ExpressRoute or the VPN — from a probe's TTLs or from a list of hops.

The drill names a path two ways, and both live here:

- **from TTLs** (``TtlPaths``), for every probe reply: the probe agents send with Linux's initial
  TTL of 64 and every router that forwards a packet lowers it by one, so the TTL a packet arrives
  with tells how many routers it crossed: ``ttl = 64 - routers``.
- **from hops** (``path_from_hops``), for a traceroute or a route's next hops: the first hop that
  belongs to one path's gateways names it.

How many routers each path crosses is derived in one place, ``routers_crossed``, from the hop
list the lab's FIB walk gives (``[source, router, …, router, destination]``). In the reference lab:

====================  ==========================================================  =======  ===
path                  routers a probe from an on-prem host to a workload crosses  routers  TTL
====================  ==========================================================  =======  ===
ExpressRoute          on-prem core, edge router, MSEE, ExpressRoute gateway,       5        59
                      VNet fabric
VPN                   on-prem core, VPN appliance, VPN gateway, VNet fabric        4        60
====================  ==========================================================  =======  ===

The VPN path is one router *shorter*: the routers between the tunnel's ends (``internet``) only
see the outer ESP packet, whose TTL is not the probe's. So a VPN reply arrives with a TTL one
*higher* than an ExpressRoute one. When the drill has not seen the VPN path's routes (the VPN never
carried traffic), that difference of one (``VPN_ROUTERS_FEWER``) is assumed.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from hybridnet.agents.agent_io import Record
from hybridnet.drill.result import Direction, PathLabel


class MeasuredWindow(Protocol):
    """What calibration reads of a step's window (``steps.StepWindow`` is one; typed here so that
    ``steps``, which uses this module, is not imported back)."""

    start_ns: int
    end_ns: int
    routes_path: tuple[str, str]

INITIAL_TTL = 64
"""Linux's default TTL (``net.ipv4.ip_default_ttl``), which the probe agents send with."""
VPN_ROUTERS_FEWER = 1
"""ExpressRoute routers minus VPN routers, assumed until the VPN path's routes have been seen."""
DIRECTIONS: tuple[Direction, Direction] = ("onprem-to-vnet", "vnet-to-onprem")
SENDERS: dict[Direction, str] = {"onprem-to-vnet": "udp-onprem-to-vnet", "vnet-to-onprem": "udp-vnet-to-onprem"}
"""The probe agent that sends each direction's probes (its records are under this name)."""


def other(direction: Direction) -> Direction:
    return "vnet-to-onprem" if direction == "onprem-to-vnet" else "onprem-to-vnet"


def routers_crossed(hops: Sequence[str]) -> int:
    """Routers between the two ends of a FIB walk ``[source, router, …, destination]``: each lowers
    a packet's TTL by one."""
    return max(len(hops) - 2, 0)


def arriving_ttl(routers: int) -> int:
    return INITIAL_TTL - routers


def combined_path(forward: PathLabel, reverse: PathLabel) -> PathLabel:
    """One label for a round trip; an asymmetric one (out on one gateway, back on the other) shows both."""
    return forward if forward == reverse else f"{forward}/{reverse}"


@dataclass(frozen=True)
class TtlPaths:
    """Names a reply's path from its TTLs, per network direction (``onprem-to-vnet`` is the way
    from on-prem to the VNet, whichever end sent the probe): ``ttl[(direction, ttl)] → path``."""

    ttl: Mapping[tuple[str, int], PathLabel]

    @classmethod
    def from_routers(cls, routers: Mapping[tuple[str, str], int],
                     expressroute_ttl: Mapping[str, int] | None = None) -> TtlPaths:
        """``routers[(direction, path)]``: routers crossed (``routers_crossed`` of the lab's FIB walk).

        ``expressroute_ttl[direction]``, when measured, replaces the TTL the router count gives for
        ExpressRoute (a host with another initial TTL shifts both paths alike).
        """
        table: dict[tuple[str, int], PathLabel] = {}
        for direction in DIRECTIONS:
            er_routers = routers.get((direction, "ExpressRoute"))
            if er_routers is None:  # a VPN-only site: its one path is the VPN
                if (direction, "VPN") in routers:
                    table[(direction, arriving_ttl(routers[(direction, "VPN")]))] = "VPN"
                continue
            vpn_routers = routers.get((direction, "VPN"), er_routers - VPN_ROUTERS_FEWER)
            er_ttl = (expressroute_ttl or {}).get(direction, arriving_ttl(er_routers))
            table[(direction, er_ttl)] = "ExpressRoute"
            if vpn_routers != er_routers:
                table[(direction, er_ttl + er_routers - vpn_routers)] = "VPN"
        return cls(table)

    @classmethod
    def calibrate(cls, records: Mapping[str, list[Record]], first: MeasuredWindow | None,
                  routers: Mapping[tuple[str, str], int]) -> TtlPaths:
        """The ExpressRoute TTL of each direction as step 1 measured it (the most common one), when
        the installed routes said step 1 ran over ExpressRoute both ways; the rest from ``routers``."""
        observed: dict[str, list[int]] = {d: [] for d in DIRECTIONS}
        if first is not None and first.routes_path == ("ExpressRoute", "ExpressRoute"):
            for direction, sender in SENDERS.items():
                for record in records.get(sender, []):
                    if record.get("kind") == "reply" and first.start_ns <= int(record["sent_ns"]) < first.end_ns:
                        observed[direction].append(int(record["request_ttl"]))
                        observed[other(direction)].append(int(record["reply_ttl"]))
        measured = {d: statistics.mode(ttls) for d, ttls in observed.items() if ttls}
        return cls.from_routers(routers, measured)

    def label(self, network_direction: str, ttl: int) -> PathLabel:
        return self.ttl.get((network_direction, ttl), "unknown")

    def path_of(self, direction: Direction) -> Callable[[Record], PathLabel]:
        """The round trip of a reply to a probe sent in ``direction``: the request's TTL says where it
        went, the reply's TTL (the other network direction) how it came back."""
        return lambda r: combined_path(self.label(direction, int(r.get("request_ttl", -1))),
                                       self.label(other(direction), int(r.get("reply_ttl", -1))))


def path_from_hops(hops: Sequence[str | None], markers: Mapping[str, PathLabel]) -> PathLabel:
    """The path of a hop list (a traceroute's addresses; None for a hop that did not answer): the
    label of the first hop that is a known gateway address (``markers``: address → path)."""
    for hop in hops:
        if hop is not None and hop in markers:
            return markers[hop]
    return "none" if not any(hops) else "unknown"
