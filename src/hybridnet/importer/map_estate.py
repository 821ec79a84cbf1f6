"""Spoke VNets and their peerings: which imported VNets hang off the hub, and both sides' flags.

Azure keeps a hub-spoke peering as two resources, one in each VNet (``virtualNetworks/virtualNetworkPeerings``
in a template, the ``virtualNetworkPeerings`` array of a VNet in an export), each naming the other VNet by
resource id — across resource groups and subscriptions when the spoke lives elsewhere. The hub is the VNet
that holds the gateways; every other VNet peered with it becomes a spoke, with the hub side's
``allowGatewayTransit`` and the spoke side's ``useRemoteGateways``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hybridnet.importer import map_network
from hybridnet.importer.map_gateways import as_bool
from hybridnet.importer.report import ImportReport
from hybridnet.importer.resources import AzureResource, names_from_id


@dataclass(frozen=True)
class Peering:
    """One side of a peering: the VNet it belongs to, the VNet it points at, and its properties."""

    local: str
    remote: str | None
    name: str
    resource: AzureResource


def peerings(vnets: list[AzureResource], children: list[AzureResource]) -> list[Peering]:
    """Every peering side, from child resources (templates) and from the VNets' own arrays (exports)."""
    found: list[Peering] = []
    for child in children:
        local = child.name.split("/")[0]
        found.append(Peering(local, _remote(child), child.short_name, child))
    for vnet in vnets:
        for entry in vnet.prop("virtualNetworkPeerings", default=[]) or []:
            if not isinstance(entry, dict):
                continue
            child = AzureResource(f"{vnet.type}/virtualNetworkPeerings", f"{vnet.name}/{entry.get('name')}",
                                  entry.get("properties") or {}, vnet.origin)
            if not any(p.local == vnet.name and p.name == child.short_name for p in found):
                found.append(Peering(vnet.name, _remote(child), child.short_name, child))
    return found


def _remote(peering: AzureResource) -> str | None:
    names = names_from_id(peering.prop("remoteVirtualNetwork"))
    return names[0] if names else None


def spokes(
    hub: str,
    vnets: list[AzureResource],
    sides: list[Peering],
    subnets: list[AzureResource],
    gateways: list[AzureResource],
    report: ImportReport,
) -> list[dict[str, Any]]:
    """The VNets peered with the hub, as spoke documents; the others are reported, not dropped silently."""
    names = {v.name for v in vnets} | {hub}
    documents = []
    for vnet in vnets:
        hub_side = next((p for p in sides if p.local == hub and p.remote == vnet.name), None)
        spoke_side = next((p for p in sides if p.local == vnet.name and p.remote == hub), None)
        if hub_side is None and spoke_side is None:
            report.skip(f"virtual network {vnet.name}",
                        f"it is not peered with the hub {hub} (the gateways' VNet): the model holds the hub and "
                        "its spokes", vnet.origin)
            continue
        mine = [s for s in subnets if s.name.split("/")[0] == vnet.name]
        document = map_network.virtual_network(vnet, mine, report)
        document["peering"] = _flags(vnet.name, hub, hub_side, spoke_side, report)
        own = _own_gateway(vnet.name, gateways)
        if own is not None:
            document["own_gateway"] = own
        documents.append(document)
    for side in sides:
        if side.remote is None:
            report.skip(f"peering {side.local}/{side.name}", "it names no remote VNet", side.resource.origin)
        elif side.remote not in names:
            report.skip(f"peering {side.local}/{side.name}",
                        f"its remote VNet {side.remote} is not among the imported resources (import the file or "
                        "resource group that holds it too)", side.resource.origin)
        elif hub not in (side.local, side.remote):
            report.skip(f"peering {side.local}/{side.name}",
                        "a peering between two spokes is not modelled (spokes reach each other only through "
                        "the hub)", side.resource.origin)
    return documents


def _flags(spoke: str, hub: str, hub_side: Peering | None, spoke_side: Peering | None,
           report: ImportReport) -> dict[str, Any]:
    flags: dict[str, Any] = {"hub": {}, "spoke": {}}
    for side, where, keys in (
        (hub_side, "hub", (("allowGatewayTransit", "allow_gateway_transit"),
                           ("allowForwardedTraffic", "allow_forwarded_traffic"))),
        (spoke_side, "spoke", (("useRemoteGateways", "use_remote_gateways"),
                               ("allowForwardedTraffic", "allow_forwarded_traffic"))),
    ):
        if side is None:
            local = hub if where == "hub" else spoke
            report.assume(f"spokes.{spoke}.peering.{where}",
                          f"no peering from {local} to {spoke if where == 'hub' else hub} among the imported "
                          "resources: Azure's defaults (false) assumed; without both sides the peering does not "
                          "connect (import the other VNet's file or group too)")
            continue
        for arm_key, field in keys:
            flags[where][field] = as_bool(side.resource.prop(arm_key))
        if not as_bool(side.resource.prop("allowVirtualNetworkAccess"), default=True):
            report.skip(f"peering {side.local}/{side.name} allowVirtualNetworkAccess",
                        "a peering that blocks VNet access is not modelled (imported as allowing it)",
                        side.resource.origin)
    return flags


def _own_gateway(vnet: str, gateways: list[AzureResource]) -> str | None:
    for gateway in gateways:
        for config in gateway.prop("ipConfigurations", default=[]) or []:
            names = names_from_id((config.get("properties") or {}).get("subnet")) if isinstance(config, dict) else []
            if names and names[0] == vnet:
                return gateway.name
    return None
