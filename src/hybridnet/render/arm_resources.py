"""One builder per Azure resource: the ARM JSON for each part of the topology's Azure side.

Every cross-resource reference is written as ``resourceId(...)`` and every dependency as ``dependsOn``,
so ARM orders the deployment itself. Names, prefixes and SKUs are literals taken from the model: the
template is a faithful picture of the topology, which is what `hybridnet import` reads back.
"""

from __future__ import annotations

from typing import Any

from hybridnet.model import (
    ExpressRouteCircuit,
    ExpressRouteConnection,
    ExpressRouteGateway,
    IpsecConnection,
    LoadBalancer,
    LocalNetworkGateway,
    NetworkSecurityGroup,
    PublicIp,
    RouteTable,
    Topology,
    VirtualNetwork,
    VpnGateway,
)
from hybridnet.model.estate import SpokeVnet

API_VERSION = "2023-09-01"
LOCATION = "[parameters('location')]"
SHARED_KEY_PARAMETER = "vpnSharedKey"
MD5_KEY_PARAMETER = "privatePeeringMd5Key"
CIRCUIT_PROVISIONED_PARAMETER = "circuitProvisioned"
ZONES = ["1", "2", "3"]
PRIVATE_PEERING = "AzurePrivatePeering"
MICROSOFT_PEERING = "MicrosoftPeering"

Json = dict[str, Any]


def resource_id(kind: str, *names: str) -> str:
    """An ARM ``resourceId()`` expression for a resource of this template's resource group."""
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in (f"Microsoft.Network/{kind}", *names))
    return f"[resourceId({quoted})]"


def literal(text: str) -> str:
    """A string ARM must not evaluate: '[...]' would be read as an expression, '[[...]' is the escape."""
    return "[" + text if text.startswith("[") and text.endswith("]") else text


def _ref(kind: str, *names: str) -> Json:
    return {"id": resource_id(kind, *names)}


def _gateway_ref(kind: str, name: str) -> Json:
    """A gateway reference in a connection; see ``ipsec_connection`` for the empty properties."""
    return {**_ref(kind, name), "properties": {}}


def _resource(kind: str, name: str, properties: Json, depends_on: list[str] | None = None,
              **extra: Any) -> Json:
    resource: Json = {"type": f"Microsoft.Network/{kind}", "apiVersion": API_VERSION, "name": literal(name)}
    if extra.pop("needs_provisioned_circuit", False):
        resource = {"condition": f"[parameters('{CIRCUIT_PROVISIONED_PARAMETER}')]", **resource}
    if "/" not in kind:
        resource["location"] = LOCATION
    resource.update(extra)
    if depends_on:
        resource["dependsOn"] = sorted(set(depends_on))
    resource["properties"] = properties
    return resource


def network_security_group(nsg: NetworkSecurityGroup) -> Json:
    rules = [
        {
            "name": rule.name,
            "properties": {
                "priority": rule.priority,
                "direction": rule.direction,
                "access": rule.access,
                "protocol": rule.protocol,
                "sourceAddressPrefix": literal(rule.source),
                "sourcePortRange": literal(rule.source_port),
                "destinationAddressPrefix": literal(rule.destination),
                "destinationPortRange": literal(rule.destination_port),
            },
        }
        for rule in nsg.rules
    ]
    return _resource("networkSecurityGroups", nsg.name, {"securityRules": rules})


def route_table(table: RouteTable) -> Json:
    routes = []
    for route in table.routes:
        properties: Json = {"addressPrefix": str(route.prefix), "nextHopType": route.next_hop_type}
        if route.next_hop_ip is not None:
            properties["nextHopIpAddress"] = str(route.next_hop_ip)
        routes.append({"name": route.name, "properties": properties})
    return _resource("routeTables", table.name,
                     {"disableBgpRoutePropagation": table.disable_bgp_route_propagation, "routes": routes})


def virtual_network(vnet: VirtualNetwork) -> Json:
    """A VNet (the hub or a spoke) with its subnets inline, so a redeploy never deletes a subnet the
    template omits."""
    subnets, depends = [], []
    for subnet in vnet.subnets:
        properties: Json = {"addressPrefix": str(subnet.prefix)}
        if subnet.nsg is not None:
            properties["networkSecurityGroup"] = _ref("networkSecurityGroups", subnet.nsg)
            depends.append(resource_id("networkSecurityGroups", subnet.nsg))
        if subnet.route_table is not None:
            properties["routeTable"] = _ref("routeTables", subnet.route_table)
            depends.append(resource_id("routeTables", subnet.route_table))
        subnets.append({"name": subnet.name, "properties": properties})
    space = {"addressPrefixes": [str(p) for p in vnet.address_space]}
    properties = {"addressSpace": space, "subnets": subnets}
    if vnet.dns_servers:
        properties["dhcpOptions"] = {"dnsServers": [str(a) for a in vnet.dns_servers]}
    return _resource("virtualNetworks", vnet.name, properties, depends)


