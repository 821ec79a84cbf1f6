"""From a bag of Azure resources to one topology document: pick the VNet, map each resource, report
what has no place in the model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hybridnet.importer import map_estate, map_gateways, map_network
from hybridnet.importer.report import ImportReport
from hybridnet.importer.resources import AzureResource, names_from_id
from hybridnet.model import TopologyError

_NOT_MODELLED = {
    "networkinterfaces": "NICs are not modelled (workloads come from load-balancer pools or --onprem)",
    "virtualmachines": "VMs are not modelled (workloads come from load-balancer pools or --onprem)",
    "expressroutegateways": "a Virtual WAN ExpressRoute gateway, not a VNet gateway",
}


def _by_kind(resources: list[AzureResource]) -> dict[str, list[AzureResource]]:
    groups: dict[str, list[AzureResource]] = defaultdict(list)
    for resource in resources:
        groups[resource.kind.lower()].append(resource)
    return groups


def _pick_vnet(vnets: list[AzureResource], gateways: list[AzureResource]) -> AzureResource:
    """The hub: the VNet that holds the gateways (else the first one)."""
    if not vnets:
        raise TopologyError(
            "the imported resources contain no virtual network",
            fix="include the VNet (Microsoft.Network/virtualNetworks) in the export or template",
        )
    gateway_vnets = {
        name
        for g in gateways
        for c in g.prop("ipConfigurations", default=[])
        for name in [_vnet_of((c.get("properties") or {}).get("subnet"))]
        if name
    }
    return next((v for v in vnets if v.name in gateway_vnets), vnets[0])


def _vnet_of(subnet_ref: Any) -> str | None:
    names = names_from_id(subnet_ref)
    return names[0] if names else None


def assemble(resources: list[AzureResource], report: ImportReport) -> dict[str, Any]:
    """The Azure side of a topology document (no on-prem part, no name yet)."""
    groups = _by_kind(resources)
    gateways = groups.pop("virtualnetworkgateways", [])
    vnets = groups.pop("virtualnetworks", [])
    vnet_resource = _pick_vnet(vnets, gateways)
    subnets = groups.pop("virtualnetworks/subnets", [])
    hub_subnets = [s for s in subnets if s.name.split("/")[0] == vnet_resource.name]
    vnet = map_network.virtual_network(vnet_resource, hub_subnets, report)
    document: dict[str, Any] = {"vnet": vnet}
    sides = map_estate.peerings(vnets, groups.pop("virtualnetworks/virtualnetworkpeerings", []))
    others = [v for v in vnets if v is not vnet_resource]
    document["spokes"] = map_estate.spokes(vnet["name"], others, sides, subnets, gateways, report)
    nsgs = _with_children(groups, "networksecuritygroups", "securityRules")
    document["nsgs"] = _each(nsgs, report, map_network.network_security_group)
    tables = _with_children(groups, "routetables", "routes")
    document["route_tables"] = _each(tables, report, map_network.route_table)
    pips = {r.name: r for r in groups.pop("publicipaddresses", [])}
    document["gateways"] = _each(gateways, report, map_gateways.gateway, pips, vnet["name"])
    used = {p["name"] for g in document["gateways"] for p in _gateway_pips(g)}
    for name, pip in pips.items():
        if name not in used:
            report.skip(f"public IP {name}", "not attached to a gateway of the VNet", pip.origin)
    document["local_network_gateways"] = _each(
        groups.pop("localnetworkgateways", []), report, map_gateways.local_network_gateway
    )
    document["connections"] = _each(groups.pop("connections", []), report, map_gateways.connection)
    document["circuit"], document["circuits"] = _circuits(groups, document["connections"], report)
    document["load_balancers"], document["workloads"] = [], []
    all_vnets = [vnet, *document["spokes"]]
    for lb, workloads in _each(groups.pop("loadbalancers", []), report, map_network.load_balancer, all_vnets):
        if lb is not None:
            document["load_balancers"].append(lb)
            document["workloads"] += workloads
    groups.pop("deployments", None)  # nested deployments: their resources are already in the list
    for kind, leftovers in sorted(groups.items()):
        reason = _NOT_MODELLED.get(kind, "this resource type is not part of the topology model")
        for resource in leftovers:
            report.skip(f"{resource.type} {resource.name}", reason, resource.origin)
    report.imported = [f"{r.type} {r.name}" for r in resources if r.kind.lower() != "deployments"]
    return document


SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _each(
    resources: list[AzureResource], report: ImportReport, mapping: Callable[..., Any], *context: Any
) -> list[Any]:
    """Map every resource; one whose JSON has an unexpected shape is reported, not a traceback."""
    mapped = []
    for resource in resources:
        try:
            result = mapping(resource, *context, report) if context else mapping(resource, report)
        except SHAPE_ERRORS as exc:
            report.skip(f"{resource.type} {resource.name}", f"unexpected shape ({exc!r})", resource.origin)
            continue
        if result is not None:
            mapped.append(result)
    return mapped


def _with_children(groups: dict[str, list[AzureResource]], kind: str, key: str) -> list[AzureResource]:
    """Parents with their child resources (``networkSecurityGroups/securityRules``) folded into the
    property array Azure itself reports them in."""
    children = groups.pop(f"{kind}/{key.lower()}", [])
    merged = []
    for parent in groups.pop(kind, []):
        mine = [
            {"name": c.short_name, "properties": c.properties} for c in children if c.name.split("/")[0] == parent.name
        ]
        if mine:
            properties = {**parent.properties, key: [*(parent.prop(key) or []), *mine]}
            parent = replace(parent, properties=properties)
        merged.append(parent)
    return merged


def _gateway_pips(gateway: dict[str, Any]) -> list[dict[str, Any]]:
    if gateway["type"] == "ExpressRoute":
        return [gateway["public_ip"]] if gateway.get("public_ip") else []
    return [i["public_ip"] for i in gateway["instances"]]


def _circuits(
    groups: dict[str, list[AzureResource]], connections: list[dict[str, Any]], report: ImportReport
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``circuit`` (the one the first ExpressRoute connection names, else the first) and ``circuits`` (the
    others, in the order given); a circuit a connection names but the files lack becomes a placeholder."""
    circuits = groups.pop("expressroutecircuits", [])
    peerings = groups.pop("expressroutecircuits/peerings", [])
    wanted = [c["circuit"] for c in connections if c["type"] == "ExpressRoute"]
    if not circuits and not wanted:  # a partial inventory: import what exists; `check` reports the gap
        report.assume(
            "circuit",
            "no ExpressRoute circuit and no connection naming one among the imported resources: the "
            "topology has none (`hybridnet check` reports it; import the circuit's resource group to add it)",
        )
        return None, []
    first = wanted[0] if wanted else circuits[0].name
    ordered = sorted(circuits, key=lambda c: c.name != first)
    documents = [map_gateways.circuit(c, [p for p in peerings if p.name.split("/")[0] == c.name], report)
                 for c in ordered]
    for name in dict.fromkeys(wanted):
        if name not in {c.name for c in circuits}:
            placeholder = map_gateways.placeholder_circuit(name, report)
            documents.insert(0 if name == first else len(documents), placeholder)
    return documents[0], documents[1:]
