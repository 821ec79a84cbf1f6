"""Evaluating an ARM template with its parameters file into the resources it would deploy.

Parameters come from the parameters file, else their ``defaultValue``; variables and ``reference()``
are evaluated on demand (so their order in the file does not matter, and a cycle is an error, not a
hang). Resource-level and property-level ``copy`` loops, ``condition``, nested child resources and
inline nested deployments are expanded. Linked templates (``templateLink``) are not fetched: they are
reported, so the user can import the linked file itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridnet.importer.expressions import (
    ArmExpressionError,
    EvaluationBudget,
    RuntimeProperties,
    Unknown,
    copy_count,
    evaluate_property_loop,
    evaluate_string,
    evaluate_value,
)
from hybridnet.importer.jsonfile import read_json_file
from hybridnet.importer.limits import MAX_DEPLOYMENT_DEPTH, MAX_EVALUATION_DEPTH, MAX_RESOURCES, ArmLimitError
from hybridnet.importer.resources import SECURE_PLACEHOLDER, AzureResource
from hybridnet.model import TopologyError

PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
SECURE_TYPES = ("securestring", "secureobject")


@dataclass
class TemplateScope:
    """The evaluation context of one template: what ``parameters()``, ``variables()``, ``reference()``
    and ``copyIndex()`` return."""

    template: dict[str, Any]
    parameter_values: dict[str, Any]
    source: str
    resource_group: str
    location: str
    subscription_id: str = PLACEHOLDER_SUBSCRIPTION
    secure_parameters: set[str] = field(default_factory=set)
    search_dir: Path | None = None
    _variables: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)
    _copies: dict[str, int] = field(default_factory=dict)
    _loop_stack: list[str] = field(default_factory=list)
    resources: list[AzureResource] = field(default_factory=list)
    budget: EvaluationBudget = field(default_factory=EvaluationBudget)
    links: tuple[str, ...] = ()  # the chain of templates that led here, to refuse a link cycle
    unknowns: list[UnknownValue] = field(default_factory=list)
    _failed: set[int] = field(default_factory=set)

    def parameter(self, name: str) -> Any:
        declared = _lookup(self.template.get("parameters") or {}, name)
        if declared is None:
            raise ArmExpressionError(f"parameters('{name}') is not declared in the template", file=self.source)
        if _has(self.parameter_values, name):
            return _lookup(self.parameter_values, name)
        if "defaultValue" in declared:
            return evaluate_value(declared["defaultValue"], self)
        if str(declared.get("type", "")).lower() in SECURE_TYPES:
            self.secure_parameters.add(name)
            return SECURE_PLACEHOLDER.format(name=name)
        # given only at deployment: the resources that use it are imported without those fields
        return Unknown(f"parameter {name!r} has no value and no default (give the parameters file after "
                       "the template: FILE.json FILE.parameters.json)")

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self._variables:
            return self._variables[key]
        variables = self.template.get("variables") or {}
        loops = variables.get("copy") if isinstance(variables.get("copy"), list) else []
        loop = next((c for c in loops if isinstance(c, dict) and str(c.get("name", "")).lower() == key), None)
        if loop is None and (key == "copy" or not _has(variables, name)):
            raise ArmExpressionError(f"variables('{name}') is not defined in the template", file=self.source)
        if key in self._evaluating:
            raise ArmExpressionError(f"variable {name!r} refers to itself", file=self.source)
        self._enter(key)
        try:
            # a variable copy loop: "variables": {"copy": [{"name": ..., "count": ..., "input": ...}]}
            value = evaluate_property_loop(loop, self) if loop is not None else evaluate_value(
                _lookup(variables, name), self
            )
        finally:
            self._evaluating.discard(key)
        self._variables[key] = value
        return value

    def _enter(self, key: str) -> None:
        if len(self._evaluating) >= MAX_EVALUATION_DEPTH:
            raise ArmLimitError(
                f"variables and resources refer to one another more than {MAX_EVALUATION_DEPTH} deep",
                file=self.source,
                fix="flatten the chain of variables",
            )
        self._evaluating.add(key)

    def reference(self, target: str, full: bool) -> Any:
        wanted = target.rstrip("/").lower()
        label = f"reference('{target}')"
        for position, resource in enumerate(self.resources):
            suffix = _id_suffix(resource).lower()
            if wanted in (resource.name.lower(), suffix) or wanted.endswith("/" + suffix):
                resource = _evaluate_one(self, position)
                if full:
                    return RuntimeProperties(
                        {
                            "name": resource.name,
                            "type": resource.type,
                            "properties": resource.properties,
                            "sku": resource.sku,
                            "location": resource.location,
                        },
                        label,
                    )
                return RuntimeProperties(resource.properties, label)
        if wanted.startswith("/subscriptions/"):  # an existing resource outside the template
            return Unknown(f"{label}: a resource outside this template, known only in Azure")
        raise ArmExpressionError(
            f"reference('{target}') names no resource of this template "
            "(runtime-only values such as IP addresses cannot be imported)",
            file=self.source,
        )

    def copy_index(self, loop: str | None) -> int:
        name = loop if loop is not None else (self._loop_stack[-1] if self._loop_stack else None)
        if name is None or name not in self._copies:
            raise ArmExpressionError(f"copyIndex({loop or ''}) outside its copy loop", file=self.source)
        return self._copies[name]

    def enter_copy(self, loop: str, index: int) -> None:
        self._copies[loop] = index
        self._loop_stack.append(loop)

    def leave_copy(self, loop: str) -> None:
        self._copies.pop(loop, None)
        if self._loop_stack and self._loop_stack[-1] == loop:
            self._loop_stack.pop()


@dataclass(frozen=True)
class UnknownValue:
    """A field of a resource ARM knows only at deployment: left out of the import, and reported."""

    resource: str
    field: str
    why: str
    origin: str


@dataclass(frozen=True)
class SkippedResource:
    """A resource the template declares but the evaluation did not produce, and why."""

    type: str
    name: str
    reason: str


def _has(mapping: dict[str, Any], name: str) -> bool:
    return any(k.lower() == name.lower() for k in mapping)


def _lookup(mapping: dict[str, Any], name: str) -> Any:
    return next((v for k, v in mapping.items() if k.lower() == name.lower()), None)


def _id_suffix(resource: AzureResource) -> str:
    provider, *types = resource.type.split("/")
    names = resource.name.split("/")
    return f"{provider}/" + "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=False))


def parameter_values(document: dict[str, Any], source: str) -> dict[str, Any]:
    """The values of a parameters file; Key Vault references become secure placeholders."""
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ArmExpressionError(
            "a parameters file needs a 'parameters' object",
            file=source,
            fix="pass the deployment parameters file (azuredeploy.parameters.json)",
        )
    values: dict[str, Any] = {}
    for name, entry in parameters.items():
        if isinstance(entry, dict) and "value" in entry:
            values[name] = entry["value"]
        elif isinstance(entry, dict) and "reference" in entry:
            values[name] = SECURE_PLACEHOLDER.format(name=name)
    return values


def evaluate_template(
    template: dict[str, Any],
    values: dict[str, Any],
    source: str,
    resource_group: str,
    location: str | None = None,
    search_dir: Path | None = None,
    parent: TemplateScope | None = None,
) -> tuple[TemplateScope, list[SkippedResource]]:
    """Every resource the template deploys, evaluated; plus what it declares but does not deploy."""
    scope = TemplateScope(template, values, source, resource_group, location or "centralus")
    scope.search_dir = search_dir
    if parent is not None:
        scope.budget, scope.links = parent.budget, (*parent.links, source)
        scope.unknowns = parent.unknowns
    else:
        scope.links = (source,)
    if not isinstance(template, dict):
        raise ArmExpressionError("the template is not a JSON object", file=source)
    if location is None and _has(template.get("parameters") or {}, "location"):
        try:
            declared_location = scope.parameter("location")
        except ArmLimitError:
            raise
        except ArmExpressionError:
            declared_location = None  # only the resources that use it are affected
        scope.location = (
            declared_location
            if isinstance(declared_location, str) and not declared_location.startswith("[")
            else scope.location
        )
    skipped: list[SkippedResource] = []
    resources = template.get("resources") or []
    if isinstance(resources, dict):  # languageVersion 2.0: symbolic names
        resources = list(resources.values())
    if not isinstance(resources, list):
        raise ArmExpressionError("'resources' is neither an array nor an object", file=source)
    _expand(scope, resources, None, skipped)
    _evaluate_properties(scope, skipped)
    return scope, skipped


def _expand(
    scope: TemplateScope, declared: list[Any], parent: AzureResource | None, skipped: list[SkippedResource]
) -> None:
    """Names first (so reference() can find any resource), properties later."""
    for index, raw in enumerate(declared):
        if not isinstance(raw, dict) or "type" not in raw:
            raise ArmExpressionError(f"resources[{index}] is not a resource object", file=scope.source)
        try:
            _declare_copies(scope, raw, parent, skipped)
        except ArmLimitError as error:
            raise _located(error, scope, f"{raw.get('type')} {raw.get('name', f'resources[{index}]')}") from None
        except ArmExpressionError as error:  # one resource ARM could not evaluate here: skip it, say why
            kind, name = str(raw.get("type")), str(raw.get("name", f"resources[{index}]"))
            skipped.append(SkippedResource(kind, name, f"cannot be evaluated: {_reason(error)}"))


def _located(error: TopologyError, scope: TemplateScope, resource: str) -> TopologyError:
    """The error, naming the file and the resource it arose in (expressions do not know either)."""
    if error.file is None:
        error.file = scope.source
    if error.field is None:
        error.field = f"resource {resource[:100]}"
    return error


def _reason(error: TopologyError) -> str:
    return error.message + (f" ({error.fix})" if error.fix else "")


def _declare_copies(
    scope: TemplateScope, raw: dict[str, Any], parent: AzureResource | None, skipped: list[SkippedResource]
) -> None:
    loop = raw.get("copy") if isinstance(raw.get("copy"), dict) else None
    count = copy_count(evaluate_value(loop.get("count", 1), scope), str(loop.get("name"))) if loop else 1
    if isinstance(count, Unknown):
        skipped.append(SkippedResource(str(raw.get("type")), str(raw.get("name")),
                                       f"its copy count is known only at deployment: {count.why}"))
        return
    for copy in range(count):
        if loop:
            scope.enter_copy(loop["name"], copy)
        try:
            _declare(scope, raw, parent, skipped)
        finally:
            if loop:
                scope.leave_copy(loop["name"])


def _declare(
    scope: TemplateScope, raw: dict[str, Any], parent: AzureResource | None, skipped: list[SkippedResource]
) -> None:
    kind, name = evaluate_string(str(raw["type"]), scope), evaluate_string(str(raw.get("name", "")), scope)
    if isinstance(kind, Unknown) or isinstance(name, Unknown):
        unknown = kind if isinstance(kind, Unknown) else name
        skipped.append(SkippedResource(str(raw["type"]), str(raw.get("name")),
                                       f"its name is known only at deployment: {unknown.why}"))
        return
    kind, name = str(kind), str(name)
    if parent is not None and kind.count("/") == 0:
        kind, name = f"{parent.type}/{kind}", f"{parent.name}/{name}"
    condition = evaluate_value(raw["condition"], scope) if "condition" in raw else True
    if isinstance(condition, Unknown):
        skipped.append(SkippedResource(kind, name, f"its condition is known only at deployment: {condition.why}"))
        return
    if not condition:
        skipped.append(SkippedResource(kind, name, "its condition is false"))
        return
    if len(scope.resources) >= MAX_RESOURCES:
        raise ArmLimitError(
            f"the template declares more than {MAX_RESOURCES} resources (copies included), ARM's limit",
            file=scope.source,
        )
    if kind.lower() == "microsoft.resources/deployments":
        _nested_deployment(scope, raw, name, skipped)
        return
    resource = AzureResource(
        kind,
        name,
        {"__raw__": raw, "__copies__": dict(scope._copies)},
        origin=f"{scope.source}: resource {kind} {name}",
    )
    scope.resources.append(resource)
    _expand(scope, raw.get("resources") or [], resource, skipped)


def _nested_deployment(scope: TemplateScope, raw: dict[str, Any], name: str, skipped: list[SkippedResource]) -> None:
    """An inline template, or a linked one found next to the parent (same file name): its resources
    join the parent's, and its outputs are what ``reference('<deployment>').outputs`` returns."""
    properties = raw.get("properties") or {}
    if "template" in properties:
        template, source = properties["template"], f"{scope.source} > {name}"
        inner = (properties.get("expressionEvaluationOptions") or {}).get("scope", "outer").lower() == "inner"
        if not inner:  # outer scope: the nested template's expressions see the parent's parameters
            _expand(scope, template.get("resources") or [], None, skipped)
            return
    else:
        link = evaluate_value(properties.get("templateLink") or {}, scope)
        found = _local_copy(scope, link)
        if found is None:
            where = link.get("relativePath") or link.get("uri") or "?"
            skipped.append(
                SkippedResource(
                    "Microsoft.Resources/deployments",
                    name,
                    f"linked template {where} is not fetched; save it next to the "
                    "template under the same file name, or import it directly",
                )
            )
            return
        _refuse_link_cycle(scope, found)
        template, source = _read_json(found, scope.source), str(found)
    values = {
        k: evaluate_value(v.get("value"), scope)
        for k, v in (properties.get("parameters") or {}).items()
        if isinstance(v, dict) and "value" in v
    }
    parameters_file = _local_copy(scope, evaluate_value(properties.get("parametersLink") or {}, scope))
    if parameters_file is not None:
        values = {
            **parameter_values(_read_json(parameters_file, scope.source), str(parameters_file)),
            **values,
        }
    if len(scope.links) >= MAX_DEPLOYMENT_DEPTH:
        raise ArmLimitError(
            f"deployments nested more than {MAX_DEPLOYMENT_DEPTH} deep: {' > '.join(scope.links[:3])} > ...",
            file=scope.source,
        )
    nested, nested_skipped = evaluate_template(
        template, values, source, scope.resource_group, scope.location, search_dir=scope.search_dir, parent=scope
    )
    scope.resources += nested.resources
    scope.secure_parameters |= nested.secure_parameters
    skipped += nested_skipped
    outputs = {}
    for key, output in (template.get("outputs") or {}).items():
        try:
            outputs[key] = {"type": output.get("type"), "value": evaluate_value(output.get("value"), nested)}
        except ArmExpressionError:
            continue  # an output that needs runtime values (IP addresses): nothing reads it here
    scope.resources.append(
        AzureResource(
            "Microsoft.Resources/deployments",
            name,
            {"outputs": outputs},
            origin=f"{scope.source}: deployment {name}",
        )
    )


