"""The layers of docs/architecture.md, enforced: which package may import which, and no import circles.

model ← rules/routing ← render ← emulate ← drill/report/export ← cli; importer → model; agents import
nothing of hybridnet; errors, waiting and version sit under everything. Every import counts, also
one inside a function or under TYPE_CHECKING: a circle there is still a circle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "hybridnet"
FOUNDATION = {"errors", "waiting", "version"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "version": set(),
    "waiting": {"errors"},
    "agents": set(),
    "model": FOUNDATION,
    "rules": {"model"} | FOUNDATION,
    "routing": {"model"} | FOUNDATION,
    "importer": {"model"} | FOUNDATION,
    "render": {"model", "rules", "routing"} | FOUNDATION,
    "emulate": {"render", "rules", "routing", "model", "agents"} | FOUNDATION,
    "drill": {"emulate", "render", "rules", "routing", "model", "agents"} | FOUNDATION,
    "export": {"emulate", "render", "rules", "routing", "model", "agents"} | FOUNDATION,
    "verify": {"emulate", "render", "rules", "routing", "model", "agents"} | FOUNDATION,
    "report": {"drill", "emulate", "render", "rules", "routing", "model"} | FOUNDATION,
    "cli": {"drill", "verify", "report", "export", "emulate", "render", "rules", "routing", "model", "importer",
            "agents"} | FOUNDATION,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every hybridnet module ``path`` imports (``from hybridnet import x`` counts as hybridnet.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "hybridnet":
            if node.module == "hybridnet":  # a subpackage or module of it, or an attribute of the root
                found |= {f"hybridnet.{a.name}" if (SOURCE / a.name).is_dir() or (SOURCE / f"{a.name}.py").is_file()
                          else "hybridnet" for a in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "hybridnet"}
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in SOURCE.rglob("*.py")}


def _package(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_every_package_has_a_place_in_the_layers() -> None:
    packages = {_package(m) for m in _graph()} - {"hybridnet"}
    assert packages <= set(ALLOWED), packages - set(ALLOWED)


def test_packages_import_only_the_layers_below_them() -> None:
    wrong = sorted(f"{module} imports {target}" for module, targets in _graph().items() for target in targets
                   if _package(target) not in (_package(module), "hybridnet")  # the root holds only the version
                   and _package(target) not in ALLOWED[_package(module)] and _package(module) != "hybridnet")
    assert wrong == []


def test_the_agents_import_nothing_of_hybridnet_but_themselves() -> None:
    foreign = sorted(f"{m} imports {t}" for m, ts in _graph().items() if _package(m) == "agents"
                     for t in ts if _package(t) != "agents")
    assert foreign == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_of_the_emulator_or_the_drill_import_each_other_in_a_circle() -> None:
    graph = _graph()
    # a package's __init__ re-exports its modules; the circles that matter are between modules
    inner = {m: {t for t in ts if t != _parent(m)} for m, ts in graph.items()
             if _package(m) in ("emulate", "drill")}
    assert _cycles(inner) == []


def _parent(module: str) -> str:
    return module.rsplit(".", 1)[0]


def test_the_cycle_check_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
