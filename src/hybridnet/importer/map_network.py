"""The VNet side: virtual network and subnets, NSGs, route tables, internal load balancers, and the
workloads an IP-addressed backend pool names."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Any

from hybridnet.importer.map_gateways import as_bool
from hybridnet.importer.report import ImportReport
from hybridnet.importer.resources import AzureResource, name_from_id, names_from_id

PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "*": "*"}


def virtual_network(resource: AzureResource, subnets: list[AzureResource], report: ImportReport) -> dict[str, Any]:
    report.settings_not_modelled(resource, {"enableDdosProtection": "DDoS protection"})
    inline = [
        AzureResource(
            f"{resource.type}/subnets",
            f"{resource.name}/{s.get('name')}",
            s.get("properties") or {},
            resource.origin,
        )
        for s in resource.prop("subnets", default=[])
        if isinstance(s, dict)
    ]
    documents: dict[str, dict[str, Any]] = {}
    for subnet in [*inline, *subnets]:
        prefix = subnet.prop("addressPrefix") or (subnet.prop("addressPrefixes") or [None])[0]
        if prefix is None:
            report.skip(f"subnet {subnet.name}", "it has no IPv4 address prefix", subnet.origin)
            continue
        document: dict[str, Any] = {"name": subnet.short_name, "prefix": prefix}
        nsg, table = (
            name_from_id(subnet.prop("networkSecurityGroup")),
            name_from_id(subnet.prop("routeTable")),
        )
        if nsg:
            document["nsg"] = nsg
        if table:
            document["route_table"] = table
        documents.setdefault(subnet.short_name, document)
    vnet: dict[str, Any] = {
        "name": resource.name,
        "address_space": list(resource.prop("addressSpace", "addressPrefixes", default=[])),
        "subnets": list(documents.values()),
    }
    dns = resource.prop("dhcpOptions", "dnsServers", default=[])
    if dns:
        vnet["dns_servers"] = list(dns)
    return vnet


def network_security_group(resource: AzureResource, report: ImportReport) -> dict[str, Any]:
    """The NSG's own rules; Azure's default rules (65000+) are implicit in the model."""
    rules = []
    for rule in resource.prop("securityRules", default=[]):
        properties = rule.get("properties") or {}
        what = f"NSG rule {resource.name}/{rule.get('name')}"
        fields = {}
        for key, single, plural in (
            ("source", "sourceAddressPrefix", "sourceAddressPrefixes"),
            ("source_port", "sourcePortRange", "sourcePortRanges"),
            ("destination", "destinationAddressPrefix", "destinationAddressPrefixes"),
            ("destination_port", "destinationPortRange", "destinationPortRanges"),
        ):
            many = properties.get(plural) or []
            if len(many) > 1:
                break
            fields[key] = properties.get(single) or (many[0] if many else "*")
        else:
            protocol = PROTOCOLS.get(str(properties.get("protocol", "*")).lower())
            if protocol is not None:
                rules.append(
                    {
                        "name": rule.get("name"),
                        "priority": properties.get("priority"),
                        "direction": properties.get("direction", "Inbound"),
                        "access": properties.get("access"),
                        "protocol": protocol,
                        **fields,
                    }
                )
                continue
            report.skip(what, f"protocol {properties.get('protocol')!r} is not modelled", resource.origin)
            continue
        report.skip(what, "rules with several prefixes or port ranges are not modelled", resource.origin)
    return {"name": resource.name, "rules": rules}


def route_table(resource: AzureResource, report: ImportReport) -> dict[str, Any]:
    routes = []
    for route in resource.prop("routes", default=[]):
        properties = route.get("properties") or {}
        document = {
            "name": route.get("name"),
            "prefix": properties.get("addressPrefix"),
            "next_hop_type": properties.get("nextHopType"),
        }
        if properties.get("nextHopIpAddress"):
            document["next_hop_ip"] = properties["nextHopIpAddress"]
        routes.append(document)
    return {
        "name": resource.name,
        "routes": routes,
        "disable_bgp_route_propagation": as_bool(resource.prop("disableBgpRoutePropagation")),
    }


def _frontend_vnet(subnet_ref: Any, hub: str) -> dict[str, Any]:
    names = names_from_id(subnet_ref)
    return {"vnet": names[0]} if len(names) == 2 and names[0] != hub else {}


def _subnet_of(address: str, vnets: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(VNet, subnet) holding the address, among the hub (first) and the spokes."""
    ip = IPv4Address(address)
    return next(((v["name"], s["name"]) for v in vnets for s in v["subnets"]
                 if ip in IPv4Network(s["prefix"], strict=False)), None)


