"""Analysts' side: safe SQL, bound parameters, time limits, full-text search, redacted exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse.export import ExportError, export, path_inside, safe_filename
from warehouse.load import load_run
from warehouse.publish import publish
from warehouse.query import QueryFailed, QueryRefused, QueryTimeout, check_sql, format_result, query, query_file
from warehouse.redact import redact_array, redact_text
from warehouse.search import search
from tests.support.warehouse_world import World

HOSTILE = [
    "COPY comments TO '/tmp/stolen.csv'",
    "COPY (SELECT * FROM comments) TO 'out.parquet' (FORMAT parquet)",
    "ATTACH '/tmp/other.duckdb' AS other",
    "DETACH blogscope",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM comments JOIN '/etc/passwd' ON true",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM query('SELECT 1')",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET memory_limit",
    "PRAGMA enable_profiling",
    "PRAGMA database_list",
    "CALL pragma_version()",
    "EXPORT DATABASE '/tmp/dump'",
    "IMPORT DATABASE '/tmp/dump'",
    "CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')",
    "CREATE TABLE t AS SELECT 1",
    "DROP TABLE comments",
    "DELETE FROM comments",
    "UPDATE comments SET text = ''",
    "INSERT INTO runs (run_id) VALUES ('x')",
    "CHECKPOINT",
    "VACUUM",
    "USE memory",
    "SELECT 1; DROP TABLE comments",
    "SELECT 1; SELECT 2",
    'SELECT * FROM "read_csv"(\'/etc/passwd\')',
]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    world = World(seed=5, sites=2, posts_per_site=15, max_comments=16)
    world.write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1")
    return publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")


@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_sql_is_refused_with_a_clear_message(published: Path, sql: str) -> None:
    with pytest.raises(QueryRefused) as info:
        query(published, sql)
    assert str(info.value).strip() and "Traceback" not in str(info.value)
    conn = duckdb.connect(str(published), read_only=True)
    assert conn.execute("SELECT count(*) FROM comments").fetchone()[0] > 0  # nothing was changed
    conn.close()
    assert not Path("/tmp/stolen.csv").exists()


def test_the_locked_connection_refuses_file_access_even_past_the_parser(published: Path) -> None:
    """Defence in depth: what the parse-level gate would miss, the connection itself refuses."""
    from warehouse.query import connect_readonly

    conn = connect_readonly(published)
    try:
        for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/hostname')",
                    "SET enable_external_access = true", "SET memory_limit = '100GB'",
                    "COPY comments TO '/tmp/stolen.csv'", "INSERT INTO runs (run_id) VALUES ('x')"):
            with pytest.raises(duckdb.Error):
                conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_allowed_statements_run(published: Path) -> None:
    for sql in ("SELECT count(*) FROM comments", "WITH x AS (SELECT 1 AS a) SELECT * FROM x", "FROM sites",
                "DESCRIBE posts", "SHOW TABLES", "SUMMARIZE SELECT depth FROM comments",
                "EXPLAIN SELECT * FROM posts", "SELECT * FROM v_topic_discussion_month",
                "SELECT 'read_csv(''/etc/passwd'')' AS harmless_text"):
        columns, rows = query(published, sql)
        assert columns and rows is not None, sql


def test_a_topic_name_parameter_is_bound_not_interpolated(published: Path) -> None:
    label = query(published, "SELECT topic_label FROM v_post_topics LIMIT 1").rows[0][0]
    sql = "SELECT count(*) FROM v_post_topics WHERE topic_label = $label"
    assert query(published, sql, params={"label": label}).rows[0][0] > 0
    hostile = "x' OR '1'='1"
    assert query(published, sql, params={"label": hostile}).rows == [(0,)]
    assert query(published, sql, params={"label": "'; DROP TABLE posts; --"}).rows == [(0,)]
    assert query(published, "SELECT count(*) FROM posts").rows[0][0] > 0


def test_a_runaway_query_is_stopped_by_the_time_limit(published: Path) -> None:
    with pytest.raises(QueryTimeout, match="time limit"):
        query(published, "SELECT count(*) FROM range(1000000000) a, range(1000000000) b", timeout_s=1.0)


def test_errors_and_row_limits_are_reported(published: Path) -> None:
    with pytest.raises(QueryFailed, match="no_such_column|not found"):
        query(published, "SELECT no_such_column FROM posts")
    result = query(published, "SELECT * FROM range(50)", max_rows=10)
    assert len(result.rows) == 10 and result.truncated
    assert "more were cut" in format_result(result, "table")
    columns, rows = (result := query(published, "SELECT 1 AS a, 'x' AS b"))
    assert (columns, rows, result.truncated) == (["a", "b"], [(1, "x")], False)
    assert format_result((result := query(published, "SELECT 1 AS a, 'x,y' AS b")), "csv") == 'a,b\n1,"x,y"\n'
    assert json.loads(format_result(result, "json")) == [{"a": 1, "b": "x,y"}]


def test_named_queries_for_the_cli(published: Path) -> None:
    counts = query_file(published, "summary_counts")
    assert counts.columns == ["sites", "posts", "comments", "commenters", "replies", "quarantined", "crawl_failures"]
    status = query_file(published, "run_status", {"limit": 5})
    assert status.rows[0][0] == "r1"
    top = query_file(published, "top_topics", {"limit": 2})
    assert len(top.rows) == 2 and {"label", "comments", "posts", "mean_sentiment"} <= set(top.columns)
    with pytest.raises(ValueError, match="no SQL file"):
        query_file(published, "no_such_query")


def test_check_sql_accepts_only_reads() -> None:
    check_sql("select 1")
    for sql in ("", "   ", "PRAGMA version"):
        with pytest.raises(QueryRefused):
            check_sql(sql)


def test_search_finds_a_phrase_in_a_comment(published: Path) -> None:
    conn = duckdb.connect(str(published), read_only=True)
    expected = {r[0] for r in conn.execute(
        "SELECT comment_id FROM comments WHERE text LIKE '%could not sleep for three weeks%'").fetchall()}
    conn.close()
    assert expected, "fixture: the phrase must be planted"
    hits = search(published, '"could not sleep for three weeks"', limit=100)
    assert {h["id"] for h in hits if h["kind"] == "comment"} == expected
    hit = next(h for h in hits if h["kind"] == "comment")
    assert "could not sleep for three weeks" in hit["snippet"].lower()
    assert set(hit) == {"kind", "id", "post_id", "title", "url", "snippet", "score"} and hit["url"].startswith("http")
    # Unquoted words match posts too (stemmed), and no match gives nothing.
    conn = duckdb.connect(str(published), read_only=True)
    posts = {r[0] for r in conn.execute("SELECT post_id FROM posts WHERE text ILIKE '%insomnia%'").fetchall()}
    conn.close()
    assert posts and {h["id"] for h in search(published, "Insomnia", limit=1000) if h["kind"] == "post"} == posts
    assert search(published, "zzyzx-no-such-word") == []
    assert search(published, "x' OR 1=1 --", limit=5) is not None  # a value, never SQL


def test_search_snippets_of_comments_are_redacted(published: Path) -> None:
    hits = search(published, "jane doe example org", limit=50)
    comment_hits = [h for h in hits if h["kind"] == "comment"]
    assert comment_hits
    assert all("@example.org" not in h["snippet"] and "7946" not in h["snippet"] for h in comment_hits)


def test_export_has_pseudonyms_only_and_redacted_comment_text(published: Path, tmp_path: Path) -> None:
    files = export(published, tmp_path / "out", "parquet")
    names = {f.name for f in files}
    assert {"comments.parquet", "posts.parquet", "runs.parquet", "sentiment.parquet"} <= names
    comments = pq.read_table(tmp_path / "out" / "comments.parquet")
    assert "author" not in comments.column_names and "author_pseudonym" in comments.column_names
    texts = comments.column("text").to_pylist()
    assert any("[email]" in t for t in texts) and not any("@example.org" in t for t in texts)
    assert not any("7946 0958" in t for t in texts)
    conn = duckdb.connect(str(published), read_only=True)
    total = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
    conn.close()
    assert comments.num_rows == total
    csv_files = export(published, tmp_path / "csv", "csv", tables=["comments", "topics", "v_post_discussion"])
    with open(csv_files[0], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == total and not any("@example.org" in r["text"] for r in rows)
    assert json.loads(next(csv.DictReader(open(csv_files[1], encoding="utf-8")))["top_terms"])


def test_export_refuses_unknown_tables_and_paths_outside_the_folder(published: Path, tmp_path: Path) -> None:
    for bad in ("../../etc/passwd", "/etc/passwd", "comments; DROP TABLE posts", "no_such_table"):
        with pytest.raises(ExportError, match="no such table"):
            export(published, tmp_path / "out", "csv", tables=[bad])
    with pytest.raises(ExportError, match="format"):
        export(published, tmp_path / "out", "xlsx")
    assert not (tmp_path / "etc").exists()
    for name in ("../../evil", "/etc/passwd", "..", "a/../../b", "C:\\x\\..\\y", "\x00.."):
        path = path_inside(tmp_path, name)
        assert path.parent == tmp_path.resolve() and path.name not in ("", ".", "..")
    assert safe_filename("Mein Beitrag: Schlaf & Ängste / Teil 2") == "Mein-Beitrag-Schlaf-Ängste-Teil-2"


def test_redaction_rules_agree_between_python_and_arrow() -> None:
    import pyarrow as pa

    samples = ["mail jane.doe+x@example.co.uk", "call +44 20 7946 0958 or (555) 123-4567 or 555-123-4567",
               "UK 07700 900123", "see https://www.facebook.com/jane.doe?ref=1 and http://u:p@blog.example.org/u/jane",
               "on 2024-01-05 I took 150 mg twice; 12.5% better", "thanks @jane_doe!", None, ""]
    assert redact_array(pa.array(samples)).to_pylist() == [redact_text(s) for s in samples]
    assert redact_text(samples[0]) == "mail [email]"
    assert redact_text(samples[1]) == "call [phone] or [phone] or [phone]"
    assert redact_text(samples[3]) == "see [url:www.facebook.com] and [url:blog.example.org]"
    assert redact_text(samples[4]) == samples[4]  # dates and doses stay
    assert redact_text(samples[5]) == "thanks [handle]!"
