"""The lab plan's types: every namespace, cable, address, route and daemon config of a lab, as plain data.

``plan(topology)`` has no side effects (it reads no secret and touches no system state), so it can
be printed (``hybridnet up --dry-run``), diffed and tested; ``Lab.up`` makes it real. Node names are
the model's names on the on-prem side (``onprem-ce1``, workload names) and fixed, documented names on
the Azure side (``msee-primary``, ``msee-secondary``, ``er-gateway``, ``vpn-gateway-0``,
``vpn-gateway-1``, ``vnet-fabric``) plus ``internet``, the segment between the VPN appliance and the
VPN gateway's public IPs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from hybridnet.emulate.errors import LabError
from hybridnet.model import Topology
from hybridnet.model.names import (  # noqa: F401 (the Azure side's node names, re-exported for the emulator)
    ER_GATEWAY_NODE,
    INTERNET_NODE,
    MSEE_NODES,
    VNET_FABRIC_NODE,
    is_msee_node,
    is_vpn_gateway_node,
    vpn_gateway_node,
)

AZURE_PROBE_SOURCE = IPv4Address("168.63.129.16")
"""The address Azure's load-balancer health probes come from (the AzureLoadBalancer service tag)."""


EXPRESSROUTE = "ExpressRoute"
VPN = "VPN"


LAB_COALESCE_MS = 50
"""bgpd sends its first updates to a newly established peer after this, not after ~1 s (FRR's default)."""

SECRET_SLOT = "HYBRIDNET-SHARED-KEY-SLOT"
"""Stands for the pre-shared key in planned configs; ``Lab.up`` substitutes the real key on write."""


@dataclass(frozen=True)
class Address:
    """An address on an interface; ``peer`` makes it a point-to-point /32 pair (no subnet needed)."""

    interface: str
    local: IPv4Interface
    peer: IPv4Address | None = None


@dataclass(frozen=True)
class Route:
    destination: IPv4Network
    gateway: IPv4Address | None = None
    interface: str | None = None


@dataclass(frozen=True)
class Endpoint:
    node: str
    interface: str