def _local_copy(scope: TemplateScope, link: Any) -> Path | None:
    """A linked file saved beside the parent template, by its file name (the URI is never fetched)."""
    if not isinstance(link, dict) or scope.search_dir is None:
        return None
    reference = link.get("relativePath") or link.get("uri")
    if not isinstance(reference, str) or not reference:
        return None
    candidate = scope.search_dir / reference.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return candidate if candidate.is_file() else None


def _refuse_link_cycle(scope: TemplateScope, found: Path) -> None:
    """A template that links to itself (or A -> B -> A) would be read forever."""
    chain = [*scope.links, str(found)]
    resolved = [str(Path(p.split(" > ")[0]).resolve()) for p in scope.links]
    if str(found.resolve()) in resolved:
        raise ArmLimitError(
            f"linked templates form a cycle: {' > '.join(chain)}",
            file=scope.source,
            fix="a template cannot link to itself, directly or through another",
        )


def _read_json(path: Path, source: str) -> Any:
    try:
        return read_json_file(path)
    except ArmLimitError:
        raise
    except TopologyError as error:
        raise ArmExpressionError(f"cannot read the linked file: {error}", file=source) from None


def _evaluate_properties(scope: TemplateScope, skipped: list[SkippedResource]) -> None:
    """Replace each declared resource by its evaluated form; reference() evaluates ahead on demand. A
    resource whose properties cannot be evaluated is skipped (with the reason), the rest imported."""
    for position in range(len(scope.resources)):
        try:
            _evaluate_one(scope, position)
        except ArmLimitError as error:
            resource = scope.resources[position]
            raise _located(error, scope, f"{resource.type} {resource.name}") from None
        except ArmExpressionError as error:
            resource = scope.resources[position]
            scope._failed.add(position)
            skipped.append(SkippedResource(resource.type, resource.name, f"cannot be evaluated: {_reason(error)}"))
    if scope._failed:
        scope.resources = [r for i, r in enumerate(scope.resources) if i not in scope._failed]
        scope._failed = set()


