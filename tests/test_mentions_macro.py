"""``mentions_by_month(term)``: a search term's mentions per month and site, as a table macro.

Checked against the same count done in Python over the base tables of a real loaded and published
warehouse, for a word and a two-word phrase.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from warehouse.load import load_run
from warehouse.publish import publish
from tests.support.warehouse_world import World


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    home = tmp_path_factory.mktemp("mentions")
    World(seed=5, sites=2, posts_per_site=14, max_comments=8).write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1", search_index=False)
    conn = duckdb.connect(str(publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")), read_only=True)
    yield conn
    conn.close()


def _documents(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, object, str]]:
    return conn.execute("""
        SELECT 'post', site_id, CAST(date_trunc('month', coalesce(published_at, first_seen_at)) AS DATE),
               coalesce(title, '') || ' ' || text FROM posts
        UNION ALL
        SELECT 'comment', p.site_id, CAST(date_trunc('month', coalesce(c.published_at, c.first_seen_at)) AS DATE), c.text
        FROM comments c JOIN posts p USING (post_id)""").fetchall()


def _expected(conn: duckdb.DuckDBPyConnection, term: str) -> dict[tuple, tuple[int, int]]:
    pattern = re.compile(r"(^|\W)" + r"\s+".join(map(re.escape, term.split())) + r"($|\W)", re.IGNORECASE)
    hits: Counter = Counter()
    for kind, site, month, body in _documents(conn):
        if month is not None and pattern.search(body):
            hits[(month, site, kind)] += 1
    keys = {(m, s) for m, s, _ in hits}
    return {k: (hits[(*k, "post")], hits[(*k, "comment")]) for k in keys}


def _common_words(conn: duckdb.DuckDBPyConnection) -> list[str]:
    words = Counter(w.lower() for *_, body in _documents(conn) for w in re.findall(r"[A-Za-z]{5,}", body))
    return [w for w, _ in words.most_common(3)]


def test_a_word_and_a_phrase_count_as_in_the_base_tables(published: duckdb.DuckDBPyConnection) -> None:
    word = _common_words(published)[0]
    texts = [body for *_, body in _documents(published)]
    follower = Counter(m.group(1).lower() for t in texts for m in re.finditer(rf"(?i)\b{word}\s+([A-Za-z]{{3,}})", t))
    phrase = f"{word.upper()} {follower.most_common(1)[0][0]}"  # case and spacing need not match
    for term in (word, phrase):
        got = {(m, s): (p, c) for m, s, p, c, _, _ in published.execute(
            "SELECT * FROM mentions_by_month($t)", {"t": term}).fetchall()}
        want = _expected(published, term)
        assert got == want and sum(p + c for p, c in want.values()) > 0, term


def test_shares_are_of_all_the_sites_documents_that_month(published: duckdb.DuckDBPyConnection) -> None:
    word = _common_words(published)[0]
    totals = Counter((site, month, kind) for kind, site, month, _ in _documents(published))
    rows = published.execute("SELECT * FROM mentions_by_month($t)", {"t": word}).fetchall()
    assert rows
    for month, site, posts, comments, share_posts, share_comments in rows:
        assert share_posts == (round(posts / totals[(site, month, "post")], 3) if totals[(site, month, "post")] else None)
        assert share_comments == (round(comments / totals[(site, month, "comment")], 3)
                                  if totals[(site, month, "comment")] else None)


def test_regex_characters_are_literal_and_an_empty_term_matches_nothing(published: duckdb.DuckDBPyConnection) -> None:
    assert published.execute("SELECT count(*) FROM mentions_by_month('.*')").fetchone()[0] == 0
    assert published.execute("SELECT count(*) FROM mentions_by_month('   ')").fetchone()[0] == 0


def test_blogscope_query_can_call_it(published: duckdb.DuckDBPyConnection) -> None:
    """Through the CLI's read-only path (external access off), in its own process."""
    db = Path(published.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
              .fetchone()[0])
    word = _common_words(published)[0]
    proc = subprocess.run([str(Path(sys.executable).parent / "blogscope"), "query",
                           "select * from mentions_by_month($t)", "--param", f"t={word}", "--format", "csv",
                           "--home", str(db.parent)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "month,site_id,posts,comments,share_of_posts,share_of_comments"
    assert len(lines) - 1 == published.execute("SELECT count(*) FROM mentions_by_month($t)", {"t": word}).fetchone()[0]
