"""Estates: what spoke VNets, several circuits and several on-premises sites can get wrong.

These rules read the role form of every site (``Topology.all_sites``: the legacy ``onprem`` converted,
then ``sites``) and every circuit (``all_circuits``), so they apply to the reference shape too; on the
reference they find nothing. Model paths point at what the user wrote (``sites.1.devices.0``); a
finding about the legacy ``onprem`` points at ``onprem``.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from hybridnet.model import Topology
from hybridnet.model.estate import Site, SiteDevice
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import connection_path, gateway_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import (
    ER_ASYMMETRIC,
    ER_DR,
    ER_GATEWAYS,
    ER_OPTIMIZE,
    ER_ROUTING,
    PEERING_TRANSIT,
    ROUTE_SERVER,
)

CIRCUITS_PER_ER_GATEWAY = {"Standard": 4, "ErGw1AZ": 4, "HighPerformance": 8, "ErGw2AZ": 8,
                           "UltraPerformance": 16, "ErGw3AZ": 16}
"""Circuits one ExpressRoute gateway connects (Learn, About ExpressRoute virtual network gateways)."""


def _site_path(topology: Topology, site: Site) -> str:
    if topology.onprem is not None and site.name == topology.onprem.name and site not in topology.sites:
        return "onprem"
    return f"sites.{topology.sites.index(site)}"


def _device_path(topology: Topology, site: Site, device: SiteDevice) -> str:
    base = _site_path(topology, site)
    if base == "onprem":
        return "onprem"
    return f"{base}.devices.{site.devices.index(device)}"


def _has_er(site: Site) -> bool:
    return bool(site.with_role("edge"))


def _has_vpn(site: Site) -> bool:
    return bool(site.with_role("vpn"))


@rule("HN-EST-001", "Gateway transit is set on both sides of each hub-spoke peering", Severity.ERROR,
      PEERING_TRANSIT)
def transit_flags_pair(topology: Topology) -> Iterator[Problem]:
    """A spoke reaches on-premises through the hub's gateways only when the hub side allows gateway transit
    and the spoke side uses remote gateways. Azure refuses use_remote_gateways when the hub does not allow
    transit (error); a hub that allows it while the spoke does not use it leaves the spoke cut off from
    on-premises (warning: it may be meant)."""
    for index, spoke in enumerate(topology.spokes):
        hub, side = spoke.peering.hub, spoke.peering.spoke
        if side.use_remote_gateways and not hub.allow_gateway_transit:
            yield Problem(f"spokes.{index}.peering.spoke.use_remote_gateways",
                          f"spoke {spoke.name} uses remote gateways but the hub's side of the peering does not "
                          "allow gateway transit: Azure refuses the peering",
                          "set peering.hub.allow_gateway_transit: true")
        elif hub.allow_gateway_transit and not side.use_remote_gateways and spoke.own_gateway is None:
            yield Problem(f"spokes.{index}.peering.spoke.use_remote_gateways",
                          f"the hub allows gateway transit to spoke {spoke.name}, but the spoke does not use "
                          "remote gateways: on-premises cannot reach it and it cannot reach on-premises",
                          "set peering.spoke.use_remote_gateways: true (or drop allow_gateway_transit if the "
                          "spoke is meant to be isolated)", Severity.WARNING)


@rule("HN-EST-002", "A spoke with its own gateway does not use remote gateways", Severity.ERROR, PEERING_TRANSIT)
def own_gateway_and_remote(topology: Topology) -> Iterator[Problem]:
    """Azure refuses use_remote_gateways on the peering of a VNet that has its own virtual network gateway."""
    for index, spoke in enumerate(topology.spokes):
        own = spoke.own_gateway or next((g.name for g in topology.gateways if g.vnet == spoke.name), None)
        if own is not None and spoke.peering.spoke.use_remote_gateways:
            yield Problem(f"spokes.{index}.peering.spoke.use_remote_gateways",
                          f"spoke {spoke.name} has its own gateway {own} and use_remote_gateways: Azure refuses "
                          "the peering", "remove the spoke's gateway, or set use_remote_gateways: false")


@rule("HN-EST-003", "Address spaces of VNets and sites do not overlap", Severity.ERROR, PEERING_TRANSIT)
def estate_address_overlap(topology: Topology) -> Iterator[Problem]:
    """Every VNet prefix is advertised to every site and every site prefix to Azure; an overlap (hub, spokes
    and sites alike) makes part of one side unreachable, and Azure refuses to peer VNets whose address
    spaces overlap. (The legacy onprem against the hub is HN-ADDR-001.)"""
    spaces: list[tuple[str, str, IPv4Network]] = []
    for v_index, vnet in enumerate(topology.all_vnets):
        base = "vnet" if v_index == 0 else f"spokes.{v_index - 1}"
        spaces += [(f"{base}.address_space.{i}", f"VNet {vnet.name}", p) for i, p in enumerate(vnet.address_space)]
    for site in topology.all_sites:
        base = _site_path(topology, site)
        spaces += [(f"{base}.address_space.{i}", f"site {site.name}", p) for i, p in enumerate(site.address_space)]
    for later in range(len(spaces)):
        for earlier in range(later):
            (path, owner, prefix), (_, other, other_prefix) = spaces[later], spaces[earlier]
            if owner == other or not prefix.overlaps(other_prefix):
                continue
            legacy_pair = {path.split(".")[0], spaces[earlier][0].split(".")[0]} == {"onprem", "vnet"}
            if not legacy_pair:
                yield Problem(path, f"{owner} {prefix} overlaps {other} {other_prefix}",
                              "renumber one of them; every VNet and site needs its own range")


@rule("HN-EST-004", "The ExpressRoute gateway's SKU connects that many circuits", Severity.ERROR, ER_GATEWAYS)
def circuits_per_gateway(topology: Topology) -> Iterator[Problem]:
    """Standard/ErGw1AZ connect 4 circuits, HighPerformance/ErGw2AZ 8, UltraPerformance/ErGw3AZ 16; Azure
    refuses the connection beyond the limit."""
    for gateway in topology.er_gateways:
        circuits = {c.circuit for c in topology.er_connections if c.gateway == gateway.name}
        limit = CIRCUITS_PER_ER_GATEWAY.get(gateway.sku)
        if limit is not None and len(circuits) > limit:
            yield Problem(f"{gateway_path(topology, gateway)}.sku",
                          f"ExpressRoute gateway {gateway.name} ({gateway.sku}) connects {len(circuits)} circuits; "
                          f"the SKU allows {limit}", "use a larger SKU (ErGw2AZ: 8, ErGw3AZ: 16)")


@rule("HN-EST-005", "Circuits are in different peering locations", Severity.WARNING, ER_DR)
def circuits_in_distinct_locations(topology: Topology) -> Iterator[Problem]:
    """Two circuits in one peering location fail together when that location does: no site resilience.
    Microsoft's maximum-resiliency design puts them in two locations."""
    seen: dict[str, str] = {}
    circuits = topology.all_circuits
    for index, circuit in enumerate(circuits):
        path = "circuit" if topology.circuit is not None and index == 0 else \
            f"circuits.{index - (1 if topology.circuit is not None else 0)}"
        key = circuit.peering_location.strip().lower()
        if key in seen:
            yield Problem(f"{path}.peering_location",
                          f"circuit {circuit.name} is in {circuit.peering_location}, like {seen[key]}: one peering "
                          "location failure takes both down", "order the second circuit in another peering location")
        else:
            seen[key] = circuit.name


