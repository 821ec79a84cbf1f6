"""`hybridnet import`: a topology from what Azure already has.

Two kinds of input are read: an ARM template with its parameters file (evaluated as ARM would:
parameters, variables, copy loops, resourceId(), reference()...) and a JSON export of deployed
resources (``az resource show --ids ...``, ``Get-AzResource -ExpandProperties``). Both become one list of
resources, mapped onto the model; the report says what was assumed (on-prem devices, secrets) and
what was left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hybridnet.importer.assemble import SHAPE_ERRORS, assemble
from hybridnet.importer.exported import exported_resources, is_export
from hybridnet.importer.expressions import ArmExpressionError
from hybridnet.importer.jsonfile import read_json_file
from hybridnet.importer.limits import ArmLimitError
from hybridnet.importer.onprem import NOT_CARRIED_BY_AZURE, azure_side, default_onprem, overlay
from hybridnet.importer.report import ImportReport, UnknownField
from hybridnet.importer.resources import AzureResource, name_from_id, names_from_id
from hybridnet.importer.sites import derived_sites, needs_sites
from hybridnet.importer.template import SECURE_TYPES, evaluate_template, parameter_values
from hybridnet.model import Topology, TopologyError, TopologyErrors

DEFAULT_RESOURCE_GROUP = "hybridnet-rg"


@dataclass(frozen=True)
class ImportResult:
    topology: Topology
    report: ImportReport


def _read_json(path: Path) -> Any:
    return read_json_file(path)


def _is_template(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and "resources" in document
        and ("deploymentTemplate" in str(document.get("$schema", "")) or "contentVersion" in document)
    )


def _is_parameters(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and "resources" not in document
        and ("deploymentParameters" in str(document.get("$schema", "")) or isinstance(document.get("parameters"), dict))
    )


def _classify(paths: list[Path]) -> list[tuple[Path, Any, Path | None, Any]]:
    """(template or export, its document, parameters file, its document) in the order given; a
    parameters file belongs to the template before it."""
    items: list[tuple[Path, Any, Path | None, Any]] = []
    for path in paths:
        document = _read_json(path)
        if _is_template(document):
            items.append((path, document, None, None))
        elif _is_parameters(document):
            template = next((i for i in reversed(range(len(items))) if _is_template(items[i][1])), None)
            if template is None or items[template][2] is not None:
                raise TopologyError(
                    "a parameters file needs its template before it on the command line",
                    file=str(path),
                    fix="hybridnet import azuredeploy.json azuredeploy.parameters.json",
                )
            items[template] = (items[template][0], items[template][1], path, document)
        elif is_export(document):
            items.append((path, document, None, None))
        else:
            raise TopologyError(
                "neither an ARM template, a parameters file nor a resource export",
                file=str(path),
                fix="export with `az resource show --ids ...` or pass azuredeploy.json",
            )
    return items


def _clear_text_secrets(template: dict[str, Any], values: dict[str, Any]) -> list[str]:
    declared = template.get("parameters") or {}
    secure = {k.lower() for k, v in declared.items() if str(v.get("type", "")).lower() in SECURE_TYPES}
    return sorted(
        name
        for name, value in values.items()
        if name.lower() in secure and not str(value).startswith("<secure parameter")
    )


def _metadata(template: dict[str, Any]) -> dict[str, Any]:
    found = (template.get("metadata") or {}).get("hybridnet")
    return found if isinstance(found, dict) else {}


def read_resources(
    paths: list[Path], resource_group: str | None, report: ImportReport
) -> tuple[list[AzureResource], dict[str, Any]]:
    """Every resource in the files, and what they say about the topology itself (name, group, region)."""
    resources: list[AzureResource] = []
    facts: dict[str, Any] = {}
    items = _classify(paths)
    for path, document, parameters_path, parameters in items:
        report.sources.append(str(path) + (f" + {parameters_path}" if parameters_path else ""))
        if _is_template(document):
            meta = _metadata(document)
            group = resource_group or meta.get("resourceGroup") or DEFAULT_RESOURCE_GROUP
            values = parameter_values(parameters, str(parameters_path)) if parameters is not None else {}
            try:
                scope, skipped = evaluate_template(document, values, str(path), group, search_dir=path.parent)
            except SHAPE_ERRORS as exc:
                raise TopologyError(
                    f"the template has a shape the importer does not understand ({exc!r})",
                    file=str(path),
                    fix="check it with `az deployment group validate`",
                ) from None
            resources += scope.resources
            report.unknown += [UnknownField(u.resource, u.field, u.why, u.origin) for u in scope.unknowns]
            for item in skipped:
                report.skip(f"{item.type} {item.name}", item.reason, str(path))
            for name in _clear_text_secrets(document, values):
                report.assume(
                    f"parameter {name}",
                    "the parameters file holds this secure value in clear text; it "
                    "was not imported (move it to Key Vault)",
                )
            for name in sorted(scope.secure_parameters):
                report.assume(
                    f"parameter {name}",
                    "secure parameter without a value: not imported (secrets stay out of topology files)",
                )
            facts.setdefault("name", meta.get("topology"))
            facts.setdefault("description", meta.get("description"))
            facts.setdefault("resource_group", group)
            located = (r.location for r in scope.resources if isinstance(r.location, str) and r.location)
            facts.setdefault("location", next(located, scope.location))
        else:
            exported = _one_group(exported_resources(document, str(path)), resource_group, str(path), len(items) > 1)
            resources += exported
            facts.setdefault(
                "resource_group",
                resource_group or next((r.resource_group for r in exported if r.resource_group), None),
            )
            facts.setdefault("location", next((r.location for r in exported if r.location), None))
    return resources, facts


def _one_group(
    resources: list[AzureResource], resource_group: str | None, source: str, several_files: bool = False
) -> list[AzureResource]:
    """An export of several resource groups (``az resource list`` over a subscription) is narrowed to the
    hub's group and the spoke VNets peered with it from other groups (see ``spokes_elsewhere``); the model
    describes one hub. Among several files, a file of one other group is a spoke's export and is kept whole."""
    groups = sorted({r.resource_group for r in resources if r.resource_group}, key=str.lower)
    if resource_group is not None:
        chosen = [r for r in resources if (r.resource_group or "").lower() == resource_group.lower()]
        if not chosen:
            if several_files and len(groups) <= 1:
                return resources
            raise TopologyError(
                f"no resource of resource group {resource_group!r} in the export",
                file=source,
                fix=f"choose one of: {', '.join(groups) or '(none named)'}",
            )
        return chosen + spokes_elsewhere(resources, chosen)
    if len(groups) > 1:
        raise TopologyError(
            f"the export spans {len(groups)} resource groups ({', '.join(groups)})",
            file=source,
            fix="choose the hub's group with --resource-group",
        )
    return resources


