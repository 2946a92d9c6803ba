"""Examples that users copy must run: `--help` examples of query, search and shell, the README's
`blogscope query|search|shell` lines (through bash, so shell quoting is tested too) and
examples/analysis.py (when the [analysis] extra is installed)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.cli import EXAMPLES
from warehouse.load import load_run
from warehouse.publish import publish
from tests.support.warehouse_world import World

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLE_COMMANDS = ("query", "search", "shell")
_README_LINE = re.compile(rf"^(?:\.venv/bin/)?blogscope (?:{'|'.join(EXAMPLE_COMMANDS)}) .*$", re.MULTILINE)


def _help_examples() -> list[str]:
    """Example lines of query, search and shell from every --help text (the main one names query too)."""
    return [line.strip() for text in EXAMPLES.values() for line in text.splitlines()
            if _README_LINE.match(line.strip()) and line.startswith("  ")]


def _readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [m.group(0) for block in blocks for m in _README_LINE.finditer(block)]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("examples-home")
    World(seed=3, sites=2, posts_per_site=12, max_comments=10).write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1")
    publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")
    return home


def test_there_are_examples_to_run() -> None:
    assert len(_help_examples()) >= 8 and len(_readme_examples()) >= 3
    assert any("--param" in line for line in _help_examples() + _readme_examples())


@pytest.mark.parametrize("line", sorted(set(_help_examples() + _readme_examples())))
def test_example_runs_as_copied(home: Path, line: str) -> None:
    command = line.replace("~/blogs", shlex.quote(str(home)))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "BLOGSCOPE_CACHE_DIR": ""}
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr and "error" not in proc.stderr.lower(), proc.stderr[-2000:]


def test_analysis_example_reproduces_the_report_figures(home: Path) -> None:
    pytest.importorskip("pandas", reason="the [analysis] extra: make install-analysis")
    pytest.importorskip("polars", reason="the [analysis] extra: make install-analysis")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "analysis.py"), str(home)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = duckdb.connect(str(home / "blogscope.duckdb"), read_only=True)
    try:
        total = conn.execute("SELECT sum(comments) FROM v_post_discussion WHERE topic_id IS NOT NULL").fetchone()[0]
        top = conn.execute("""SELECT topic_label FROM v_post_discussion WHERE topic_id IS NOT NULL
                              GROUP BY topic_id, topic_label ORDER BY sum(comments) DESC, topic_id LIMIT 1""").fetchone()[0]
    finally:
        conn.close()
    assert f"comments on posts with a topic: {total};" in proc.stdout and f"top topic: {top}" in proc.stdout
    for heading in ("Topics by comments (pandas)", "Monthly trend (polars)", "Comment sentiment by topic (pandas)"):
        assert heading in proc.stdout
