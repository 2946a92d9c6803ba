"""`blogscope search`: OR semantics ranked by BM25, quoted phrases, the query table, JSON lines,
and a closed pipe that is not an error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from warehouse.load import load_run
from warehouse.publish import publish
from warehouse.search import search
from tests.support.warehouse_world import World

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("search-home")
    World(seed=5, sites=2, posts_per_site=40, max_comments=16).write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1")
    publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")
    return home


def _ids(db: Path, sql: str) -> set[str]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in conn.execute(sql).fetchall()}
    finally:
        conn.close()


def test_any_word_matches_and_documents_with_more_words_rank_first(home: Path) -> None:
    db = home / "blogscope.duckdb"
    insomnia = _ids(db, "SELECT post_id FROM posts WHERE (title || ' ' || text) ILIKE '%insomnia%'")
    therapist = _ids(db, "SELECT post_id FROM posts WHERE (title || ' ' || text) ILIKE '%therapist%'")
    assert insomnia - therapist and therapist - insomnia, "fixture: words of two different topics"
    hits = [h for h in search(db, "insomnia therapist", limit=1000) if h["kind"] == "post"]
    # OR: a post with either word is found (stemming may add a few, e.g. "therapists").
    assert insomnia | therapist <= {h["id"] for h in hits}
    # More matching words, higher score: each post with both words scores above its single-word score.
    alone = {h["id"]: h["score"] for h in search(db, "insomnia", limit=1000) if h["kind"] == "post"}
    both = [h for h in hits if h["id"] in insomnia & therapist]
    assert all(h["score"] > alone[h["id"]] for h in both)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_a_quoted_phrase_must_appear_even_among_or_words(home: Path) -> None:
    db = home / "blogscope.duckdb"
    with_phrase = _ids(db, "SELECT comment_id FROM comments WHERE text ILIKE '%could not sleep for three weeks%'")
    hits = search(db, 'insomnia "could not sleep for three weeks"', limit=1000)
    assert with_phrase and {h["id"] for h in hits if h["kind"] == "comment"} == with_phrase
    assert {h["id"] for h in hits if h["kind"] == "post"} <= _ids(
        db, "SELECT post_id FROM posts WHERE (title || ' ' || text) ILIKE '%could not sleep for three weeks%'")


def test_cli_prints_the_query_table_and_json_lines(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "sleep medication", "--home", str(home), "--limit", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [c.strip() for c in out[0].split(" | ")] == ["score", "kind", "title", "snippet", "url", "id"]
    assert set(out[1]) <= {"-", "+"} and out[-1] == "(5 rows)"
    assert main(["search", "sleep medication", "--home", str(home), "--limit", "5", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    hits = [json.loads(line) for line in lines]
    assert len(hits) == 5 and {"kind", "id", "post_id", "title", "url", "snippet", "score"} == set(hits[0])
    assert main(["search", "zzyzx", "--home", str(home), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no match" in captured.err


@pytest.mark.parametrize("json_lines", [False, True])
def test_a_closed_pipe_is_not_an_error(home: Path, json_lines: bool) -> None:
    # `blogscope search ... | head -1`: the reader leaves after one line, long before the ~100 kB of
    # output (more than a pipe buffer) are written.
    flag = " --json" if json_lines else ""
    proc = subprocess.run(f"'{BIN / 'blogscope'}' search 'today again really think feel' --home '{home}' "
                          f"--limit 1000{flag} | head -1; exit ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, timeout=60, env={**os.environ, "BLOGSCOPE_CACHE_DIR": ""})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("{" if json_lines else "score")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


BM25_COUNT = ("select count(*) from (select fts_main_comments.match_bm25(comment_id, 'sleep medication') s "
              "from comments) where s is not null")


def test_the_bundled_duckdb_shell_runs_match_bm25_offline(home: Path) -> None:
    if not (BIN / "duckdb").is_file():
        pytest.skip(f"{BIN / 'duckdb'} not installed (package duckdb-cli)")
    want = sum(1 for h in search(home / "blogscope.duckdb", "sleep medication", limit=1000) if h["kind"] == "comment")
    # Through `blogscope shell` (auto-install off: a download attempt would fail the query).
    proc = subprocess.run([str(BIN / "blogscope"), "shell", "--home", str(home), "--", "-csv", "-c", BM25_COUNT],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout.split() == ["count_star()", str(want)] and want > 0, proc.stderr
    # The README's one-liner for the plain shell: LOAD the installed file, no download.
    from warehouse.db import fts_load_statement

    proc = subprocess.run([str(BIN / "duckdb"), "-readonly", str(home / "blogscope.duckdb"), "-csv", "-c",
                           "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; "
                           f"{fts_load_statement()}; {BM25_COUNT}"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout.split()[-1] == str(want), proc.stderr


def test_mentions_by_month_count_every_dated_match_once_per_site(home: Path) -> None:
    from warehouse.search import mentions_by_month

    db = home / "blogscope.duckdb"
    result = mentions_by_month(db, "insomnia therapist")
    assert result.columns == ["month", "site_id", "posts", "comments", "share_of_posts", "share_of_comments"]
    keys = [(r[0], r[1]) for r in result.rows]
    assert keys == sorted(set(keys)) and len({r[1] for r in result.rows}) == 2
    hits = search(db, "insomnia therapist", limit=1000)
    dated = _ids(db, """SELECT post_id FROM posts WHERE coalesce(published_at, first_seen_at) IS NOT NULL
                        UNION ALL SELECT comment_id FROM comments
                        WHERE coalesce(published_at, first_seen_at) IS NOT NULL""")
    assert len(hits) < 1000
    assert sum(r[2] for r in result.rows) == sum(1 for h in hits if h["kind"] == "post" and h["id"] in dated)
    assert sum(r[3] for r in result.rows) == sum(1 for h in hits if h["kind"] == "comment" and h["id"] in dated)
    assert all(share is None or 0 <= share <= 1 for r in result.rows for share in r[4:])
    # A month's share: its matching posts over all the site's posts that month.
    row = next(r for r in result.rows if r[2] > 0)
    month, site, posts = row[:3]
    all_posts = _ids(db, f"""SELECT post_id FROM posts WHERE site_id = '{site}' AND
                            CAST(date_trunc('month', coalesce(published_at, first_seen_at)) AS DATE) = '{month}'""")
    assert row[4] == round(posts / len(all_posts), 3)
