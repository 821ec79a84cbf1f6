"""The lab plan: ``plan(topology)`` — every namespace, cable, address, route and daemon config of a lab.

A package so that no module imports another in a circle: ``types`` (the plan's data), ``addressing``
(the lab's own address plan), ``nsg`` (an NSG as nftables), ``onprem_side`` and ``azure_side`` (what
each side contributes, from ``types``), and here ``plan`` that puts the two sides together.
``plan`` has no side effects (it reads no secret and touches no system state), so it can be printed
(``hybridnet up --dry-run``), diffed and tested; ``Lab.up`` makes it real.
"""

from __future__ import annotations

import re

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan.azure_side import plan_azure
from hybridnet.emulate.plan.estate_wiring import edge_links, uses_site_plan, vpn_ends
from hybridnet.emulate.plan.onprem_side import plan_onprem
from hybridnet.emulate.plan.site_side import plan_sites
from hybridnet.emulate.plan.types import (
    AZURE_PROBE_SOURCE,
    ER_GATEWAY_NODE,
    EXPRESSROUTE,
    INTERNET_NODE,
    LAB_COALESCE_MS,
    MSEE_NODES,
    SECRET_SLOT,
    VNET_FABRIC_NODE,
    VPN,
    Address,
    BgpSession,
    Bridge,
    Endpoint,
    LabPlan,
    Link,
    Node,
    Route,
    Server,
    SidePlan,
    Tunnel,
    is_vpn_gateway_node,
    vpn_gateway_node,
)
from hybridnet.model import Topology

__all__ = [
    "AZURE_PROBE_SOURCE", "ER_GATEWAY_NODE", "EXPRESSROUTE", "INTERNET_NODE", "LAB_COALESCE_MS", "MSEE_NODES",
    "SECRET_SLOT", "VNET_FABRIC_NODE", "VPN", "Address", "BgpSession", "Bridge", "Endpoint", "LabPlan", "Link", "Node",
    "Route", "Server", "SidePlan", "Tunnel", "check_lab_name", "is_vpn_gateway_node", "lab_name_for", "plan",
    "vpn_gateway_node",
]


def lab_name_for(topology: Topology) -> str:
    """A lab name from the topology's: lower case, at most 20 characters of [a-z0-9-]."""
    name = re.sub(r"[^a-z0-9-]+", "-", topology.name.lower()).strip("-")[:20].strip("-")
    return name or "lab"


def check_lab_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,19}", name):
        raise LabError(
            f"invalid lab name {name!r}",
            fix="use 1-20 characters: lower-case letters, digits and '-', starting with a letter or digit",
        )
    return name


def plan(topology: Topology, lab: str | None = None) -> LabPlan:
    """Plan a lab for ``topology``: pure, so it can be printed and tested without root."""
    name = check_lab_name(lab) if lab is not None else lab_name_for(topology)
    try:
        _check_supported(topology)
        onprem = plan_sites(topology) if uses_site_plan(topology) else plan_onprem(topology)
        azure = plan_azure(topology)
    except LabError as error:
        if topology.source is None or error.message.startswith(f"{topology.source}:"):
            raise
        raise LabError(f"{topology.source}: {error.message}", fix=error.fix, exit_code=error.exit_code,
                       cause=error.cause) from None
    nodes = onprem.nodes + azure.nodes
    names = [node.name for node in nodes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LabError(
            f"node name(s) {', '.join(duplicates)} used twice",
            fix="rename the on-prem device or workload: Azure-side node names are fixed",
        )
    return LabPlan(
        lab=name,
        topology=topology,
        nodes=nodes,
        links=onprem.links + azure.links,
        bgp_sessions=onprem.bgp_sessions + azure.bgp_sessions,
        bfd_peers=onprem.bfd_peers + azure.bfd_peers,
        tunnels=onprem.tunnels + azure.tunnels,
    )


def _check_supported(topology: Topology) -> None:
    """Refuse, with the reason, what the emulator cannot build faithfully (rather than build it wrong)."""
    edges = edge_links(topology)
    unpeered = [c.name for c in topology.all_circuits if c.private_peering is None]
    if unpeered and (not edges or any(edge.circuit in unpeered for edge in edges)):
        raise LabError(
            f"circuit {unpeered[0]} has no private peering, so there is no ExpressRoute path to emulate",
            fix=f"add private_peering to circuit {unpeered[0]}",
        )
    if not edges:
        raise LabError(
            "no customer edge on a circuit: nothing terminates ExpressRoute",
            fix="add onprem.edge_routers (one per link), or devices with the edge role in a site",
        )
    if topology.er_gateway is None:
        raise LabError("no ExpressRoute gateway in 'gateways'", fix="add a gateway of type ExpressRoute")
    if topology.onprem is not None and topology.vpn_connection is not None and not topology.sites \
            and topology.onprem.vpn_appliance is None:
        raise LabError("an IPsec connection but no on-prem VPN appliance", fix="add onprem.vpn_appliance")
    for end in vpn_ends(topology):
        gateway, connection = end.gateway, end.connection
        if gateway.bgp is None or not connection.enable_bgp:
            raise LabError(
                f"the emulator runs the VPN with BGP only; connection {connection.name} routes statically",
                fix=f"set gateways.{gateway.name}.bgp and connections.{connection.name}.enable_bgp: true",
            )
    if topology.vnet.gateway_subnet is None:
        raise LabError("the VNet has no GatewaySubnet for the gateways", fix="add a subnet named GatewaySubnet")
