"""The layering of docs/architecture.md ("Layers"), kept true by walking the imports."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

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
