"""What Azure cannot know: the on-premises side, secrets and device-side settings.

Azure holds the local network gateway (the VPN device's public IP, its BGP ASN and address) and the
private peering (the customer's ASN and /30s), but nothing about the routers themselves, their local
preference, the on-prem subnets, the tunnel MTU, BGP/BFD timers on the customer side, or the keys.
Those come from a topology file the user gives (``--onprem FILE``), or are defaulted here, each
default recorded in the report so that nothing assumed goes unnoticed.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

from hybridnet.importer.report import ImportReport
from hybridnet.model import Topology

DEFAULT_ONPREM_SPACE = "192.168.0.0/16"
DEFAULT_ONPREM_ASN = 65010

# Model fields no Azure resource carries: a round trip through ARM keeps everything else.
NOT_CARRIED_BY_AZURE = (
    "onprem",
    "sites (Azure knows a site only by its circuits' peerings and its local network gateways)",
    "description",
    "workloads (VMs that are not members of an IP-addressed load-balancer backend pool)",
    "connections[IPsec].shared_key / tcp_mss_clamp / tunnel_mtu",
    "circuit(s).private_peering.bgp_timers / bfd / md5_key (customer-side settings and secrets)",
    "gateways[Vpn].bgp.timers",
    "public IP addresses and gateway BGP addresses (assigned by Azure when deployed; an export has them)",
)


def default_onprem(document: dict[str, Any], report: ImportReport) -> dict[str, Any]:
    """An on-prem side consistent with what Azure knows (LNG, peering), the rest defaulted."""
    lngs = document.get("local_network_gateways") or []
    peering = (document.get("circuit") or {}).get("private_peering")
    lng = lngs[0] if lngs else None
    asn = (lng or {}).get("bgp", {}).get("asn") or (peering or {}).get("peer_asn")
    if asn is None:
        asn = DEFAULT_ONPREM_ASN
        report.assume("onprem.asn", f"no BGP ASN for on-prem in Azure: {DEFAULT_ONPREM_ASN} assumed")
    peer = (lng or {}).get("bgp", {}).get("peer_address")
    space = [p for p in (lng or {}).get("address_prefixes") or [] if peer is None or str(p) != f"{peer}/32"]
    if not space:
        space = [DEFAULT_ONPREM_SPACE]
        report.assume(
            "onprem.address_space",
            f"Azure learns the on-prem prefixes over BGP and does not store "
            f"them: {DEFAULT_ONPREM_SPACE} assumed (give --onprem FILE with the real ones)",
        )
    onprem: dict[str, Any] = {"name": "onprem", "asn": asn, "address_space": space}
    if peering is not None:
        onprem["edge_routers"] = [
            {"name": "onprem-ce1", "link": "primary", "local_preference": 150},
            {"name": "onprem-ce2", "link": "secondary", "local_preference": 150},
        ]
        report.assume(
            "onprem.edge_routers",
            "two customer-edge routers (primary, secondary link) with local "
            "preference 150 for ExpressRoute routes assumed",
        )
    if lng is not None and lng.get("gateway_ip") is None:
        report.assume(
            "onprem.vpn_appliance",
            f"local network gateway {lng['name']} has no known address: no VPN appliance assumed "
            "(give --onprem FILE)",
        )
    elif lng is not None:
        onprem["vpn_appliance"] = {
            "name": "onprem-vpn",
            "public_ip": lng["gateway_ip"],
            "bgp_addresses": appliance_bgp_addresses(document, lng),
        }
        report.assume(
            "onprem.vpn_appliance",
            f"the VPN device is the local network gateway's address "
            f"{lng['gateway_ip']}; local preference 100, no AS-path prepend assumed",
        )
    return onprem


def appliance_bgp_addresses(document: dict[str, Any], lng: dict[str, Any]) -> list[str]:
    """The LNG holds one BGP address; with an active-active gateway on APIPA addresses the device has a
    second one, by convention the gateway instance's address plus one."""
    bgp = lng.get("bgp")
    if bgp is None:
        return []
    addresses = [str(bgp["peer_address"])]
    vpn = next((g for g in document.get("gateways") or [] if g["type"] == "Vpn"), None)
    for instance in (vpn or {}).get("instances", [])[1:]:
        apipa = instance.get("apipa_addresses") or []
        if apipa:
            addresses.append(str(IPv4Address(apipa[0]) + 1))
    return addresses