PEERING_NAME_MAX = 80


def peering_name(local: str, remote: str) -> str:
    """``<local>-to-<remote>``, or the remote VNet's name when that would pass Azure's 80 characters
    (a VNet peers once with another, so the remote name is unique among its peerings)."""
    name = f"{local}-to-{remote}"
    return name if len(name) <= PEERING_NAME_MAX else remote


def _peering(local: str, remote: str, flags: Json, depends: list[str]) -> Json:
    properties: Json = {
        "remoteVirtualNetwork": _ref("virtualNetworks", remote),
        "allowVirtualNetworkAccess": True,
        **flags,
    }
    return _resource("virtualNetworks/virtualNetworkPeerings", f"{local}/{peering_name(local, remote)}",
                     properties, depends)


def vnet_peerings(spoke: SpokeVnet, topology: Topology) -> list[Json]:
    """Both sides of a hub-spoke peering, as Azure keeps them: the hub's (``allowGatewayTransit``) and the
    spoke's (``useRemoteGateways``).

    Each side waits for both VNets. The spoke's side, when it uses the hub's gateways, also waits for every
    gateway of the hub and for the hub's side: Azure refuses ``useRemoteGateways`` while the remote VNet has
    no gateway, or while its peering does not allow gateway transit."""
    hub = topology.vnet.name
    both = [resource_id("virtualNetworks", hub), resource_id("virtualNetworks", spoke.name)]
    hub_side = _peering(hub, spoke.name, {
        "allowForwardedTraffic": spoke.peering.hub.allow_forwarded_traffic,
        "allowGatewayTransit": spoke.peering.hub.allow_gateway_transit,
        "useRemoteGateways": False,
    }, both)
    spoke_depends = list(both)
    if spoke.peering.spoke.use_remote_gateways:
        spoke_depends += [resource_id("virtualNetworkGateways", g.name) for g in topology.gateways
                          if (g.vnet or hub) == hub]
        spoke_depends.append(resource_id("virtualNetworks/virtualNetworkPeerings", hub, peering_name(hub, spoke.name)))
    spoke_side = _peering(spoke.name, hub, {
        "allowForwardedTraffic": spoke.peering.spoke.allow_forwarded_traffic,
        "allowGatewayTransit": False,
        "useRemoteGateways": spoke.peering.spoke.use_remote_gateways,
    }, spoke_depends)
    return [hub_side, spoke_side]


def public_ip(pip: PublicIp, zone_redundant: bool) -> Json:
    """Zone-redundant when the gateway SKU is an AZ SKU: an AZ gateway refuses a zonal or no-zone IP."""
    extra: Json = {"sku": {"name": pip.sku, "tier": "Regional"}}
    if zone_redundant and pip.sku == "Standard":
        extra["zones"] = ZONES
    return _resource("publicIPAddresses", pip.name,
                     {"publicIPAllocationMethod": pip.allocation, "publicIPAddressVersion": "IPv4"}, **extra)


def er_gateway_public_ip(gateway: ExpressRouteGateway) -> PublicIp:
    return gateway.public_ip or PublicIp(name=f"{gateway.name}-pip")


def _ip_configuration(name: str, vnet: str, subnet: str, pip: str) -> Json:
    return {
        "name": name,
        "properties": {
            "privateIPAllocationMethod": "Dynamic",
            "subnet": _ref("virtualNetworks/subnets", vnet, subnet),
            "publicIPAddress": _ref("publicIPAddresses", pip),
        },
    }


def ip_configuration_name(index: int) -> str:
    return f"ipconfig{index + 1}"


def er_gateway(gateway: ExpressRouteGateway, topology: Topology) -> Json:
    vnet = gateway.vnet or topology.vnet.name
    pip = er_gateway_public_ip(gateway).name
    properties = {
        "gatewayType": "ExpressRoute",
        "sku": {"name": gateway.sku, "tier": gateway.sku},
        "ipConfigurations": [_ip_configuration(ip_configuration_name(0), vnet, gateway.subnet, pip)],
    }
    return _resource("virtualNetworkGateways", gateway.name, properties,
                     [resource_id("virtualNetworks", vnet), resource_id("publicIPAddresses", pip)])