@rule("HN-EST-006", "The choice between circuits is not a tie", Severity.WARNING, ER_OPTIMIZE)
def circuit_choice_tie(topology: Topology) -> Iterator[Problem]:
    """With several circuits carrying the same prefixes, Azure picks by connection routing_weight, then AS-path
    length; on-premises by local preference, then AS path. Equal weights and no prepend (or equal local
    preference on-prem) leave the choice to tie-breaks: traffic may leave by one circuit and return by the
    other, through different peering locations and stateful devices."""
    for site in topology.all_sites:
        by_circuit: dict[str, list[SiteDevice]] = {}
        for device in site.with_role("edge"):
            assert device.edge is not None
            name = device.edge.circuit or (topology.circuit.name if topology.circuit is not None else "")
            by_circuit.setdefault(name, []).append(device)
        if len(by_circuit) < 2:
            continue
        weights = {name: max((c.routing_weight for c in topology.er_connections if c.circuit == name), default=0)
                   for name in by_circuit}
        prepends = {name: min(d.edge.as_path_prepend for d in devs if d.edge) for name, devs in by_circuit.items()}
        prefs = {name: max(d.edge.local_preference for d in devs if d.edge) for name, devs in by_circuit.items()}
        path = _site_path(topology, site)
        names = sorted(by_circuit)
        if len(set(weights.values())) == 1 and len(set(prepends.values())) == 1:
            yield Problem(path, f"site {site.name}'s circuits {', '.join(names)} have equal connection weights "
                          f"({next(iter(weights.values()))}) and equal AS-path prepends: Azure's choice is a tie",
                          "give the primary circuit's connection a higher routing_weight (or prepend on the "
                          "secondary circuit's edges)")
        if len(set(prefs.values())) == 1:
            yield Problem(path, f"site {site.name}'s edges on circuits {', '.join(names)} have equal local "
                          f"preference ({next(iter(prefs.values()))}): on-premises' choice is a tie",
                          "give the primary circuit's edges a higher local_preference")


