"""The documents the rules cite (see shared azure-facts.md for the dated versions that were read).

One constant per document, so every finding points at the page that states the rule, and a changed
URL is fixed in one place.
"""

from __future__ import annotations

from hybridnet.rules.finding import Source

_LEARN = "https://learn.microsoft.com/azure"
_PSRULE = "https://azure.github.io/PSRule.Rules.Azure/en/rules"

COEXIST = Source(
    "Azure docs: Configure ExpressRoute and site-to-site VPN coexisting connections",
    f"{_LEARN}/expressroute/expressroute-howto-coexist-resource-manager",
)
ER_GATEWAYS = Source(
    "Azure docs: About ExpressRoute virtual network gateways",
    f"{_LEARN}/expressroute/expressroute-about-virtual-network-gateways",
)
VPN_SETTINGS = Source(
    "Azure docs: About VPN Gateway configuration settings (gateway subnet, NSG and UDR warnings)",
    f"{_LEARN}/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub",
)
VPN_FAQ = Source("Azure docs: VPN Gateway FAQ", f"{_LEARN}/vpn-gateway/vpn-gateway-vpn-faq")
BGP_FAQ = Source("Azure docs: VPN Gateway FAQ, BGP section", f"{_LEARN}/vpn-gateway/vpn-gateway-vpn-faq#bgp")
BGP_HOWTO = Source("Azure docs: Configure BGP for VPN Gateway (APIPA "
                   "addresses)", f"{_LEARN}/vpn-gateway/bgp-howto")
IPSEC_POLICY = Source(
    "Azure docs: IPsec/IKE policy for S2S VPN connections (FAQ)",
    f"{_LEARN}/vpn-gateway/ipsec-ike-policy-howto",
)
HIGHLY_AVAILABLE = Source(
    "Azure docs: Highly available cross-premises connectivity (active-active VPN gateways)",
    f"{_LEARN}/vpn-gateway/vpn-gateway-highlyavailable",
)
ER_ROUTING = Source("Azure docs: ExpressRoute routing "
                    "requirements", f"{_LEARN}/expressroute/expressroute-routing")
ER_BFD = Source("Azure docs: Configure BFD over ExpressRoute", f"{_LEARN}/expressroute/expressroute-bfd")
TCP_TUNING = Source(
    "Azure docs: TCP/IP performance tuning for Azure VMs (MTU and MSS over VPN)",
    f"{_LEARN}/virtual-network/virtual-network-tcpip-performance-tuning",
)
RA_ARTICLE = Source(
    "Azure Architecture Center: Connect an on-premises network to Azure using ExpressRoute with VPN failover",
    "https://learn.microsoft.com/azure/architecture/reference-architectures/hybrid-networking/expressroute-vpn-failover",
)
TBB_VPN_README = Source(
    "mspnp/template-building-blocks v1.0.0: vpn-gateway-vpn-connection README (LNG prefixes must not "
    "overlap)",
    "https://github.com/mspnp/template-building-blocks/tree/v1.0.0/templates/buildingBlocks/vpn-gateway-vpn-connection",
)
NSG_DEFAULTS = Source(
    "Azure docs: Network security groups, default security rules and the VirtualNetwork service tag",
    f"{_LEARN}/virtual-network/network-security-groups-overview#default-security-rules",
)
VPN_DEVICES = Source(
    "Azure docs: About VPN devices and IPsec/IKE parameters (default phase 1 and phase 2 proposals)",
    f"{_LEARN}/vpn-gateway/vpn-gateway-about-vpn-devices#ipsec",
)
PEERING_TRANSIT = Source(
    "Azure docs: Configure VPN gateway transit for virtual network peering",
    f"{_LEARN}/vpn-gateway/vpn-gateway-peering-gateway-transit",
)
ER_DR = Source(
    "Azure docs: Designing for disaster recovery with ExpressRoute private peering",
    f"{_LEARN}/expressroute/designing-for-disaster-recovery-with-expressroute-privatepeering",
)
ER_OPTIMIZE = Source("Azure docs: Optimize ExpressRoute routing",
                     f"{_LEARN}/expressroute/expressroute-optimize-routing")
ER_ASYMMETRIC = Source(
    "Azure docs: Asymmetric routing with multiple network paths (stateful firewalls)",
    f"{_LEARN}/expressroute/expressroute-asymmetric-routing",
)
ROUTE_SERVER = Source(
    "Azure docs: Azure Route Server support for ExpressRoute and Azure VPN (transit between them)",
    f"{_LEARN}/route-server/expressroute-vpn-support",
)
SECRETS = Source(
    "hybridnet policy: pre-shared keys are referenced (env or file), never stored in a shared topology file"
)


def psrule(name: str) -> Source:
    """The PSRule for Azure page of a rule, for rules that reach the same verdict as PSRule."""
    return Source(f"PSRule for Azure: {name}", f"{_PSRULE}/{name}/")
