"""The DuckLake warehouse backend against a real PostgreSQL catalog and real Parquet data files.

A throwaway PostgreSQL cluster (tests/support/postgres.py) runs on 127.0.0.1 for the module.
The same run is loaded into DuckLake and into a single DuckDB file: same rows, same views. Two
processes load at once: both land, exactly once. The CLI's query and report read the lake, and
the analysts' one-liner opens it in the bundled duckdb shell, offline.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.postgres import postgres_bin_dir, start_postgres
from warehouse.lake import LakeTarget, analyst_command, on_conflict_to_merge, translate_ddl
from tests.support.warehouse_world import World, world_totals

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("runs", "sites", "posts", "post_versions", "post_aliases", "comments", "sentiment", "model_runs", "topics",
          "doc_topics", "topic_alignment", "quarantine", "crawl_failures", "privacy_replacements", "commenter_names")

# Real PostgreSQL + DuckLake (~1-2 min): with the cluster demo in `make test-acceptance`.
pytestmark = [pytest.mark.slow, pytest.mark.acceptance]


@pytest.fixture(scope="module")
def postgres():
    if postgres_bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL binaries (initdb, pg_ctl): CI must install Debian's postgresql package")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine: install Debian's postgresql package")
    # A folder of our own, not under pytest's numbered tmp folders: every session on this machine
    # shares /tmp/pytest-of-USER and prunes old folders there, which once pulled a cluster's
    # files away mid-initdb.
    folder = Path(tempfile.mkdtemp(prefix="blogscope-test-pg-"))
    try:
        server = start_postgres(folder)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_lake(postgres, tmp_path: Path, name: str) -> LakeTarget:
    return LakeTarget(postgres.create_database(name), str(tmp_path / f"{name}-data"))


def _normalise(rows: list[tuple]) -> list[tuple]:
    """Rows in a stable order, floats rounded (sums may add in another order on the lake)."""
    def cell(v):
        if isinstance(v, float):
            return None if math.isnan(v) else round(v, 9)
        if isinstance(v, list):
            return tuple(cell(x) for x in v)
        return v
    return sorted((tuple(cell(v) for v in r) for r in rows), key=repr)


def _file_rows(db: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _lake_rows(lake: LakeTarget, sql: str) -> list[tuple]:
    from warehouse.query import connect_readonly

    con = connect_readonly(lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_translation_strips_constraints_and_rewrites_upserts() -> None:
    ddl = translate_ddl("CREATE TABLE t (\n  a VARCHAR PRIMARY KEY,\n  k VARCHAR NOT NULL CHECK (k IN ('x', 'y')),\n"
                        "  b INTEGER NOT NULL DEFAULT 1,\n  PRIMARY KEY (a, b)\n);")
    assert "PRIMARY KEY" not in ddl and "CHECK" not in ddl
    assert "a VARCHAR," in ddl and "k VARCHAR NOT NULL," in ddl and "b INTEGER NOT NULL DEFAULT 1" in ddl
    merge = on_conflict_to_merge(
        "INSERT INTO posts (post_id, title) SELECT post_id, title FROM s ON CONFLICT (post_id) DO UPDATE SET "
        "title = excluded.title WHERE posts.title IS DISTINCT FROM excluded.title", {}, {})
    assert merge.startswith("MERGE INTO posts USING (SELECT * FROM (SELECT post_id, title FROM s) AS _source(post_id, title))")
    assert "ON (posts.post_id = excluded.post_id)" in merge
    assert "WHEN MATCHED AND (posts.title IS DISTINCT FROM excluded.title) THEN UPDATE SET title = excluded.title" in merge
    assert merge.endswith("WHEN NOT MATCHED THEN INSERT (post_id, title) VALUES (excluded.post_id, excluded.title)")
    nothing = on_conflict_to_merge("INSERT INTO q (a, b) VALUES (1, 2) ON CONFLICT DO NOTHING", {"q": ("a",)}, {})
    assert "WHEN MATCHED" not in nothing and "QUALIFY row_number() OVER (PARTITION BY a) = 1" in nothing


@pytest.fixture(scope="module")
def loaded(postgres, tmp_path_factory: pytest.TempPathFactory):
    """One world, two runs (the second edits posts), loaded into a lake and into a DuckDB file."""
    from warehouse.load import load_run

    tmp = tmp_path_factory.mktemp("lake-compare")
    world = World(seed=7, sites=2, posts_per_site=12)
    runs = [("r1", world.write_run(tmp / "r1", "r1", as_of_day=60)),
            ("r2", world.write_run(tmp / "r2", "r2", edited=(1, 3)))]
    lake = new_lake(postgres, tmp, "compare")
    file_db = tmp / "work" / "warehouse.duckdb"
    results = []
    for run_id, _ in runs:
        results.append(load_run(lake, tmp / run_id, run_id))
        load_run(file_db, tmp / run_id, run_id)
    return world, lake, file_db, results


def test_lake_and_file_hold_the_same_rows(loaded) -> None:
    world, lake, file_db, results = loaded
    for table in TABLES:
        cols = ", ".join(c for (c,) in _file_rows(file_db, f"SELECT column_name FROM duckdb_columns() "
                                                           f"WHERE table_name = '{table}' AND column_name NOT IN "
                                                           "('loaded_at', 'started_at', 'finished_at', 'first_seen_at')"))
        file_rows = _normalise(_file_rows(file_db, f"SELECT {cols} FROM {table}"))
        lake_rows = _normalise(_lake_rows(lake, f"SELECT {cols} FROM {table}"))
        assert len(lake_rows) == len(file_rows), table
        assert lake_rows == file_rows, table
    totals = world_totals(world)
    assert results[-1].totals["posts"] == totals["posts"] and results[-1].totals["comments"] == totals["comments"]
    assert _lake_rows(lake, "SELECT count(*) FROM post_versions WHERE post_id IN "
                            "(SELECT post_id FROM posts WHERE version = 2)") == [(4,)]


def test_every_view_gives_the_same_answer(loaded) -> None:
    from warehouse.db import views

    _, lake, file_db, _ = loaded
    names = [f.name[:-4] for f in views()]
    assert len(names) >= 12
    for name in names:
        file_rows = _normalise(_file_rows(file_db, f"SELECT * FROM {name}"))
        assert _normalise(_lake_rows(lake, f"SELECT * FROM {name}")) == file_rows, name


def test_reloading_a_run_adds_nothing(loaded) -> None:
    from warehouse.load import load_run

    world, lake, _, _ = loaded
    run_dir = Path(lake.data_path).parent / "r2"
    again = load_run(lake, run_dir, "r2")
    assert sum(again.new_rows.values()) == 0, again.new_rows


_LOADER = """
import sys
from warehouse.lake import LakeTarget
from warehouse.load import load_run
r = load_run(LakeTarget(sys.argv[1], sys.argv[2]), sys.argv[3], sys.argv[4])
print(r.attempts)
"""


def test_two_processes_load_at_once_exactly_once(postgres, tmp_path: Path) -> None:
    """Two workers load at the same moment (two runs, and the same run twice): every row once."""
    from warehouse.lake import connect_lake

    world = World(seed=3, sites=3, posts_per_site=8)
    world.write_run(tmp_path / "a", "ra", as_of_day=50)
    world.write_run(tmp_path / "b", "rb")
    lake = new_lake(postgres, tmp_path, "together")
    connect_lake(lake).close()  # the schema exists before the race (as after `blogscope migrate`)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for pair in ((("a", "ra"), ("b", "rb")), (("b", "rb"), ("b", "rb"))):
        procs = [subprocess.Popen([sys.executable, "-c", _LOADER, lake.catalog, lake.data_path,
                                   str(tmp_path / folder), run_id], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for folder, run_id in pair]
        outs = [p.communicate(timeout=600) for p in procs]
        for p, (_out, err) in zip(procs, outs):
            assert p.returncode == 0, err[-3000:]
    totals = world_totals(world)
    counts = {t: _lake_rows(lake, f"SELECT count(*) FROM {t}")[0][0] for t in ("posts", "comments", "post_versions")}
    assert counts["posts"] == totals["posts"] and counts["comments"] == totals["comments"], counts
    for key, table in (("post_id", "posts"), ("comment_id", "comments")):
        assert _lake_rows(lake, f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)") == [(0,)]
    assert _lake_rows(lake, "SELECT writes FROM lake_state") == [(4,)]


def _cli(args: list[str], home: Path, lake: LakeTarget) -> subprocess.CompletedProcess:
    env = dict(os.environ, BLOGSCOPE_WAREHOUSE_CATALOG=lake.catalog, BLOGSCOPE_WAREHOUSE_DATA_PATH=lake.data_path)
    return subprocess.run([str(Path(sys.executable).parent / "blogscope"), *args, "--home", str(home)],
                          capture_output=True, text=True, env=env, timeout=600)


def test_cli_query_report_status_read_the_lake(loaded, tmp_path: Path) -> None:
    world, lake, _, _ = loaded
    home = tmp_path / "home"
    home.mkdir()
    out = _cli(["query", "SELECT count(*) AS n FROM posts", "--format", "csv"], home, lake)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["n", str(world_totals(world)["posts"])]
    refused = _cli(["query", f"SELECT * FROM read_parquet('{tmp_path}/x.parquet')"], home, lake)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    report = _cli(["report", "--out", str(tmp_path / "report.html")], home, lake)
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"{world_totals(world)['posts']} posts" in report.stdout and "<html" in html.lower()
    status = _cli(["status"], home, lake)
    assert status.returncode == 0, status.stderr
    assert "r2" in status.stdout


def test_analysts_one_liner_in_the_bundled_duckdb_shell(loaded) -> None:
    world, lake, _, _ = loaded
    shell = Path(sys.executable).parent / "duckdb"
    command = analyst_command(lake, str(shell)) + " -csv -c 'SELECT count(*) AS n FROM v_post_discussion'"
    # No HOME: the shell cannot find (or download into) ~/.duckdb; everything comes from the pip packages.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}
    out = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["n", str(world_totals(world)["posts"])]


def test_unreachable_catalog_is_one_line_exit_2(tmp_path: Path) -> None:
    """A catalog nobody listens on (a closed port of 127.0.0.1): one line saying what to check."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    lake = LakeTarget(f"postgresql://blogscope@127.0.0.1:{port}/nowhere", str(tmp_path / "data"))
    out = _cli(["query", "SELECT 1"], tmp_path, lake)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "PostgreSQL is running" in out.stderr


