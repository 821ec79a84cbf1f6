"""Juniper Junos configurations for the on-prem routers (MX for the customer edges, SRX for the VPN).

Customer edges: a tagged unit on the private-peering VLAN, eBGP to the MSEE with
``bfd-liveness-detection``, import policy setting the local preference, export policy announcing
only the on-prem aggregate. VPN appliance (SRX): ``security ike``/``ipsec`` matching the connection's
policy (or Azure's default offers), one ``st0`` unit per Azure gateway instance, ``tcp-mss ipsec-vpn``,
eBGP over the tunnels, and static host routes that keep the Azure tunnel endpoints off ExpressRoute.
"""

from __future__ import annotations

from dataclasses import dataclass

from hybridnet.model import IpsecPolicy, Topology, TopologyError
from hybridnet.render.device_context import WAN_NEXT_HOP_PLACEHOLDER, pfs_group, render_devices

WAN_INTERFACE = "ge-0/0/0"
ER_INTERFACE = "ge-0/0/0"
CORE_INTERFACE = "ge-0/0/1"

_IKE_ENCRYPTION = {
    "GCMAES256": "aes-256-gcm",
    "GCMAES128": "aes-128-gcm",
    "AES256": "aes-256-cbc",
    "AES192": "aes-192-cbc",
    "AES128": "aes-128-cbc",
    "DES3": "3des-cbc",
    "DES": "des-cbc",
}
_IKE_INTEGRITY = {"SHA384": "sha-384", "SHA256": "sha-256", "SHA1": "sha1", "MD5": "md5"}
_DH_GROUP = {
    "DHGroup24": "group24",
    "ECP384": "group20",
    "ECP256": "group19",
    "DHGroup14": "group14",
    "DHGroup2048": "group14",
    "DHGroup2": "group2",
    "DHGroup1": "group1",
}
_ESP_ENCRYPTION = {
    "GCMAES256": "aes-256-gcm",
    "GCMAES192": "aes-192-gcm",
    "GCMAES128": "aes-128-gcm",
    "AES256": "aes-256-cbc",
    "AES192": "aes-192-cbc",
    "AES128": "aes-128-cbc",
    "DES3": "3des-cbc",
    "DES": "des-cbc",
}
_ESP_INTEGRITY = {"SHA256": "hmac-sha-256-128", "SHA1": "hmac-sha1-96", "MD5": "hmac-md5-96"}


@dataclass(frozen=True)
class Proposal:
    """One Junos IKE or IPsec proposal: Junos lists one algorithm set per proposal."""

    name: str
    encryption: str
    authentication: str | None
    dh_group: str | None = None


AZURE_DEFAULT_IKE = (
    Proposal("AZURE-IKE-AES256-SHA256", "aes-256-cbc", "sha-256", "group2"),
    Proposal("AZURE-IKE-AES256-SHA1", "aes-256-cbc", "sha1", "group2"),
)
"""Azure's route-based IKEv2 offers (AES256, SHA256/SHA1, DH group 2)."""

AZURE_DEFAULT_ESP = (
    Proposal("AZURE-ESP-GCM256", "aes-256-gcm", None),
    Proposal("AZURE-ESP-AES256-SHA1", "aes-256-cbc", "hmac-sha1-96"),
    Proposal("AZURE-ESP-AES256-SHA256", "aes-256-cbc", "hmac-sha-256-128"),
)
"""Azure's quick-mode offers, in its order (GCM AES256 first)."""


def _algorithm(names: dict[str, str], value: str, field: str, encryption: str) -> str:
    """The vendor's name for an integrity algorithm; a GCM integrity with a non-GCM cipher has none."""
    if value not in names:
        raise TopologyError(
            f"the IPsec policy pairs {field} {value} with encryption {encryption}",
            field=f"connections.ipsec_policy.{field}",
            fix="Azure requires GCM encryption and integrity to match (or use SHA256 with AES)",
        )
    return names[value]


def _ike(policy: IpsecPolicy | None) -> tuple[Proposal, ...]:
    if policy is None:
        return AZURE_DEFAULT_IKE
    encryption = _IKE_ENCRYPTION[policy.ike_encryption]
    authentication = (
        None
        if "gcm" in encryption
        else _algorithm(_IKE_INTEGRITY, policy.ike_integrity, "ike_integrity", policy.ike_encryption)
    )
    return (Proposal("AZURE-IKE", encryption, authentication, _DH_GROUP.get(policy.dh_group)),)


def _esp(policy: IpsecPolicy | None) -> tuple[Proposal, ...]:
    if policy is None:
        return AZURE_DEFAULT_ESP
    if policy.ipsec_encryption == "None":
        raise TopologyError(
            "the connection's IPsec policy uses no encryption, which this renderer does not write for Junos",
            field="connections.ipsec_policy.ipsec_encryption",
            fix="use AES256 or GCMAES256",
        )
    encryption = _ESP_ENCRYPTION[policy.ipsec_encryption]
    authentication = (
        None
        if "gcm" in encryption
        else _algorithm(_ESP_INTEGRITY, policy.ipsec_integrity, "ipsec_integrity", policy.ipsec_encryption)
    )
    return (Proposal("AZURE-ESP", encryption, authentication),)


def render_onprem(
    topology: Topology, shared_key: str | None = None, wan_next_hop: str = WAN_NEXT_HOP_PLACEHOLDER
) -> dict[str, str]:
    """``<device>/junos.conf`` for the core router, each customer-edge router and the VPN appliance.

    Without ``shared_key`` the pre-shared key is a placeholder that says where the key lives.
    """
    return render_devices(
        topology,
        shared_key=shared_key,
        wan_next_hop=wan_next_hop,
        vendor="junos",
        file_name="junos.conf",
        common={"wan_interface": WAN_INTERFACE, "er_interface": ER_INTERFACE, "core_interface": CORE_INTERFACE},
        vpn_settings=_vpn_settings,
    )


def _vpn_settings(policy: IpsecPolicy | None) -> dict[str, object]:
    pfs = pfs_group(policy)
    return {"ike_proposals": _ike(policy), "esp_proposals": _esp(policy), "pfs": pfs}


def render_estate(
    topology: Topology, shared_keys: dict[str, str] | None = None, wan_next_hop: str = WAN_NEXT_HOP_PLACEHOLDER
) -> dict[str, str]:
    """``<site>/<device>.junos.conf`` for every device of every site, every role it holds in one file
    (an SRX in flow mode for a firewall or VPN end: security zones and policies are its firewall).
    ``shared_keys`` maps connection names to real keys."""
    from hybridnet.render.estate_devices import render_vendor

    return render_vendor(
        topology,
        vendor="junos",
        suffix="junos.conf",
        shared_keys=shared_keys,
        wan_next_hop=wan_next_hop,
        interface=lambda index: f"ge-0/0/{index}",
        tunnel=lambda index: f"st0.{index}",
        common={},
        vpn_settings=_vpn_settings,
    )