def load_balancer(
    resource: AzureResource, vnets: list[dict[str, Any]], report: ImportReport
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """An internal load balancer and the workloads its IP-addressed backend pool lists (``vnets``: the hub
    first, then the spokes)."""
    what = f"load balancer {resource.name}"
    frontends = resource.prop("frontendIPConfigurations", default=[])
    pools = resource.prop("backendAddressPools", default=[])
    probes = resource.prop("probes", default=[])
    rules = resource.prop("loadBalancingRules", default=[])
    if not frontends or "privateIPAddress" not in (frontends[0].get("properties") or {}):
        report.skip(
            what,
            "it is a public load balancer (no private frontend); only internal ones are modelled",
            resource.origin,
        )
        return None, []
    if not (pools and probes and rules):
        report.skip(what, "it needs a backend pool, a probe and a rule to be modelled", resource.origin)
        return None, []
    for extra, items in (("frontends", frontends), ("backend pools", pools), ("probes", probes)):
        if len(items) > 1:
            report.skip(f"{what}: {extra} after the first", "the model holds one of each", resource.origin)
    frontend = frontends[0]["properties"]
    members = (pools[0].get("properties") or {}).get("loadBalancerBackendAddresses") or []
    rule_documents = [
        {
            "name": r.get("name"),
            "protocol": r["properties"].get("protocol", "Tcp"),
            "frontend_port": r["properties"].get("frontendPort"),
            "backend_port": r["properties"].get("backendPort"),
        }
        for r in rules
    ]
    workloads = []
    for member in members:
        address = (member.get("properties") or {}).get("ipAddress")
        where = _subnet_of(address, vnets) if address else None
        if where is None:
            report.skip(
                f"{what} backend {member.get('name')}",
                "its address is in no subnet of the hub or a spoke",
                resource.origin,
            )
            continue
        workloads.append(
            {
                "name": member.get("name"),
                **({"vnet": where[0]} if where[0] != vnets[0]["name"] else {}),
                "subnet": where[1],
                "address": address,
                "port": rule_documents[0]["backend_port"],
                "protocol": rule_documents[0]["protocol"],
            }
        )
    if not workloads:
        report.skip(
            what,
            "its backend pool lists no IP addresses (NIC-based pools name VMs the import does not read)",
            resource.origin,
        )
        return None, []
    probe = probes[0].get("properties") or {}
    probe_document: dict[str, Any] = {
        "name": probes[0].get("name"),
        "protocol": probe.get("protocol", "Tcp"),
        "port": probe.get("port"),
    }
    for key, field in (
        ("requestPath", "path"),
        ("intervalInSeconds", "interval_s"),
        ("numberOfProbes", "unhealthy_threshold"),
    ):
        if probe.get(key) is not None:
            probe_document[field] = probe[key]
    document = {
        "name": resource.name,
        "sku": (resource.sku or {}).get("name", "Standard"),
        "frontend": {
            "name": frontends[0].get("name"),
            **_frontend_vnet(frontend.get("subnet"), vnets[0]["name"]),
            "subnet": name_from_id(frontend.get("subnet")),
            "address": frontend.get("privateIPAddress"),
        },
        "backend_pool": [w["name"] for w in workloads],
        "probe": probe_document,
        "rules": rule_documents,
    }
    return document, workloads