def spokes_elsewhere(resources: list[AzureResource], chosen: list[AzureResource]) -> list[AzureResource]:
    """The VNets of other groups peered with a VNet of the chosen group (either side naming the other), and
    the NSGs and route tables their subnets name: spokes often live in their own resource groups."""
    taken = {id(r) for r in chosen}
    mine = {r.name.lower() for r in chosen if r.kind.lower() == "virtualnetworks"}
    wanted: set[tuple[str, str]] = set()
    for vnet in (r for r in resources if r.kind.lower() == "virtualnetworks" and id(r) not in taken):
        for peering in vnet.prop("virtualNetworkPeerings", default=[]) or []:
            remote = names_from_id((peering.get("properties") or {}).get("remoteVirtualNetwork")) \
                if isinstance(peering, dict) else []
            if remote and remote[0].lower() in mine:
                wanted.add(("virtualnetworks", vnet.name.lower()))
    for vnet in (r for r in chosen if r.kind.lower() == "virtualnetworks"):
        for peering in vnet.prop("virtualNetworkPeerings", default=[]) or []:
            remote = names_from_id((peering.get("properties") or {}).get("remoteVirtualNetwork")) \
                if isinstance(peering, dict) else []
            if remote:
                wanted.add(("virtualnetworks", remote[0].lower()))
    spokes = [r for r in resources if id(r) not in taken and (r.kind.lower(), r.name.lower()) in wanted]
    for spoke in spokes:
        for subnet in spoke.prop("subnets", default=[]) or []:
            properties = (subnet.get("properties") or {}) if isinstance(subnet, dict) else {}
            for key, kind in (("networkSecurityGroup", "networksecuritygroups"), ("routeTable", "routetables")):
                name = name_from_id(properties.get(key))
                if name:
                    wanted.add((kind, name.lower()))
    return [r for r in resources if id(r) not in taken and (r.kind.lower(), r.name.lower()) in wanted]