@rule("HN-EST-007", "VPN-only and ExpressRoute-only sites do not expect transit through Azure", Severity.ERROR,
      ROUTE_SERVER)
def no_transit_between_er_and_vpn_sites(topology: Topology) -> Iterator[Problem]:
    """Without Azure Route Server the hub does not pass routes between its ExpressRoute and VPN
    connections: a VPN-only branch cannot reach an ExpressRoute-only site through Azure (and the reverse).
    A site's ``reach`` list states what it expects; an unknown name in it is an error too."""
    sites = {site.name: site for site in topology.all_sites}
    for site in topology.all_sites:
        for index, target_name in enumerate(site.reach):
            path = f"{_site_path(topology, site)}.reach.{index}"
            target = sites.get(target_name)
            if target is None:
                yield Problem(path, f"site {site.name} expects to reach {target_name!r}, which is not a site",
                              "name a site of 'sites' (or the onprem block)")
                continue
            vpn_only = _has_vpn(site) and not _has_er(site)
            er_only = _has_er(target) and not _has_vpn(target)
            if (vpn_only and er_only) or (_has_er(site) and not _has_vpn(site) and _has_vpn(target)
                                          and not _has_er(target)):
                yield Problem(path, f"site {site.name} expects to reach {target.name} through Azure, but one "
                              "connects by VPN only and the other by ExpressRoute only: Azure does not transit "
                              "between them without Route Server",
                              "give one site the other's kind of connection, deploy Azure Route Server with "
                              "branch-to-branch enabled, or drop the expectation")


def _firewalls_on(site: Site, exit_device: SiteDevice) -> set[str]:
    """Stateful firewalls on the way from the LAN to one exit device (shortest paths)."""
    paths = [p for p in site.paths_out("edge") + site.paths_out("vpn") if p[-1] == exit_device.name]
    if not paths:
        return set()
    shortest = min(len(p) for p in paths)
    found: set[str] = set()
    for path in paths:
        if len(path) == shortest:
            found |= {name for name in path if (d := site.device(name)) is not None and d.is_stateful_firewall}
    return found


@rule("HN-EST-008", "ExpressRoute and VPN leave a site through the same stateful firewall", Severity.WARNING,
      ER_ASYMMETRIC)
