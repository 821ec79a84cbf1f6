"""The estate's device configs, per vendor: ``<site>/<device>.<suffix>`` from ``estate_plan``'s plans.

FRR + Linux (``--vendor frr``): ``<device>.frr.conf`` for every device, and ``<device>.nftables.conf``
for a firewall (a stateful nftables ruleset: established/related accepted, invalid dropped).
strongSwan (``--vendor strongswan``): ``<device>.swanctl.conf`` and ``<device>.tunnel.sh`` for every VPN
end (the legacy templates, one IKE SA per Azure gateway instance). The four files of one device use the
same interface names (``wan``, ``ipsec0``, ``link<N>``, ``lan<N>``, ``er``), so a device that is firewall,
VPN end and core router at once runs them side by side in one namespace, as the lab will.
IOS-XE and Junos get one file per device, every role in it: a zone-based firewall on IOS-XE, security
zones and policies on Junos (an SRX, naturally a stateful firewall and VPN end).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from hybridnet.model import IpsecPolicy, Topology, azure_ipsec
from hybridnet.render.device_context import _checked_secret
from hybridnet.render.estate_plan import DevicePlan, file_name, plan_estate, secret_for
from hybridnet.render.strongswan import AZURE_IKE_LIFETIME_S, Proposals, _quoted
from hybridnet.render.templating import template

TUNNEL_INTERFACE = "ipsec0"


def frr_interfaces(plan: DevicePlan) -> dict[str, str]:
    """Linux interface names (at most 15 characters whatever the device and link names)."""
    names: dict[str, str] = {}
    links = lans = 0
    for port in plan.ports:
        if port.kind in ("er", "wan"):
            names[port.key] = port.kind
        elif port.kind == "link":
            names[port.key], links = f"link{links}", links + 1
        else:
            names[port.key], lans = f"lan{lans}", lans + 1
    return names


def _numbered(plan: DevicePlan, name: Callable[[int], str]) -> dict[str, str]:
    """Physical ports numbered in plan order (ExpressRoute, WAN, links, LANs)."""
    return {port.key: name(index) for index, port in enumerate(plan.ports)}


def _zones(plan: DevicePlan, names: dict[str, str], tunnels: list[str]) -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {"inside": [], "outside": [], "internet": []}
    for port in plan.ports:
        zones[port.zone].append(names[port.key])
    zones["outside"] += tunnels
    return zones


def render_frr(topology: Topology) -> dict[str, str]:
    files: dict[str, str] = {}
    for plan in plan_estate(topology):
        files.update({file_name(plan, suffix): text for suffix, text in device_frr_files(topology, plan).items()})
    return files


def device_frr_files(topology: Topology, plan: DevicePlan) -> dict[str, str]:
    """One device's ``frr.conf`` and, for a firewall, ``nftables.conf`` (suffix -> text): what
    ``render device --vendor frr`` writes for it, and what the lab runs on its node."""
    names = frr_interfaces(plan)
    context = {"topology": topology, "plan": plan, "ifname": names, "tunnel_interface": TUNNEL_INTERFACE}
    files = {"frr.conf": template("estate/frr.conf.j2").render(**context)}
    if plan.firewall is not None:
        zones = _zones(plan, names, [TUNNEL_INTERFACE] if plan.vpn else [])
        files["nftables.conf"] = template("estate/nftables.conf.j2").render(**context, zones=zones)
    return files


def render_strongswan(topology: Topology, shared_keys: dict[str, str] | None = None) -> dict[str, str]:
    files: dict[str, str] = {}
    for plan in plan_estate(topology):
        if plan.vpn is None:
            continue
        secret, placeholder = secret_for(plan.vpn.connection, shared_keys)
        files.update({file_name(plan, suffix): text
                      for suffix, text in device_strongswan_files(topology, plan, secret, placeholder).items()})
    return files


def device_strongswan_files(topology: Topology, plan: DevicePlan, secret: str, placeholder: bool = False
                            ) -> dict[str, str]:
    """One VPN end's ``swanctl.conf`` and ``tunnel.sh`` (suffix -> text) with ``secret`` as its key:
    the connection's key or the placeholder that names where it lives (``placeholder``) for users,
    the lab's key slot for the lab (substituted when the lab writes the file)."""
    vpn = plan.vpn
    if vpn is None:
        return {}
    connection = vpn.connection
    chosen = azure_ipsec.onprem_proposals(connection, vpn.own_policy)
    proposals = Proposals(tuple(p.strongswan() for p in chosen.ike),
                          tuple(p.strongswan() for p in chosen.esp_offered),
                          AZURE_IKE_LIFETIME_S, chosen.child_lifetime_s)
    tunnels = []
    for t in vpn.tunnels:
        peer = {"local": t.local_bgp, "azure": t.azure_bgp} if t.azure_bgp is not None else None
        if connection.use_policy_based_traffic_selectors:
            remote_ts = [str(p) for p in vpn.azure_prefixes]
        elif peer is not None and len(vpn.tunnels) > 1:
            remote_ts = [f"{t.azure_bgp}/32", *(str(p) for p in vpn.azure_prefixes)]
        else:
            remote_ts = ["0.0.0.0/0"]
        local_ts = ([str(p) for p in vpn.advertised] if connection.use_policy_based_traffic_selectors
                    else ["0.0.0.0/0"])
        tunnels.append({"name": ike_connection(t.index), "index": t.index, "public_ip": t.azure_public_ip,
                        "peer": peer, "local_ts": local_ts, "remote_ts": remote_ts})
    context = {
        "topology": topology,
        "appliance": SimpleNamespace(name=plan.name, public_ip=vpn.public_ip, ipsec_policy=vpn.own_policy),
        "connection": connection,
        "gateway": SimpleNamespace(name=vpn.gateway),
        "tunnels": tunnels,
        "proposals": proposals,
        "dpd_delay_s": vpn.dpd_delay_s,
        "wiring": SimpleNamespace(wan_interface="wan", tunnel_interface=TUNNEL_INTERFACE),
        "secret": _quoted(secret),
        "placeholder": placeholder,
        "secret_source": connection.shared_key.describe(),
    }
    return {
        "swanctl.conf": template("strongswan/swanctl.conf.j2").render(**context),
        "tunnel.sh": template("strongswan/tunnel.sh.j2").render(**context),
    }


