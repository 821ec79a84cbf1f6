"""Reading a JSON export of live resources: ``az resource show --ids ...`` output (camelCase)
or ``Get-AzResource -ExpandProperties | ConvertTo-Json -Depth 100`` (PascalCase envelope).

Both are lists of objects with a name, a type and properties; a REST-style ``{"value": [...]}`` wrapper
and a single object are accepted too.
"""

from __future__ import annotations

from typing import Any

from hybridnet.importer.resources import AzureResource
from hybridnet.model import TopologyError

_KEYS = {
    "name": ("name", "resourcename"),
    "type": ("type", "resourcetype"),
    "properties": ("properties",),
    "sku": ("sku",),
    "zones": ("zones",),
    "location": ("location",),
    "resource_group": ("resourcegroup", "resourcegroupname"),
    "id": ("id", "resourceid"),
}


def _field(entry: dict[str, Any], name: str) -> Any:
    wanted = _KEYS[name]
    return next((value for key, value in entry.items() if key.lower() in wanted), None)


def is_export(document: Any) -> bool:
    """True for a list of resources (or a REST ``value`` wrapper, or one resource object)."""
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        return True
    if isinstance(document, list):
        return True
    return isinstance(document, dict) and _field(document, "type") is not None and "$schema" not in document


def exported_resources(document: Any, source: str) -> list[AzureResource]:
    """The resources of an export, with a clear error for the truncated output PowerShell gives when
    ConvertTo-Json runs at its default depth of 2."""
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        entries = document["value"]
    elif isinstance(document, list):
        entries = document
    else:
        entries = [document]
    if entries and all(isinstance(e, dict) and not _field(e, "properties") for e in entries):
        raise TopologyError(
            "the export holds no resource properties (`az resource list` leaves them out)",
            file=source,
            fix='export with `az resource show --ids $(az resource list -g RG --query "[].id" -o tsv)`',
        )
    resources = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise TopologyError(f"entry {index} is not a resource object", file=source)
        kind, name = _field(entry, "type"), _field(entry, "name")
        if not isinstance(kind, str) or not isinstance(name, str):
            raise TopologyError(
                f"entry {index} has no 'name' and 'type'",
                file=source,
                fix="export with `az resource show --ids ...` or `Get-AzResource -ExpandProperties`",
            )
        properties = _field(entry, "properties") or {}
        if isinstance(properties, str) or _truncated(properties):
            raise TopologyError(
                f"the properties of {kind} {name} are truncated",
                file=source,
                fix="export again with `ConvertTo-Json -Depth 100`",
            )
        sku = _field(entry, "sku")
        resources.append(
            AzureResource(
                type=kind,
                name=name,
                properties=properties,
                origin=f"{source}: {kind} {name}",
                sku={k[:1].lower() + k[1:]: v for k, v in sku.items()} if isinstance(sku, dict) else None,
                zones=tuple(_field(entry, "zones") or ()),
                location=_field(entry, "location"),
                resource_group=_field(entry, "resource_group") or _group_from_id(_field(entry, "id")),
            )
        )
    return resources


def _truncated(value: Any, depth: int = 0) -> bool:
    """PowerShell writes nested objects beyond its depth as their type name: 'System.Collections...'."""
    if isinstance(value, str):
        return value.startswith(("System.Collections.", "@{")) or value.startswith("Microsoft.Azure.")
    if isinstance(value, dict):
        return any(_truncated(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_truncated(v, depth + 1) for v in value)
    return False


def _group_from_id(resource_id: Any) -> str | None:
    if not isinstance(resource_id, str):
        return None
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        index = lowered.index("resourcegroups")
        return parts[index + 1] if index + 1 < len(parts) else None
    return None