def vpn_gateway(gateway: VpnGateway, topology: Topology) -> Json:
    """The VPN gateway, created after the ExpressRoute gateway: two gateway operations on one
    GatewaySubnet at once fail, and the reference deploys ExpressRoute first."""
    vnet = gateway.vnet or topology.vnet.name
    configs = [_ip_configuration(ip_configuration_name(i), vnet, gateway.subnet, instance.public_ip.name)
               for i, instance in enumerate(gateway.instances)]
    properties: Json = {
        "gatewayType": "Vpn",
        "vpnType": gateway.vpn_type,
        "vpnGatewayGeneration": gateway.generation,
        "sku": {"name": gateway.sku, "tier": gateway.sku},
        "activeActive": gateway.active_active,
        "enableBgp": gateway.bgp is not None,
        "ipConfigurations": configs,
    }
    if gateway.bgp is not None or any(i.apipa_addresses for i in gateway.instances):
        peering = [
            {
                "ipconfigurationId": resource_id("virtualNetworkGateways/ipConfigurations", gateway.name,
                                                 ip_configuration_name(i)),
                "customBgpIpAddresses": [str(a) for a in instance.apipa_addresses],
            }
            for i, instance in enumerate(gateway.instances)
        ]
        asn = gateway.bgp.asn if gateway.bgp is not None else 65515  # Azure's ASN even with BGP off
        properties["bgpSettings"] = {"asn": asn, "bgpPeeringAddresses": peering}
    depends = [resource_id("virtualNetworks", vnet)]
    depends += [resource_id("publicIPAddresses", i.public_ip.name) for i in gateway.instances]
    depends += [resource_id("virtualNetworkGateways", er.name) for er in topology.er_gateways]
    return _resource("virtualNetworkGateways", gateway.name, properties, depends)


def local_network_gateway(lng: LocalNetworkGateway) -> Json:
    properties: Json = {
        "gatewayIpAddress": str(lng.gateway_ip),
        "localNetworkAddressSpace": {"addressPrefixes": [str(p) for p in lng.address_prefixes]},
    }
    if lng.bgp is not None:
        properties["bgpSettings"] = {"asn": lng.bgp.asn, "bgpPeeringAddress": str(lng.bgp.peer_address)}
    return _resource("localNetworkGateways", lng.name, properties)


def ipsec_connection(connection: IpsecConnection, key_parameter: str = SHARED_KEY_PARAMETER) -> Json:
    """The site-to-site connection. The key is a secureString parameter, never a literal.

    The gateway references carry an empty ``properties`` because the published schema types them as
    whole gateway objects (which require it); Azure reads only the ``id``.
    """
    properties: Json = {
        "connectionType": "IPsec",
        "virtualNetworkGateway1": _gateway_ref("virtualNetworkGateways", connection.vpn_gateway),
        "localNetworkGateway2": _gateway_ref("localNetworkGateways", connection.local_network_gateway),
        "sharedKey": f"[parameters('{key_parameter}')]",
        "connectionProtocol": connection.connection_protocol,
        "enableBgp": connection.enable_bgp,
        "routingWeight": connection.routing_weight,
        "usePolicyBasedTrafficSelectors": connection.use_policy_based_traffic_selectors,
        "dpdTimeoutSeconds": connection.dpd_timeout_s,
    }
    policy = connection.ipsec_policy
    if policy is not None:
        properties["ipsecPolicies"] = [{
            "saLifeTimeSeconds": policy.sa_lifetime_s,
            "saDataSizeKilobytes": policy.sa_data_size_kb,
            "ipsecEncryption": policy.ipsec_encryption,
            "ipsecIntegrity": policy.ipsec_integrity,
            "ikeEncryption": policy.ike_encryption,
            "ikeIntegrity": policy.ike_integrity,
            "dhGroup": policy.dh_group,
            "pfsGroup": policy.pfs_group,
        }]
    depends = [resource_id("virtualNetworkGateways", connection.vpn_gateway),
               resource_id("localNetworkGateways", connection.local_network_gateway)]
    return _resource("connections", connection.name, properties, depends)


def expressroute_connection(connection: ExpressRouteConnection, circuit: ExpressRouteCircuit | None) -> Json:
    """Links the ExpressRoute gateway to the circuit; it only succeeds once the provider has
    provisioned the circuit and private peering exists."""
    properties = {
        "connectionType": "ExpressRoute",
        "virtualNetworkGateway1": _gateway_ref("virtualNetworkGateways", connection.gateway),
        "peer": _ref("expressRouteCircuits", connection.circuit),
        "routingWeight": connection.routing_weight,
    }
    depends = [resource_id("virtualNetworkGateways", connection.gateway),
               resource_id("expressRouteCircuits", connection.circuit)]
    if circuit is not None and circuit.private_peering is not None:
        depends.append(resource_id("expressRouteCircuits/peerings", connection.circuit, PRIVATE_PEERING))
    return _resource("connections", connection.name, properties, depends, needs_provisioned_circuit=True)


