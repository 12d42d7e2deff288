"""No import cycles in nnkb, function-level imports included: a lazy import that closes a
loop is still a loop. Imports under `if TYPE_CHECKING:` are left out (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "nnkb"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:`."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Module -> the nnkb modules it imports anywhere in its body."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in paths}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                names = [f"{base}.{alias.name}" for alias in node.names] + [base]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            target = next((n for n in names if n in paths), None)
            if target is not None and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_sees_a_cycle_through_a_function_level_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_nnkb_has_no_import_cycle():
    graph = import_graph()
    assert "nnkb.bench.throughput" in graph["nnkb.bench.measure"]  # the graph is read
    found = cycles(graph)
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


RENDER_LAYERS = ("shared", "sections", "pages", "build")


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Render modules importing from a later layer: shared <- sections <- pages <- build."""

    def layer(module: str) -> int | None:
        parts = module.split(".")
        if len(parts) > 2 and parts[1] == "render" and parts[2] in RENDER_LAYERS:
            return RENDER_LAYERS.index(parts[2])
        return None

    found = []
    for module, targets in sorted(graph.items()):
        own = layer(module)
        for target in sorted(targets):
            other = layer(target)
            if own is not None and other is not None and other > own:
                found.append(f"{module} imports {target}")
    return found


def test_render_layers_import_only_earlier_ones():
    graph = import_graph()
    assert "nnkb.render.shared.page" in graph["nnkb.render.pages.home"]  # the layers are read
    assert layer_violations({"nnkb.render.shared.x": {"nnkb.render.pages.y"}}) == [
        "nnkb.render.shared.x imports nnkb.render.pages.y"
    ]
    assert layer_violations(graph) == []
