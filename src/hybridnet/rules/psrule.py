"""The verdicts PSRule for Azure gives on the same resources, under PSRule's own rule names.

Teams that already run PSRule can map each finding to the rule they know (the ``psrule`` field);
the conditions follow PSRule's rule files (Azure.VNG.Rule.yaml/.ps1, Azure.VNET.Rule.ps1/.yaml),
including its case-insensitive name matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from hybridnet.model import GATEWAY_SUBNET, Subnet, Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import connection_path, gateway_path
from hybridnet.rules.registry import Rule, RuleBody, rule
from hybridnet.rules.sources import psrule

LEGACY_VPN_SKUS = ("Basic", "Standard", "HighPerformance")
VPN_AZ_SKUS = ("VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ")
ER_AZ_SKUS = ("ErGw1AZ", "ErGw2AZ", "ErGw3AZ")
NSG_EXEMPT_SUBNETS = frozenset({GATEWAY_SUBNET, "AzureFirewallSubnet", "AzureFirewallManagementSubnet",
                                "RouteServerSubnet"})
_GATEWAY_NAME = re.compile(r"^[a-z0-9]([a-z0-9_.-]{0,78}[a-z0-9_])?$", re.IGNORECASE | re.ASCII)
_VNET_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}[a-z0-9_]$", re.IGNORECASE | re.ASCII)
_SUBNET_NAME = re.compile(r"^[A-Za-z0-9]((-|\.)*\w){0,79}$", re.ASCII)


def _psrule(rule_id: str, name: str, title: str, severity: Severity) -> Callable[[RuleBody], Rule]:
    return rule(rule_id, title, severity, psrule(name), psrule=name)


@_psrule("HN-PSR-001", "Azure.VNG.VPNLegacySKU", "The VPN gateway does not use a legacy SKU", Severity.ERROR)
def vpn_legacy_sku(topology: Topology) -> Iterator[Problem]:
    """Basic, Standard and HighPerformance VPN SKUs are the old generation (100-200 Mbps, 10-30 tunnels);
    Standard and HighPerformance are deprecated as of 2025-09-30 and cannot be deployed as written."""
    for gateway in topology.vpn_gateways:
        if gateway.sku in LEGACY_VPN_SKUS:
            yield Problem(f"{gateway_path(topology, gateway)}.sku",
                          f"VPN gateway {gateway.name} uses the legacy SKU {gateway.sku}",
                          "use a current SKU: VpnGw1AZ or larger (zone-redundant)")


@_psrule("HN-PSR-002", "Azure.VNG.VPNActiveActive", "The VPN gateway is active-active", Severity.WARNING)
def vpn_active_active(topology: Topology) -> Iterator[Problem]:
    """An active-standby VPN gateway is itself a single point: an unplanned instance failover takes 1-1.5 min,
    during which the backup path is down. Active-active costs only a second public IP."""
    for gateway in topology.vpn_gateways:
        if not gateway.active_active:
            yield Problem(f"{gateway_path(topology, gateway)}.active_active",
                          f"VPN gateway {gateway.name} is active-standby: an instance failure stops the VPN "
                          "for "
                          "up to 1.5 min", "set active_active: true with two instances (two public IPs, BGP)")


@_psrule("HN-PSR-003", "Azure.VNG.ERLegacySKU", "The ExpressRoute gateway does not use the Basic SKU",
         Severity.ERROR)
def er_legacy_sku(topology: Topology) -> Iterator[Problem]:
    """The Basic ExpressRoute gateway is deprecated, has the lowest throughput and cannot coexist with a VPN
    gateway."""
    for gateway in topology.er_gateways:
        if gateway.sku == "Basic":
            yield Problem(f"{gateway_path(topology, gateway)}.sku",
                          f"ExpressRoute gateway {gateway.name} uses the legacy Basic SKU", "use ErGw1AZ or "
                                                                                            "larger")


@_psrule("HN-PSR-004", "Azure.VNG.VPNAvailabilityZoneSKU", "The VPN gateway uses a zone-redundant SKU",
         Severity.WARNING)
def vpn_az_sku(topology: Topology) -> Iterator[Problem]:
    """Without an AZ SKU the VPN gateway lives in one datacenter: a zone outage takes the backup path down
    with it."""
    for gateway in topology.vpn_gateways:
        if gateway.sku not in VPN_AZ_SKUS:
            yield Problem(f"{gateway_path(topology, gateway)}.sku",
                          f"The VPN gateway ({gateway.name}) should be using one of the following AZ SKUs "
                          f"({', '.join(VPN_AZ_SKUS)}); it uses {gateway.sku}", "use VpnGw1AZ or larger")


@_psrule("HN-PSR-005", "Azure.VNG.ERAvailabilityZoneSKU", "The ExpressRoute gateway uses a zone-redundant "
                                                          "SKU",
         Severity.WARNING)
def er_az_sku(topology: Topology) -> Iterator[Problem]:
    """Without an AZ SKU the ExpressRoute gateway lives in one datacenter: a zone outage forces the failover
    the VPN exists for."""
    for gateway in topology.er_gateways:
        if gateway.sku not in ER_AZ_SKUS:
            yield Problem(f"{gateway_path(topology, gateway)}.sku",
                          f"The ExpressRoute gateway ({gateway.name}) should be using one of the following "
                          "AZ SKUs "
                          f"({', '.join(ER_AZ_SKUS)}); it uses {gateway.sku}", "use ErGw1AZ or larger")


@_psrule("HN-PSR-006", "Azure.VNG.Name", "Gateway names meet Azure's naming rules", Severity.ERROR)
def gateway_name(topology: Topology) -> Iterator[Problem]:
    """Azure rejects virtual network gateway names outside 1-80 characters of letters, digits, '_', '.', '-'
    (starting with a letter or digit, ending with a letter, digit or '_')."""
    for gateway in topology.gateways:
        if not _GATEWAY_NAME.match(gateway.name):
            yield Problem(f"{gateway_path(topology, gateway)}.name",
                          f"gateway name {gateway.name!r} breaks Azure's naming rules", _NAME_FIX)


@_psrule("HN-PSR-007", "Azure.VNG.ConnectionName", "Connection names meet Azure's naming "
                                                   "rules", Severity.ERROR)
def connection_name(topology: Topology) -> Iterator[Problem]:
    """Azure rejects connection names outside 1-80 characters of letters, digits, '_', '.', '-'."""
    for connection in topology.connections:
        if not _GATEWAY_NAME.match(connection.name):
            yield Problem(f"{connection_path(topology, connection)}.name",
                          f"connection name {connection.name!r} breaks Azure's naming rules", _NAME_FIX)


@_psrule("HN-PSR-008", "Azure.VNET.Name", "The VNet name meets Azure's naming rules", Severity.ERROR)
def vnet_name(topology: Topology) -> Iterator[Problem]:
    """Azure rejects VNet names outside 2-64 characters of letters, digits, '_', '.', '-'."""
    if not _VNET_NAME.match(topology.vnet.name):
        yield Problem("vnet.name", f"VNet name {topology.vnet.name!r} breaks Azure's naming rules (2-64 "
                      "characters)", _NAME_FIX)


@_psrule("HN-PSR-009", "Azure.VNET.SubnetName", "Subnet names meet Azure's naming rules", Severity.ERROR)
def subnet_name(topology: Topology) -> Iterator[Problem]:
    """Azure rejects subnet names outside 1-80 characters that start with a letter or digit and end with a
    word character."""
    for path, subnet in _all_subnets(topology):
        if not _SUBNET_NAME.match(subnet.name):
            yield Problem(f"{path}.name",
                          f"subnet name {subnet.name!r} breaks Azure's naming rules", _NAME_FIX)


@_psrule("HN-PSR-010", "Azure.VNET.UseNSGs", "Every application subnet has a network security group",
         Severity.WARNING)
def subnets_use_nsgs(topology: Topology) -> Iterator[Problem]:
    """A subnet without an NSG lets every on-prem host and every VNet peer reach every port of its VMs, over
    ExpressRoute and VPN alike. GatewaySubnet and the other platform subnets are exempt (they must not
    have one)."""
    for path, subnet in _all_subnets(topology):
        if subnet.nsg is None and subnet.name not in NSG_EXEMPT_SUBNETS:
            yield Problem(f"{path}.nsg",
                          f"subnet {subnet.name} {subnet.prefix} has no network security group",
                          f"add an NSG that allows only the application's ports, e.g. nsg: {subnet.name}-nsg")


@_psrule("HN-PSR-011", "Azure.VNET.SingleDNS", "Custom DNS uses at least two servers", Severity.WARNING)
def vnet_two_dns(topology: Topology) -> Iterator[Problem]:
    """One custom DNS server is a single point of failure for every VM in the VNet."""
    servers = topology.vnet.dns_servers
    if len(servers) == 1:
        yield Problem("vnet.dns_servers", f"the VNet uses one custom DNS server ({servers[0]})",
                      "add a second server, or use Azure-provided DNS (an empty list)")


@_psrule("HN-PSR-012", "Azure.VNET.LocalDNS", "The primary DNS server is in the VNet", Severity.WARNING)
def vnet_local_dns(topology: Topology) -> Iterator[Problem]:
    """A primary DNS server on-premises puts name resolution behind the hybrid link: while ExpressRoute fails
    over, VMs cannot resolve names, which looks like an application outage."""
    servers = topology.vnet.dns_servers
    if servers and not any(servers[0] in space for space in topology.vnet.address_space):
        yield Problem("vnet.dns_servers.0", f"primary DNS server {servers[0]} is outside the VNet; "
                                            "resolution "
                      "depends on the hybrid link", "put the primary DNS server (or a forwarder) inside the "
                                                    "VNet")


_NAME_FIX = "use 1-80 letters, digits, '_', '.' and '-', starting with a letter or digit"


def _all_subnets(topology: Topology) -> Iterator[tuple[str, Subnet]]:
    """Every subnet of the hub and the spokes, with its model path."""
    for index, subnet in enumerate(topology.vnet.subnets):
        yield f"vnet.subnets.{index}", subnet
    for spoke_index, spoke in enumerate(topology.spokes):
        for index, subnet in enumerate(spoke.subnets):
            yield f"spokes.{spoke_index}.subnets.{index}", subnet
