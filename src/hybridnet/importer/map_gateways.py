"""Gateways, the local network gateway, connections and the circuit: Azure resources to model fields.

Each function returns plain model documents (dicts pydantic validates) and records in the report
anything it had to leave out or assume.
"""

from __future__ import annotations

import re
from typing import Any

from hybridnet.importer.report import ImportReport
from hybridnet.importer.resources import AzureResource, name_from_id, names_from_id
from hybridnet.model.gateways import ER_GATEWAY_SKUS, VPN_GATEWAY_SKUS

SHARED_KEY_ENV = "HYBRIDNET_VPN_SHARED_KEY"
LEGACY_VPN_SKUS = ("Basic", "Standard", "HighPerformance")
MD5_KEY_ENV = "HYBRIDNET_PEERING_MD5_KEY"

GATEWAY_SETTINGS_NOT_MODELLED = {
    "vpnClientConfiguration": "point-to-site VPN",
    "natRules": "gateway NAT",
    "customRoutes": "custom routes advertised to point-to-site clients",
    "gatewayDefaultSite": "forced tunnelling to a default site",
}
CONNECTION_SETTINGS_NOT_MODELLED = {
    "ingressNatRules": "connection NAT",
    "egressNatRules": "connection NAT",
    "gatewayCustomBgpIpAddresses": "per-connection custom BGP addresses",
    "authorizationKey": "an ExpressRoute authorization from another subscription",
    "expressRouteGatewayBypass": "FastPath",
}
CIRCUIT_SETTINGS_NOT_MODELLED = {
    "authorizations": "circuit authorizations for other subscriptions",
    "globalReachEnabled": "Global Reach",
}


def as_bool(value: Any, default: bool = False) -> bool:
    """ARM accepts "false" (a string) where a boolean is meant, and the 2016 building blocks use it."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _sku_name(resource: AzureResource) -> str | None:
    sku = resource.prop("sku") or resource.sku or {}
    return next((v for k, v in sku.items() if k.lower() == "name"), None) if isinstance(sku, dict) else None


def public_ip(resource: AzureResource | None, name: str) -> dict[str, Any]:
    """A gateway's public IP; its address is known only in an export of a deployed gateway."""
    document: dict[str, Any] = {"name": name}
    if resource is None:
        return document
    sku = _sku_name(resource) or "Basic"  # ARM's default for a public IP declared without a SKU
    if sku in ("Basic", "Standard"):
        document["sku"] = sku
    allocation = resource.prop("publicIPAllocationMethod")
    if allocation in ("Static", "Dynamic"):
        document["allocation"] = allocation
    address = resource.prop("ipAddress")
    if isinstance(address, str) and address:
        document["address"] = address
    return document


def _ip_configurations(resource: AzureResource) -> list[dict[str, Any]]:
    return [c for c in resource.prop("ipConfigurations", default=[]) if isinstance(c, dict)]


def _config_subnet(config: dict[str, Any]) -> list[str]:
    return names_from_id((config.get("properties") or {}).get("subnet"))


def gateway(
    resource: AzureResource, pips: dict[str, AzureResource], vnet_name: str, report: ImportReport
) -> dict[str, Any] | None:
    kind = resource.prop("gatewayType")
    sku = _sku_name(resource)
    configs = _ip_configurations(resource)
    what = f"virtual network gateway {resource.name}"
    report.settings_not_modelled(resource, GATEWAY_SETTINGS_NOT_MODELLED)
    if kind not in ("ExpressRoute", "Vpn"):
        report.skip(what, f"gatewayType {kind!r} is not an ExpressRoute or VPN gateway", resource.origin)
        return None
    known = ER_GATEWAY_SKUS if kind == "ExpressRoute" else VPN_GATEWAY_SKUS
    if sku not in known:
        report.skip(what, f"SKU {sku!r} is not one the model knows ({', '.join(known)})", resource.origin)
        return None
    if not configs:
        report.skip(what, "it has no IP configuration (no subnet, no public IP)", resource.origin)
        return None
    document: dict[str, Any] = {"type": kind, "name": resource.name, "sku": sku}
    vnet, subnet = [*_config_subnet(configs[0]), None, None][:2]
    if vnet and vnet != vnet_name:
        document["vnet"] = vnet
    if subnet and subnet != "GatewaySubnet":
        document["subnet"] = subnet
    if kind == "ExpressRoute":
        pip_name = name_from_id((configs[0].get("properties") or {}).get("publicIPAddress"))
        if pip_name is not None:
            document["public_ip"] = public_ip(pips.get(pip_name), pip_name)
        return document
    return _vpn_gateway(resource, document, configs, pips, report)


