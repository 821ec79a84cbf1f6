"""The ExpressRoute circuit and its peerings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hybridnet.model.base import Address, Asn, FrozenModel, Prefix, SecretRef
from hybridnet.model.names import AzureName, Text

MICROSOFT_ASN = 12076


class BgpTimers(FrozenModel):
    """BGP keepalive/hold. Azure's MSEE uses 60/180 s; the lower value of the two sides wins."""

    keepalive_s: int = Field(60, ge=1, le=65535)
    hold_s: int = Field(180, ge=3, le=65535)


class BfdSettings(FrozenModel):
    """BFD on the ExpressRoute links: MSEE sends every 300 ms, three misses declare the peer down."""

    enabled: bool = True
    interval_ms: int = Field(300, ge=10, le=60000)
    multiplier: int = Field(3, ge=1, le=255)

    @property
    def detection_ms(self) -> int:
        return self.interval_ms * self.multiplier


class PrivatePeering(FrozenModel):
    """Azure private peering: the only peering the VPN backs up."""

    peer_asn: Asn
    primary_prefix: Prefix = Field(..., description="/30 of the primary link: customer .1, Microsoft .2.")
    secondary_prefix: Prefix = Field(..., description="/30 of the secondary link: customer .1, Microsoft .2.")
    vlan_id: int = Field(..., ge=1, le=4094)
    md5_key: SecretRef | None = None
    bgp_timers: BgpTimers = BgpTimers()
    bfd: BfdSettings = BfdSettings()
    azure_asn: Literal[12076] = MICROSOFT_ASN

    def customer_address(self, link: str) -> Address:
        return _host(self._prefix(link), 0)

    def microsoft_address(self, link: str) -> Address:
        return _host(self._prefix(link), 1)

    def _prefix(self, link: str) -> Prefix:
        return self.primary_prefix if link == "primary" else self.secondary_prefix


class MicrosoftPeering(FrozenModel):
    """Microsoft peering (Microsoft 365, public endpoints). It never fails over to the VPN: its
    traffic goes over the internet when the circuit is down."""

    peer_asn: Asn
    primary_prefix: Prefix
    secondary_prefix: Prefix
    vlan_id: int = Field(..., ge=1, le=4094)
    advertised_public_prefixes: tuple[Prefix, ...] = ()
    fails_over_to_vpn: Literal[False] = Field(
        False, description="Always false: the VPN backs up private peering only."
    )


class ExpressRouteCircuit(FrozenModel):
    name: AzureName
    service_provider: Text
    peering_location: Text
    bandwidth_mbps: int = Field(..., ge=50)
    sku_tier: Literal["Standard", "Premium", "Local"] = "Standard"
    sku_family: Literal["MeteredData", "UnlimitedData"] = "MeteredData"
    allow_classic_operations: bool = False
    private_peering: PrivatePeering | None = None
    microsoft_peering: MicrosoftPeering | None = None

    @property
    def sku_name(self) -> str:
        return f"{self.sku_tier}_{self.sku_family}"

    @property
    def route_limit(self) -> int:
        """Private-peering prefixes Azure accepts before it drops the session."""
        return 10000 if self.sku_tier == "Premium" else 4000


def _host(network: Prefix, index: int) -> Address:
    hosts = list(network.hosts()) if network.prefixlen < 31 else list(network)
    if index < len(hosts):
        return hosts[index]
    return network.network_address
