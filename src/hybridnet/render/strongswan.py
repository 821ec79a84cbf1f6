"""strongSwan (swanctl) configuration for the on-prem VPN appliance, and its tunnel script.

The appliance is the IKEv2 initiator (Azure recommends the on-prem device initiate), one IKE SA per
Azure gateway instance (two when the gateway is active-active), route-based: the traffic selectors
are 0.0.0.0/0 both ways and routing (BGP over the tunnel) decides what enters it. With two tunnels
each one narrows its remote side to its own BGP peer's /32 plus the VNet address space, so that
the two SAs have distinct policies and the two BGP sessions cannot cross tunnels.

Proposals are Azure's defaults for a route-based gateway unless the connection has a custom IPsec
policy, which then replaces them on both ends (azure-facts.md §5.1-5.2). The tunnel script holds
what swanctl cannot: the /32 routes that keep the Azure tunnel endpoints on the internet uplink
(never on the ExpressRoute path), the BGP addresses and MTU of the tunnel interface, and the TCP
MSS clamp Azure recommends (1350) for the tunnel path.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Template

from hybridnet.model import IpsecConnection, IpsecPolicy, Topology, TopologyError
from hybridnet.render.frr import VpnPeering, onprem_wiring, vpn_peerings
from hybridnet.render.templating import ConfigSecret, template

AZURE_IKE_PROPOSALS = (
    "aes256-sha1-modp1024",
    "aes256-sha256-modp1024",
    "3des-sha1-modp1024",
    "3des-sha256-modp1024",
)
"""Azure route-based IKEv2 phase 1 offers: AES256 or 3DES, SHA1 or SHA256, DH group 2."""

AZURE_ESP_PROPOSALS = (
    "aes256gcm16",
    "aes256-sha1",
    "3des-sha1",
    "aes256-sha256",
    "aes128-sha1",
    "3des-sha256",
)
"""Azure route-based quick-mode offers, in Azure's initiator order (GCM AES256 first)."""

AZURE_IKE_LIFETIME_S = 28800
AZURE_CHILD_LIFETIME_S = 27000

