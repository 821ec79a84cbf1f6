"""Exports of the lab plan to other emulators: containerlab (one host, or split across N hosts).

``export_containerlab(plan)`` turns the lab plan into containerlab topology documents and node
files (pure); ``write_export`` writes them inside a directory; ``validation_errors`` checks a
document against containerlab's own JSON Schema, which ships with this package.
"""

from hybridnet.export.containerlab import (
    FRR_IMAGE,
    LINUX_IMAGE,
    ContainerlabExport,
    ExportedFile,
    ExportError,
    export_containerlab,
    interface_map,
    rename_in_text,
    split_secrets,
    validation_errors,
)
from hybridnet.export.host_split import HostSplit, split_hosts
from hybridnet.export.writer import topology_yaml, write_export

__all__ = [
    "FRR_IMAGE",
    "LINUX_IMAGE",
    "ContainerlabExport",
    "ExportError",
    "ExportedFile",
    "HostSplit",
    "export_containerlab",
    "interface_map",
    "rename_in_text",
    "split_hosts",
    "split_secrets",
    "topology_yaml",
    "validation_errors",
    "write_export",
]
