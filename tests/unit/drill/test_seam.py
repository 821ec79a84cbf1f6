"""The drill reaches the emulator only through its public names (issue 10: the seam)."""

from __future__ import annotations

import ast
from pathlib import Path

import hybridnet.emulate

DRILL = Path(__file__).resolve().parents[3] / "src" / "hybridnet" / "drill"


def _emulate_imports() -> list[tuple[str, str]]:
    """(file, what) for every import of hybridnet.emulate in drill/: ``from hybridnet.emulate import X``
    gives X; anything else (a submodule, a plain ``import``) gives the module path."""
    found = []
    for path in DRILL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hybridnet.emulate"):
                if node.module == "hybridnet.emulate":
                    found += [(path.name, alias.name) for alias in node.names]
                else:
                    found.append((path.name, node.module or ""))
            elif isinstance(node, ast.Import):
                found += [(path.name, a.name) for a in node.names if a.name.startswith("hybridnet.emulate")]
    return found


def test_the_drill_uses_only_the_emulators_public_names() -> None:
    imports = _emulate_imports()
    assert imports, "the drill does use the emulator"
    private = [(file, name) for file, name in imports if name not in hybridnet.emulate.__all__]
    assert private == []


def test_the_drill_does_not_reach_into_daemons_or_namespaces() -> None:
    """No FRR paths or argv, no nft table names, no ``ip netns exec``: those are the Lab's business."""
    words = ("run_dir", ".argv(", "hybridnet_nsg", "netns", ".configure(", "readiness", "trace_path")
    offenders = [(path.name, word) for path in DRILL.rglob("*.py")
                 for word in words if word in path.read_text(encoding="utf-8")]
    assert offenders == []
