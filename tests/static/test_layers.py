"""The layering of docs/architecture.md, checked from the import graph: no cycles, nothing imports upwards.

Every module of every mapped folder is read with ``ast`` (no import is run). Every ``import`` counts: at the top,
inside a function (a lazy import) or under ``TYPE_CHECKING`` — a cycle hidden in a function is still a knot.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import typecheck  # noqa: E402

#: Lowest first. A module belongs to the layer of the longest prefix that names it; it may import its own layer
#: (without cycles) and the layers below, never one above. docs/architecture.md draws the same list.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("photon_doctor.foundation",)),
    ("knowledge", ("photon_doctor.knowledge",)),
    ("engine", ("photon_doctor.engine",)),
    ("words", ("photon_doctor.plain",)),
    ("graph", ("photon_doctor.graph",)),
    ("probes", ("photon_doctor.probes",)),
    ("simulator", ("photon_doctor.simulator",)),
    ("actions", ("photon_doctor.actions",)),
    ("shell", ("photon_doctor",)),
    ("entry", ("photon_doctor.cli", "photon_doctor.__main__")),
)


def modules() -> dict[str, Path]:
    """Every module of the installed layout, by its import name."""
    found: dict[str, Path] = {}
    for package, folder in typecheck.package_dirs(REPO).items():
        for path in folder.glob("*.py"):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (``from package import module`` counts as the module)."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known and m != name}


def import_graph() -> nx.DiGraph:
    known = modules()
    g = nx.DiGraph()
    for name, path in known.items():
        g.add_node(name)
        g.add_edges_from((name, target) for target in imports(name, path, set(known)))
    return g


def layer_of(module: str) -> int:
    best, level = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), i
    assert level >= 0, f"{module} is in no layer: add it to LAYERS (and docs/architecture.md)"
    return level


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return import_graph()


def test_the_graph_sees_every_module_and_real_imports(graph: nx.DiGraph) -> None:
    assert set(graph.nodes) == set(modules())
    # A check that cannot fail is a defect: known edges must be found (top-level, lazy and package-relative).
    assert graph.has_edge("photon_doctor.engine.diagnosis", "photon_doctor.knowledge.model")
    assert graph.has_edge("photon_doctor.cli", "photon_doctor.bootstrap")
    assert graph.has_edge("photon_doctor.probes.base", "photon_doctor.foundation.evidence")


def test_one_composition_root_builds_the_run(graph: nx.DiGraph) -> None:
    # cli → bootstrap → shell: only the composition root builds the probes and starts the run; the shell gets
    # what it acts through by its Wiring port, and nothing else reaches past the CLI into the root.
    assert set(graph.predecessors("photon_doctor.wiring")) == {"photon_doctor.bootstrap"}
    assert set(graph.predecessors("photon_doctor.bootstrap")) == {"photon_doctor.cli"}
    assert set(graph.predecessors("photon_doctor.shell")) == {"photon_doctor.bootstrap"}


def test_no_import_cycles_between_modules(graph: nx.DiGraph) -> None:
    knots = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert knots == [], f"modules that import each other (in a circle): {knots}"


def test_no_module_imports_a_layer_above_its_own(graph: nx.DiGraph) -> None:
    upward = [
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
        for a, b in sorted(graph.edges)
        if layer_of(b) > layer_of(a)
    ]
    assert upward == []


def test_layers_are_ordered_as_documented() -> None:
    order = [
        layer_of(m)
        for m in (
            "photon_doctor.foundation.errors",
            "photon_doctor.knowledge.model",
            "photon_doctor.engine.diagnosis",
            "photon_doctor.plain",
            "photon_doctor.graph.html",
            "photon_doctor.probes.base",
            "photon_doctor.actions.executor",
            "photon_doctor.shell",
            "photon_doctor.cli",
        )
    ]
    assert order == sorted(order) and len(set(order)) == len(order)
