"""The VPN gateway and its BGP side: instances, APIPA addresses, public IPs and what Azure expects
from the on-premises device.

These decide whether the backup path can come up at all when ExpressRoute fails; a VPN that was never
tested until the outage usually fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address
from math import prod

from hybridnet.model import Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import connection_path, gateway_path, lng_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import BGP_FAQ, BGP_HOWTO, HIGHLY_AVAILABLE, VPN_FAQ

APIPA_FIRST = IPv4Address("169.254.21.0")
APIPA_LAST = IPv4Address("169.254.22.255")


@rule("HN-VPN-001", "Custom APIPA BGP addresses are in "
                    "169.254.21.0-169.254.22.255", Severity.ERROR, BGP_HOWTO)
def apipa_range(topology: Topology) -> Iterator[Problem]:
    """Azure accepts custom APIPA BGP addresses only in this range; others are rejected, and the on-prem
    device then has no address to peer with over the tunnel."""
    for gateway in topology.vpn_gateways:
        for i, instance in enumerate(gateway.instances):
            for j, address in enumerate(instance.apipa_addresses):
                if not APIPA_FIRST <= address <= APIPA_LAST:
                    yield Problem(f"{gateway_path(topology, gateway)}.instances.{i}.apipa_addresses.{j}",
                                  f"APIPA BGP address {address} of {gateway.name} instance {i} is outside "
                                  "169.254.21.0-169.254.22.255", "use e.g. 169.254.21.1 (and 169.254.22.1 "
                                                                 "for the "
                                  "second instance)")


@rule("HN-VPN-002", "Active-active means two instances with distinct BGP addresses", Severity.ERROR,
      HIGHLY_AVAILABLE)
def active_active_instances(topology: Topology) -> Iterator[Problem]:
    """An active-active gateway runs two instances, each with its own public IP and BGP address; the model's
    instance list must say the same, or the emulator and the device configs build the wrong tunnels."""
    for gateway in topology.vpn_gateways:
        path = gateway_path(topology, gateway)
        count = len(gateway.instances)
        expected = 2 if gateway.active_active else 1
        if count != expected:
            yield Problem(f"{path}.instances", f"VPN gateway {gateway.name} has active_active: "
                          f"{str(gateway.active_active).lower()} but {count} instance(s); expected "
                          f"{expected}",
                          "list one instance per active gateway (two for active-active)")
        addresses: list[IPv4Address] = []
        for instance in gateway.instances:
            addresses += [a for a in (instance.bgp_address, *instance.apipa_addresses) if a is not None]
        duplicates = sorted({str(a) for a in addresses if addresses.count(a) > 1})
        if duplicates:
            yield Problem(f"{path}.instances", f"VPN gateway {gateway.name} uses BGP address(es) "
                          f"{', '.join(duplicates)} on more than one instance", "give each instance its own")


@rule("HN-VPN-003", "The VPN gateway uses Standard, static public IPs", Severity.ERROR, VPN_FAQ)
def standard_static_public_ip(topology: Topology) -> Iterator[Problem]:
    """New non-Basic VPN gateways must use Standard-SKU static public IPs, and Basic public IPs were retired
    on 2025-09-30: a gateway with one cannot be deployed again as written."""
    for gateway in topology.vpn_gateways:
        for i, instance in enumerate(gateway.instances):
            pip = instance.public_ip
            if pip.sku != "Standard" or pip.allocation != "Static":
                yield Problem(f"{gateway_path(topology, gateway)}.instances.{i}.public_ip",
                              f"public IP {pip.name} of {gateway.name} is {pip.sku}/{pip.allocation}; VPN "
                              "gateways "
                              "need Standard/Static (Basic public IPs are retired)", "set sku: Standard, "
                              "allocation: Static")


@rule("HN-VPN-004", "BGP on the connection has BGP on both ends", Severity.ERROR, BGP_FAQ)
def bgp_both_ends(topology: Topology) -> Iterator[Problem]:
    """A connection with BGP enabled needs BGP settings on the VPN gateway and on the local network gateway
    (the on-prem peer's ASN and address); Basic gateways have no BGP at all."""
    for connection in topology.ipsec_connections:
        if not connection.enable_bgp:
            continue
        path = connection_path(topology, connection)
        gateway = topology.gateway(connection.vpn_gateway)
        lng = topology.local_network_gateway(connection.local_network_gateway)
        if gateway is not None and gateway.type == "Vpn" and (gateway.bgp is None or gateway.sku == "Basic"):
            reason = "is Basic (no BGP)" if gateway.sku == "Basic" else "has no bgp settings"
            yield Problem(f"{path}.enable_bgp", f"{connection.name} enables BGP but VPN gateway "
                                                f"{gateway.name} "
                          f"{reason}", "add bgp: {asn: 65515} to the gateway (and use a VpnGw SKU)")
        if lng is not None and lng.bgp is None:
            yield Problem(f"{path}.enable_bgp", f"{connection.name} enables BGP but local network gateway "
                                                f"{lng.name} "
                          "has no bgp settings (on-prem ASN and peer address)", "add bgp: "
                                                                                "{asn: ..., peer_address: "
                          "...} to the local network gateway")


@rule("HN-VPN-005", "Azure peers with an address the on-prem VPN appliance really "
                    "has", Severity.ERROR, BGP_FAQ, legacy_onprem=True)
def lng_peer_address(topology: Topology) -> Iterator[Problem]:
    """The local network gateway's BGP peer address is where Azure opens the session; it must be one of the
    appliance's BGP addresses, and never its public IP."""
    appliance = topology.onprem.vpn_appliance
    for lng in topology.local_network_gateways:
        if lng.bgp is None:
            continue
        path = f"{lng_path(topology, lng)}.bgp.peer_address"
        peer = lng.bgp.peer_address
        if peer == lng.gateway_ip:
            yield Problem(path, f"BGP peer address {peer} of {lng.name} is the device's public IP; Azure "
                                "requires a "
                          "different address (a loopback or an APIPA address)", "use e.g. 169.254.21.2")
        elif appliance is not None and appliance.bgp_addresses and peer not in appliance.bgp_addresses:
            known = ", ".join(str(a) for a in appliance.bgp_addresses)
            yield Problem(path, f"{lng.name} peers with {peer} but the on-prem VPN appliance's BGP addresses "
                                "are "
                          f"{known}: the session never establishes", f"use one of {known}")


@rule("HN-VPN-006", "Routing weight is set only where Azure uses it", Severity.INFO, VPN_FAQ)
def routing_weight_ignored(topology: Topology) -> Iterator[Problem]:
    """Azure uses routingWeight only on ExpressRoute connections; on a VPN connection it does nothing, and
    steering between the two paths needs AS-path prepending instead."""
    for connection in topology.ipsec_connections:
        if connection.routing_weight:
            yield Problem(f"{connection_path(topology, connection)}.routing_weight",
                          f"routing_weight {connection.routing_weight} on VPN connection {connection.name} "
                          "is ignored "
                          "by Azure", "remove it; use as_path_prepend on the VPN appliance to steer traffic")


@rule("HN-VPN-007", "Policy-based traffic selectors list every prefix pair", Severity.INFO, VPN_FAQ,
      legacy_onprem=True)
def policy_based_selectors(topology: Topology) -> Iterator[Problem]:
    """With policy-based selectors the on-prem device must define each on-prem-prefix x VNet-prefix pair (not
    any-to-any); a missing pair silently drops that traffic once it fails over."""
    for connection in topology.ipsec_connections:
        if not connection.use_policy_based_traffic_selectors:
            continue
        lng = topology.local_network_gateway(connection.local_network_gateway)
        onprem = (lng.address_prefixes if lng is not None else ()) or topology.onprem.address_space
        count = prod((len(onprem), len(topology.vnet.address_space)))
        yield Problem(f"{connection_path(topology, connection)}.use_policy_based_traffic_selectors",
                      f"{connection.name} uses policy-based traffic selectors: the device needs "
                      f"{len(onprem)} x "
                      f"{len(topology.vnet.address_space)} = {count} selector pair(s), one per on-prem and "
                      "VNet "
                      "prefix", "configure each pair on the device (or use route-based any-to-any selectors)")


@rule("HN-VPN-008", "The VPN gateway's default BGP addresses are in GatewaySubnet", Severity.ERROR, BGP_FAQ)
def bgp_address_in_gateway_subnet(topology: Topology) -> Iterator[Problem]:
    """Azure takes each instance's default BGP peer address from the GatewaySubnet; an address elsewhere is
    one the gateway will never have, so on-prem peers with nothing."""
    subnet = topology.vnet.gateway_subnet
    if subnet is None:
        return
    for gateway in topology.vpn_gateways:
        for i, instance in enumerate(gateway.instances):
            address = instance.bgp_address
            if address is not None and address not in subnet.prefix:
                yield Problem(f"{gateway_path(topology, gateway)}.instances.{i}.bgp_address",
                              f"BGP address {address} of {gateway.name} instance {i} is outside GatewaySubnet "
                              f"{subnet.prefix}", f"use an address inside {subnet.prefix}")


@rule("HN-VPN-009", "The local network gateway points at the on-prem VPN appliance", Severity.ERROR, VPN_FAQ,
      legacy_onprem=True)
def lng_points_at_appliance(topology: Topology) -> Iterator[Problem]:
    """Azure opens IKE towards the local network gateway's address; if that is not the appliance's public
    IP, the tunnel never comes up and the backup path exists only on paper."""
    appliance = topology.onprem.vpn_appliance
    if appliance is None:
        return
    for lng in topology.local_network_gateways:
        if lng.gateway_ip != appliance.public_ip:
            yield Problem(f"{lng_path(topology, lng)}.gateway_ip",
                          f"local network gateway {lng.name} points at {lng.gateway_ip} but the on-prem VPN "
                          f"appliance {appliance.name} has public IP {appliance.public_ip}",
                          f"set gateway_ip: {appliance.public_ip}")


@rule("HN-VPN-010", "On-prem peers with every active gateway instance", Severity.WARNING, HIGHLY_AVAILABLE,
      legacy_onprem=True)
def peers_with_every_instance(topology: Topology) -> Iterator[Problem]:
    """An active-active gateway offers one tunnel and one BGP session per instance. The appliance may
    peer with both from one BGP address (one address per instance works too), but an instance without
    a BGP address, or an appliance without one, leaves a tunnel that carries no routes: the VPN is lost
    when the other instance fails."""
    appliance = topology.onprem.vpn_appliance
    connection = topology.vpn_connection
    if appliance is None or connection is None or not connection.enable_bgp:
        return
    lng = topology.local_network_gateway(connection.local_network_gateway)
    has_local_address = bool(appliance.bgp_addresses) or (lng is not None and lng.bgp is not None)
    for gateway in topology.vpn_gateways:
        if not gateway.active_active or gateway.name != connection.vpn_gateway:
            continue
        if not has_local_address:
            yield Problem("onprem.vpn_appliance.bgp_addresses",
                          f"{gateway.name} is active-active but {appliance.name} has no BGP address: no tunnel "
                          "carries routes", "give the appliance a BGP address (one may peer with every instance)")
            continue
        for i, instance in enumerate(gateway.instances):
            if instance.bgp_address is None and not instance.apipa_addresses:
                yield Problem(f"{gateway_path(topology, gateway)}.instances.{i}",
                              f"instance {i} of active-active {gateway.name} has no BGP address, so "
                              f"{appliance.name} cannot peer with it: its tunnel carries no routes",
                              "set bgp_address (from GatewaySubnet) or apipa_addresses for every instance")
