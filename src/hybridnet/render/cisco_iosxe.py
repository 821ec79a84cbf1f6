"""Cisco IOS-XE configurations for the on-prem routers (for example a CSR1000v/Catalyst 8000V).

Customer edges: a dot1Q subinterface on the private-peering VLAN with BFD, eBGP to the MSEE with
``fall-over bfd``, a route-map that sets the local preference on what ExpressRoute teaches. VPN
appliance: IKEv2 proposal/policy/keyring/profile, an IPsec transform set and profile matching the
connection's policy (or Azure's default offers), one virtual tunnel interface per Azure gateway
instance with ``tunnel protection``, ``ip tcp adjust-mss``, eBGP over the tunnel, and host routes
that send the Azure tunnel endpoints to the internet, not into ExpressRoute.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from hybridnet.model import IpsecPolicy, Topology, TopologyError
from hybridnet.render.device_context import WAN_NEXT_HOP_PLACEHOLDER, pfs_group, render_devices

WAN_INTERFACE = "GigabitEthernet1"
CORE_INTERFACE = "GigabitEthernet2"
ER_INTERFACE = "GigabitEthernet1"
LOOPBACK_INTERFACE = "Loopback1"
"""Holds the one BGP address both tunnels share, when the appliance has one for two gateway instances."""
SITE_LOOPBACK_INTERFACE = "Loopback0"
"""An estate device's router ID and iBGP address (the site's full mesh runs between loopbacks)."""

_IKE_ENCRYPTION = {
    "GCMAES256": "aes-gcm-256",
    "GCMAES128": "aes-gcm-128",
    "AES256": "aes-cbc-256",
    "AES192": "aes-cbc-192",
    "AES128": "aes-cbc-128",
    "DES3": "3des",
    "DES": "des",
}
_IKE_INTEGRITY = {"SHA384": "sha384", "SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
_DH_GROUP = {
    "DHGroup24": "24",
    "ECP384": "20",
    "ECP256": "19",
    "DHGroup14": "14",
    "DHGroup2048": "14",
    "DHGroup2": "2",
    "DHGroup1": "1",
}
_ESP_ENCRYPTION = {
    "GCMAES256": "esp-gcm 256",
    "GCMAES192": "esp-gcm 192",
    "GCMAES128": "esp-gcm 128",
    "AES256": "esp-aes 256",
    "AES192": "esp-aes 192",
    "AES128": "esp-aes",
    "DES3": "esp-3des",
    "DES": "esp-des",
    "None": "esp-null",
}
_ESP_INTEGRITY = {"SHA256": "esp-sha256-hmac", "SHA1": "esp-sha-hmac", "MD5": "esp-md5-hmac"}

AZURE_DEFAULT_IKE = {
    "encryption": ["aes-cbc-256", "3des"],
    "integrity": ["sha256", "sha1"],
    "prf": None,
    "group": ["2"],
}
"""Azure's route-based IKEv2 offers (AES256/3DES, SHA256/SHA1, DH group 2), as one IOS-XE proposal."""

AZURE_DEFAULT_TRANSFORMS = (
    ("AZURE-GCM256", "esp-gcm 256"),
    ("AZURE-AES256-SHA1", "esp-aes 256 esp-sha-hmac"),
    ("AZURE-AES256-SHA256", "esp-aes 256 esp-sha256-hmac"),
)
"""Azure's quick-mode offers, in its order, as IOS-XE transform sets."""


def _algorithm(names: dict[str, str], value: str, field: str, encryption: str) -> str:
    """The vendor's name for an integrity algorithm; a GCM integrity with a non-GCM cipher has none."""
    if value not in names:
        raise TopologyError(
            f"the IPsec policy pairs {field} {value} with encryption {encryption}",
            field=f"connections.ipsec_policy.{field}",
            fix="Azure requires GCM encryption and integrity to match (or use SHA256 with AES)",
        )
    return names[value]


def _ike(policy: IpsecPolicy | None) -> dict[str, object]:
    if policy is None:
        return AZURE_DEFAULT_IKE
    encryption = _IKE_ENCRYPTION[policy.ike_encryption]
    gcm = "gcm" in encryption
    return {
        "encryption": [encryption],
        "integrity": []
        if gcm
        else [_algorithm(_IKE_INTEGRITY, policy.ike_integrity, "ike_integrity", policy.ike_encryption)],
        "prf": "sha256" if gcm else None,
        "group": [_DH_GROUP[policy.dh_group]] if policy.dh_group in _DH_GROUP else [],
    }


def _transforms(policy: IpsecPolicy | None) -> tuple[tuple[str, str], ...]:
    if policy is None:
        return AZURE_DEFAULT_TRANSFORMS
    transform = _ESP_ENCRYPTION[policy.ipsec_encryption]
    if "gcm" not in transform:
        transform += " " + _algorithm(
            _ESP_INTEGRITY, policy.ipsec_integrity, "ipsec_integrity", policy.ipsec_encryption
        )
    return (("AZURE-TRANSFORM", transform),)


def _mask(network: IPv4Network) -> str:
    return f"{network.network_address} {network.netmask}"


def render_onprem(
    topology: Topology, shared_key: str | None = None, wan_next_hop: str = WAN_NEXT_HOP_PLACEHOLDER
) -> dict[str, str]:
    """``<device>/ios-xe.cfg`` for the core router, each customer-edge router and the VPN appliance.

    Without ``shared_key`` the pre-shared key is a placeholder that says where the key lives.
    """
    return render_devices(
        topology,
        shared_key=shared_key,
        wan_next_hop=wan_next_hop,
        vendor="cisco_iosxe",
        file_name="ios-xe.cfg",
        common={
            "mask": _mask,
            "wan_interface": WAN_INTERFACE,
            "core_interface": CORE_INTERFACE,
            "er_interface": ER_INTERFACE,
            "loopback_interface": LOOPBACK_INTERFACE,
        },
        vpn_settings=_vpn_settings,
    )


def _vpn_settings(policy: IpsecPolicy | None) -> dict[str, object]:
    pfs = pfs_group(policy)
    return {"ike": _ike(policy), "transforms": _transforms(policy), "pfs": pfs}


def render_estate(
    topology: Topology, shared_keys: dict[str, str] | None = None, wan_next_hop: str = WAN_NEXT_HOP_PLACEHOLDER
) -> dict[str, str]:
    """``<site>/<device>.ios-xe.cfg`` for every device of every site, every role it holds in one file
    (a firewall role as a zone-based firewall). ``shared_keys`` maps connection names to real keys."""
    from hybridnet.render.estate_devices import render_vendor

    return render_vendor(
        topology,
        vendor="cisco_iosxe",
        suffix="ios-xe.cfg",
        shared_keys=shared_keys,
        wan_next_hop=wan_next_hop,
        interface=lambda index: f"GigabitEthernet{index + 1}",
        tunnel=lambda index: f"Tunnel{index}",
        common={"mask": _mask, "loopback_interface": SITE_LOOPBACK_INTERFACE,
                "bgp_loopback_interface": LOOPBACK_INTERFACE},
        vpn_settings=_vpn_settings,
    )
