"""The report's main figures from SQL, as DataFrames: an example analysis.

Run it on a blogscope home (``blogscope demo --home demo-home`` makes one):

    make install-analysis                      # pandas and polars (the [analysis] extra)
    .venv/bin/python examples/analysis.py demo-home

It is a plain script with ``# %%`` cells: VS Code, PyCharm, Spyder and Jupytext run them one by
one. It opens the analysts' database read-only (a load may replace it meanwhile; this connection
keeps reading the copy it opened) and reads only views, each of one grain, so sums are safe.
"""

# %% Open the published database read-only
from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

HOME = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BLOGSCOPE_HOME", "demo-home"))
DB = HOME / "blogscope.duckdb"
if not DB.is_file():
    sys.exit(f"analysis.py: no database at {DB}; make one with: blogscope demo --home {HOME}")
con = duckdb.connect(str(DB), read_only=True)

# %% Which topics draw discussion? (the report's "most discussed topics": comments per topic)
# v_post_discussion has one row per post with its dominant topic; .df() gives a pandas DataFrame.
topics = con.sql("""
    SELECT topic_id, topic_label, count(*) AS posts, sum(comments) AS comments,
           round(sum(comments) / count(*), 2) AS comments_per_post,
           round(avg(mean_comment_sentiment), 3) AS mean_comment_sentiment
    FROM v_post_discussion
    WHERE topic_id IS NOT NULL
    GROUP BY ALL
    ORDER BY comments DESC, topic_id
""").df()
print("Topics by comments (pandas)")
print(topics.to_string(index=False))

# %% Monthly trend: posts and comments per month (the report's "over time" chart)
# v_topic_trends has one row per month x topic; summing over topics gives the month's totals.
# .pl() gives a polars DataFrame.
import polars as pl  # noqa: E402  (a cell of its own: the analysis extra)

trend = con.sql("SELECT month, topic_id, posts, comments FROM v_topic_trends").pl()
monthly = (trend.group_by("month").agg(pl.col("posts").sum(), pl.col("comments").sum()).sort("month"))
print("\nMonthly trend (polars)")
print(monthly.tail(12))

# %% Tone of the discussion per topic (the report's "tone" chart)
tone = con.sql("""
    SELECT topic_id, topic_label, scored, round(mean_compound, 3) AS mean_compound,
           round(share_negative, 3) AS share_negative, round(share_positive, 3) AS share_positive
    FROM v_sentiment_by_topic
    WHERE target_kind = 'comment'
    ORDER BY mean_compound
""").df()
print("\nComment sentiment by topic (pandas)")
print(tone.to_string(index=False))

# %% The same numbers, three ways: pandas, polars and the base tables agree
comments_on_topic_posts = con.sql(
    "SELECT count(*) FROM comments WHERE post_id IN (SELECT post_id FROM v_post_topics)").fetchone()[0]
dated = con.sql("""SELECT count(*) FROM comments WHERE post_id IN (SELECT post_id FROM v_post_topics)
                   AND coalesce(published_at, first_seen_at) IS NOT NULL""").fetchone()[0]
assert int(topics["comments"].sum()) == comments_on_topic_posts
assert int(monthly["comments"].sum()) == dated
assert int(tone["scored"].sum()) <= comments_on_topic_posts
print(f"\ncomments on posts with a topic: {comments_on_topic_posts}; topics: {len(topics)}; "
      f"months: {monthly.height}; top topic: {topics['topic_label'].iloc[0]}")
con.close()
