"""End to end: ``blogscope demo`` crawls the demo blog over HTTP into DuckDB, as a user runs it.

Checks posts, comments and every comment's parent against the generator's truth, and that the
project's own ``duckdb`` shell opens the published database read-only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([str(BIN / "blogscope"), "demo", "--home", str(home)], capture_output=True, text=True,
                          timeout=600, env=env)
    print(proc.stdout)
    print(proc.stderr[-5000:], file=sys.stderr)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "topics drawing the most discussion" in proc.stdout
    assert "matches the warehouse" in proc.stdout
    return home


def _truths(home: Path) -> list[dict]:
    files = sorted((home / "truth").glob("*.json"))
    assert len(files) == 2, files
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def test_posts_match_the_truth_exactly(demo_home: Path) -> None:
    expected = {p["url"] for t in _truths(demo_home) for p in t["posts"] if p["public"]}
    with duckdb.connect(str(demo_home / "blogscope.duckdb"), read_only=True) as con:
        got = [r[0] for r in con.execute("select url from posts").fetchall()]
    assert len(got) == len(set(got))
    assert set(got) == expected


def test_comments_and_their_parents_match_the_truth_exactly(demo_home: Path) -> None:
    expected = {
        (c["post_url"], str(c["platform_comment_id"]),
         None if c["parent_platform_comment_id"] is None else str(c["parent_platform_comment_id"]))
        for t in _truths(demo_home) for c in t["comments"] if c["visible"]
    }
    hidden = {(c["post_url"], str(c["platform_comment_id"])) for t in _truths(demo_home) for c in t["comments"]
              if not c["visible"]}
    sql = """
        select p.url, c.platform_comment_id, parent.platform_comment_id
        from comments c join posts p using (post_id)
        left join comments parent on parent.comment_id = c.parent_id
    """
    with duckdb.connect(str(demo_home / "blogscope.duckdb"), read_only=True) as con:
        got = con.execute(sql).fetchall()
    assert len(got) == len(set(got)), "a comment was loaded twice"
    assert set(got) == expected
    assert not ({(u, i) for u, i, _ in got} & hidden), "an unapproved comment was collected"


def test_the_projects_duckdb_shell_opens_the_published_database(demo_home: Path) -> None:
    visible = sum(1 for t in _truths(demo_home) for c in t["comments"] if c["visible"])
    proc = subprocess.run([str(BIN / "duckdb"), "-readonly", "-csv", "-noheader", str(demo_home / "blogscope.duckdb"),
                           "-c", "select count(*) from comments"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) == visible


def test_the_demo_writes_a_report_and_records_the_run(demo_home: Path) -> None:
    report = demo_home / "report.html"
    assert report.exists() and report.stat().st_size > 10_000
    with duckdb.connect(str(demo_home / "blogscope.duckdb"), read_only=True) as con:
        runs = con.execute("select status from runs").fetchall()
        assert runs and all(r[0] in ("completed", "completed_with_errors") for r in runs)
        # Every row names the run that produced it.
        for table in ("posts", "comments", "sentiment"):
            assert con.execute(f"select count(*) from {table} where run_id is null").fetchone()[0] == 0
        assert con.execute("select count(*) from topics").fetchone()[0] >= 3


def test_the_demo_report_names_every_post_and_stays_small(demo_home: Path) -> None:
    """Issue #16: the report names every post of the period (the demo's 88) and stays under ~3 MB."""
    import re

    html = (demo_home / "report.html").read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) < 3_000_000  # measured: 1.28 MB, 0.90 MB of it the chart library
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert found, "the report has no interactive data (is vl-convert-python installed?)"
    named = sorted(p["t"] for p in json.loads(found.group(1))["posts"] if p["p"])
    with duckdb.connect(str(demo_home / "blogscope.duckdb"), read_only=True) as con:
        titles = sorted(t for (t,) in con.execute("select coalesce(title, '(untitled post)') from posts").fetchall())
    assert len(titles) == 88 and named == titles
