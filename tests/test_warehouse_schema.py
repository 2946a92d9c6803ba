"""Warehouse schema: migrations with checksums, documented views, docs/schema.md, the stock CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from warehouse import db as wdb
from warehouse.errors import MigrationError
from warehouse.load import load_run
from warehouse.publish import publish
from warehouse.schema_doc import generate
from tests.support.warehouse_world import World

ROOT = Path(__file__).resolve().parent.parent
CORE_TABLES = {"sites", "runs", "posts", "post_aliases", "comments", "sentiment", "model_runs", "topics",
               "doc_topics", "topic_alignment", "quarantine", "schema_migrations"}
EDITOR_VIEWS = {"v_topic_discussion_week", "v_topic_discussion_month", "v_post_discussion", "v_comment_threads",
                "v_topic_trends", "v_sentiment_by_topic", "v_late_comments", "v_current_topics"}


@pytest.fixture()
def mem() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:", config=dict(wdb.BASE_CONFIG))
    wdb.migrate(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    world = World(seed=3, sites=2, posts_per_site=6)
    world.write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1")
    return publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")


def test_migrations_apply_in_order_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    applied = wdb.migrate(path)
    assert applied == [m.name for m in wdb.migrations()]
    assert wdb.migrate(path) == []  # nothing pending the second time
    conn = duckdb.connect(str(path), read_only=True)
    rows = conn.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version").fetchall()
    tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    conn.close()
    assert [(v, n, c) for v, n, c in rows] == [(m.version, m.name, m.checksum) for m in wdb.migrations()]
    assert CORE_TABLES <= tables


def test_an_edited_applied_migration_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    wdb.migrate(path)
    conn = duckdb.connect(str(path))
    conn.execute("UPDATE schema_migrations SET checksum = 'x' || checksum WHERE version = 1")
    conn.close()
    with pytest.raises(MigrationError, match="edited after it was applied.*new NNNN_name.sql"):
        wdb.migrate(path)


def test_a_migration_unknown_to_this_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    wdb.migrate(path)
    conn = duckdb.connect(str(path))
    conn.execute("INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 'abc', now()::TIMESTAMP)")
    conn.close()
    with pytest.raises(MigrationError, match="newer version"):
        wdb.migrate(path)


def test_a_failing_migration_rolls_back_and_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = wdb.migrations()
    broken = wdb.Migration(real[-1].version + 1, f"{real[-1].version + 1:04d}_broken.sql",
                           "CREATE TABLE half_done (a INTEGER);\nSELECT * FROM no_such_table;")
    monkeypatch.setattr(wdb, "migrations", lambda: [*real, broken])
    path = tmp_path / "w.duckdb"
    with pytest.raises(MigrationError, match="_broken.sql failed and was rolled back"):
        wdb.migrate(path)
    conn = duckdb.connect(str(path), read_only=True)
    assert not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'").fetchone()[0]
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == real[-1].version
    conn.close()


def test_every_table_and_column_and_view_is_commented(mem: duckdb.DuckDBPyConnection) -> None:
    missing_tables = mem.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND coalesce(comment, '') = ''").fetchall()
    missing_cols = mem.execute(
        "SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND NOT internal AND coalesce(comment, '') = ''").fetchall()
    views = {r[0]: r[1] for r in mem.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal").fetchall()}
    assert not missing_tables
    assert not missing_cols
    assert EDITOR_VIEWS <= set(views)
    assert all(comment for comment in views.values()), views


def test_view_files_have_a_header_that_documents_exactly_their_columns(mem: duckdb.DuckDBPyConnection) -> None:
    for f in wdb.views():
        header = wdb.view_header(f.text)
        name = f.name[:-4]
        assert header.answers and header.grain, f"{f.name}: header needs Answers: and Grain:"
        assert f"COMMENT ON VIEW {name} IS" in f.text, f.name
        cols = [r[0] for r in mem.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [name]).fetchall()]
        assert list(header.columns) == cols, f"{f.name}: header Columns: must list {cols}"


def test_views_are_recreated_on_every_migrate(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    wdb.migrate(path)
    conn = duckdb.connect(str(path))
    conn.execute("DROP VIEW v_late_comments")
    conn.execute("CREATE VIEW v_stale_leftover AS SELECT 1 AS x")
    conn.close()
    wdb.migrate(path)
    conn = duckdb.connect(str(path), read_only=True)
    names = {r[0] for r in conn.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    conn.close()
    assert "v_late_comments" in names and "v_stale_leftover" not in names


def test_sql_files_come_from_the_package(mem: duckdb.DuckDBPyConnection) -> None:
    assert [m.name for m in wdb.migrations()][0] == "0001_core.sql"
    assert "summary_counts" in {f.name[:-4] for f in wdb.sql_files("queries")}
    assert len(wdb.sql_files("checks")) >= 8


def test_docs_schema_md_matches_the_live_schema(published: Path) -> None:
    committed = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    fresh = generate()
    assert committed == fresh, "docs/schema.md is stale: run `python -m warehouse.schema_doc > docs/schema.md`"
    # A loaded, published database documents the same schema.
    assert generate(published) == fresh


def test_the_stock_duckdb_cli_opens_the_published_file(published: Path) -> None:
    cli = ROOT / ".venv" / "bin" / "duckdb"
    if not cli.exists():
        pytest.skip(f"{cli} not installed (pip install duckdb-cli==1.5.5)")
    out = subprocess.run([str(cli), "-readonly", str(published), "-csv", "-c",
                          "select count(*) from comments; select count(*) from v_topic_discussion_month"],
                         capture_output=True, text=True, timeout=60, check=True)
    conn = duckdb.connect(str(published), read_only=True)
    comments = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
    periods = conn.execute("SELECT count(*) FROM v_topic_discussion_month").fetchone()[0]
    conn.close()
    numbers = [line for line in out.stdout.splitlines() if line.strip().isdigit()]
    assert numbers == [str(comments), str(periods)] and comments > 0
