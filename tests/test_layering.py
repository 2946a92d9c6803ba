"""The layering of docs/architecture.md ("Layers"), kept true by walking the imports."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
OWN = {"pipeline", "crawl", "warehouse", "flows", "demoblog"}
# package -> own packages it may import
ALLOWED = {
    "pipeline": set(),
    "crawl": {"pipeline"},
    "warehouse": {"pipeline"},
    "demoblog": {"pipeline"},
    "flows": {"pipeline", "crawl", "warehouse", "demoblog"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_follow_the_layers(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        used = _imports(path) & OWN - {package}
        if used - ALLOWED[package]:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(used - ALLOWED[package])}")
    assert not bad, "layering broken:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", sorted(set(ALLOWED) - {"flows"}))
def test_only_flows_imports_prefect(package: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py") if "prefect" in _imports(p)]
    assert not offenders


@pytest.mark.parametrize("package", sorted(OWN))
def test_packages_import_from_this_checkout(package: str) -> None:
    # The names are generic; make sure no other 'pipeline' or 'flows' shadows ours.
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().parent == ROOT / package


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs (function-level ones too); ``if TYPE_CHECKING:`` blocks are for the type checker."""
    for child in ast.iter_child_nodes(tree):
        if _is_type_checking_block(child):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        yield from _runtime_imports(child)


def _import_graph(package: str) -> dict[str, set[str]]:
    """Module -> modules of ``package`` it imports when it runs."""
    paths = {_module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif node.level == 0 and node.module:
                # "from crawl import plan" imports the module crawl.plan; "from crawl.x import f" crawl.x.
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in paths else node.module
                           for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in paths and t != name)
        graph[name] = edges
    return graph


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules, or ``None`` when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": set()}) is None


def test_import_graph_sees_function_level_imports_and_skips_type_checking() -> None:
    graph = _import_graph("crawl")
    assert "crawl.spider" in graph["crawl.run"]  # imported inside run_crawl
    assert "crawl.discovery.wordpress" in graph["crawl.siterun"]
    assert "crawl.siterun" not in graph["crawl.discovery.wordpress"]  # only under TYPE_CHECKING


@pytest.mark.parametrize("package", sorted(OWN))
def test_modules_import_no_cycle(package: str) -> None:
    cycle = _a_cycle(_import_graph(package))
    assert cycle is None, f"import cycle in {package}/: " + " -> ".join(cycle or [])


MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300


@pytest.mark.parametrize("package", ["crawl"])
def test_modules_and_classes_stay_small(package: str) -> None:
    too_big = []
    for path in sorted((ROOT / package).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{path.relative_to(ROOT)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_big.append(f"{path.relative_to(ROOT)}: class {node.name} {node.end_lineno - node.lineno + 1} lines")
    assert not too_big, "split these:\n" + "\n".join(too_big)
