"""Shared fixtures: the reference topology and a way to derive variants of it."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from hybridnet.model import Topology, default_topology, loads, reference_yaml


@pytest.fixture
def reference() -> Topology:
    return default_topology()


def reference_document() -> dict[str, Any]:
    """The reference topology as a plain, mutable document (for variants and mutations)."""
    return YAML(typ="safe").load(reference_yaml())


def topology_from(document: dict[str, Any]) -> Topology:
    """Validate a document the way a file is validated (located errors, reference checks)."""
    from io import StringIO

    buffer = StringIO()
    YAML(typ="safe").dump(document, buffer)
    return loads(buffer.getvalue(), source="<variant>")