def test_load_and_publish_follows_the_homes_warehouse_setting(postgres, tmp_path: Path) -> None:
    """The cluster's flows call load_and_publish(home, run): with [warehouse] catalog it loads the lake, publishes nothing."""
    from warehouse.load import load_and_publish

    lake = new_lake(postgres, tmp_path, "fromhome")
    home = tmp_path / "home"
    world = World(seed=5, sites=1, posts_per_site=6)
    world.write_run(home / "runs" / "r1" / "processed", "r1")
    (home / "blogscope.toml").write_text(f'[warehouse]\ncatalog = "{lake.catalog}"\ndata_path = "{lake.data_path}"\n',
                                         encoding="utf-8")
    result = load_and_publish(home, "r1")
    assert result.totals["posts"] == world_totals(world)["posts"]
    assert not (home / "blogscope.duckdb").exists() and not (home / "work" / "warehouse.duckdb").exists()
    assert _lake_rows(lake, "SELECT count(*) FROM comments") == [(world_totals(world)["comments"],)]


def test_s3_data_path_loads_httpfs_and_a_secret_from_the_environment() -> None:
    """An s3:// data path: httpfs from its pip package and a temporary secret from AWS_* (run offline)."""
    pytest.importorskip("duckdb_extension_httpfs", reason="the [lake-s3] extra: pip install -e '.[lake-s3]'")
    import duckdb

    from warehouse.db import BASE_CONFIG
    from warehouse.lake import load_statements, s3_secret_statements

    target = LakeTarget("postgresql://blogscope@127.0.0.1:1/x", "s3://bucket/lake/")
    env = {"AWS_ACCESS_KEY_ID": "minio", "AWS_SECRET_ACCESS_KEY": "it's-secret", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}
    secret = s3_secret_statements(target, env)
    assert len(secret) == 1 and "ENDPOINT '127.0.0.1:9000'" in secret[0] and "USE_SSL false" in secret[0]
    assert s3_secret_statements(LakeTarget(target.catalog, "/mnt/lake"), env) == []
    assert not any("SECRET" in s for s in analyst_command(target).split(";"))
    conn = duckdb.connect(config=dict(BASE_CONFIG))
    try:
        for statement in load_statements(target, secrets=False) + secret:
            conn.execute(statement)
        assert conn.execute("SELECT name, type FROM duckdb_secrets()").fetchall() == [("blogscope_lake_s3", "s3")]
    finally:
        conn.close()


