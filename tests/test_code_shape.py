"""No test scaffolding in the shipped packages: test servers, synthetic data and workers live in tests/support."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("crawl", "pipeline", "flows", "warehouse", "demoblog")
TEST_ONLY_IMPORTS = {"pytest", "_pytest", "tests", "unittest"}


def _module_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", SHIPPED)
def test_no_scaffolding_modules_in_shipped_packages(package: str) -> None:
    scaffolding = [str(p.relative_to(ROOT)) for p in _module_files(package)
                   if p.stem in ("testing", "testsite", "conftest") or p.stem.startswith(("fixtures", "test_"))
                   or p.parent.name in ("tests", "testing", "fixtures")]
    assert not scaffolding, f"test scaffolding belongs in tests/support/: {scaffolding}"


@pytest.mark.parametrize("package", SHIPPED)
def test_shipped_packages_import_no_test_tooling(package: str) -> None:
    offenders = []
    for path in _module_files(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                          if name.split(".")[0] in TEST_ONLY_IMPORTS]
    assert not offenders, "shipped code imports test tooling:\n" + "\n".join(offenders)


def test_the_scaffolding_is_in_tests_support() -> None:
    support = ROOT / "tests" / "support"
    for name in ("testsite.py", "generic_blog.py", "warehouse_world.py", "warehouse_workers.py"):
        assert (support / name).is_file(), name
