"""The two virtual network gateways, the local network gateway and the connections between them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from hybridnet.model.base import Address, Asn, FrozenModel, Prefix, SecretRef
from hybridnet.model.circuit import BgpTimers
from hybridnet.model.names import AzureName
from hybridnet.model.vnet import GATEWAY_SUBNET

ER_GATEWAY_SKUS = ("Basic", "Standard", "HighPerformance", "UltraPerformance", "ErGw1AZ", "ErGw2AZ", "ErGw3AZ")
VPN_GATEWAY_SKUS = (
    "Basic", "Standard", "HighPerformance",
    "VpnGw1", "VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5",
    "VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ",
)


class PublicIp(FrozenModel):
    name: AzureName
    address: Address | None = Field(None, description="Known or expected address (the emulator needs one).")
    sku: Literal["Basic", "Standard"] = "Standard"
    allocation: Literal["Static", "Dynamic"] = "Static"


class ExpressRouteGateway(FrozenModel):
    type: Literal["ExpressRoute"] = "ExpressRoute"
    name: AzureName
    sku: Literal[ER_GATEWAY_SKUS]  # type: ignore[valid-type]
    vnet: AzureName | None = Field(None, description="VNet the gateway is deployed in; default: the topology's VNet.")
    subnet: AzureName = GATEWAY_SUBNET
    public_ip: PublicIp | None = None


class VpnGatewayInstance(FrozenModel):
    """One instance of the VPN gateway: its public IP and BGP peer addresses."""

    public_ip: PublicIp
    bgp_address: Address | None = Field(None, description="Default BGP address from the GatewaySubnet.")
    apipa_addresses: tuple[Address, ...] = Field((), description="Custom APIPA BGP addresses.")


class VpnGatewayBgp(FrozenModel):
    asn: Asn = 65515
    timers: BgpTimers = BgpTimers()


class VpnGateway(FrozenModel):
    type: Literal["Vpn"] = "Vpn"
    name: AzureName
    sku: Literal[VPN_GATEWAY_SKUS]  # type: ignore[valid-type]
    vpn_type: Literal["RouteBased", "PolicyBased"] = "RouteBased"
    generation: Literal["Generation1", "Generation2", "None"] = "Generation1"
    active_active: bool = False
    vnet: AzureName | None = None
    subnet: AzureName = GATEWAY_SUBNET
    bgp: VpnGatewayBgp | None = Field(None, description="BGP settings; absent means static routing.")
    instances: tuple[VpnGatewayInstance, ...] = Field(..., min_length=1, max_length=2)


Gateway = Annotated[ExpressRouteGateway | VpnGateway, Field(discriminator="type")]


class LocalNetworkGatewayBgp(FrozenModel):
    asn: Asn
    peer_address: Address


class LocalNetworkGateway(FrozenModel):
    """Azure's record of the on-prem VPN device: its public IP and what lies behind it."""

    name: AzureName
    gateway_ip: Address | None = Field(
        None, description="The on-prem device's public IP; absent when only known at deployment (imported)."
    )
    address_prefixes: tuple[Prefix, ...] = ()
    bgp: LocalNetworkGatewayBgp | None = None


IKE_ENCRYPTIONS = ("GCMAES256", "GCMAES128", "AES256", "AES192", "AES128", "DES3", "DES")
IKE_INTEGRITIES = ("GCMAES256", "GCMAES128", "SHA384", "SHA256", "SHA1", "MD5")
DH_GROUPS = ("DHGroup24", "ECP384", "ECP256", "DHGroup14", "DHGroup2048", "DHGroup2", "DHGroup1", "None")
IPSEC_ENCRYPTIONS = ("GCMAES256", "GCMAES192", "GCMAES128", "AES256", "AES192", "AES128", "DES3", "DES", "None")
IPSEC_INTEGRITIES = ("GCMAES256", "GCMAES192", "GCMAES128", "SHA256", "SHA1", "MD5")
PFS_GROUPS = ("PFS24", "ECP384", "ECP256", "PFS2048", "PFS2", "PFS1", "PFS14", "None")


class IpsecPolicy(FrozenModel):
    """A custom IPsec/IKE policy. When set it replaces Azure's default proposals on both ends."""

    ike_encryption: Literal[IKE_ENCRYPTIONS]  # type: ignore[valid-type]
    ike_integrity: Literal[IKE_INTEGRITIES]  # type: ignore[valid-type]
    dh_group: Literal[DH_GROUPS]  # type: ignore[valid-type]
    ipsec_encryption: Literal[IPSEC_ENCRYPTIONS]  # type: ignore[valid-type]
    ipsec_integrity: Literal[IPSEC_INTEGRITIES]  # type: ignore[valid-type]
    pfs_group: Literal[PFS_GROUPS]  # type: ignore[valid-type]
    sa_lifetime_s: int = Field(27000, ge=0)
    sa_data_size_kb: int = Field(102400000, ge=0)


class IpsecConnection(FrozenModel):
    type: Literal["IPsec"] = "IPsec"
    name: AzureName
    vpn_gateway: AzureName
    local_network_gateway: AzureName
    shared_key: SecretRef
    connection_protocol: Literal["IKEv2", "IKEv1"] = "IKEv2"
    enable_bgp: bool = True
    routing_weight: int = Field(0, ge=0, le=32000)
    use_policy_based_traffic_selectors: bool = False
    ipsec_policy: IpsecPolicy | None = Field(None, description="Custom policy; absent means Azure's defaults.")
    dpd_timeout_s: int = Field(45, ge=0)
    tcp_mss_clamp: int | None = Field(1350, ge=500, le=1460,
                                      description="TCP MSS the on-prem tunnel end clamps to; null disables it.")
    tunnel_mtu: int = Field(1400, ge=576, le=1500)


class ExpressRouteConnection(FrozenModel):
    type: Literal["ExpressRoute"] = "ExpressRoute"
    name: AzureName
    gateway: AzureName
    circuit: AzureName
    routing_weight: int = Field(0, ge=0, le=32000)


Connection = Annotated[IpsecConnection | ExpressRouteConnection, Field(discriminator="type")]
