"""The grain test: each view holds one grain, so summing a count column over the whole view gives
the base tables' count, never a double count (a view that mixed week and month rows summed to
twice the comments)."""

from __future__ import annotations


import duckdb
import pytest

from warehouse.load import load_run
from warehouse.publish import publish
from tests.support.warehouse_world import World

# Counts straight from the base tables. A post "with a topic" is one with a dominant topic under
# the current model (v_post_topics, itself checked to hold one row per post).
TOPIC_POSTS = "SELECT post_id FROM v_post_topics"
DATED_POST = "coalesce(p.published_at, p.first_seen_at) IS NOT NULL"
BASE = {
    "posts": "SELECT count(*) FROM posts",
    "comments": "SELECT count(*) FROM comments",
    "replies": "SELECT count(*) FROM comments WHERE parent_id IS NOT NULL",
    "topic_posts": f"SELECT count(*) FROM posts WHERE post_id IN ({TOPIC_POSTS})",
    "topic_comments": f"SELECT count(*) FROM comments WHERE post_id IN ({TOPIC_POSTS})",
    "dated_topic_posts": f"SELECT count(*) FROM posts p WHERE post_id IN ({TOPIC_POSTS}) AND {DATED_POST}",
    "comments_on_dated_topic_posts": f"""SELECT count(*) FROM comments c JOIN posts p USING (post_id)
                                         WHERE post_id IN ({TOPIC_POSTS}) AND {DATED_POST}""",
    "replies_on_dated_topic_posts": f"""SELECT count(*) FROM comments c JOIN posts p USING (post_id)
                                        WHERE post_id IN ({TOPIC_POSTS}) AND {DATED_POST}
                                        AND c.parent_id IS NOT NULL""",
    "dated_comments_on_topic_posts": f"""SELECT count(*) FROM comments c WHERE post_id IN ({TOPIC_POSTS})
                                         AND coalesce(c.published_at, c.first_seen_at) IS NOT NULL""",
}

# view -> (key columns of its grain, {sum expression over the whole view: base count})
GRAINS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "v_post_discussion": (("post_id",), {"count(*)": "posts", "sum(comments)": "comments",
                                         "sum(replies)": "replies"}),
    "v_post_topics": (("post_id",), {"count(*)": "topic_posts"}),
    "v_comment_threads": (("comment_id",), {"count(*)": "comments"}),
    "v_topic_discussion_week": (("period_start", "model_run_id", "topic_id"),
                                {"sum(posts)": "dated_topic_posts", "sum(comments)": "comments_on_dated_topic_posts",
                                 "sum(replies)": "replies_on_dated_topic_posts"}),
    "v_topic_discussion_month": (("period_start", "model_run_id", "topic_id"),
                                 {"sum(posts)": "dated_topic_posts", "sum(comments)": "comments_on_dated_topic_posts",
                                  "sum(replies)": "replies_on_dated_topic_posts"}),
    "v_topic_trends": (("month", "model_run_id", "topic_id"),
                       {"sum(posts)": "dated_topic_posts", "sum(comments)": "dated_comments_on_topic_posts"}),
    "v_sentiment_by_topic": (("model_run_id", "topic_id", "target_kind"),
                             {"sum(documents) FILTER (WHERE target_kind = 'post')": "topic_posts",
                              "sum(documents) FILTER (WHERE target_kind = 'comment')": "topic_comments",
                              "sum(scored + not_scored)": None}),
}
COUNT_COLUMNS = {"posts", "comments", "replies", "documents"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    home = tmp_path_factory.mktemp("grain")
    # Over two months of posts, so weeks and months differ and a mixed view would double.
    World(seed=11, sites=2, posts_per_site=14, max_comments=12).write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1", search_index=False)
    conn = duckdb.connect(str(publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")), read_only=True)
    yield conn
    conn.close()


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0] or 0)


def test_every_view_with_counts_has_a_grain_check(db: duckdb.DuckDBPyConnection) -> None:
    counted = {view for view, column in db.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_name LIKE 'v\\_%' ESCAPE '\\'"
    ).fetchall() if column in COUNT_COLUMNS}
    assert counted and counted <= set(GRAINS), f"add these views to GRAINS: {sorted(counted - set(GRAINS))}"


@pytest.mark.parametrize("view", sorted(GRAINS))
def test_view_sums_match_the_base_tables(db: duckdb.DuckDBPyConnection, view: str) -> None:
    keys, sums = GRAINS[view]
    rows = _scalar(db, f"SELECT count(*) FROM {view}")
    distinct_keys = _scalar(db, f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(keys)} FROM {view})")
    assert rows > 0 and rows == distinct_keys, f"{view}: one row per {keys}"
    for expression, base in sums.items():
        got = _scalar(db, f"SELECT {expression} FROM {view}")
        want = _scalar(db, BASE[base]) if base else _scalar(db, f"SELECT sum(documents) FROM {view}")
        assert got == want > 0, f"{view}: {expression} = {got}, base tables say {want}"


def test_weeks_and_months_are_separate_views(db: duckdb.DuckDBPyConnection) -> None:
    weeks = _scalar(db, "SELECT count(DISTINCT period_start) FROM v_topic_discussion_week")
    months = _scalar(db, "SELECT count(DISTINCT period_start) FROM v_topic_discussion_month")
    assert weeks > months > 1
    assert _scalar(db, "SELECT count(*) FROM v_topic_discussion_week WHERE dayofweek(period_start) <> 1") == 0
    assert _scalar(db, "SELECT count(*) FROM v_topic_discussion_month WHERE day(period_start) <> 1") == 0
    assert _scalar(db, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'v_topic_discussion'") == 0