def firewall_asymmetry(topology: Topology) -> Iterator[Problem]:
    """A stateful firewall drops a reply it did not see leave. When a site's ExpressRoute edges and its VPN
    device sit behind different firewalls, a flow that goes out by one path and returns by the other
    (during a failover, or whenever the two sides' preferences disagree) crosses two firewalls and dies."""
    for site in topology.all_sites:
        exits = [*site.with_role("edge"), *site.with_role("vpn")]
        sets = {device.name: _firewalls_on(site, device) for device in exits}
        walls = {name for found in sets.values() for name in found}
        if len(walls) < 2:
            continue
        groups = sorted({", ".join(sorted(found)) or "no firewall" for found in sets.values()})
        if len(groups) > 1:
            by_walls: dict[str, list[str]] = {}
            for name, found in sets.items():
                by_walls.setdefault(", ".join(sorted(found)) or "no firewall", []).append(name)
            detail = "; ".join(f"{', '.join(names)} behind {walls_text}" for walls_text, names in by_walls.items())
            yield Problem(_site_path(topology, site),
                          f"site {site.name}'s exits sit behind different stateful firewalls ({detail}): a flow "
                          "out by one and back by another is dropped",
                          "put ExpressRoute and VPN behind the same firewall (cluster), or share state between "
                          "the firewalls")


@rule("HN-EST-009", "No single firewall is the only way out for both ExpressRoute and VPN", Severity.WARNING,
      ER_DR)
def firewall_single_point(topology: Topology) -> Iterator[Problem]:
    """When one firewall (not a cluster) is on every path to both the ExpressRoute edges and the VPN end,
    the VPN does not back up its failure: the site loses Azure. A cluster (``ha_pair: true``) fails over
    as one."""
    for site in topology.all_sites:
        er_paths, vpn_paths = site.paths_out("edge"), site.paths_out("vpn")
        if not er_paths or not vpn_paths:
            continue
        for device in site.devices:
            if not device.has("firewall") or (device.firewall is not None and device.firewall.ha_pair):
                continue
            if all(device.name in p for p in er_paths) and all(device.name in p for p in vpn_paths):
                yield Problem(_device_path(topology, site, device),
                              f"firewall {device.name} of site {site.name} is on every ExpressRoute and every "
                              "VPN path: its failure cuts the site off from Azure",
                              "make it a cluster (firewall: {ha_pair: true}) or give the VPN a path around it")


@rule("HN-EST-010", "Edge devices name a circuit the topology has", Severity.ERROR, ER_OPTIMIZE)
def edge_circuit_known(topology: Topology) -> Iterator[Problem]:
    """An edge device peers with the MSEE of one circuit; a name that matches none (or no name when the
    topology has several circuits) leaves it with nothing to peer with."""
    names = {c.name for c in topology.all_circuits}
    for site in topology.sites:
        for device in site.with_role("edge"):
            assert device.edge is not None
            path = f"{_device_path(topology, site, device)}.edge.circuit"
            if device.edge.circuit is None and len(names) != 1:
                yield Problem(path, f"edge {device.name} names no circuit, and the topology has {len(names)}",
                              f"set edge.circuit to one of: {', '.join(sorted(names)) or '(add a circuit)'}")
            elif device.edge.circuit is not None and device.edge.circuit not in names:
                yield Problem(path, f"edge {device.name} names circuit {device.edge.circuit!r}, which is not in "
                              "'circuit' or 'circuits'", f"use one of: {', '.join(sorted(names)) or '(none)'}")