def import_files(paths: list[Path], base: Topology | None = None, resource_group: str | None = None) -> ImportResult:
    """A validated topology from templates and exports; ``base`` supplies what Azure cannot know."""
    try:
        return _import_files(paths, base, resource_group)
    except RecursionError:  # every input is bounded (limits.py); this only keeps a traceback from escaping
        raise ArmLimitError(
            "the input nests too deeply to evaluate", file=", ".join(str(p) for p in paths)
        ) from None


def _import_files(paths: list[Path], base: Topology | None, resource_group: str | None) -> ImportResult:
    report = ImportReport()
    resources, facts = read_resources(paths, resource_group, report)
    try:
        document = assemble(resources, report)
    except SHAPE_ERRORS as exc:
        raise TopologyError(
            f"a virtual network or circuit has a shape the importer does not understand ({exc!r})",
            file=", ".join(report.sources),
            fix="check the resource's JSON against an export",
        ) from None
    except TopologyError as error:
        _say_what_was_skipped(error, report)
        if error.file is None:  # name the input, not "<topology>": the user has no such file
            error.file = ", ".join(report.sources)
        raise
    hub_group = next((r.resource_group for r in resources if r.kind.lower() == "virtualnetworks"
                      and r.name == document["vnet"]["name"] and r.resource_group), None)
    group = (resource_group or hub_group or facts.get("resource_group")
             or (base.resource_group if base else DEFAULT_RESOURCE_GROUP))
    document["resource_group"] = group
    document["location"] = facts.get("location") or (base.location if base else "centralus")
    document["name"] = facts.get("name") or (base.name if base else _topology_name(group))
    if facts.get("description"):
        document["description"] = facts["description"]
    if base is not None:
        overlay(document, base, report)
    elif needs_sites(document):
        document["sites"] = derived_sites(document, report)
    else:
        document["onprem"] = default_onprem(document, report)
    try:
        topology = _validated(document, report)
    except TopologyErrors as errors:
        for error in errors.errors:
            _say_what_was_skipped(error, report)
        raise
    return ImportResult(topology, report)


def _say_what_was_skipped(error: TopologyError, report: ImportReport) -> None:
    """What was skipped or unknown is usually why something is missing: say it in the fix."""
    skipped = [f"{u.what}: {u.reason}" for u in report.unmapped[:3]]
    unknown = [f"{u.resource} {u.field}: {u.why}" for u in report.unknown[:2]]
    if skipped:
        error.fix = f"{error.fix}; not imported: {'; '.join(skipped)}"
    if unknown:
        error.fix = f"{error.fix}; unknown until deployed: {'; '.join(unknown)}"


def _topology_name(text: str) -> str:
    """A resource group name as a topology name: group names may hold characters topology names may not."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.")[:63]
    return name or "imported"


def _validated(document: dict[str, Any], report: ImportReport) -> Topology:
    source = f"<imported from {', '.join(report.sources)}>"
    try:
        topology = Topology.model_validate(document)
    except ValidationError as exc:
        raise TopologyErrors(
            [
                TopologyError(
                    error["msg"],
                    file=source,
                    field=".".join(str(p) for p in error["loc"]),
                    fix="the resources hold a value the model does not accept; fix it in Azure or in "
                    "the template, or edit the topology after import",
                )
                for error in exc.errors()
            ]
        ) from None
    dangling = topology.dangling_references()
    if dangling:
        raise TopologyErrors(
            [
                TopologyError(message, file=source, field=path, fix="import the resource group that holds it too")
                for path, message in dangling
            ]
        )
    return topology


__all__ = [
    "NOT_CARRIED_BY_AZURE",
    "ArmExpressionError",
    "ImportReport",
    "ImportResult",
    "azure_side",
    "import_files",
]
