"""When is a lab ready? When traffic flows over ExpressRoute both ways and the VPN backup stands by.

Checked from ground truth, in order: the kernel routes the daemons installed (each site on a circuit
→ every VNet via ExpressRoute; VNet fabric → the site via the ExpressRoute gateway), polled every 50 ms;
the VPN backup (CHILD SAs installed, the tunnel BGP sessions carrying prefixes); in an estate, every
site (VPN-only branches too) routing to every VNet and back; the load balancer's
first probe round; BFD up on the circuit; every planned BGP session Established. The first two
are the bring-up target ("traffic over ExpressRoute, VPN standing by"); the rest make sure the lab
has settled (FRR 8.4 may reset a CE-MSEE session once when BFD comes up) before it is handed over.
A VPN that cannot come up (pre-shared keys or proposals that differ) is reported at once, with
strongSwan's reason, instead of after the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hybridnet.emulate import netns
from hybridnet.emulate.daemons import LIBIPSEC_ROUTING_TABLE
from hybridnet.emulate.errors import LabError, LabNotReady
from hybridnet.emulate.ike_diagnosis import diagnose, failure_reason
from hybridnet.emulate.plan import ER_GATEWAY_NODE, VNET_FABRIC_NODE, VPN
from hybridnet.render.estate_plan import azure_prefixes
from hybridnet.waiting import poll_until

if TYPE_CHECKING:
    from hybridnet.emulate.view import LabView

EXPRESSROUTE_READY = "traffic over ExpressRoute"
VPN_READY = "VPN backup (IPsec SAs, BGP over the tunnels)"
SITES_READY = "every site routes to every VNet"
BGP_PORT = 179
POLL_S = 0.05
"""Kernel-route checks are cheap netlink dumps; checks that ask a daemon (vtysh) poll slower."""
DAEMON_POLL_S = 0.2


def wait_ready(
    lab: LabView, *, timeout_s: float, require_vpn: bool = True, progress: Callable[[str], None] | None = None
) -> dict[str, float]:
    """Wait stage by stage; return when (``time.monotonic()``) each stage was reached.

    While waiting, nodes already found good are not asked again (every vtysh costs CPU the
    daemons need to converge); once every stage has passed, all are checked once more in full,
    and any that regressed (a BGP session reset by BFD during start-up) is waited for again.
    """
    say = progress or (lambda _message: None)
    deadline = time.monotonic() + timeout_s
    reached: dict[str, float] = {}
    settled_bfd: set[str] = set()
    settled_bgp: set[str] = set()
    stages: list[tuple[str, Callable[[], list[str]], float]] = [
        (EXPRESSROUTE_READY, lambda: expressroute_missing(lab), POLL_S),
    ]
    if require_vpn:
        stages.append((VPN_READY, lambda: vpn_missing(lab), DAEMON_POLL_S))
    if require_vpn and len(lab.plan.topology.all_sites) > 1:
        stages.append((SITES_READY, lambda: sites_missing(lab), POLL_S))
    stages += [
        ("load balancer health probes", lambda: load_balancer_missing(lab), POLL_S),
        ("BFD on the circuit", lambda: bfd_missing(lab, settled_bfd), DAEMON_POLL_S),
        ("all BGP sessions", lambda: bgp_missing(lab, require_vpn, settled_bgp), DAEMON_POLL_S),
    ]
    while True:
        settled_bfd.clear()
        settled_bgp.clear()
        for title, missing, poll_s in stages:
            problems: list[str] = []

            def reached_stage(title: str = title, missing: Callable[[], list[str]] = missing,
                              problems: list[str] = problems) -> bool:
                problems[:] = missing()
                if problems and title == VPN_READY and (reason := vpn_definite_failure(lab)):
                    raise LabNotReady(
                        f"lab {lab.name} not ready: the VPN backup cannot come up: {reason}",
                        fix=f"inspect with `hybridnet status --lab {lab.name}`; remove with "
                        f"`hybridnet down --lab {lab.name}`",
                    )
                return not problems

            if not poll_until(reached_stage, max(0.0, deadline - time.monotonic()), poll_s):
                reason = vpn_failure_reason(lab) if require_vpn else None
                detail = "; ".join(problems[:4]) + (f" ({reason})" if reason else "")
                raise LabNotReady(
                    f"lab {lab.name} not ready after {time.monotonic() - deadline + timeout_s:.0f} s: "
                    f"{title}: {detail}",
                    fix=f"inspect with `hybridnet status --lab {lab.name}`; remove with "
                    f"`hybridnet down --lab {lab.name}`",
                )
            if title not in reached:
                reached[title] = time.monotonic()
                say(f"ready: {title}")
        settled_bfd.clear()
        settled_bgp.clear()
        regressed = [title for title, missing, _poll in stages if missing()]
        if not regressed:
            return reached
        say(f"checking again: {', '.join(regressed)}")


def expressroute_missing(lab: LabView) -> list[str]:
    """Every site on a circuit sends to every VNet prefix on-prem reaches (the hub's, and the spokes'
    that use its gateways) over ExpressRoute, and the VNet fabric sends to the site over the
    ExpressRoute gateway. "Over ExpressRoute" is read from the next hop's owner: not a VPN-only node
    and not the far end of a tunnel."""
    topology = lab.plan.topology
    problems = []
    er_addresses = {a.local.ip for a in lab.plan.node(ER_GATEWAY_NODE).addresses}
    for site in topology.all_sites:
        if not site.with_role("edge"):
            continue
        for device in site.lan_devices:
            for prefix in azure_prefixes(topology):
                hop, _ = netns.lookup(lab.namespace(device.name), prefix.network_address + 1)
                owner = lab.plan.owner_of(hop) if hop is not None else None
                if owner is None or lab.plan.path_of_node(owner) == VPN:
                    problems.append(f"{device.name} has no ExpressRoute route to {prefix}")
        for prefix in site.address_space:
            hop, _ = netns.lookup(lab.namespace(VNET_FABRIC_NODE), prefix.network_address + 1)
            if hop not in er_addresses:
                problems.append(f"{VNET_FABRIC_NODE} has no ExpressRoute route to {prefix} ({site.name})")
    return problems


def sites_missing(lab: LabView) -> list[str]:
    """Every site's LAN routes every VNet prefix it should reach, whichever way (a VPN-only branch
    over its tunnels), and the VNet fabric routes every site back: what an estate promises."""
    topology = lab.plan.topology
    problems = []
    for site in topology.all_sites:
        for device in site.lan_devices:
            for prefix in azure_prefixes(topology):
                hop, interface = netns.lookup(lab.namespace(device.name), prefix.network_address + 1)
                if hop is None and interface is None:
                    problems.append(f"site {site.name}: {device.name} has no route to {prefix}")
        for prefix in site.address_space:
            hop, interface = netns.lookup(lab.namespace(VNET_FABRIC_NODE), prefix.network_address + 1)
            if hop is None and interface is None:
                problems.append(f"{VNET_FABRIC_NODE} has no route to site {site.name} ({prefix})")
    return problems


def bfd_missing(lab: LabView, settled: set[str] | None = None) -> list[str]:
    """BFD peers of the circuit that are not up; nodes in ``settled`` are skipped (and added)."""
    settled = set() if settled is None else settled
    problems = []
    for node in sorted({node for node, _peer in lab.plan.bfd_peers} - settled):
        states = {str(p.get("peer")): p.get("status") for p in lab.bfd_peers(node)}
        missing = [
            f"BFD {node} → {peer} is {states.get(str(peer), 'absent')}"
            for owner, peer in lab.plan.bfd_peers
            if owner == node and states.get(str(peer)) != "up"
        ]
        problems += missing
        if not missing:
            settled.add(node)
    return problems


def bgp_missing(lab: LabView, include_vpn: bool = True, settled: set[str] | None = None) -> list[str]:
    """Planned BGP sessions not Established; nodes in ``settled`` are skipped (and added)."""
    settled = set() if settled is None else settled
    sessions = [s for s in lab.plan.bgp_sessions if include_vpn or not s.role.startswith("VPN tunnel")]
    problems = []
    pending = sorted({s.node for s in sessions} - settled)
    # The kernel's TCP table first (a file read per namespace): bgpd is asked only where every
    # planned session at least has its TCP connection up.
    sockets = netns.tcp_sockets([lab.namespace(node) for node in pending], BGP_PORT)
    for node in pending:
        connected = {remote for _local, remote, state in sockets[lab.namespace(node)] if state == netns.TCP_ESTABLISHED}
        waiting = [s for s in sessions if s.node == node and s.peer_address not in connected]
        if waiting:
            problems += [f"BGP {node} → {s.peer_node} ({s.peer_address}) has no TCP connection" for s in waiting]
            continue
        peers = peers_of(lab.bgp_summary(node))
        missing = []
        for session in (s for s in sessions if s.node == node):
            peer = peers.get(str(session.peer_address), {})
            state = peer.get("state", "absent") if isinstance(peer, dict) else "absent"
            if state != "Established":
                missing.append(f"BGP {node} → {session.peer_node} ({session.peer_address}) is {state}")
        problems += missing
        if not missing:
            settled.add(node)
    return problems


def peers_of(summary: dict[str, object]) -> dict[str, object]:
    section = summary.get("ipv4Unicast", summary) if isinstance(summary, dict) else {}
    peers = section.get("peers", {}) if isinstance(section, dict) else {}
    return peers if isinstance(peers, dict) else {}


def vpn_missing(lab: LabView) -> list[str]:
    problems = []
    listed: dict[str, list[dict[str, object]] | None] = {}
    for node, connection in lab.plan.tunnels:
        if node not in listed:  # once per node: a VPN gateway holds every end's SAs
            try:
                listed[node] = lab.ipsec_sas(node)
            except LabError as error:  # busy (a slow answer): not ready yet, ask again next round
                listed[node] = None
                problems.append(str(error))
        sas = listed[node]
        if sas is None:
            continue
        installed = any(
            child.get("state") == "INSTALLED"
            for sa in sas
            for name, ike in sa.items()
            if name == connection and isinstance(ike, dict)
            for child in ike.get("child-sas", {}).values()
        )
        if not installed:
            problems.append(f"IPsec {node} {connection}: no CHILD SA installed")
        elif netns.remove_rules_to_table(lab.namespace(node), LIBIPSEC_ROUTING_TABLE):
            problems.append(f"{node}: libipsec's table-{LIBIPSEC_ROUTING_TABLE} rule came back (removed)")
    if problems:
        return problems
    # Both ends of every tunnel have received prefixes over it (asked of bgpd: a VPN gateway
    # instance installs the on-prem routes it learns from the ExpressRoute gateway, not the tunnel's,
    # and the appliance's best path may be ExpressRoute).
    tunnel_sessions = [s for s in lab.plan.bgp_sessions if s.role.startswith("VPN tunnel")]
    for node in sorted({s.node for s in tunnel_sessions}):
        peers = peers_of(lab.bgp_summary(node))
        for session in (s for s in tunnel_sessions if s.node == node):
            peer = peers.get(str(session.peer_address), {})
            if not (peer.get("pfxRcd", 0) if isinstance(peer, dict) else 0):
                problems.append(f"{node} has received no prefix from {session.peer_node} over the tunnel")
    return problems


def vpn_failure_reason(lab: LabView) -> str | None:
    for node, connection in lab.plan.tunnels:
        reason = failure_reason(lab, node, connection)
        if reason:
            return reason
    return None


def vpn_refused(lab: LabView) -> str | None:
    """A proposal mismatch: no retry will fix it, so waiting for the VPN any longer is pointless."""
    for node, connection in lab.plan.tunnels:
        reason = diagnose(lab, node, connection)
        if reason:
            return reason
    return None


TRANSIENT_IKE_FAILURES = ("does not answer",)
"""Diagnoses that waiting may cure (a peer that did not answer yet); the others — keys or
proposals that differ — never heal by themselves."""


def vpn_definite_failure(lab: LabView) -> str | None:
    """Why the VPN cannot come up, when waiting will not help (the pre-shared keys or the proposals differ)."""
    if refused := vpn_refused(lab):
        return refused
    reason = vpn_failure_reason(lab)
    if reason is None or any(text in reason for text in TRANSIENT_IKE_FAILURES):
        return None
    return reason


def load_balancer_missing(lab: LabView) -> list[str]:
    """Backends the load balancer does not (yet) consider healthy: the lab starts them all."""
    fabric = lab.plan.node(VNET_FABRIC_NODE)
    if not fabric.load_balancer:
        return []
    health = lab.load_balancer_health()
    if not health:
        return ["the load balancer has not probed its backends yet"]
    return [
        f"{balancer}: backend {backend} is not healthy yet"
        for balancer, backends in health.items()
        for backend, up in backends.items()
        if not up
    ]
