"""The GatewaySubnet: name, size, and what must never be in or attached to it.

Both gateways of the failover design live in this one subnet; a mistake here either blocks the
second gateway's creation or breaks a running gateway, and fixing it means deleting the gateways.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network

from hybridnet.model import GATEWAY_SUBNET, Route, Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import gateway_path, route_table_path, subnet_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import COEXIST, ER_GATEWAYS, VPN_FAQ, VPN_SETTINGS

_DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")


@rule("HN-GWS-001", "Gateways are deployed into the subnet named exactly "
                    "GatewaySubnet", Severity.ERROR, VPN_FAQ)
def gateway_subnet_name(topology: Topology) -> Iterator[Problem]:
    """Azure places virtual network gateways only in a subnet named exactly 'GatewaySubnet' (case as
    documented); any other name fails at deployment."""
    for gateway in topology.gateways:
        if gateway.subnet != GATEWAY_SUBNET:
            yield Problem(
                f"{gateway_path(topology, gateway)}.subnet",
                f"gateway {gateway.name} is placed in subnet {gateway.subnet!r}; Azure deploys gateways only "
                f"into a subnet named exactly {GATEWAY_SUBNET!r}",
                f"set subnet: {GATEWAY_SUBNET} (or remove the field: it is the default)",
            )


@rule("HN-GWS-002", "The VNet has a GatewaySubnet for its gateways", Severity.ERROR, ER_GATEWAYS)
def gateway_subnet_exists(topology: Topology) -> Iterator[Problem]:
    """Without a GatewaySubnet neither gateway can be created, so there is neither ExpressRoute nor VPN."""
    if not topology.gateways or topology.vnet.gateway_subnet is not None:
        return
    wanted = GATEWAY_SUBNET.lower()
    near = [s.name for s in topology.vnet.subnets if s.name.lower().replace("-", "") == wanted]
    hint = f" ({near[0]!r} is not it: the name is case-sensitive)" if near else ""
    yield Problem(
        "vnet.subnets",
        f"VNet {topology.vnet.name} has gateways but no subnet named {GATEWAY_SUBNET!r}{hint}",
        f"add a subnet named {GATEWAY_SUBNET} of /27 or larger inside {_spaces(topology)}",
    )


@rule("HN-GWS-003", "GatewaySubnet is /27 or larger when ExpressRoute and VPN "
                    "coexist", Severity.ERROR, COEXIST)
def gateway_subnet_size(topology: Topology) -> Iterator[Problem]:
    """Both gateways share the GatewaySubnet; Azure refuses the second gateway in a /28 or /29, and
    resizing it later means deleting both gateways (downtime). A lone gateway needs /29 at least."""
    subnet = topology.vnet.gateway_subnet
    if subnet is None or not topology.gateways:
        return
    length = subnet.prefix.prefixlen
    path = f"{subnet_path(topology, subnet)}.prefix"
    coexist = bool(topology.er_gateways) and bool(topology.vpn_gateways)
    if coexist and length > 27:
        yield Problem(
            path,
            f"GatewaySubnet {subnet.prefix} is a /{length}; ExpressRoute and VPN gateways coexisting need "
            "/27 or "
            "larger: Azure rejects the second gateway",
            f"make it a /27 (e.g. {_widened(subnet.prefix, 27)}), re-creating the gateways if they exist",
        )
    elif length > 29:
        yield Problem(path, f"GatewaySubnet {subnet.prefix} is a /{length}; the minimum for any gateway is "
                            "/29",
                      f"make it a /27 (e.g. {_widened(subnet.prefix, 27)})")
    elif length > 27:
        yield Problem(path, f"GatewaySubnet {subnet.prefix} is a /{length}: enough for one gateway, but "
                            "adding the "
                      "second gateway of the failover design will need /27 and a rebuild",
                      f"make it a /27 now (e.g. {_widened(subnet.prefix, 27)})", Severity.WARNING)


@rule("HN-GWS-004", "Nothing but the gateways is deployed into GatewaySubnet", Severity.ERROR, VPN_FAQ)
def gateway_subnet_empty(topology: Topology) -> Iterator[Problem]:
    """Azure forbids VMs and other resources in the GatewaySubnet; they break gateway scaling and updates."""
    subnet = topology.vnet.gateway_subnet
    for index, workload in enumerate(topology.workloads):
        inside = subnet is not None and workload.address in subnet.prefix
        if workload.subnet == GATEWAY_SUBNET or inside:
            yield Problem(f"workloads.{index}.subnet",
                          f"workload {workload.name} ({workload.address}) is placed in {GATEWAY_SUBNET}",
                          "move it to an application subnet such as 'web'")
    for index, balancer in enumerate(topology.load_balancers):
        if balancer.frontend.subnet == GATEWAY_SUBNET:
            yield Problem(f"load_balancers.{index}.frontend.subnet",
                          f"load balancer {balancer.name} has its frontend in {GATEWAY_SUBNET}",
                          "put the frontend in the subnet of its backend VMs")


@rule("HN-GWS-005", "No network security group on GatewaySubnet", Severity.ERROR, VPN_SETTINGS)
def gateway_subnet_no_nsg(topology: Topology) -> Iterator[Problem]:
    """Azure documents that an NSG on the GatewaySubnet can stop the gateways from working (and blocks
    their creation); PSRule's Azure.VNET.UseNSGs exempts this subnet for that reason."""
    subnet = topology.vnet.gateway_subnet
    if subnet is not None and subnet.nsg is not None:
        yield Problem(f"{subnet_path(topology, subnet)}.nsg",
                      f"NSG {subnet.nsg} is associated with {GATEWAY_SUBNET}; gateways may stop working",
                      "remove the nsg from GatewaySubnet; filter traffic on the application subnets instead")


