"""The ExpressRoute circuit's private peering: whether it exists, is redundant and has sane timers.

The VPN backs up private peering only, so this is the path every failover rule is about.
"""

from __future__ import annotations

from collections.abc import Iterator

from hybridnet.model import Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import COEXIST, ER_BFD, ER_ROUTING, RA_ARTICLE

MIN_KEEPALIVE_S = 3
MIN_HOLD_S = 10


@rule("HN-ER-001", "The circuit has private peering", Severity.ERROR, RA_ARTICLE)
def private_peering_defined(topology: Topology) -> Iterator[Problem]:
    """VNet traffic crosses ExpressRoute only over private peering; without it the circuit carries nothing to
    the VNet and there is nothing for the VPN to back up."""
    if topology.circuit is not None and topology.circuit.private_peering is None:
        yield Problem("circuit", f"circuit {topology.circuit.name} has no private peering: no VNet traffic "
                                 "can use "
                      "ExpressRoute", "add private_peering (peer ASN, two /30s, VLAN ID)")


@rule("HN-ER-002", "Both ExpressRoute links have an edge router", Severity.WARNING, ER_ROUTING)
def both_links_used(topology: Topology) -> Iterator[Problem]:
    """Microsoft's SLA needs both BGP sessions (primary and secondary link); with one, a single link or router
    failure forces the slow failover to the VPN."""
    if topology.circuit is None or topology.circuit.private_peering is None:
        return
    missing = [link for link in ("primary", "secondary") if topology.onprem.edge_router(link) is None]
    if missing:
        yield Problem("onprem.edge_routers", f"no edge router on the {' and '.join(missing)} link(s) of "
                      f"{topology.circuit.name}: the circuit is not redundant",
                      "add one edge router per link (link: primary, link: secondary)")


@rule("HN-ER-003", "Microsoft peering is understood to have no VPN backup", Severity.INFO, COEXIST)
def microsoft_peering_not_backed_up(topology: Topology) -> Iterator[Problem]:
    """The VPN fails over private peering only; Microsoft peering traffic moves to the internet when the
    circuit fails. With Microsoft peering the VPN gateway's public IPs can also be learned over the circuit,
    which would carry the tunnel itself over ExpressRoute and take the backup down with it."""
    if topology.circuit is not None and topology.circuit.microsoft_peering is not None:
        yield Problem("circuit.microsoft_peering", "Microsoft peering has no VPN failover (its traffic goes over "
                      "the internet when the circuit fails), and the VPN gateway's public IPs may be learned "
                      "over it", "allow the internet path for Microsoft services, and keep a static route sending "
                      "the VPN gateway's public IPs to the internet")


@rule("HN-ER-004", "BGP timers on the peering are within what the MSEE accepts", Severity.ERROR, ER_BFD)
def bgp_timers_in_range(topology: Topology) -> Iterator[Problem]:
    """The MSEE accepts a keepalive down to 3 s and a hold time down to 10 s; lower values are not negotiated
    and the session never comes up. A hold time under three keepalives (RFC 4271's ratio) lets one lost
    keepalive drop the session: a warning."""
    peering = topology.circuit.private_peering if topology.circuit is not None else None
    if peering is None:
        return
    timers = peering.bgp_timers
    if timers.keepalive_s < MIN_KEEPALIVE_S or timers.hold_s < MIN_HOLD_S:
        yield Problem("circuit.private_peering.bgp_timers", "BGP timers "
                                                            f"{timers.keepalive_s}/{timers.hold_s} s are "
                      f"below the MSEE minimum {MIN_KEEPALIVE_S}/{MIN_HOLD_S} s", "use 60/180 s with BFD, or "
                                                                                  "no "
                      "lower than 3/10 s")
    elif timers.hold_s < 3 * timers.keepalive_s:
        yield Problem("circuit.private_peering.bgp_timers", f"hold time {timers.hold_s} s is under three "
                                                            "keepalives "
                      f"({timers.keepalive_s} s): one lost keepalive can drop the session",
                      f"set hold_s to at least {3 * timers.keepalive_s}", Severity.WARNING)


@rule("HN-ER-005", "There is an ExpressRoute circuit", Severity.ERROR, RA_ARTICLE)
def circuit_present(topology: Topology) -> Iterator[Problem]:
    """The design is ExpressRoute with a VPN as its backup. A partial inventory (an export of a VPN-only hub,
    a template without the circuit) has no primary path: the rules about the circuit and failover are
    skipped, and this says why."""
    if topology.circuit is None:
        yield Problem("circuit", "no ExpressRoute circuit: no primary path, so no failover design to check "
                                 "(the circuit, peering and failover rules were skipped)",
                      "add the circuit (import its resource group too, or add 'circuit:' with its provider, "
                      "peering location and bandwidth)")