def _vpn_gateway(
    resource: AzureResource,
    document: dict[str, Any],
    configs: list[dict[str, Any]],
    pips: dict[str, AzureResource],
    report: ImportReport,
) -> dict[str, Any] | None:
    if len(configs) > 2:
        report.skip(f"virtual network gateway {resource.name}", "more than two IP configurations", resource.origin)
        return None
    for key, field in (("vpnType", "vpn_type"), ("vpnGatewayGeneration", "generation")):
        if resource.prop(key) is not None:
            document[field] = resource.prop(key)
    if "generation" not in document and document["sku"] in LEGACY_VPN_SKUS:
        document["generation"] = "None"  # what Azure reports for SKUs that predate generations
    document["active_active"] = as_bool(resource.prop("activeActive"))
    bgp_settings = resource.prop("bgpSettings") or {}
    if as_bool(resource.prop("enableBgp")):
        document["bgp"] = {"asn": bgp_settings.get("asn", 65515)}
    peering = {name_from_id(p.get("ipconfigurationId")): p for p in bgp_settings.get("bgpPeeringAddresses") or []}
    instances = []
    for config in configs:
        pip_name = name_from_id((config.get("properties") or {}).get("publicIPAddress"))
        if pip_name is None:  # imported all the same, under a name that says so
            pip_name = f"{resource.name}-{config.get('name') or len(instances)}-no-public-ip"
            report.assume(
                f"gateways.{resource.name}.instances.{len(instances)}.public_ip",
                f"IP configuration {config.get('name')!r} of {resource.name} names no public IP: recorded as "
                f"{pip_name!r} with no address (a VPN gateway needs one per instance; check it in Azure)",
            )
        instance: dict[str, Any] = {"public_ip": public_ip(pips.get(pip_name), pip_name)}
        addresses = peering.get(config.get("name")) or {}
        default = [a for a in addresses.get("defaultBgpIpAddresses") or [] if a]
        if default:
            instance["bgp_address"] = default[0]
        if addresses.get("customBgpIpAddresses"):
            instance["apipa_addresses"] = list(addresses["customBgpIpAddresses"])
        instances.append(instance)
    document["instances"] = instances
    return document


def local_network_gateway(resource: AzureResource, report: ImportReport) -> dict[str, Any] | None:
    address = resource.prop("gatewayIpAddress")
    if not address and resource.prop("fqdn"):
        report.skip(
            f"local network gateway {resource.name}",
            "it names the device by FQDN; the model needs its public IP",
            resource.origin,
        )
        return None
    document: dict[str, Any] = {
        "name": resource.name,
        "address_prefixes": list(resource.prop("localNetworkAddressSpace", "addressPrefixes", default=[])),
    }
    if address:
        document["gateway_ip"] = address  # else known only at deployment: the report says so
    bgp = resource.prop("bgpSettings")
    if isinstance(bgp, dict) and bgp.get("asn") and bgp.get("bgpPeeringAddress"):
        document["bgp"] = {"asn": bgp["asn"], "peer_address": bgp["bgpPeeringAddress"]}
    return document


def shared_key_env(shared_key: Any) -> str:
    """The variable a key is read from: HYBRIDNET_VPN_SHARED_KEY, or, for a connection whose template gives
    it a key parameter of its own (``vpnSharedKey-<connection>``, as `render arm` writes for a second key),
    HYBRIDNET_VPN_SHARED_KEY_<CONNECTION>: connections with different keys keep different keys."""
    match = re.fullmatch(r"<secure parameter vpnSharedKey-(.+)>", shared_key or "") if isinstance(shared_key, str) \
        else None
    if match is None:
        return SHARED_KEY_ENV
    return f"{SHARED_KEY_ENV}_" + re.sub(r"[^A-Za-z0-9]+", "_", match.group(1)).strip("_").upper()