def test_cli_export_reads_the_lake(loaded, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    world, lake, file_db, _ = loaded
    home = tmp_path / "home"
    home.mkdir()
    out = _cli(["export", "--out", str(tmp_path / "out"), "--table", "posts", "--table", "v_post_discussion"], home, lake)
    assert out.returncode == 0, out.stderr
    assert pq.read_table(tmp_path / "out" / "posts.parquet").num_rows == world_totals(world)["posts"]
    assert pq.read_table(tmp_path / "out" / "v_post_discussion.parquet").num_rows == \
        _file_rows(file_db, "SELECT count(*) FROM v_post_discussion")[0][0]


def test_later_stages_read_back_from_the_lake(loaded) -> None:
    """The process stage's look-ups (earlier posts, known commenters' name hashes) and the topic corpus
    read the shared lake, so a worker sees what other workers loaded; same answers as the file."""
    from warehouse.corpus import earlier_commenter_names, earlier_posts, read_topic_corpus

    world, lake, file_db, _ = loaded
    post_ids = [world.post_id(p) for p in world.posts[:5]]
    assert earlier_posts(lake, post_ids) == earlier_posts(file_db, post_ids) and len(earlier_posts(lake, post_ids)) == 5
    assert earlier_commenter_names(lake, world.sites) == earlier_commenter_names(file_db, world.sites)
    assert read_topic_corpus(lake) == read_topic_corpus(file_db)
