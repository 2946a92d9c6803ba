"""End to end (issue #13): planted commenters' names and identifiers end up only in the WARC archive.

Two runs (`crawl` + `process --load`) over the small demo blog served on
127.0.0.1, with comments planted through the generator: readers address each other by name, by
first name, in lower case, with possessives, name a reader before that reader's own comment, name
a reader seen only in the first run, and write an e-mail, a phone number and a profile link. Then
every file of the home is searched (Parquet and DuckDB read column by column, the fts index
included; other files as bytes), plus `export` in both formats, `search` output and the report
with `--allow-comment-text`.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from demoblog.generate import add_comment, generate
from demoblog.server import serve

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
# Distinctive names (no demo text contains them), so any hit is a leak.
PLANTED = ["Quillfeather", "Brightwater", "Theodora", "Quist", "ozzie_from_ohio", "mquill@example.org",
           "867-5309", "twitter.com/mquill"]
RUN1 = [  # (author, text)
    ("Margaret Quillfeather", "Kevin, that is so encouraging. Write to me at mquill@example.org or call (555) 867-5309."),
    ("Kevin Brightwater", "Thanks, Margaret! margaret's tip about the pill organizer helped. @ozzie_from_ohio agrees."),
    ("ozzie_from_ohio", "Agreed with KEVIN BRIGHTWATER. More at https://twitter.com/mquill/status/1 from Quillfeather."),
    ("Theodora Quist", "Hope this helps someone. Take care,\nTheodora"),
]
RUN2 = [  # Theodora commented only in run 1: her name is known to the warehouse as hashes only.
    ("Kevin Brightwater", "Has anyone heard from theodora lately? Quist's posts were the kindest here."),
]


def _blogscope(*args: str, home: Path, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([str(BIN / "blogscope"), *args, "--home", str(home)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode in ok, proc.stderr[-3000:]
    return proc


def _plant(blog, comments: list[tuple[str, str]], post: int) -> None:
    public = [p.index for p in blog.posts if p.public]
    for author, text in comments:
        add_comment(blog, public[post], author=author, text=text)


def _leaks_in(values: list[object]) -> set[str]:
    text = "\n".join(str(v) for v in values if v is not None).casefold()
    return {p for p in PLANTED if p.casefold() in text}


def _parquet_leaks(path: Path) -> set[str]:
    table = pq.read_table(path)
    return _leaks_in([v for col in table.columns for v in col.to_pylist()])


def _duckdb_leaks(path: Path) -> set[str]:
    found: set[str] = set()
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        for schema, table in tables:  # every schema: the fts index keeps its terms in its own
            rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            found |= _leaks_in([v for row in rows for v in row])
    return found


def _home_leaks(root: Path) -> dict[str, set[str]]:
    leaks: dict[str, set[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            found = _parquet_leaks(path)
        elif path.suffix == ".duckdb":
            found = _duckdb_leaks(path)
        else:
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            found = _leaks_in([data.decode("utf-8", "replace")])
        if found:
            leaks[str(path.relative_to(root))] = found
    return leaks


def test_planted_names_are_found_only_in_the_archive(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # Fast on loopback: no politeness delays, a fixed topic count instead of a sweep.
    (home / "blogscope.toml").write_text("[crawl]\nautothrottle = false\ndownload_delay = 0.0\n[topics]\nk = 4\n",
                                         encoding="utf-8")
    blog = generate("wordpress", seed=11, n_posts=8)
    with serve(blog) as server:
        # Each run by single steps: the jobs of `blogscope run` (mark_loaded included) without
        # Prefect's start-up, which tests/test_flows.py and tests/test_e2e_demo.py cover.
        for post, planted in enumerate((RUN1, RUN2), start=1):  # run 2 on another post: its page
            _plant(blog, planted, post)                         # does not carry run 1's commenters
            _blogscope("crawl", server.base_url, "--allow-private", home=home)
            _blogscope("process", "--load", home=home)

    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        texts = [t for (t,) in con.execute("SELECT text FROM comments WHERE text LIKE '%reader-%'").fetchall()]
        summary = dict(con.execute("SELECT kind, sum(replacements) FROM v_privacy_summary GROUP BY kind").fetchall())
    assert any("that is so encouraging" in t for t in texts)  # threads stay readable
    assert summary["name"] >= 8 and summary["email"] >= 1 and summary["phone"] >= 1 and summary["url"] >= 1

    outputs = tmp_path / "outputs"
    for fmt in ("parquet", "csv"):
        _blogscope("export", "--format", fmt, "--out", str(outputs / fmt), home=home)
    searched = "\n".join(_blogscope("search", term, home=home).stdout for term in ("encouraging", "organizer", "kindest"))
    assert "reader-" in searched  # the snippets show pseudonyms where the names were
    for name in ("Quillfeather", "Theodora", "ozzie_from_ohio"):
        # The name as a quoted phrase: it must appear as written (bare words would match any of them).
        found = _blogscope("search", f'"{name}"', "--json", home=home)
        assert found.stdout == "" and found.stderr.startswith("no match")  # no hit: stderr says so, exit 0
    (outputs / "search.txt").write_text(searched, encoding="utf-8")
    _blogscope("report", "--allow-comment-text", "--out", str(outputs / "report.html"), home=home)
    status = _blogscope("status", home=home).stdout
    assert "name" in status and "email" in status  # the privacy summary is shown

    # The loaded runs' raw.jsonl is gone; the process stage still rebuilds everything from the archive.
    assert not list((home / "runs").glob("*/crawl/raw.jsonl"))
    rebuilt = _blogscope("process", "--from-archive", "--run", "rebuilt", home=home).stdout
    assert " 0 comments" not in rebuilt and (home / "runs" / "rebuilt" / "processed" / "comments.parquet").exists()

    archive = {p for p in _home_leaks(home) if p.startswith("archive/")}
    leaks = {p: found for p, found in _home_leaks(home).items() if not p.startswith("archive/")}
    assert leaks == {}
    assert _home_leaks(outputs) == {}
    # ... and the raw text IS in the archive (decompressed), so nothing was lost.
    in_archive = set().union(*(_home_leaks(home)[p] for p in archive)) if archive else set()
    assert in_archive >= {"Quillfeather", "Brightwater", "Theodora", "mquill@example.org"}
