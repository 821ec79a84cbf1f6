"""The Azure virtual network and what lives in it: subnets, route tables, NSGs, the internal load
balancer and the application's VMs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hybridnet.model.base import Address, FrozenModel, Prefix
from hybridnet.model.names import AzureName, NodeName, NsgAddresses, NsgPorts, Text

GATEWAY_SUBNET = "GatewaySubnet"


class Subnet(FrozenModel):
    name: AzureName
    prefix: Prefix
    nsg: AzureName | None = Field(None, description="Name of the network security group associated with the subnet.")
    route_table: AzureName | None = Field(None, description="Name of the route table associated with the subnet.")


class VirtualNetwork(FrozenModel):
    name: AzureName
    address_space: tuple[Prefix, ...] = Field(..., min_length=1)
    subnets: tuple[Subnet, ...] = ()
    dns_servers: tuple[Address, ...] = ()

    def subnet(self, name: str) -> Subnet | None:
        return next((subnet for subnet in self.subnets if subnet.name == name), None)

    @property
    def gateway_subnet(self) -> Subnet | None:
        return self.subnet(GATEWAY_SUBNET)


class Route(FrozenModel):
    name: AzureName
    prefix: Prefix
    next_hop_type: Literal["VirtualNetworkGateway", "VnetLocal", "Internet", "VirtualAppliance", "None"]
    next_hop_ip: Address | None = None


class RouteTable(FrozenModel):
    name: AzureName
    routes: tuple[Route, ...] = ()
    disable_bgp_route_propagation: bool = False


class SecurityRule(FrozenModel):
    """One NSG rule. Prefixes may be CIDRs, '*' or the service tags Azure knows
    ('VirtualNetwork' covers the VNet and every on-prem prefix learned through the gateways)."""

    name: AzureName
    priority: int = Field(..., ge=100, le=4096)
    direction: Literal["Inbound", "Outbound"] = "Inbound"
    access: Literal["Allow", "Deny"]
    protocol: Literal["Tcp", "Udp", "Icmp", "*"] = "Tcp"
    source: NsgAddresses = "*"
    source_port: NsgPorts = "*"
    destination: NsgAddresses = "*"
    destination_port: NsgPorts = "*"


class NetworkSecurityGroup(FrozenModel):
    name: AzureName
    rules: tuple[SecurityRule, ...] = ()


class Workload(FrozenModel):
    """A VM of the cloud application: what the drill's traffic is aimed at."""

    name: NodeName
    vnet: AzureName | None = Field(None, description="VNet of the subnet; default: the hub ('vnet').")
    subnet: AzureName
    address: Address
    port: int = Field(..., ge=1, le=65535)
    protocol: Literal["Tcp", "Udp"] = "Tcp"


class LoadBalancerFrontend(FrozenModel):
    name: AzureName
    vnet: AzureName | None = Field(None, description="VNet of the subnet; default: the hub ('vnet').")
    subnet: AzureName
    address: Address


class HealthProbe(FrozenModel):
    name: AzureName
    protocol: Literal["Tcp", "Http"] = "Http"
    port: int = Field(..., ge=1, le=65535)
    path: Text = "/"
    interval_s: int = Field(5, ge=5, le=2147483646)
    unhealthy_threshold: int = Field(2, ge=1, le=100)


class LoadBalancingRule(FrozenModel):
    name: AzureName
    protocol: Literal["Tcp", "Udp"] = "Tcp"
    frontend_port: int = Field(..., ge=1, le=65535)
    backend_port: int = Field(..., ge=1, le=65535)


class LoadBalancer(FrozenModel):
    """An internal (private) Standard load balancer in front of one application tier."""

    name: AzureName
    sku: Literal["Basic", "Standard"] = "Standard"
    frontend: LoadBalancerFrontend
    backend_pool: tuple[NodeName, ...] = Field(..., min_length=1, description="Names of workloads in the pool.")
    probe: HealthProbe
    rules: tuple[LoadBalancingRule, ...] = Field(..., min_length=1)
