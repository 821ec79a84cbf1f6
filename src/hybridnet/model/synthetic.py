"""Synthetic estates of any size, built around the reference hub: what the scale benchmark brings up.

``synthetic_estate(sites, spokes)`` keeps the reference's hub (VNet, gateways, NSGs, load balancer,
workloads) and replaces its on-premises side by ``sites`` sites in the role form:

* one *ExpressRoute site* per circuit (``circuits``, one or two peering locations). The first is shaped
  like examples/estates/sites.yaml's HQ: a firewall cluster that is the LAN's core and the VPN end, and
  two edges on both links of its circuit (ExpressRoute first, the VPN as backup). The second is an
  ExpressRoute-only data centre: a core router and two edges. One site per circuit because a circuit link
  has one customer edge (the lab cables one CE to each MSEE);
* every other site a *VPN-only branch*: one router that is the core and the VPN end (every third one also
  holds the firewall role), with its own local network gateway, IPsec connection to the hub's
  active-active VPN gateway and one APIPA BGP address per gateway instance. Branches need to reach the first
  site (which has a VPN too, so the transit rule holds).

Every site has its own ASN and /20 address space with one LAN and one host; shared keys are environment
references (``HYBRIDNET_SYN_KEY_<n>``), so the lab generates them when unset. ``spokes`` spoke VNets each
have one subnet and one workload VM and use the hub's gateways (gateway transit on both sides).

The result is deterministic (same arguments, same topology), loads like a file (every load-time check
runs) and passes ``hybridnet check`` without errors; ``synthetic_yaml`` gives the YAML text to save.
"""

from __future__ import annotations

from io import StringIO
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ruamel.yaml import YAML

from hybridnet.model.loader import loads, reference_yaml
from hybridnet.model.topology import Topology

MAX_SITES = 253
"""VPN end k gets the APIPA BGP addresses 169.254.21.(k+2) and 169.254.22.(k+2) (the gateway instances hold
.1): 253 of them fit Azure's range."""
MAX_SPOKES = 1000
"""Spoke j takes 10.x.y.0/20 below 10.128.0.0 (sites take the /20s from 10.128.0.0 on)."""
PEERING_LOCATIONS = ("Silicon Valley", "Los Angeles")
SITE_ASN_BASE = 65100
SPOKE_NSG = "spoke-nsg"


def _block(base: int, index: int) -> IPv4Network:
    """The ``index``-th /20 from 10.<base>.0.0."""
    return IPv4Network((int(IPv4Address(f"10.{base}.0.0")) + index * 4096, 20))


def site_prefix(index: int) -> IPv4Network:
    return _block(128, index)


def spoke_prefix(index: int) -> IPv4Network:
    return _block(1, index)


def _split(sites: int, circuits: int | None, vpn_branches: int | None) -> tuple[int, int]:
    """(circuits, VPN-only branches), checked: every site is either on its own circuit or a branch."""
    if not 1 <= sites <= MAX_SITES:
        raise ValueError(f"sites must be 1..{MAX_SITES} (APIPA addresses for the VPN ends), got {sites}")
    if circuits is None:
        circuits = min(len(PEERING_LOCATIONS), sites) if vpn_branches is None else sites - vpn_branches
    if vpn_branches is None:
        vpn_branches = sites - circuits
    if not 1 <= circuits <= len(PEERING_LOCATIONS):
        raise ValueError(f"circuits must be 1..{len(PEERING_LOCATIONS)}, got {circuits}")
    if circuits + vpn_branches != sites:
        raise ValueError(f"{circuits} circuit site(s) + {vpn_branches} VPN branch(es) != {sites} sites: each "
                         "circuit carries one site (one edge per circuit link), every other site is a VPN branch")
    return circuits, vpn_branches