@dataclass(frozen=True)
class Link:
    """A cable (veth pair) between two nodes; ``role`` says what it stands for in the field."""

    a: Endpoint
    b: Endpoint
    role: str
    mtu: int = 1500

    def ends(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Bridge:
    """An L2 segment inside a node: a subnet with several members (VMs, gateways, hosts)."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Server:
    """A process serving a port in a workload namespace (answers with the workload's name)."""

    port: int
    protocol: str


@dataclass(frozen=True)
class Tunnel:
    """A route-based IPsec tunnel end: the TUN device gets ``addresses`` once charon creates it."""

    addresses: tuple[Address, ...]
    mtu: int
    script: str | None = None
    wan_gateway: IPv4Address | None = None
    wan_interface: str | None = None


@dataclass(frozen=True)
class BgpSession:
    """A BGP session the lab waits for: ``node`` talks to ``peer_address`` on ``peer_node``."""

    node: str
    peer_address: IPv4Address
    peer_node: str
    role: str


@dataclass(frozen=True)
class Node:
    """One network namespace and what runs in it."""

    name: str
    role: str
    side: str
    forwarding: bool = False
    addresses: tuple[Address, ...] = ()
    routes: tuple[Route, ...] = ()
    bridges: tuple[Bridge, ...] = ()
    frr_config: str | None = None
    swanctl_config: str | None = None
    tunnel: Tunnel | None = None
    nftables: str | None = None
    servers: tuple[Server, ...] = ()
    load_balancer: str | None = None
    site: str | None = None
    """The on-prem site the node belongs to (``all_sites`` name): status and reports group by it."""
    vnet: str | None = None
    """The VNet (hub or spoke name) a workload VM or a VNet's fabric belongs to."""

    @property
    def frr_daemons(self) -> tuple[str, ...]:
        """The FRR daemons this node's config needs: zebra and bgpd always, bfdd/staticd on demand."""
        if self.frr_config is None:
            return ()
        daemons = ["zebra", "bgpd"]
        if re.search(r"^bfd$|^ neighbor \S+ bfd", self.frr_config, re.MULTILINE):
            daemons.append("bfdd")
        if re.search(r"^ip route ", self.frr_config, re.MULTILINE):
            daemons.append("staticd")
        return tuple(daemons)


@dataclass(frozen=True)
class LabPlan:
    """Everything ``Lab.up`` will build, in build order."""

    lab: str
    topology: Topology = field(repr=False, compare=False)
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    bgp_sessions: tuple[BgpSession, ...]
    bfd_peers: tuple[tuple[str, IPv4Address], ...]
    tunnels: tuple[tuple[str, str], ...]
    """(node, IKE connection name) of every IPsec tunnel end the lab waits for."""

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise LabError(
            f"no node named {name!r} in lab {self.lab!r}",
            fix=f"use one of: {', '.join(n.name for n in self.nodes)}",
        )

    def path_of_node(self, name: str) -> str | None:
        """``ExpressRoute`` or ``VPN``: the path a node belongs to, if only one path uses it — the one
        place this is decided, for hop lists (``path_of_hops``) and addresses (``path_markers``).
        The circuits' routers (customer edges, MSEEs) and the ExpressRoute gateway are ExpressRoute;
        VPN ends that do nothing else (the reference's appliance) and the VPN gateway's instances are
        the VPN. A device holding several roles (a firewall that is also the VPN end) belongs to
        neither: its tunnel and circuit addresses say which way a packet went (``path_markers``)."""
        if is_msee_node(name) or name == ER_GATEWAY_NODE:
            return EXPRESSROUTE
        if is_vpn_gateway_node(name):
            return VPN
        return self._device_paths.get(name)

    @functools.cached_property
    def _device_paths(self) -> dict[str, str]:
        paths: dict[str, str] = {}
        for site in self.topology.all_sites:
            for device in site.devices:
                if device.roles == ("edge",):
                    paths[device.name] = EXPRESSROUTE
                elif device.roles == ("vpn",):
                    paths[device.name] = VPN
        return paths

    def path_of_hops(self, hops: list[str]) -> str:
        """The path a list of nodes (a FIB walk) takes: ExpressRoute if it crosses any node of it,
        else the VPN if it crosses any node of that, else ``direct``."""
        labels = {self.path_of_node(hop) for hop in hops}
        return EXPRESSROUTE if EXPRESSROUTE in labels else VPN if VPN in labels else "direct"

    def path_markers(self) -> dict[str, str]:
        """Address → path for every address only one path uses: names a route's next hop or a
        traceroute's hops. A node's addresses take its path (``path_of_node``); tunnel addresses are
        the VPN's and addresses in a circuit's peering /30s ExpressRoute's, whoever holds them."""
        circuits = [prefix for circuit in self.topology.all_circuits if circuit.private_peering is not None
                    for prefix in (circuit.private_peering.primary_prefix, circuit.private_peering.secondary_prefix)]
        markers: dict[str, str] = {}
        for node in self.nodes:
            label = self.path_of_node(node.name)
            for address in node.addresses:
                if label is not None:
                    markers[str(address.local.ip)] = label
                elif any(address.local.ip in prefix for prefix in circuits):
                    markers[str(address.local.ip)] = EXPRESSROUTE
            if node.tunnel is not None:
                markers.update({str(address.local.ip): VPN for address in node.tunnel.addresses})
        return markers

    def owner_of(self, address: IPv4Address) -> str | None:
        """The node that has ``address`` on one of its interfaces (for reading paths and traceroutes)."""
        for node in self.nodes:
            for item in node.addresses:
                if item.local.ip == address:
                    return node.name
            if node.tunnel is not None and any(a.local.ip == address for a in node.tunnel.addresses):
                return node.name
        return None


@dataclass
class SidePlan:
    """What one side (on-prem or Azure) contributes to the plan."""

    nodes: tuple[Node, ...] = ()
    links: tuple[Link, ...] = ()
    bgp_sessions: tuple[BgpSession, ...] = ()
    bfd_peers: tuple[tuple[str, IPv4Address], ...] = ()
    tunnels: tuple[tuple[str, str], ...] = ()
