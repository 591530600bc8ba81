"""qabot's packages are layers: each imports only the layers below it, and no module
imports itself round a cycle. Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qabot"

# Bottom first. A module may import its own package's modules and any lower layer.
LAYERS = [
    ["qabot.config_errors"],
    ["qabot.config", "qabot.schema", "qabot.resources"],
    ["qabot.arrays"],
    ["qabot.ingest", "qabot.tokenizer"],
    ["qabot.retriever"],
    ["qabot.index"],
    ["qabot.store"],
    ["qabot.build"],
    ["qabot.reader"],
    ["qabot.pipeline"],
    ["qabot.chat", "qabot.eval", "qabot.watch"],
    ["qabot.telegram"],
    ["qabot.cli"],
    ["qabot.__main__"],
]
LAYER = {unit: number for number, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """The package or top-level module a module belongs to: ``qabot.build.parts`` →
    ``qabot.build``; ``qabot.pipeline`` → itself."""
    return ".".join(module.split(".")[:2])


def imports(path: Path) -> set[str]:
    """The qabot modules a file imports, wherever the import statement is."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # ``from qabot.build import builder`` imports a module, not a name.
            found.update(
                f"{base}.{alias.name}"
                for alias in node.names
                if (PACKAGE.parent / f"{base}.{alias.name}".replace(".", "/"))
                .with_suffix(".py")
                .is_file()
            )
    return {name for name in found if name == "qabot" or name.startswith("qabot.")}


GRAPH = {module_name(path): imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module from its own layer or a higher one, but its own package."""
    found = []
    for module, targets in graph.items():
        if module == "qabot":
            continue
        mine = LAYER[unit_of(module)]
        for imported in targets:
            unit = unit_of(imported)
            if imported != "qabot" and unit != unit_of(module) and LAYER[unit] >= mine:
                found.append(f"{module} (layer {mine}) imports {imported} (layer {LAYER[unit]})")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other round a cycle (Tarjan's strongly
    connected components). Importing a package stands for what its __init__ imports."""
    edges = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}
    found: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
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

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_every_package_has_a_layer() -> None:
    units = {unit_of(module) for module in GRAPH if module != "qabot"}
    assert units <= LAYER.keys(), f"add to LAYERS: {sorted(units - LAYER.keys())}"


def test_imports_go_down_the_layers() -> None:
    assert upward_imports(GRAPH) == []


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert cycles(GRAPH) == []


def test_the_checks_find_an_upward_import_and_a_cycle() -> None:
    planted = {
        **GRAPH,
        "qabot.index.notes_index": GRAPH["qabot.index.notes_index"] | {"qabot.build.builder"},
    }
    assert upward_imports(planted) == [
        "qabot.index.notes_index (layer 5) imports qabot.build.builder (layer 7)"
    ]
    assert any("qabot.index.notes_index" in group for group in cycles(planted))