_IKE_ENCRYPTION = {
    "GCMAES256": "aes256gcm16",
    "GCMAES128": "aes128gcm16",
    "AES256": "aes256",
    "AES192": "aes192",
    "AES128": "aes128",
    "DES3": "3des",
    "DES": "des",
}
_IKE_INTEGRITY = {"SHA384": "sha384", "SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
_DH_GROUP = {
    "DHGroup24": "modp2048s256",
    "ECP384": "ecp384",
    "ECP256": "ecp256",
    "DHGroup14": "modp2048",
    "DHGroup2048": "modp2048",
    "DHGroup2": "modp1024",
    "DHGroup1": "modp768",
    "None": "",
}
_ESP_ENCRYPTION = {
    "GCMAES256": "aes256gcm16",
    "GCMAES192": "aes192gcm16",
    "GCMAES128": "aes128gcm16",
    "AES256": "aes256",
    "AES192": "aes192",
    "AES128": "aes128",
    "DES3": "3des",
    "DES": "des",
    "None": "null",
}
_ESP_INTEGRITY = {"SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
_PFS_GROUP = {
    "PFS24": "modp2048s256",
    "ECP384": "ecp384",
    "ECP256": "ecp256",
    "PFS2048": "modp2048",
    "PFS14": "modp2048",
    "PFS2": "modp1024",
    "PFS1": "modp768",
    "None": "",
}


@dataclass(frozen=True)
class Proposals:
    """What one IPsec connection offers, in strongSwan's proposal syntax."""

    ike: tuple[str, ...]
    esp: tuple[str, ...]
    ike_lifetime_s: int
    child_lifetime_s: int


def proposals(connection: IpsecConnection) -> Proposals:
    """Azure's defaults, or the connection's custom policy translated to strongSwan names."""
    policy = connection.ipsec_policy
    if policy is None:
        return Proposals(AZURE_IKE_PROPOSALS, AZURE_ESP_PROPOSALS, AZURE_IKE_LIFETIME_S, AZURE_CHILD_LIFETIME_S)
    return Proposals(
        (_ike_proposal(policy),),
        (_esp_proposal(policy),),
        AZURE_IKE_LIFETIME_S,
        max(policy.sa_lifetime_s, 300),
    )


def _ike_proposal(policy: IpsecPolicy) -> str:
    encryption = _IKE_ENCRYPTION[policy.ike_encryption]
    parts = [encryption]
    if "gcm" in encryption:
        parts.append("prfsha256")
    else:
        parts.append(_IKE_INTEGRITY.get(policy.ike_integrity, "sha256"))
    if _DH_GROUP[policy.dh_group]:
        parts.append(_DH_GROUP[policy.dh_group])
    return "-".join(parts)


def _esp_proposal(policy: IpsecPolicy) -> str:
    encryption = _ESP_ENCRYPTION[policy.ipsec_encryption]
    parts = [encryption]
    if "gcm" not in encryption:
        parts.append(_ESP_INTEGRITY.get(policy.ipsec_integrity, "sha256"))
    if _PFS_GROUP[policy.pfs_group]:
        parts.append(_PFS_GROUP[policy.pfs_group])
    return "-".join(parts)


def dpd_delay_s(connection: IpsecConnection) -> int:
    """Probe often enough that a dead peer is noticed within the connection's DPD timeout."""
    return max(3, connection.dpd_timeout_s // 3)


def render_onprem(topology: Topology, shared_key: str | None = None) -> dict[str, str]:
    """Render ``<appliance>/swanctl.conf`` and ``<appliance>/tunnel.sh`` for the on-prem VPN appliance.

    With ``shared_key`` None the secret is a placeholder naming where the key comes from (the
    topology's reference), so the output can be shared; the emulator passes the real key and writes
    the file 0600 in its private directory.
    """
    appliance = topology.onprem.vpn_appliance
    connection = topology.vpn_connection
    gateway = topology.vpn_gateway
    if appliance is None or connection is None or gateway is None:
        return {}
    if connection.connection_protocol != "IKEv2":
        raise TopologyError(
            "only IKEv2 connections are rendered for strongSwan",
            field="connections",
            fix="set connection_protocol: IKEv2 (Azure's default)",
        )
    peerings = vpn_peerings(topology) if gateway.bgp is not None and connection.enable_bgp else []
    tunnels = []
    for index, instance in enumerate(gateway.instances):
        if instance.public_ip.address is None:
            raise TopologyError(
                f"VPN gateway instance {index} has no public IP address to connect to",
                field=f"gateways.{gateway.name}.instances.{index}.public_ip.address",
                fix="give the address the gateway's public IP has (or will have)",
            )
        peer = next((p for p in peerings if p["index"] == index), None)
        remote_ts = _remote_selectors(topology, connection, peer, len(gateway.instances))
        local_ts = (
            [str(p) for p in topology.onprem.advertised_over_vpn()]
            if connection.use_policy_based_traffic_selectors
            else ["0.0.0.0/0"]
        )
        tunnels.append(
            {
                "name": f"azure-{index}",
                "index": index,
                "public_ip": instance.public_ip.address,
                "peer": peer,
                "local_ts": local_ts,
                "remote_ts": remote_ts,
            }
        )
    if shared_key is None:
        secret = f"REPLACE-with-the-key-from-{connection.shared_key.describe().replace(' ', '-')}"
    else:
        secret = shared_key
    context = {
        "topology": topology,
        "appliance": appliance,
        "connection": connection,
        "gateway": gateway,
        "tunnels": tunnels,
        "proposals": proposals(connection),
        "dpd_delay_s": dpd_delay_s(connection),
        "wiring": onprem_wiring(topology),
        "secret": _quoted(secret),
        "placeholder": shared_key is None,
        "secret_source": connection.shared_key.describe(),
    }
    return {
        f"{appliance.name}/swanctl.conf": _template("swanctl.conf.j2").render(**context),
        f"{appliance.name}/tunnel.sh": _template("tunnel.sh.j2").render(**context),
    }


def _remote_selectors(
    topology: Topology, connection: IpsecConnection, peer: VpnPeering | None, instances: int
) -> list[str]:
    if connection.use_policy_based_traffic_selectors:
        return [str(p) for p in topology.vnet.address_space]
    if peer is not None and instances > 1:
        # Two SAs with 0.0.0.0/0 would share one policy (and one SA would carry both BGP sessions):
        # each tunnel narrows to its own BGP peer plus the VNet, which Azure accepts as proposed.
        return [f"{peer['azure']}/32", *(str(p) for p in topology.vnet.address_space)]
    return ["0.0.0.0/0"]


def _quoted(secret: str) -> ConfigSecret:
    """The key as a swanctl quoted string: inside quotes only a quote or backslash would need escaping."""
    if '"' in secret or "\\" in secret or not secret.isprintable():
        raise TopologyError(
            "the shared key contains a quote, backslash, line break or control character",
            field="connections.shared_key",
            fix="use printable ASCII without quotes",
        )
    return ConfigSecret(f'"{secret}"')




def _template(name: str) -> Template:
    return template(f"strongswan/{name}")