@rule("HN-EST-011", "Each VPN device has a local network gateway and a connection", Severity.ERROR, ER_OPTIMIZE)
def vpn_device_connected(topology: Topology) -> Iterator[Problem]:
    """Azure knows an on-premises VPN device only through its local network gateway, and builds a tunnel only
    for an IPsec connection that names it; a VPN device without either never gets a tunnel."""
    for site in topology.sites:
        for device in site.with_role("vpn"):
            assert device.vpn is not None
            path = f"{_device_path(topology, site, device)}.vpn"
            name = device.vpn.local_network_gateway
            lng = topology.local_network_gateway(name) if name is not None else next(
                (g for g in topology.local_network_gateways if g.gateway_ip == device.vpn.public_ip), None)
            if lng is None:
                why = f"no LNG named {name!r}" if name else f"none with gateway_ip {device.vpn.public_ip}"
                yield Problem(path, f"VPN device {device.name} has no local network gateway ({why})",
                              "add a local network gateway with gateway_ip: the device's public_ip, and name it "
                              "in vpn.local_network_gateway")
                continue
            if lng.gateway_ip is not None and lng.gateway_ip != device.vpn.public_ip:
                yield Problem(path, f"VPN device {device.name} has public IP {device.vpn.public_ip}, but its "
                              f"local network gateway {lng.name} points at {lng.gateway_ip}",
                              "make the two addresses equal")
            if not any(c.local_network_gateway == lng.name for c in topology.ipsec_connections):
                yield Problem(path, f"no IPsec connection uses local network gateway {lng.name} of VPN device "
                              f"{device.name}: no tunnel is built", "add an IPsec connection from the VPN gateway "
                              f"to {lng.name}")


@rule("HN-EST-012", "Each ExpressRoute connection's circuit is reached by an edge on both links", Severity.WARNING,
      ER_DR)
def circuit_links_have_edges(topology: Topology) -> Iterator[Problem]:
    """A circuit connected to the hub but with no edge device on a link is not redundant (one link's failure
    moves its traffic elsewhere); with no edge at all it carries nothing. Checked for role-form sites (the
    legacy onprem block is HN-ER-002)."""
    if not topology.sites:
        return
    default = topology.circuit.name if topology.circuit is not None else None
    links: dict[str, set[str]] = {}
    for site in topology.all_sites:
        for device in site.with_role("edge"):
            assert device.edge is not None
            links.setdefault(device.edge.circuit or default or "", set()).add(device.edge.link)
    for connection in topology.er_connections:
        missing = [link for link in ("primary", "secondary") if link not in links.get(connection.circuit, set())]
        if missing:
            yield Problem(f"{connection_path(topology, connection)}.circuit",
                          f"circuit {connection.circuit} has no edge device on its {' and '.join(missing)} link(s)",
                          "add an edge device per link (edge: {circuit, link: primary|secondary})")


@rule("HN-EST-013", "Every further circuit has private peering on two distinct /30s", Severity.ERROR, ER_ROUTING)
def further_circuits_peered(topology: Topology) -> Iterator[Problem]:
    """What HN-ER-001 and HN-ADDR-005 say about 'circuit', for each circuit in 'circuits': without private
    peering a circuit carries nothing to the VNets, and Azure takes exactly one /30 per link."""
    for index, circuit in enumerate(topology.circuits):
        peering = circuit.private_peering
        if peering is None:
            yield Problem(f"circuits.{index}", f"circuit {circuit.name} has no private peering: no VNet traffic "
                          "can use it", "add private_peering (peer ASN, two /30s, VLAN ID)")
            continue
        links = (("primary", peering.primary_prefix), ("secondary", peering.secondary_prefix))
        for link, prefix in links:
            if prefix.prefixlen != 30:
                yield Problem(f"circuits.{index}.private_peering.{link}_prefix",
                              f"{circuit.name} {link} link {prefix} is a /{prefix.prefixlen}; Azure needs a /30",
                              "use a /30 (customer router .1, Microsoft .2)")
        if peering.primary_prefix.overlaps(peering.secondary_prefix):
            yield Problem(f"circuits.{index}.private_peering.secondary_prefix",
                          f"{circuit.name}'s two links share addresses ({peering.primary_prefix}, "
                          f"{peering.secondary_prefix})", "take the two /30s of a /29")