def connection(resource: AzureResource, report: ImportReport) -> dict[str, Any] | None:
    kind = resource.prop("connectionType")
    gateway_name = name_from_id(resource.prop("virtualNetworkGateway1"))
    report.settings_not_modelled(resource, CONNECTION_SETTINGS_NOT_MODELLED)
    weight = int(resource.prop("routingWeight", default=0) or 0)
    what = f"connection {resource.name}"
    if kind == "ExpressRoute":
        circuit = names_from_id(resource.prop("peer"))
        if not circuit:
            report.skip(what, "it names no circuit (peer)", resource.origin)
            return None
        return {
            "type": "ExpressRoute",
            "name": resource.name,
            "gateway": gateway_name,
            "circuit": circuit[0],
            "routing_weight": weight,
        }
    if kind != "IPsec":
        report.skip(
            what,
            f"connectionType {kind!r}: only IPsec and ExpressRoute connections are modelled",
            resource.origin,
        )
        return None
    env = shared_key_env(resource.prop("sharedKey"))
    report.assume(
        f"connections.{resource.name}.shared_key",
        f"Azure never exports the pre-shared key: read from environment variable {env}",
    )
    document: dict[str, Any] = {
        "type": "IPsec",
        "name": resource.name,
        "vpn_gateway": gateway_name,
        "local_network_gateway": name_from_id(resource.prop("localNetworkGateway2")),
        "shared_key": {"env": env},
        "enable_bgp": as_bool(resource.prop("enableBgp")),
        "routing_weight": weight,
        "use_policy_based_traffic_selectors": as_bool(resource.prop("usePolicyBasedTrafficSelectors")),
    }
    if resource.prop("connectionProtocol"):
        document["connection_protocol"] = resource.prop("connectionProtocol")
    if resource.prop("dpdTimeoutSeconds"):
        document["dpd_timeout_s"] = int(resource.prop("dpdTimeoutSeconds"))
    policies = resource.prop("ipsecPolicies") or []
    if policies:
        policy = policies[0]
        document["ipsec_policy"] = {
            "ike_encryption": policy.get("ikeEncryption"),
            "ike_integrity": policy.get("ikeIntegrity"),
            "dh_group": policy.get("dhGroup"),
            "ipsec_encryption": policy.get("ipsecEncryption"),
            "ipsec_integrity": policy.get("ipsecIntegrity"),
            "pfs_group": policy.get("pfsGroup"),
            "sa_lifetime_s": policy.get("saLifeTimeSeconds"),
            "sa_data_size_kb": policy.get("saDataSizeKilobytes"),
        }
    if resource.prop("trafficSelectorPolicies"):
        report.skip(f"{what} trafficSelectorPolicies", "custom traffic selectors are not modelled", resource.origin)
    return document


def circuit(resource: AzureResource, peerings: list[AzureResource], report: ImportReport) -> dict[str, Any]:
    sku = resource.sku or {}
    provider = resource.prop("serviceProviderProperties") or {}
    report.settings_not_modelled(resource, CIRCUIT_SETTINGS_NOT_MODELLED)
    document: dict[str, Any] = {
        "name": resource.name,
        "service_provider": provider.get("serviceProviderName"),
        "peering_location": provider.get("peeringLocation"),
        "bandwidth_mbps": provider.get("bandwidthInMbps"),
        "allow_classic_operations": as_bool(resource.prop("allowClassicOperations")),
    }
    tier, family = sku.get("tier"), sku.get("family")
    if (not tier or not family) and isinstance(sku.get("name"), str) and "_" in sku["name"]:
        tier, family = sku["name"].split("_", 1)
    if tier:
        document["sku_tier"] = tier
    if family:
        document["sku_family"] = family
    inline = [
        AzureResource(
            f"{resource.type}/peerings",
            f"{resource.name}/{p.get('name')}",
            p.get("properties") or {},
            resource.origin,
        )
        for p in resource.prop("peerings", default=[])
        if isinstance(p, dict)
    ]
    seen: set[str] = set()
    for peering in [*peerings, *inline]:
        kind = peering.prop("peeringType") or peering.short_name
        if kind in seen:
            continue
        seen.add(kind)
        _peering(document, peering, kind, report)
    return document


def _peering(circuit_doc: dict[str, Any], peering: AzureResource, kind: str, report: ImportReport) -> None:
    base = {
        "peer_asn": peering.prop("peerASN"),
        "primary_prefix": peering.prop("primaryPeerAddressPrefix"),
        "secondary_prefix": peering.prop("secondaryPeerAddressPrefix"),
        "vlan_id": peering.prop("vlanId"),
    }
    if kind == "AzurePrivatePeering":
        if peering.prop("sharedKey"):
            base["md5_key"] = {"env": MD5_KEY_ENV}
            report.assume(
                "circuit.private_peering.md5_key",
                f"the BGP MD5 key is not imported: read from environment variable {MD5_KEY_ENV}",
            )
        circuit_doc["private_peering"] = base
    elif kind == "MicrosoftPeering":
        config = peering.prop("microsoftPeeringConfig") or {}
        base["advertised_public_prefixes"] = list(config.get("advertisedPublicPrefixes") or [])
        circuit_doc["microsoft_peering"] = base
    else:
        report.skip(
            f"circuit peering {peering.name}",
            f"peering type {kind!r} is retired and not modelled",
            peering.origin,
        )


def placeholder_circuit(name: str, report: ImportReport) -> dict[str, Any]:
    """The circuit often lives in another resource group or subscription: keep its name, and say the rest
    was assumed."""
    report.assume(
        "circuit",
        f"circuit {name} is not among the imported resources: provider, location and "
        "bandwidth are placeholders (edit them, or import the circuit's resource group too)",
    )
    return {"name": name, "service_provider": "unknown", "peering_location": "unknown", "bandwidth_mbps": 50}