def expressroute_circuit(circuit: ExpressRouteCircuit) -> Json:
    properties = {
        "serviceProviderProperties": {
            "serviceProviderName": literal(circuit.service_provider),  # free text: may look like an expression
            "peeringLocation": literal(circuit.peering_location),
            "bandwidthInMbps": circuit.bandwidth_mbps,
        },
        "allowClassicOperations": circuit.allow_classic_operations,
    }
    sku = {"name": circuit.sku_name, "tier": circuit.sku_tier, "family": circuit.sku_family}
    return _resource("expressRouteCircuits", circuit.name, properties, sku=sku)


def circuit_peerings(circuit: ExpressRouteCircuit, md5_parameter: str = MD5_KEY_PARAMETER) -> list[Json]:
    """Private (and Microsoft) peering as child resources, one after the other: a circuit accepts
    one peering operation at a time."""
    peerings: list[Json] = []
    depends = [resource_id("expressRouteCircuits", circuit.name)]
    private = circuit.private_peering
    if private is not None:
        properties: Json = {
            "peeringType": PRIVATE_PEERING,
            "peerASN": private.peer_asn,
            "primaryPeerAddressPrefix": str(private.primary_prefix),
            "secondaryPeerAddressPrefix": str(private.secondary_prefix),
            "vlanId": private.vlan_id,
        }
        if private.md5_key is not None:
            properties["sharedKey"] = f"[parameters('{md5_parameter}')]"
        peerings.append(_resource("expressRouteCircuits/peerings", f"{circuit.name}/{PRIVATE_PEERING}",
                                  properties, depends, needs_provisioned_circuit=True))
        depends = [*depends, resource_id("expressRouteCircuits/peerings", circuit.name, PRIVATE_PEERING)]
    microsoft = circuit.microsoft_peering
    if microsoft is not None:
        properties = {
            "peeringType": MICROSOFT_PEERING,
            "peerASN": microsoft.peer_asn,
            "primaryPeerAddressPrefix": str(microsoft.primary_prefix),
            "secondaryPeerAddressPrefix": str(microsoft.secondary_prefix),
            "vlanId": microsoft.vlan_id,
            "microsoftPeeringConfig": {
                "advertisedPublicPrefixes": [str(p) for p in microsoft.advertised_public_prefixes],
            },
        }
        peerings.append(_resource("expressRouteCircuits/peerings", f"{circuit.name}/{MICROSOFT_PEERING}",
                                  properties, depends, needs_provisioned_circuit=True))
    return peerings


def backend_pool_name(lb: LoadBalancer) -> str:
    return f"{lb.name}-backend"


def load_balancer(lb: LoadBalancer, topology: Topology) -> Json:
    """An internal load balancer with an IP-addressed backend pool: the workloads are listed by
    address, so the pool does not depend on how the VMs are deployed."""
    vnet = lb.frontend.vnet or topology.vnet.name
    pool = backend_pool_name(lb)
    members, vnets = [], {vnet}
    for name in lb.backend_pool:
        workload = topology.workload(name)
        assert workload is not None  # dangling references are rejected at load time
        member_vnet = workload.vnet or topology.vnet.name
        vnets.add(member_vnet)
        members.append({"name": name, "properties": {"ipAddress": str(workload.address),
                                                     "virtualNetwork": _ref("virtualNetworks", member_vnet)}})
    probe: Json = {"protocol": lb.probe.protocol, "port": lb.probe.port,
                   "intervalInSeconds": lb.probe.interval_s, "numberOfProbes": lb.probe.unhealthy_threshold}
    if lb.probe.protocol == "Http":
        probe["requestPath"] = literal(lb.probe.path)
    frontend = _ref("loadBalancers/frontendIPConfigurations", lb.name, lb.frontend.name)
    rules = [
        {
            "name": rule.name,
            "properties": {
                "frontendIPConfiguration": frontend,
                "backendAddressPool": _ref("loadBalancers/backendAddressPools", lb.name, pool),
                "probe": _ref("loadBalancers/probes", lb.name, lb.probe.name),
                "protocol": rule.protocol,
                "frontendPort": rule.frontend_port,
                "backendPort": rule.backend_port,
            },
        }
        for rule in lb.rules
    ]
    properties = {
        "frontendIPConfigurations": [{
            "name": lb.frontend.name,
            "properties": {
                "subnet": _ref("virtualNetworks/subnets", vnet, lb.frontend.subnet),
                "privateIPAddress": str(lb.frontend.address),
                "privateIPAllocationMethod": "Static",
            },
        }],
        "backendAddressPools": [{"name": pool, "properties": {"loadBalancerBackendAddresses": members}}],
        "probes": [{"name": lb.probe.name, "properties": probe}],
        "loadBalancingRules": rules,
    }
    return _resource("loadBalancers", lb.name, properties, [resource_id("virtualNetworks", v) for v in vnets],
                     sku={"name": lb.sku, "tier": "Regional"})
