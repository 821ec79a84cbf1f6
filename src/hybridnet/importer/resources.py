"""Azure resources as the importer sees them, whatever file they came from.

A template (after evaluation) and an export of a live resource group describe the same things in
slightly different shapes; both are reduced to ``AzureResource`` so that one mapping turns them into
a topology.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECURE_PLACEHOLDER = "<secure parameter {name}>"


@dataclass(frozen=True)
class AzureResource:
    """One resource: its full type (``Microsoft.Network/virtualNetworks``), full name (``circuit/peering``
    for children), properties, and where it came from (for the import report)."""

    type: str
    name: str
    properties: dict[str, Any]
    origin: str
    sku: dict[str, Any] | None = None
    zones: tuple[str, ...] = ()
    location: str | None = None
    resource_group: str | None = None
    depends_on: tuple[str, ...] = field(default=(), compare=False)

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        """The type without the provider, as the mapping dispatches on it: ``virtualNetworkGateways``."""
        return self.type.split("/", 1)[1] if "/" in self.type else self.type

    def prop(self, *path: str, default: Any = None) -> Any:
        """A nested property by path, case-insensitively (exports and templates differ in case)."""
        node: Any = self.properties
        for key in path:
            if not isinstance(node, dict):
                return default
            node = next((v for k, v in node.items() if k.lower() == key.lower()), None)
            if node is None:
                return default
        return node


def name_from_id(resource_id: Any) -> str | None:
    """The last name segment of an ARM resource id (``.../virtualNetworks/v/subnets/web`` -> ``web``)."""
    if isinstance(resource_id, dict):
        resource_id = next((v for k, v in resource_id.items() if k.lower() == "id"), None)
    if not isinstance(resource_id, str) or "/" not in resource_id:
        return None
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def names_from_id(resource_id: Any) -> list[str]:
    """Every name in an id after the provider: ``.../virtualNetworks/v/subnets/web`` -> ``[v, web]``."""
    if isinstance(resource_id, dict):
        resource_id = next((v for k, v in resource_id.items() if k.lower() == "id"), None)
    if not isinstance(resource_id, str) or "/providers/" not in resource_id:
        return []
    segments = resource_id.split("/providers/", 1)[1].strip("/").split("/")[1:]
    return segments[1::2]