def overlay(document: dict[str, Any], base: Topology, report: ImportReport) -> None:
    """Fill in what Azure does not carry from the user's topology file, matching objects by name."""
    known = base.model_dump()
    document["onprem"] = known["onprem"]
    document["sites"] = known["sites"]
    document.setdefault("description", known["description"])
    imported = {w["name"] for w in document.get("workloads", [])}
    by_name = {w["name"]: w for w in known["workloads"]}
    document["workloads"] = [by_name.get(w["name"], w) for w in document.get("workloads", [])]
    document["workloads"] += [w for w in known["workloads"] if w["name"] not in imported]
    connections = {c["name"]: c for c in known["connections"]}
    for connection in document.get("connections", []):
        mine = connections.get(connection["name"])
        if connection["type"] == "IPsec" and mine is not None and mine["type"] == "IPsec":
            for key in ("shared_key", "tcp_mss_clamp", "tunnel_mtu"):
                connection[key] = mine[key]
    _overlay_gateways(document, known)
    _overlay_circuits(document, known)
    for key in ("spokes", "nsgs", "route_tables", "gateways", "local_network_gateways", "connections",
                "load_balancers"):
        _in_file_order(document, known, key)
    report.assume("onprem" if base.onprem is not None or not base.sites else "sites",
                  f"taken from {base.source or 'the given topology'}")


def _in_file_order(document: dict[str, Any], known: dict[str, Any], key: str) -> None:
    """The user's file's order of a list of named objects, when the same names were imported: resources
    spread over several files (hub and spokes in their own groups) come in file order, not the topology's."""
    imported, order = document.get(key) or [], [item["name"] for item in known[key]]
    if sorted(item["name"] for item in imported) == sorted(order):
        imported.sort(key=lambda item: order.index(item["name"]))


def _overlay_circuits(document: dict[str, Any], known: dict[str, Any]) -> None:
    """Each circuit's customer-side peering settings by name, and the file's order of the circuits (which
    one is ``circuit``) when the same circuits were imported."""
    mine = {c["name"]: c for c in (known["circuit"], *known["circuits"]) if c}
    imported = [c for c in (document.get("circuit"), *(document.get("circuits") or [])) if c]
    for circuit in imported:
        peering, theirs = circuit.get("private_peering"), (mine.get(circuit["name"]) or {}).get("private_peering")
        if peering is not None and theirs is not None:
            for key in ("bgp_timers", "bfd", "md5_key"):
                peering[key] = theirs[key]
    if imported and sorted(c["name"] for c in imported) == sorted(mine):
        order = list(mine)
        imported.sort(key=lambda c: order.index(c["name"]))
        document["circuit"], document["circuits"] = imported[0], imported[1:]


def _overlay_gateways(document: dict[str, Any], known: dict[str, Any]) -> None:
    gateways = {g["name"]: g for g in known["gateways"]}
    addresses = {p["name"]: p.get("address") for g in known["gateways"] for p in _pips(g)}
    for gateway in document.get("gateways", []):
        for pip in _pips(gateway):
            if pip.get("address") is None and addresses.get(pip["name"]) is not None:
                pip["address"] = addresses[pip["name"]]
        mine = gateways.get(gateway["name"])
        if gateway["type"] != "Vpn" or mine is None or mine["type"] != "Vpn":
            continue
        if gateway.get("bgp") is not None and mine["bgp"] is not None:
            gateway["bgp"]["timers"] = mine["bgp"]["timers"]
        for instance, known_instance in zip(gateway["instances"], mine["instances"], strict=False):
            if instance.get("bgp_address") is None:
                instance["bgp_address"] = known_instance["bgp_address"]


def _pips(gateway: dict[str, Any]) -> list[dict[str, Any]]:
    if gateway["type"] == "ExpressRoute":
        return [gateway["public_ip"]] if gateway.get("public_ip") else []
    return [instance["public_ip"] for instance in gateway.get("instances", [])]


def azure_side(topology: Topology) -> dict[str, Any]:
    """The topology without what Azure cannot carry (see NOT_CARRIED_BY_AZURE): what a round trip
    through an ARM template must preserve exactly."""
    data = topology.model_dump(mode="json", exclude={"onprem", "sites", "description"})
    pooled = {name for lb in topology.load_balancers for name in lb.backend_pool}
    data["workloads"] = [w for w in data["workloads"] if w["name"] in pooled]
    for connection in data["connections"]:
        if connection["type"] == "IPsec":
            for key in ("shared_key", "tcp_mss_clamp", "tunnel_mtu"):
                connection.pop(key)
    for circuit in (data["circuit"], *data["circuits"]):
        peering = (circuit or {}).get("private_peering")
        if peering is not None:
            for key in ("bgp_timers", "bfd", "md5_key"):
                peering.pop(key)
    for gateway in data["gateways"]:
        for pip in _pips(gateway):
            pip.pop("address", None)
        if gateway["type"] == "Vpn":
            if gateway["bgp"] is not None:
                gateway["bgp"].pop("timers")
            for instance in gateway["instances"]:
                instance.pop("bgp_address")
    return data