@rule("HN-GWS-006", "No 0.0.0.0/0 user-defined route on GatewaySubnet", Severity.ERROR, VPN_SETTINGS)
def gateway_subnet_no_default_route(topology: Topology) -> Iterator[Problem]:
    """A default UDR on the GatewaySubnet cuts the gateways off from Azure's control plane; creation is
    blocked and a running gateway degrades."""
    for path, table, index, route in _gateway_subnet_routes(topology):
        if route.prefix == _DEFAULT_ROUTE:
            yield Problem(f"{path}.routes.{index}.prefix",
                          f"route table {table} on {GATEWAY_SUBNET} has route {route.name} for 0.0.0.0/0 "
                          f"(next hop {route.next_hop_type})", "remove the 0.0.0.0/0 route from this table")


@rule("HN-GWS-007", "BGP route propagation stays enabled on GatewaySubnet", Severity.ERROR, VPN_SETTINGS)
def gateway_subnet_bgp_propagation(topology: Topology) -> Iterator[Problem]:
    """With propagation disabled the gateways do not get the routes they learn over BGP: ExpressRoute and
    VPN both stop carrying traffic."""
    subnet = topology.vnet.gateway_subnet
    if subnet is None or subnet.route_table is None:
        return
    table = topology.route_table(subnet.route_table)
    path = route_table_path(topology, subnet.route_table)
    if table is not None and path is not None and table.disable_bgp_route_propagation:
        yield Problem(f"{path}.disable_bgp_route_propagation",
                      f"route table {table.name} on {GATEWAY_SUBNET} disables BGP route propagation",
                      "set disable_bgp_route_propagation: false")


@rule("HN-GWS-008", "UDRs on GatewaySubnet do not cover the subnet or the gateways' public "
                    "IPs", Severity.WARNING,
      VPN_SETTINGS)
def gateway_subnet_udr_overlap(topology: Topology) -> Iterator[Problem]:
    """A route that covers the GatewaySubnet itself or a gateway's public address redirects the gateways'
    own traffic (tunnels, control plane) and can take them down."""
    subnet = topology.vnet.gateway_subnet
    public_ips = list(_gateway_public_ips(topology))
    for path, table, index, route in _gateway_subnet_routes(topology):
        if route.prefix == _DEFAULT_ROUTE:
            continue  # HN-GWS-006 reports it
        hits = []
        if subnet is not None and route.prefix.overlaps(subnet.prefix):
            hits.append(f"{GATEWAY_SUBNET} {subnet.prefix}")
        hits += [f"gateway public IP {ip}" for ip in public_ips if ip in route.prefix]
        if hits:
            yield Problem(f"{path}.routes.{index}.prefix",
                          f"route {route.name} ({route.prefix}) in table {table} covers {', '.join(hits)}",
                          "narrow or remove the route so it does not cover the gateways' own addresses")


def _gateway_subnet_routes(topology: Topology) -> Iterator[tuple[str, str, int, Route]]:
    subnet = topology.vnet.gateway_subnet
    if subnet is None or subnet.route_table is None:
        return
    table = topology.route_table(subnet.route_table)
    path = route_table_path(topology, subnet.route_table)
    if table is None or path is None:
        return
    for index, route in enumerate(table.routes):
        yield path, table.name, index, route


def _gateway_public_ips(topology: Topology) -> Iterator[IPv4Address]:
    for gateway in topology.er_gateways:
        if gateway.public_ip is not None and gateway.public_ip.address is not None:
            yield gateway.public_ip.address
    for vpn in topology.vpn_gateways:
        for instance in vpn.instances:
            if instance.public_ip.address is not None:
                yield instance.public_ip.address


def _widened(prefix: IPv4Network, length: int) -> IPv4Network:
    return prefix.supernet(new_prefix=length) if prefix.prefixlen > length else prefix


def _spaces(topology: Topology) -> str:
    return ", ".join(str(space) for space in topology.vnet.address_space)
