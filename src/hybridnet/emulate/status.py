"""What a running lab looks like now: nodes, BGP sessions, BFD peers, IPsec SAs and the paths taken.

Paths are read from the kernel FIB of each namespace the packet would cross (the routes the
daemons installed), hop by hop, so they show where traffic really goes, both directions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from hybridnet.emulate import netns
from hybridnet.emulate.errors import LabError
from hybridnet.emulate.ike_diagnosis import failure_reason
from hybridnet.emulate.readiness import peers_of

if TYPE_CHECKING:
    from hybridnet.emulate.view import LabView

UNREACHABLE = "unreachable"
MAX_HOPS = 16


@dataclass
class PathReport:
    source: str
    destination: str
    address: str
    hops: list[str]
    via: str


@dataclass
class LabStatus:
    lab: str
    phase: str
    key_note: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    bgp: list[dict[str, Any]] = field(default_factory=list)
    bfd: list[dict[str, Any]] = field(default_factory=list)
    ipsec: list[dict[str, Any]] = field(default_factory=list)
    paths: list[PathReport] = field(default_factory=list)
    sites: list[dict[str, Any]] = field(default_factory=list)
    """Per site: its sessions and tunnels up, and how its first host reaches each VNet now."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trace_path(lab: LabView, source: str, destination: IPv4Address, name: str | None = None) -> PathReport:
    """Follow the FIBs from ``source`` towards ``destination``; label the way it goes."""
    hops = [source]
    current = source
    owner = lab.plan.owner_of(destination)
    via = UNREACHABLE
    for _ in range(MAX_HOPS):
        if owner == current:
            via = "local"
            break
        gateway, interface = netns.lookup(lab.namespace(current), destination)
        if gateway is None and interface is None:
            break
        following = lab.plan.owner_of(gateway) if gateway is not None else owner
        if following is None or following in hops:
            break
        hops.append(following)
        current = following
    if hops[-1] == owner:
        via = lab.plan.path_of_hops(hops)
    return PathReport(source, name or str(destination), str(destination), hops, via)


def onprem_paths(lab: LabView) -> list[PathReport]:
    """Each site's first host → every workload (hub and spokes) and load-balancer frontend, and each
    workload → that host: per site and per VNet, both ways."""
    topology = lab.plan.topology
    reports = []
    for site in topology.all_sites:
        hosts = [host for subnet in site.subnets for host in subnet.hosts]
        for host in hosts[:1]:
            for workload in topology.workloads:
                reports.append(trace_path(lab, host.name, workload.address, workload.name))
            for balancer in topology.load_balancers:
                reports.append(trace_path(lab, host.name, balancer.frontend.address, balancer.name))
            for workload in topology.workloads:
                reports.append(trace_path(lab, workload.name, host.address, host.name))
    return reports


def lab_status(lab: LabView) -> LabStatus:
    status = LabStatus(
        lab=lab.name,
        phase=lab.state.phase,
        key_note="generated for this lab" if lab.state.generated_key else "from the topology",
    )
    for node in lab.plan.nodes:
        status.nodes.append(
            {
                "name": node.name,
                "role": node.role,
                "side": node.side,
                "site": node.site,
                "vnet": node.vnet,
                "namespace": lab.namespace(node.name),
                "processes": {
                    r.program: r.pid in lab.pids(node.name) for r in lab.state.processes if r.node == node.name
                },
            }
        )
    routers = sorted({session.node for session in lab.plan.bgp_sessions})
    with ThreadPoolExecutor(max_workers=8) as pool:
        summaries = dict(zip(routers, pool.map(lambda node: peers_of(lab.bgp_summary(node)), routers), strict=True))
        bfd_nodes = sorted({node for node, _ in lab.plan.bfd_peers})
        bfd = dict(zip(bfd_nodes, pool.map(lab.bfd_peers, bfd_nodes), strict=True))
    for session in lab.plan.bgp_sessions:
        peer = summaries[session.node].get(str(session.peer_address), {})
        peer = peer if isinstance(peer, dict) else {}
        status.bgp.append(
            {
                "node": session.node,
                "peer": str(session.peer_address),
                "peer_node": session.peer_node,
                "role": session.role,
                "state": peer.get("state", "absent"),
                "uptime": peer.get("peerUptime", ""),
                "prefixes_received": peer.get("pfxRcd", 0),
            }
        )
    for node, address in lab.plan.bfd_peers:
        peers = {str(p.get("peer")): p for p in bfd[node]}
        peer = peers.get(str(address), {})
        status.bfd.append(
            {
                "node": node,
                "peer": str(address),
                "status": peer.get("status", "absent"),
                "detect_ms": peer.get("detect-multiplier", 0) * peer.get("receive-interval", 0),
            }
        )
    for node, connection in lab.plan.tunnels:
        status.ipsec.append(_ipsec_entry(lab, node, connection))
    status.paths = onprem_paths(lab)
    status.sites = _sites(lab, status)
    return status


def _sites(lab: LabView, status: LabStatus) -> list[dict[str, Any]]:
    topology = lab.plan.topology
    site_of = {node.name: node.site for node in lab.plan.nodes if node.site}
    vnet_of = {w.name: w.vnet or topology.vnet.name for w in topology.workloads}
    summary = []
    for site in topology.all_sites:
        bgp = [b for b in status.bgp if site_of.get(b["node"]) == site.name]
        ipsec = [i for i in status.ipsec if site_of.get(i["node"]) == site.name]
        paths: dict[str, list[str]] = {}
        for path in status.paths:
            if site_of.get(path.source) == site.name and path.destination in vnet_of:
                paths.setdefault(vnet_of[path.destination], []).append(path.via)
        summary.append({
            "site": site.name,
            "bgp_established": sum(1 for b in bgp if b["state"] == "Established"),
            "bgp_sessions": len(bgp),
            "tunnels_installed": sum(1 for i in ipsec if i["child"] == "INSTALLED"),
            "tunnels": len(ipsec),
            "to_vnets": {vnet: sorted(set(vias)) for vnet, vias in paths.items()},
        })
    return summary


def _ipsec_entry(lab: LabView, node: str, connection: str) -> dict[str, Any]:
    charon = lab.charon(node)
    try:
        sas = charon.security_associations()
    except LabError as error:
        return {
            "node": node,
            "connection": connection,
            "ike": "unreachable",
            "child": "",
            "reason": str(error),
        }
    ike_state, child_state = "absent", "absent"
    for sa in sas:
        for name, ike in sa.items():
            if name != connection:
                continue
            ike_state = ike.get("state", "?")
            children = list(ike.get("child-sas", {}).values())
            child_state = children[0].get("state", "?") if children else "none"
    reason = None if child_state == "INSTALLED" else failure_reason(lab, node, connection)
    return {"node": node, "connection": connection, "ike": ike_state, "child": child_state, "reason": reason}