def _vpn_end(ordinal: int, site: str, asn: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(vpn role block, local network gateway, IPsec connection) of the ``ordinal``-th VPN end."""
    public_ip = f"40.50.{60 + ordinal // 100}.{70 + ordinal % 100}"
    bgp = [f"169.254.21.{ordinal + 2}", f"169.254.22.{ordinal + 2}"]
    lng = f"{site}-lgw"
    role = {"public_ip": public_ip, "bgp_addresses": bgp, "local_network_gateway": lng, "local_preference": 100}
    gateway = {"name": lng, "gateway_ip": public_ip, "address_prefixes": [],
               "bgp": {"asn": asn, "peer_address": bgp[0]}}
    connection = {"type": "IPsec", "name": f"{site}-vpn-cn", "vpn_gateway": "ra-hybrid-vpn-vgw",
                  "local_network_gateway": lng, "shared_key": {"env": f"HYBRIDNET_SYN_KEY_{ordinal}"},
                  "connection_protocol": "IKEv2", "enable_bgp": True, "dpd_timeout_s": 45,
                  "tcp_mss_clamp": 1350, "tunnel_mtu": 1400}
    return role, gateway, connection


def _circuit(index: int, asn: int) -> dict[str, Any]:
    base = int(IPv4Address("172.16.0.0")) + 8 * index
    return {
        "name": f"c{index + 1}-erc", "service_provider": "Equinix", "peering_location": PEERING_LOCATIONS[index],
        "bandwidth_mbps": 50, "sku_tier": "Premium", "sku_family": "UnlimitedData",
        "private_peering": {
            "peer_asn": asn, "primary_prefix": f"{IPv4Address(base)}/30",
            "secondary_prefix": f"{IPv4Address(base + 4)}/30", "vlan_id": 300 + index,
            "bgp_timers": {"keepalive_s": 60, "hold_s": 180},
            "bfd": {"enabled": True, "interval_ms": 300, "multiplier": 3},
        },
    }


def synthetic_document(sites: int, spokes: int, circuits: int | None = None,
                       vpn_branches: int | None = None) -> dict[str, Any]:
    """The estate as a plain YAML document (see the module docstring)."""
    circuits, vpn_branches = _split(sites, circuits, vpn_branches)
    if not 0 <= spokes <= MAX_SPOKES:
        raise ValueError(f"spokes must be 0..{MAX_SPOKES}, got {spokes}")
    document: dict[str, Any] = YAML(typ="safe").load(reference_yaml())
    for key in ("onprem", "circuit", "local_network_gateways", "connections"):
        document.pop(key, None)
    document["name"] = f"synthetic-{sites}s{spokes}v{circuits}c"
    document["description"] = (f"Synthetic estate: {sites} site(s) ({circuits} on ExpressRoute, {vpn_branches} "
                               f"VPN-only), {spokes} spoke VNet(s), around the reference hub.")
    site_docs: list[dict[str, Any]] = []
    circuit_docs: list[dict[str, Any]] = []
    lngs: list[dict[str, Any]] = []
    connections: list[dict[str, Any]] = []
    vpn_ordinal = 0
    for index in range(sites):
        name, asn, space = f"s{index + 1}", SITE_ASN_BASE + index, site_prefix(index)
        lan = IPv4Network((space.network_address, 24))
        site: dict[str, Any] = {
            "name": name, "asn": asn, "address_space": [str(space)],
            "subnets": [{"name": "lan", "prefix": str(lan),
                         "hosts": [{"name": f"{name}-host1", "address": str(lan.network_address + 10)}]}],
        }
        if index < circuits:
            circuit = _circuit(index, asn)
            circuit_docs.append(circuit)
            connections.append({"type": "ExpressRoute", "name": f"c{index + 1}-er-cn", "gateway": "ra-hybrid-er-vgw",
                                "circuit": circuit["name"], "routing_weight": 0})
            edges = [{"name": f"{name}-ce{n + 1}", "roles": ["edge"],
                      "edge": {"circuit": circuit["name"], "link": link, "local_preference": 150}}
                     for n, link in enumerate(("primary", "secondary"))]
            if index == 0:  # HQ: the firewall cluster is core and VPN end, ExpressRoute first
                role, lng, connection = _vpn_end(vpn_ordinal, name, asn)
                vpn_ordinal += 1
                lngs.append(lng)
                connections.append(connection)
                core = {"name": f"{name}-fw", "roles": ["core", "firewall", "vpn"],
                        "firewall": {"stateful": True, "ha_pair": True}, "vpn": role}
            else:  # a data centre on ExpressRoute only
                core = {"name": f"{name}-core", "roles": ["core"]}
            site["devices"] = [core, *edges]
        else:
            role, lng, connection = _vpn_end(vpn_ordinal, name, asn)
            vpn_ordinal += 1
            lngs.append(lng)
            connections.append(connection)
            roles = ["core", "firewall", "vpn"] if (index - circuits) % 3 == 2 else ["core", "vpn"]
            site["devices"] = [{"name": f"{name}-rtr", "roles": roles, "vpn": role}]
            site["reach"] = ["s1"]
        site_docs.append(site)
    document["sites"] = site_docs
    document["circuit"] = circuit_docs[0]
    if circuit_docs[1:]:
        document["circuits"] = circuit_docs[1:]
    document["local_network_gateways"] = lngs
    document["connections"] = connections
    if spokes:
        onprem = ["10.128.0.0/9"]
        document["nsgs"].append({"name": SPOKE_NSG, "rules": [
            {"name": "allow-app-from-onprem", "priority": 100, "access": "Allow", "protocol": "Tcp",
             "source": onprem[0], "destination_port": "8080"},
            {"name": "allow-icmp", "priority": 120, "access": "Allow", "protocol": "Icmp",
             "source": "VirtualNetwork"},
            {"name": "deny-other-vnet-inbound", "priority": 4000, "access": "Deny", "protocol": "*",
             "source": "VirtualNetwork"},
        ]})
    spoke_docs = []
    for index in range(spokes):
        name, space = f"spoke{index + 1}", spoke_prefix(index)
        subnet = IPv4Network((space.network_address, 24))
        spoke_docs.append({
            "name": name, "address_space": [str(space)],
            "subnets": [{"name": "app", "prefix": str(subnet), "nsg": SPOKE_NSG}],
            "peering": {"hub": {"allow_gateway_transit": True, "allow_forwarded_traffic": False},
                        "spoke": {"use_remote_gateways": True, "allow_forwarded_traffic": False}},
        })
        document["workloads"].append({"name": f"{name}-vm1", "vnet": name, "subnet": "app",
                                      "address": str(subnet.network_address + 4), "port": 8080})
    if spoke_docs:
        document["spokes"] = spoke_docs
    return document


def synthetic_yaml(sites: int, spokes: int, circuits: int | None = None, vpn_branches: int | None = None) -> str:
    """The estate as YAML text (``hybridnet up FILE`` takes it)."""
    stream = StringIO()
    writer = YAML()
    writer.default_flow_style = None
    writer.dump(synthetic_document(sites, spokes, circuits, vpn_branches), stream)
    return stream.getvalue()


def synthetic_estate(sites: int, spokes: int, circuits: int | None = None,
                     vpn_branches: int | None = None) -> Topology:
    """An estate of ``sites`` on-prem sites and ``spokes`` spoke VNets around the reference hub.

    ``circuits`` (1 or 2; default: 2 when there are two sites or more) sites are on ExpressRoute, one per
    circuit; the other ``vpn_branches`` sites are VPN-only branches (default: all the rest). ValueError
    when the counts do not add up or exceed what the addressing plan holds."""
    text = synthetic_yaml(sites, spokes, circuits, vpn_branches)
    return loads(text, source=f"<synthetic estate: {sites} sites, {spokes} spokes>")
