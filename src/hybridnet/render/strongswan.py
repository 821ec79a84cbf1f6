"""strongSwan (swanctl) configuration for the on-prem VPN appliance, and its tunnel script.

The appliance is the IKEv2 initiator (Azure recommends the on-prem device initiate), one IKE SA per
Azure gateway instance (two when the gateway is active-active), route-based: the traffic selectors
are 0.0.0.0/0 both ways and routing (BGP over the tunnel) decides what enters it. With two tunnels
each one narrows its remote side to its own BGP peer's /32 plus the VNet address space, so that
the two SAs have distinct policies and the two BGP sessions cannot cross tunnels.

Proposals are the appliance's own ``ipsec_policy`` when it has one, else the connection's custom
IPsec policy, else Azure's default offers for a route-based gateway (``model.azure_ipsec``). The tunnel script holds
what swanctl cannot: the /32 routes that keep the Azure tunnel endpoints on the internet uplink
(never on the ExpressRoute path), the BGP addresses and MTU of the tunnel interface, and the TCP
MSS clamp Azure recommends (1350) for the tunnel path.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from jinja2 import Template

from hybridnet.model import IpsecConnection, Topology, TopologyError, VpnAppliance, azure_ipsec
from hybridnet.render.frr import VpnPeering, onprem_wiring, vpn_peerings
from hybridnet.render.templating import ConfigSecret, template

AZURE_IKE_PROPOSALS = tuple(p.strongswan() for p in azure_ipsec.AZURE_IKE)
"""Azure route-based phase 1 (both roles): AES256, AES128 or 3DES with SHA1 or SHA256, DH group 2."""

AZURE_ESP_PROPOSALS = tuple(p.strongswan() for p in azure_ipsec.AZURE_ESP_INITIATOR)
"""Azure route-based quick-mode offers, in Azure's initiator order (GCM AES256 first), no PFS."""

AZURE_IKE_LIFETIME_S = azure_ipsec.AZURE_IKE_LIFETIME_S
AZURE_CHILD_LIFETIME_S = azure_ipsec.AZURE_CHILD_LIFETIME_S


@dataclass(frozen=True)
class Proposals:
    """What one IPsec end configures, in strongSwan's proposal syntax (one list for both roles)."""

    ike: tuple[str, ...]
    esp: tuple[str, ...]
    ike_lifetime_s: int
    child_lifetime_s: int


def proposals(connection: IpsecConnection, appliance: VpnAppliance | None = None) -> Proposals:
    """What the on-prem device offers: its own policy, else the connection's, else Azure's default offers."""
    chosen = azure_ipsec.onprem_proposals(connection, appliance.ipsec_policy if appliance else None)
    return Proposals(
        tuple(p.strongswan() for p in chosen.ike),
        tuple(p.strongswan() for p in chosen.esp_offered),
        AZURE_IKE_LIFETIME_S,
        chosen.child_lifetime_s,
    )


def azure_end_proposals(connection: IpsecConnection) -> Proposals:
    """What the emulated Azure gateway configures: swanctl has one list per connection for both roles.

    Without a custom policy that list is Azure's responder list in Azure's order (its first six
    entries are Azure's initiator offers, in the same order), each PFS entry written so that it
    also accepts the cipher without a key exchange and so that a rekey this end starts carries
    none: what the gateway accepts is exactly Azure's responder list. A custom policy is one
    proposal each, PFS required as configured.
    """
    azure = azure_ipsec.azure_proposals(connection)
    optional = connection.ipsec_policy is None
    esp = tuple(dict.fromkeys(p.strongswan(pfs_optional=optional) for p in azure.esp_accepted))
    return Proposals(
        tuple(p.strongswan() for p in azure.ike), esp, AZURE_IKE_LIFETIME_S, azure.child_lifetime_s
    )


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
        "proposals": proposals(connection, appliance),
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
    azure = _azure_prefixes(topology)
    if connection.use_policy_based_traffic_selectors:
        return [str(p) for p in azure]
    if peer is not None and instances > 1:
        # Two SAs with 0.0.0.0/0 would share one policy (and one SA would carry both BGP sessions):
        # each tunnel narrows to its own BGP peer plus the VNet, which Azure accepts as proposed.
        return [f"{peer['azure']}/32", *(str(p) for p in azure)]
    return ["0.0.0.0/0"]


def _azure_prefixes(topology: Topology) -> tuple[IPv4Network, ...]:
    """The hub's address space and the spokes' that use its gateways: what the tunnel must carry."""
    from hybridnet.render.estate_plan import azure_prefixes

    return azure_prefixes(topology)


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


def render_estate(topology: Topology, shared_keys: dict[str, str] | None = None) -> dict[str, str]:
    """``<site>/<device>.swanctl.conf`` and ``<site>/<device>.tunnel.sh`` for every VPN end of every site,
    each with its own connection and key (``shared_keys``: connection name to key; else placeholders)."""
    from hybridnet.render.estate_devices import render_strongswan

    return render_strongswan(topology, shared_keys)
