"""An imported topology as the YAML a user keeps: defaults left out, the report as a header, and
never a secret (an inline key is replaced by an environment-variable reference)."""

from __future__ import annotations

from io import StringIO
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML

from hybridnet.importer.map_gateways import SHARED_KEY_ENV
from hybridnet.importer.report import ImportReport
from hybridnet.model import SecretRef, Topology
from hybridnet.version import hybridnet_version

_ALWAYS = {"type", "name", "asn"}


def _plain(value: Any, report: ImportReport, path: str) -> Any:
    if isinstance(value, SecretRef):
        if value.is_inline:
            report.assume(path, f"the inline key was not written: read from environment variable {SHARED_KEY_ENV}")
            return {"env": SHARED_KEY_ENV}
        return {k: v for k, v in (("env", value.env), ("file", value.file)) if v is not None}
    if isinstance(value, BaseModel):
        out = {}
        for name, field in type(value).model_fields.items():
            item = getattr(value, name)
            if name not in _ALWAYS and not field.is_required() and item == field.get_default(call_default_factory=True):
                continue
            out[name] = _plain(item, report, f"{path}.{name}" if path else name)
        return out
    if isinstance(value, tuple | list):
        return [_plain(item, report, f"{path}.{i}") for i, item in enumerate(value)]
    if isinstance(value, IPv4Address | IPv4Network):
        return str(value)
    return value


def topology_yaml(topology: Topology, report: ImportReport) -> str:
    """The topology as YAML, headed by what the import assumed and left out."""
    document = _plain(topology, report, "")
    buffer = StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 110
    yaml.dump(document, buffer)
    header = [f"# hybridnet topology written by `hybridnet import` (hybridnet {hybridnet_version()}). "
              "Review the assumptions below.", "#"]
    header += [f"# {line}" for line in report.lines()]
    return "\n".join(header) + "\n\n" + buffer.getvalue()
