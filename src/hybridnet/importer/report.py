"""What an import could not carry over, said plainly: defaults it assumed and resources it left out."""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridnet.importer.resources import AzureResource


@dataclass(frozen=True)
class Assumption:
    """A value Azure does not know (on-prem devices, secrets) that the import defaulted: check it."""

    field: str
    message: str


@dataclass(frozen=True)
class Unmapped:
    """A resource or setting that exists in Azure but has no place in the topology model."""

    what: str
    reason: str
    origin: str = ""


@dataclass(frozen=True)
class UnknownField:
    """A field only known once deployed (a public IP's address, another group's resource): the
    resource is imported without it."""

    resource: str
    field: str
    why: str
    origin: str = ""


@dataclass
class ImportReport:
    sources: list[str] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    unknown: list[UnknownField] = field(default_factory=list)

    def assume(self, path: str, message: str) -> None:
        self.assumptions.append(Assumption(path, message))

    def skip(self, what: str, reason: str, origin: str = "") -> None:
        self.unmapped.append(Unmapped(what, reason, origin))

    def settings_not_modelled(self, resource: AzureResource, settings: dict[str, str]) -> None:
        """Name each set property the model has no place for (an empty list or false is 'not set')."""
        for key, meaning in settings.items():
            if resource.prop(key):
                self.skip(f"{resource.type} {resource.name} {key}", f"{meaning} is not modelled", resource.origin)

    def lines(self) -> list[str]:
        """The report as plain lines (for the YAML header and the console)."""
        out = [f"imported from: {', '.join(self.sources)}"]
        out += [f"assumed  {a.field}: {a.message}" for a in self.assumptions]
        out += [f"not imported  {u.what}: {u.reason}" for u in self.unmapped]
        out += [f"unknown  {u.resource} {u.field}: {u.why} [{_file(u.origin)}]" for u in self.unknown]
        return out


def _file(origin: str) -> str:
    """The file part of an origin (``template.json: resource Microsoft.Network/... name``)."""
    return origin.split(": resource ", 1)[0]