def ike_connection(index: int) -> str:
    """The IKE connection (and child) name of the tunnel to Azure gateway instance ``index``."""
    return f"azure-{index}"


def render_vendor(
    topology: Topology,
    *,
    vendor: str,
    suffix: str,
    shared_keys: dict[str, str] | None,
    wan_next_hop: str,
    interface: Callable[[int], str],
    tunnel: Callable[[int], str],
    common: dict[str, object],
    vpn_settings: Callable[[IpsecPolicy | None], dict[str, object]],
) -> dict[str, str]:
    """IOS-XE or Junos: one file per device with every role it holds."""
    files: dict[str, str] = {}
    for plan in plan_estate(topology, wan_next_hop):
        names = _numbered(plan, interface)
        settings: dict[str, object] = {}
        secret, placeholder = "", True
        tunnels = []
        if plan.vpn is not None:
            settings = vpn_settings(plan.vpn.policy)
            secret, placeholder = secret_for(plan.vpn.connection, shared_keys)
            tunnels = [tunnel(t.index) for t in plan.vpn.tunnels]
        files[file_name(plan, suffix)] = template(f"estate/{vendor}.j2").render(
            topology=topology, plan=plan, ifname=names, zones=_zones(plan, names, tunnels),
            secret=_checked_secret(secret) if plan.vpn is not None else "", placeholder=placeholder,
            **common, **settings,
        )
    return files
