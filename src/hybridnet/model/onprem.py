"""The on-premises side: address space, hosts, and the routers that join it to Azure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from hybridnet.model.base import Address, Asn, FrozenModel, Prefix
from hybridnet.model.gateways import IpsecPolicy
from hybridnet.model.names import AzureName, NodeName


class OnPremHost(FrozenModel):
    """A host on an on-premises subnet: the source of test traffic towards Azure."""

    name: NodeName
    address: Address


class OnPremSubnet(FrozenModel):
    name: AzureName
    prefix: Prefix
    hosts: tuple[OnPremHost, ...] = ()


class EdgeRouter(FrozenModel):
    """A customer-edge (CE) router terminating one link of the ExpressRoute circuit.

    ``local_preference`` applies to routes learned from the MSEE; it must beat the VPN appliance's,
    or on-prem sends over the VPN while Azure answers over ExpressRoute (an asymmetric path).
    """

    name: NodeName
    link: Literal["primary", "secondary"]
    local_preference: int = Field(150, ge=0, le=4294967295)
    as_path_prepend: int = Field(0, ge=0, le=10, description="Times the on-prem ASN is prepended towards Azure.")
    advertised_prefixes: tuple[Prefix, ...] | None = Field(
        None, description="Prefixes announced to the MSEE; default: the on-prem address space."
    )


def _distinct(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    """A BGP address listed twice would be two sessions from one address to one peer: never meant."""
    repeated = sorted({str(a) for a in addresses if addresses.count(a) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once; list each BGP address once")
    return addresses


class VpnAppliance(FrozenModel):
    """The on-premises VPN device that terminates the IPsec tunnel(s) to the Azure VPN gateway."""

    name: NodeName
    public_ip: Address
    bgp_addresses: Annotated[tuple[Address, ...], AfterValidator(_distinct)] = Field(
        (), description="BGP peer address(es) on the tunnel side: one per Azure gateway instance, or one that "
                        "peers with every instance (APIPA or loopback)."
    )
    local_preference: int = Field(100, ge=0, le=4294967295,
                                  description="Local preference of routes learned over the VPN.")
    as_path_prepend: int = Field(0, ge=0, le=10, description="Times the on-prem ASN is prepended over the VPN.")
    advertised_prefixes: tuple[Prefix, ...] | None = Field(
        None, description="Prefixes announced over the VPN; default: the on-prem address space."
    )
    ipsec_policy: IpsecPolicy | None = Field(
        None,
        description="The IKE/ESP proposal this device offers, in Azure's names, when it differs from the "
        "connection's; default: the connection's custom policy, else Azure's default proposals.",
    )


class CoreRouter(FrozenModel):
    """The LAN/core router that joins the on-prem subnets to the edge routers and the VPN appliance."""

    name: NodeName


class OnPremises(FrozenModel):
    name: AzureName = "onprem"
    asn: Asn
    address_space: tuple[Prefix, ...] = Field(..., min_length=1)
    subnets: tuple[OnPremSubnet, ...] = ()
    core_router: CoreRouter = CoreRouter(name="onprem-core")
    edge_routers: tuple[EdgeRouter, ...] = ()
    vpn_appliance: VpnAppliance | None = None

    def edge_router(self, link: str) -> EdgeRouter | None:
        return next((router for router in self.edge_routers if router.link == link), None)

    def advertised_over_er(self, router: EdgeRouter) -> tuple[Prefix, ...]:
        return router.advertised_prefixes if router.advertised_prefixes is not None else self.address_space

    def originated_at_edge(self, prefixes: tuple[Prefix, ...]) -> tuple[Prefix, ...]:
        """The announced prefixes an edge device must originate itself (anchored on a discard route).

        The core already announces every on-prem subnet over iBGP. An edge device that also
        originated one would prefer its own route (locally originated wins BGP's best-path choice)
        and drop the subnet's traffic on its discard anchor; it announces the core's route instead.
        """
        lans = {subnet.prefix for subnet in self.subnets}
        return tuple(prefix for prefix in prefixes if prefix not in lans)

    def advertised_over_vpn(self) -> tuple[Prefix, ...]:
        appliance = self.vpn_appliance
        if appliance is None:
            return ()
        return appliance.advertised_prefixes if appliance.advertised_prefixes is not None else self.address_space
