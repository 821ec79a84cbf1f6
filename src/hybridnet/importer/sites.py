"""On-premises sites derived from what Azure knows of them, when there is more than one way in.

Azure knows a site only by its traces: each circuit's private peering (the customer's ASN) and each local
network gateway (the VPN device's public IP, its BGP ASN and address). One ASN is one site (a site runs one
ASN, see ``model.estate``), so the traces are grouped by ASN: a site gets two edge routers per circuit
peering with its ASN and one VPN device per local network gateway with it, behind a core router. Everything
else (names, local preferences, address spaces when the gateway lists none) is assumed and reported, as the
single-site derivation in ``onprem`` does.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Any

from hybridnet.importer.onprem import DEFAULT_ONPREM_ASN, DEFAULT_ONPREM_SPACE, appliance_bgp_addresses
from hybridnet.importer.report import ImportReport

ASSUMED_SPACES = (DEFAULT_ONPREM_SPACE, *(f"10.{n}.0.0/16" for n in range(200, 256)))
LNG_SUFFIXES = ("-lgw", "-lng", "-gw", "_lgw", "_lng")


def needs_sites(document: dict[str, Any]) -> bool:
    """More than one circuit, more than one local network gateway, or a gateway and a circuit of different
    ASNs: more than the single ``onprem`` block can say."""
    circuits = _circuits(document)
    lngs = document.get("local_network_gateways") or []
    if len(circuits) > 1 or len(lngs) > 1:
        return True
    asns = {_circuit_asn(c) for c in circuits} | {(lng.get("bgp") or {}).get("asn") for lng in lngs}
    return len(asns - {None}) > 1


def derived_sites(document: dict[str, Any], report: ImportReport) -> list[dict[str, Any]]:
    """One site per on-prem ASN, in the order Azure names them: the circuits' first, then the gateways'."""
    groups: dict[int, dict[str, list[dict[str, Any]]]] = {}
    next_asn = DEFAULT_ONPREM_ASN + 90
    for circuit in _circuits(document):
        asn = _circuit_asn(circuit)
        if asn is None:
            report.assume(f"circuits.{circuit['name']}", "no private peering: no on-prem edge routers derived for it")
            continue
        groups.setdefault(asn, {"circuits": [], "lngs": []})["circuits"].append(circuit)
    for lng in document.get("local_network_gateways") or []:
        asn = (lng.get("bgp") or {}).get("asn")
        if asn is None:
            while next_asn in groups:
                next_asn += 1
            asn = next_asn
            report.assume(f"sites.{lng['name']}.asn", f"local network gateway {lng['name']} has no BGP settings: "
                          f"its site's ASN {asn} assumed (give --onprem FILE)")
        groups.setdefault(asn, {"circuits": [], "lngs": []})["lngs"].append(lng)
    used_spaces: list[IPv4Network] = [IPv4Network(p) for v in _vnets(document) for p in v["address_space"]]
    names: set[str] = set()
    return [_site(asn, group, document, used_spaces, names, report) for asn, group in groups.items()]


def _site(asn: int, group: dict[str, list[dict[str, Any]]], document: dict[str, Any],
          used_spaces: list[IPv4Network], names: set[str], report: ImportReport) -> dict[str, Any]:
    lngs = group["lngs"]
    name = _unique(_site_name(lngs[0]["name"]) if lngs else f"site-{asn}", names)
    devices: list[dict[str, Any]] = [{"name": f"{name}-core", "roles": ["core"]}]
    edges = 0
    for circuit in group["circuits"]:
        for link in ("primary", "secondary"):
            edges += 1
            devices.append({"name": f"{name}-ce{edges}", "roles": ["edge"],
                            "edge": {"circuit": circuit["name"], "link": link, "local_preference": 150}})
    for index, lng in enumerate(lngs):
        if lng.get("gateway_ip") is None:
            report.assume(f"sites.{name}", f"local network gateway {lng['name']} has no known address: no VPN "
                          "device derived for it (give --onprem FILE)")
            continue
        vpn = {"public_ip": lng["gateway_ip"], "bgp_addresses": appliance_bgp_addresses(document, lng),
               "local_network_gateway": lng["name"], "local_preference": 100}
        suffix = f"{index + 1}" if len(lngs) > 1 else ""
        devices.append({"name": f"{name}-vpn{suffix}", "roles": ["vpn"], "vpn": vpn})
    space = [p for lng in lngs for p in _lng_space(lng)]
    if not space:
        space = [_free_space(used_spaces)]
        report.assume(f"sites.{name}.address_space", f"Azure learns the on-prem prefixes over BGP and does not "
                      f"store them: {space[0]} assumed (give --onprem FILE with the real ones)")
    used_spaces += [IPv4Network(p) for p in space]
    report.assume(f"sites.{name}", f"site of ASN {asn}: a core router, two edge routers per circuit "
                  "(local preference 150) and one VPN device per local network gateway (local preference 100) "
                  "assumed")
    return {"name": name, "asn": asn, "address_space": space, "devices": devices}


def _circuits(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in (document.get("circuit"), *(document.get("circuits") or [])) if c]


def _circuit_asn(circuit: dict[str, Any]) -> int | None:
    return (circuit.get("private_peering") or {}).get("peer_asn")


def _vnets(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [document["vnet"], *(document.get("spokes") or [])]


def _lng_space(lng: dict[str, Any]) -> list[str]:
    peer = (lng.get("bgp") or {}).get("peer_address")
    return [str(p) for p in lng.get("address_prefixes") or [] if peer is None or str(p) != f"{peer}/32"]


def _free_space(used: list[IPv4Network]) -> str:
    """The first assumed space that overlaps no VNet and no other site: assumed sites never collide."""
    return next((s for s in ASSUMED_SPACES if not any(IPv4Network(s).overlaps(u) for u in used)),
                ASSUMED_SPACES[-1])


def _site_name(lng_name: str) -> str:
    for suffix in LNG_SUFFIXES:
        if lng_name.lower().endswith(suffix) and len(lng_name) > len(suffix):
            lng_name = lng_name[: -len(suffix)]
            break
    return re.sub(r"[^A-Za-z0-9-]+", "-", lng_name).strip("-")[:30] or "site"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate
