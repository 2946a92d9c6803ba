"""Loads: idempotent bulk upserts, lineage, the edited-post policy, integrity checks, runs, views."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.errors import IntegrityError, LoadError
from warehouse.load import SPECS, load_run
from warehouse.publish import publish
from warehouse.runs import mark_stale_runs_crashed, record_run_finish, record_run_start
from tests.support.warehouse_world import EPOCH, World, world_totals

ROOT = Path(__file__).resolve().parent.parent
KEYS = {spec.table: spec.key for spec in SPECS.values()} | {"post_versions": ("post_id", "content_hash")}


def table_state(db: Path) -> dict[str, tuple[int, int, str]]:
    """Per table: (rows, distinct keys, digest of the whole content)."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table, key in KEYS.items():
            keys = ", ".join(key)
            rows, distinct = conn.execute(f"SELECT count(*), count(DISTINCT ({keys})) FROM {table}").fetchone()
            digest = conn.execute(f"SELECT coalesce(bit_xor(hash(CAST(t AS VARCHAR))), 0)::VARCHAR FROM {table} t").fetchone()[0]
            out[table] = (rows, distinct, digest)
        return out
    finally:
        conn.close()


def scalar(db: Path, sql: str, params: list | None = None):
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=11, sites=3, posts_per_site=12, max_comments=14)


@pytest.fixture()
def home(tmp_path: Path, world: World) -> Path:
    world.write_run(tmp_path / "runs" / "r1" / "processed", "r1", as_of_day=45)
    world.write_run(tmp_path / "runs" / "r2" / "processed", "r2", as_of_day=1e9, edited=(0, 3))
    return tmp_path


def working(home: Path) -> Path:
    return home / "work" / "warehouse.duckdb"


def test_the_same_run_loaded_twice_gives_identical_tables(home: Path, world: World) -> None:
    first = load_run(working(home), home / "runs" / "r1", "r1")
    state1 = table_state(working(home))
    second = load_run(working(home), home / "runs" / "r1", "r1")
    assert table_state(working(home)) == state1
    assert first.counts == second.counts and first.totals == second.totals
    assert all(v == 0 for v in second.new_rows.values())
    expected = world_totals(world, 45)
    assert state1["posts"][:2] == (expected["posts"],) * 2
    assert state1["comments"][:2] == (expected["comments"],) * 2
    assert first.indexes_rebuilt == ("posts", "comments") and second.indexes_rebuilt == ()


def test_two_runs_rows_carry_the_right_run_ids(home: Path, world: World) -> None:
    load_run(working(home), home / "runs" / "r1", "r1")
    r1 = load_run(working(home), home / "runs" / "r2", "r2")
    db = working(home)
    expected = world_totals(world)
    state = table_state(db)
    for table in ("posts", "comments", "sentiment", "post_versions", "post_aliases"):
        rows, distinct, _ = state[table]
        assert rows == distinct, table
    assert state["posts"][0] == expected["posts"] and state["comments"][0] == expected["comments"]
    early = world_totals(world, 45)
    # Every row was (re)loaded by r2; first sight stays with the run that first saw it.
    assert scalar(db, "SELECT count(*) FROM posts WHERE run_id <> 'r2'") == 0
    assert scalar(db, "SELECT count(*) FROM posts WHERE first_seen_run_id = 'r1'") == early["posts"]
    assert scalar(db, "SELECT count(*) FROM comments WHERE first_seen_run_id = 'r1'") == early["comments"]
    assert scalar(db, "SELECT count(*) FROM comments WHERE first_seen_run_id = 'r2'") == expected["comments"] - early["comments"]
    assert scalar(db, "SELECT count(*) FROM quarantine WHERE run_id IN ('r1', 'r2')") == 4
    assert scalar(db, "SELECT count(*) FROM runs WHERE run_id IN ('r1', 'r2') AND loaded_at IS NOT NULL") == 2
    assert r1.counts["comments"] == expected["comments"]


def test_an_edited_post_is_upserted_with_history_and_never_two_current_rows(home: Path, world: World) -> None:
    load_run(working(home), home / "runs" / "r1", "r1")
    edited_id = world.post_id(world.posts[0])
    assert world.posts[0].day <= 45, "fixture: post 0 must exist in r1"
    load_run(working(home), home / "runs" / "r2", "r2")
    db = working(home)
    conn = duckdb.connect(str(db), read_only=True)
    row = conn.execute(
        "SELECT count(*) OVER (), text LIKE '%Update: the clinic replied.%', version, first_seen_run_id, updated_run_id "
        "FROM posts WHERE post_id = ?", [edited_id]).fetchall()
    conn.close()
    assert row == [(1, True, 2, "r1", "r2")]
    assert scalar(db, "SELECT count(*) FROM post_versions WHERE post_id = ?", [edited_id]) == 2
    unedited = world.post_id(next(p for p in world.posts if p.index not in (0, 3) and p.day <= 45))
    assert scalar(db, "SELECT updated_run_id FROM posts WHERE post_id = ?", [unedited]) == "r1"
    # Reloading the older run cannot undo the edit: the newest fetch wins.
    load_run(db, home / "runs" / "r1", "r1")
    assert scalar(db, "SELECT text LIKE '%Update: the clinic%' FROM posts WHERE post_id = ?", [edited_id])
    assert scalar(db, "SELECT count(*) FROM posts") == scalar(db, "SELECT count(DISTINCT post_id) FROM posts")


def test_duplicate_rows_inside_one_file_load_once(tmp_path: Path, world: World) -> None:
    folder = tmp_path / "runs" / "r1" / "processed"
    world.write_run(folder, "r1", as_of_day=1e9)
    comments = pq.read_table(folder / "comments.parquet")
    pq.write_table(pa.concat_tables([comments, comments.slice(0, 5)]), folder / "comments.parquet")
    result = load_run(working(tmp_path), folder, "r1")
    assert result.counts["comments"] == comments.num_rows + 5
    assert result.totals["comments"] == comments.num_rows


def test_a_failed_integrity_check_rolls_the_whole_load_back(home: Path) -> None:
    load_run(working(home), home / "runs" / "r1", "r1")
    before = table_state(working(home))
    folder = home / "runs" / "r2" / "processed"
    comments = pq.read_table(folder / "comments.parquet")
    orphan = comments.slice(0, 1).set_column(comments.schema.get_field_index("post_id"), "post_id",
                                             pa.array(["no-such-post"]))
    orphan = orphan.set_column(orphan.schema.get_field_index("comment_id"), "comment_id", pa.array(["orphan-1"]))
    pq.write_table(pa.concat_tables([comments, orphan]), folder / "comments.parquet")
    with pytest.raises(IntegrityError, match=r"(?s)rolled back.*comments_orphan: 1 row") as info:
        load_run(working(home), home / "runs" / "r2", "r2")
    assert "comments_orphan" in info.value.failures
    assert table_state(working(home)) == before
    assert scalar(working(home), "SELECT count(*) FROM runs WHERE run_id = 'r2'") == 0


def test_a_raw_commenter_name_is_refused(home: Path) -> None:
    folder = home / "runs" / "r1" / "processed"
    comments = pq.read_table(folder / "comments.parquet")
    i = comments.schema.get_field_index("author_pseudonym")
    names = comments.column(i).to_pylist()
    names[0] = "Jane Doe"
    pq.write_table(comments.set_column(i, "author_pseudonym", pa.array(names)), folder / "comments.parquet")
    with pytest.raises(IntegrityError, match="comments_raw_author_names"):
        load_run(working(home), home / "runs" / "r1", "r1")


def test_missing_files_mean_nothing_of_that_kind_and_only_limits_tables(tmp_path: Path, world: World) -> None:
    folder = tmp_path / "runs" / "r1" / "processed"
    world.write_run(folder, "r1")
    (folder / "quarantine.parquet").unlink()
    result = load_run(working(tmp_path), tmp_path / "runs" / "r1", "r1",
                      only=("sites", "posts", "comments", "sentiment"))
    assert set(result.counts) == {"sites", "posts", "comments", "sentiment"}
    assert scalar(working(tmp_path), "SELECT count(*) FROM doc_topics") == 0
    topics = load_run(working(tmp_path), tmp_path / "runs" / "r1", "r1",
                      only=("model_runs", "topics", "doc_topics", "topic_alignment"))
    assert topics.counts["doc_topics"] == scalar(working(tmp_path), "SELECT count(*) FROM doc_topics") > 0
    with pytest.raises(LoadError, match="unknown table"):
        load_run(working(tmp_path), tmp_path / "runs" / "r1", "r1", only=("nope",))
    with pytest.raises(LoadError, match="does not exist"):
        load_run(working(tmp_path), tmp_path / "runs" / "missing", "missing")


def test_reinferred_documents_keep_exactly_one_dominant_topic(home: Path, world: World) -> None:
    load_run(working(home), home / "runs" / "r2", "r2")
    folder = home / "runs" / "r3" / "processed"
    folder.mkdir(parents=True)
    doc = pq.read_table(home / "runs" / "r2" / "processed" / "doc_topics.parquet").to_pylist()
    first = doc[0]["target_id"]
    rows = [dict(r, run_id="r3") for r in doc if r["target_id"] == first]
    old_dominant = next(r["topic_id"] for r in rows if r["is_dominant"])
    new_dominant = (old_dominant + 1) % world.k
    for r in rows:  # the dominant topic moves to another topic, and one topic drops out
        r["is_dominant"] = r["topic_id"] == new_dominant
    rows = [r for r in rows if r["topic_id"] != (old_dominant + 2) % world.k]
    assert len(rows) == world.k - 1
    pq.write_table(pa.Table.from_pylist(rows), folder / "doc_topics.parquet")
    load_run(working(home), home / "runs" / "r3", "r3")
    db = working(home)
    assert scalar(db, "SELECT count(*) FROM doc_topics WHERE target_id = ?", [first]) == len(rows)
    assert scalar(db, "SELECT count(*) FROM doc_topics WHERE target_id = ? AND is_dominant", [first]) == 1
    assert scalar(db, "SELECT topic_id FROM doc_topics WHERE target_id = ? AND is_dominant", [first]) == new_dominant


def test_views_answer_the_editors_questions_consistently(home: Path, world: World) -> None:
    load_run(working(home), home / "runs" / "r2", "r2")
    db = publish(working(home), home / "blogscope.duckdb")
    conn = duckdb.connect(str(db), read_only=True)
    try:
        total_comments = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        # Every comment of a post with a topic is counted once per period kind.
        for period in ("week", "month"):
            got = conn.execute(f"SELECT sum(comments), sum(posts) FROM v_topic_discussion_{period}").fetchone()
            assert got == conn.execute("SELECT sum(comments), count(*) FROM v_post_discussion "
                                       "WHERE topic_id IS NOT NULL").fetchone()
        assert conn.execute("SELECT sum(comments) FROM v_post_discussion").fetchone()[0] == total_comments
        # Planted topics: post i has dominant topic i % k.
        want = {world.post_id(p): p.topic for p in world.posts}
        got = dict(conn.execute("SELECT post_id, topic_id FROM v_post_topics").fetchall())
        assert got == want
        # Late comments: the same set as computed from the generator's truth.
        late = {world.comment_id(c) for p in world.posts for c in p.comments if c.day - p.day > 30}
        assert {r[0] for r in conn.execute("SELECT comment_id FROM v_late_comments").fetchall()} == late
        # Threads: the walked depth equals the stored depth; roots are top-level comments.
        assert conn.execute("SELECT count(*) FROM v_comment_threads WHERE thread_depth IS DISTINCT FROM depth").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM v_comment_threads t JOIN comments c ON c.comment_id = t.root_comment_id "
                            "WHERE c.parent_id IS NOT NULL").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM v_comment_threads").fetchone()[0] == total_comments
        # Sentiment: unscored (non-English) comments are not averaged as 0.
        scored = conn.execute("SELECT sum(scored), sum(not_scored), sum(documents) FROM v_sentiment_by_topic "
                              "WHERE target_kind = 'comment'").fetchone()
        assert scored[0] + scored[1] == scored[2] == total_comments and scored[1] > 0
        # Trends: shares of each month add up to 1.
        bad = conn.execute("SELECT month FROM v_topic_trends GROUP BY month HAVING sum(posts) > 0 "
                           "AND abs(sum(share_of_posts) - 1) > 0.001").fetchall()
        assert not bad
        assert conn.execute("SELECT count(DISTINCT model_run_id) FROM v_current_topics").fetchone()[0] == 1
    finally:
        conn.close()


def test_views_use_only_the_latest_model_run(home: Path, world: World) -> None:
    load_run(working(home), home / "runs" / "r2", "r2")
    folder = home / "runs" / "r3" / "processed"
    old = home / "runs" / "r2" / "processed"
    newer = "m-newer"
    model = pq.read_table(old / "model_runs.parquet").to_pylist()[0]
    model.update(model_run_id=newer, created_at=(EPOCH + dt.timedelta(days=300)).isoformat(), run_id="r3",
                 previous_model_run_id=model["model_run_id"])
    topics = [dict(t, model_run_id=newer, label=f"new {t['topic_id']}", run_id="r3")
              for t in pq.read_table(old / "topics.parquet").to_pylist()]
    docs = [dict(d, model_run_id=newer, topic_id=(d["topic_id"] + 1) % world.k, run_id="r3")
            for d in pq.read_table(old / "doc_topics.parquet").to_pylist()]
    folder.mkdir(parents=True)
    for name, rows in (("model_runs", [model]), ("topics", topics), ("doc_topics", docs)):
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{name}.parquet")
    load_run(working(home), home / "runs" / "r3", "r3")
    db = working(home)
    assert scalar(db, "SELECT count(DISTINCT model_run_id) FROM v_post_topics") == 1
    assert scalar(db, "SELECT min(model_run_id) FROM v_topic_discussion_month") == newer
    assert scalar(db, "SELECT count(*) FROM v_current_topics WHERE model_run_id = ?", [newer]) == world.k


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_runs_start_finish_and_a_killed_run_is_marked_crashed(tmp_path: Path) -> None:
    db = working(tmp_path)
    record_run_start(db, "ok-run", kind="run", config={"sites": ["a"]})
    record_run_finish(db, "ok-run", status="completed", counts={"posts": 3})
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.warehouse_workers", "start-run", str(db),
                             "killed-run", "60"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert _pid_gone(proc.pid)
    record_run_start(db, "live-run", kind="run")  # this process: alive, never marked
    assert mark_stale_runs_crashed(db) == ["killed-run"]
    conn = duckdb.connect(str(db), read_only=True)
    rows = dict(conn.execute("SELECT run_id, status FROM runs").fetchall())
    ok = conn.execute("SELECT counts::VARCHAR, config_digest IS NOT NULL, finished_at IS NOT NULL FROM runs "
                      "WHERE run_id = 'ok-run'").fetchone()
    error = conn.execute("SELECT error FROM runs WHERE run_id = 'killed-run'").fetchone()[0]
    conn.close()
    assert rows == {"ok-run": "completed", "killed-run": "crashed", "live-run": "running"}
    assert ok == ('{"posts": 3}', True, True)
    assert "marked crashed by the next run" in error
    with pytest.raises(ValueError, match="status must be one of"):
        record_run_finish(db, "ok-run", status="done")


def test_a_reply_whose_parent_was_not_crawled_is_kept_and_listed_in_quarantine(home: Path) -> None:
    folder = home / "runs" / "r2" / "processed"
    comments = pq.read_table(folder / "comments.parquet")
    rows = comments.to_pylist()
    reply = next(r for r in rows if r["parent_id"])
    kept = [r for r in rows if r["comment_id"] != reply["parent_id"] and r["parent_id"] != reply["parent_id"]]
    kept.append(reply)
    pq.write_table(pa.Table.from_pylist(kept, schema=comments.schema), folder / "comments.parquet")
    sentiment = pq.read_table(folder / "sentiment.parquet").to_pylist()
    ids = {r["comment_id"] for r in kept}
    pq.write_table(pa.Table.from_pylist([s for s in sentiment if s["target_kind"] == "post" or s["target_id"] in ids]),
                   folder / "sentiment.parquet")
    docs = pq.read_table(folder / "doc_topics.parquet")
    pq.write_table(docs, folder / "doc_topics.parquet")
    load_run(working(home), home / "runs" / "r2", "r2")
    db = working(home)
    assert scalar(db, "SELECT count(*) FROM comments") == len(kept)
    assert scalar(db, "SELECT reason FROM quarantine WHERE key = ?", [reply["comment_id"]]) == "parent_missing"
    assert scalar(db, "SELECT thread_depth FROM v_comment_threads WHERE comment_id = ?", [reply["comment_id"]]) is None


def test_publish_rebuilds_a_search_index_left_stale(home: Path) -> None:
    """A load killed after its data commit leaves the index stale; the next publish repairs it."""
    from warehouse.search import search

    load_run(working(home), home / "runs" / "r1", "r1", search_index=False)
    db = working(home)
    assert scalar(db, "SELECT count(*) FROM search_index_state") == 0
    published = publish(db, home / "blogscope.duckdb")
    assert scalar(db, "SELECT documents FROM search_index_state WHERE index_name = 'comments'") == \
        scalar(db, "SELECT count(*) FROM comments")
    word = scalar(db, "SELECT split_part(text, ' ', 1) FROM comments ORDER BY comment_id LIMIT 1")
    assert any(h["kind"] == "comment" for h in search(published, word, limit=1000))


def test_times_with_offsets_are_stored_in_utc(tmp_path: Path, world: World) -> None:
    folder = tmp_path / "runs" / "r1" / "processed"
    world.write_run(folder, "r1")
    posts = pq.read_table(folder / "posts.parquet").to_pylist()
    given = ["2024-01-05T10:00:00+02:00", "2024-01-05T10:00:00-0500", "2024-01-05T10:00:00+00:00",
             "2024-01-05T10:00:00Z", "2024-01-05", "2024-01-05 10:00:00", "2024-01-05T10:00:00.250+00:00", "garbage"]
    want = ["2024-01-05 08:00:00", "2024-01-05 15:00:00", "2024-01-05 10:00:00", "2024-01-05 10:00:00",
            "2024-01-05 00:00:00", "2024-01-05 10:00:00", "2024-01-05 10:00:00.25", None]
    for post, value in zip(posts, given):
        post["published_at"] = value
    pq.write_table(pa.Table.from_pylist(posts, schema=pq.read_schema(folder / "posts.parquet")), folder / "posts.parquet")
    load_run(working(tmp_path), folder, "r1")
    conn = duckdb.connect(str(working(tmp_path)), read_only=True)
    got = dict(conn.execute("SELECT post_id, published_at::VARCHAR FROM posts").fetchall())
    conn.close()
    assert [got[p["post_id"]] for p in posts[:len(given)]] == want
