"""The topology model: immutable pydantic objects for every part of the hybrid network."""

from hybridnet.model.base import FrozenModel, SecretRef
from hybridnet.model.circuit import (
    MICROSOFT_ASN,
    BfdSettings,
    BgpTimers,
    ExpressRouteCircuit,
    MicrosoftPeering,
    PrivatePeering,
)
from hybridnet.model.estate import (
    CoreRole,
    EdgeRole,
    FirewallRole,
    HubPeeringSide,
    Site,
    SiteDevice,
    SiteLink,
    SpokePeeringSide,
    SpokeVnet,
    VnetPeering,
    VpnRole,
)
from hybridnet.model.errors import TopologyError, TopologyErrors
from hybridnet.model.gateways import (
    ExpressRouteConnection,
    ExpressRouteGateway,
    IpsecConnection,
    IpsecPolicy,
    LocalNetworkGateway,
    LocalNetworkGatewayBgp,
    PublicIp,
    VpnGateway,
    VpnGatewayBgp,
    VpnGatewayInstance,
)
from hybridnet.model.loader import default_topology, load, loads, reference_yaml
from hybridnet.model.onprem import CoreRouter, EdgeRouter, OnPremHost, OnPremises, OnPremSubnet, VpnAppliance
from hybridnet.model.topology import Topology
from hybridnet.model.vnet import (
    GATEWAY_SUBNET,
    HealthProbe,
    LoadBalancer,
    LoadBalancerFrontend,
    LoadBalancingRule,
    NetworkSecurityGroup,
    Route,
    RouteTable,
    SecurityRule,
    Subnet,
    VirtualNetwork,
    Workload,
)

__all__ = [
    "GATEWAY_SUBNET", "MICROSOFT_ASN", "BfdSettings", "BgpTimers", "CoreRouter", "EdgeRouter",
    "ExpressRouteCircuit", "ExpressRouteConnection", "ExpressRouteGateway", "FrozenModel", "HealthProbe",
    "IpsecConnection", "IpsecPolicy", "LoadBalancer", "LoadBalancerFrontend", "LoadBalancingRule",
    "LocalNetworkGateway", "LocalNetworkGatewayBgp", "MicrosoftPeering", "NetworkSecurityGroup", "OnPremHost",
    "OnPremSubnet", "OnPremises", "PrivatePeering", "PublicIp", "Route", "RouteTable", "SecretRef",
    "SecurityRule", "Subnet", "Topology", "TopologyError", "TopologyErrors", "VirtualNetwork", "VpnAppliance",
    "VpnGateway", "VpnGatewayBgp", "VpnGatewayInstance", "Workload", "default_topology", "load", "loads",
    "reference_yaml", "CoreRole", "EdgeRole", "FirewallRole", "HubPeeringSide", "Site", "SiteDevice", "SiteLink",
    "SpokePeeringSide", "SpokeVnet", "VnetPeering", "VpnRole",
]