def _evaluate_one(scope: TemplateScope, position: int) -> AzureResource:
    resource = scope.resources[position]
    raw = resource.properties.get("__raw__")
    if raw is None:
        return resource
    key = f"resource:{position}"
    if key in scope._evaluating:
        raise ArmExpressionError(f"{resource.type} {resource.name} references itself", file=scope.source)
    scope._enter(key)
    saved_copies, saved_stack = dict(scope._copies), list(scope._loop_stack)
    for loop, index in resource.properties["__copies__"].items():
        scope.enter_copy(loop, index)
    try:
        evaluated = {
            name: evaluate_value(raw.get(name), scope)
            for name in ("properties", "sku", "zones", "location", "dependsOn")
        }
    finally:
        scope._copies, scope._loop_stack = saved_copies, saved_stack
        scope._evaluating.discard(key)
    evaluated = {k: _known(v, f"{resource.type} {resource.name}", k, resource.origin, scope) for k, v in
                 evaluated.items()}
    result = AzureResource(
        resource.type,
        resource.name,
        evaluated["properties"] or {},
        resource.origin,
        sku=evaluated["sku"],
        zones=tuple(evaluated["zones"] or ()),
        location=evaluated["location"],
        resource_group=scope.resource_group,
        depends_on=tuple(evaluated["dependsOn"] or ()),
    )
    scope.resources[position] = result
    return result


def _known(value: Any, what: str, path: str, origin: str, scope: TemplateScope) -> Any:
    """The value without what is known only at deployment; each such field is recorded for the report
    and left out (a key is dropped, an array item removed)."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if isinstance(item, Unknown):
                scope.unknowns.append(UnknownValue(what, f"{path}.{key}", item.why, origin))
            else:
                kept[key] = _known(item, what, f"{path}.{key}", origin, scope)
        return kept
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            if isinstance(item, Unknown):
                scope.unknowns.append(UnknownValue(what, f"{path}[{index}]", item.why, origin))
            else:
                items.append(_known(item, what, f"{path}[{index}]", origin, scope))
        return items
    if isinstance(value, Unknown):
        scope.unknowns.append(UnknownValue(what, path, value.why, origin))
        return None
    return value
