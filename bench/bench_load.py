"""Warehouse load speed: ~1M synthetic comment rows (+ posts) through ``load_run``.

Prints rows/s of the load transaction (bulk upserts from Parquet, integrity checks, commit,
checkpoint), the full-text index rebuild that follows it, and the ratio against an
``executemany`` baseline (row-by-row inserts) measured on a small sample in the same run.
Target: >= 200,000 rows/s for the load.

    python -m bench load          (or: python bench/bench_load.py [N_COMMENTS])
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: import this checkout's packages
    sys.path.insert(0, str(ROOT))

TARGET_ROWS_PER_S = 200_000
N_COMMENTS = 1_000_000
COMMENTS_PER_POST = 50
BASELINE_ROWS = 2_000

_WORDS = ("sleep anxiety therapy medication dose support group family friend doctor feeling better worse today "
          "week again help thanks reading post share story hope waiting list psychiatrist panic calm").split()


def build_run(folder: Path, n_comments: int, run_id: str = "bench", seed: int = 7) -> dict[str, int]:
    """Write posts / comments / sites Parquet columns directly (Python tuples would cost ~2 s per 1M rows)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    n_posts = max(1, n_comments // COMMENTS_PER_POST)
    post_ids = np.array([f"{i:016x}" for i in range(n_posts)])
    sites = np.array(["site-a", "site-b", "site-c"])
    sentences = np.array([" ".join(rng.choice(_WORDS, 14)) for _ in range(4096)])
    day0 = np.datetime64("2024-01-01T00:00:00")
    post_days = rng.integers(0, 365, n_posts)
    posts = pa.table({
        "post_id": post_ids,
        "site_id": sites[np.arange(n_posts) % 3],
        "url": np.char.add("http://127.0.0.1/blog/post-", np.arange(n_posts).astype(str)),
        "title": np.char.add("Post ", np.arange(n_posts).astype(str)),
        "author": np.full(n_posts, "Blog Author"),
        "published_at": np.datetime_as_string(day0 + post_days.astype("timedelta64[D]")),
        "language": np.full(n_posts, "en"),
        "text": sentences[rng.integers(0, len(sentences), n_posts)],
        "run_id": np.full(n_posts, run_id),
        "fetched_at": np.full(n_posts, "2025-01-01T00:00:00"),
    })
    post_of = np.arange(n_comments) // COMMENTS_PER_POST
    index_in_post = np.arange(n_comments) % COMMENTS_PER_POST
    comment_ids = np.array([f"c{i:015x}" for i in range(n_comments)])
    is_reply = (index_in_post > 0) & (rng.random(n_comments) < 0.3)
    first_of_post = post_of * COMMENTS_PER_POST  # replies answer the post's first comment: depth 1
    parent = np.where(is_reply, comment_ids[np.minimum(first_of_post, n_comments - 1)], None)
    minutes = rng.integers(0, 60 * 24 * 60, n_comments)
    comment_time = day0 + post_days[post_of].astype("timedelta64[D]") + minutes.astype("timedelta64[m]")
    comments = pa.table({
        "comment_id": comment_ids,
        "post_id": post_ids[post_of],
        "parent_id": pa.array(parent, pa.string()),
        "author_pseudonym": np.char.add("reader-", np.char.zfill(rng.integers(0, 5000, n_comments).astype(str), 12)),
        "published_at": np.datetime_as_string(comment_time),
        "language": np.full(n_comments, "en"),
        "text": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, len(sentences), n_comments).astype("int32")),
                                               pa.array(sentences)).cast(pa.string()),
        "run_id": np.full(n_comments, run_id),
        "depth": is_reply.astype("int64"),
        "position": index_in_post.astype("int64"),
        "is_post_author": np.zeros(n_comments, dtype=bool),
    })
    site_rows = pa.table({"site_id": sites, "url": np.char.add("http://127.0.0.1/", sites),
                          "platform": np.full(3, "wordpress"), "comment_system": np.full(3, "native"),
                          "run_id": np.full(3, run_id)})
    pq.write_table(posts, folder / "posts.parquet", compression="zstd")
    pq.write_table(comments, folder / "comments.parquet", compression="zstd")
    pq.write_table(site_rows, folder / "sites.parquet", compression="zstd")
    return {"sites": 3, "posts": n_posts, "comments": n_comments}


def executemany_rows_per_s(db_path: Path, folder: Path, n: int = BASELINE_ROWS) -> float:
    """The row-by-row baseline: ``executemany`` of ``n`` comment rows into the same schema."""
    import pyarrow.parquet as pq

    from warehouse.db import connect_writer

    rows = pq.read_table(folder / "comments.parquet").slice(0, n).to_pylist()
    values = [(r["comment_id"], r["post_id"], r["parent_id"], r["author_pseudonym"], r["published_at"], r["language"],
               r["text"], r["depth"], "bench", "bench", "bench") for r in rows]
    conn = connect_writer(db_path)
    try:
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO comments (comment_id, post_id, parent_id, author_pseudonym, published_at, language, text, "
            "depth, run_id, first_seen_run_id, updated_run_id) VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", values)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
    finally:
        conn.close()
    return len(values) / seconds


def run(shared_data_dir: Path | None = None, n_comments: int = N_COMMENTS) -> dict[str, Any]:
    """Build the synthetic run, load it, measure; ``shared_data_dir`` is unused (synthetic data)."""
    from warehouse.load import load_run

    with tempfile.TemporaryDirectory(prefix="blogscope-bench-load-") as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        expected = build_run(tmp_path / "runs" / "bench" / "processed", n_comments)
        build_s = time.perf_counter() - t0
        start, cpu_start = time.perf_counter(), time.process_time()
        result = load_run(tmp_path / "work" / "warehouse.duckdb", tmp_path / "runs" / "bench", "bench")
        total_s, total_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        rows = result.rows
        assert result.totals["comments"] == expected["comments"], result.totals
        baseline = executemany_rows_per_s(tmp_path / "baseline" / "warehouse.duckdb", tmp_path / "runs" / "bench" / "processed")
        reload_start = time.perf_counter()
        again = load_run(tmp_path / "work" / "warehouse.duckdb", tmp_path / "runs" / "bench", "bench")
        reload_s = time.perf_counter() - reload_start
        assert again.totals == result.totals
    load_rate = rows / result.seconds
    out = {
        "rows": rows,
        "build_parquet_s": round(build_s, 2),
        "load_s": round(result.seconds, 2),
        "load_rows_per_s": round(load_rate),
        "search_index_s": round(result.index_seconds, 2),
        "end_to_end_s": round(total_s, 2),
        # CPU seconds of this process (all DuckDB threads): on a shared machine, wall time / CPU
        # time shows how much of the wall time was spent waiting for a core.
        "end_to_end_cpu_s": round(total_cpu_s, 2),
        "end_to_end_rows_per_s": round(rows / total_s),
        "reload_same_run_s": round(reload_s, 2),
        "executemany_rows_per_s": round(baseline),
        "ratio_vs_executemany": round(load_rate / baseline, 1),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "meets_target": load_rate >= TARGET_ROWS_PER_S,
    }
    print(f"   load: {rows:,} rows in {result.seconds:.2f} s = {load_rate:,.0f} rows/s "
          f"(target >= {TARGET_ROWS_PER_S:,}: {'ok' if out['meets_target'] else 'MISSED'})")
    print(f"   then search index rebuild {result.index_seconds:.2f} s; end to end {total_s:.2f} s "
          f"({total_cpu_s:.1f} CPU s) = {out['end_to_end_rows_per_s']:,} rows/s; reload of the same run {reload_s:.2f} s")
    print(f"   executemany baseline: {baseline:,.0f} rows/s on {BASELINE_ROWS:,} rows; bulk is "
          f"{out['ratio_vs_executemany']:,}x faster")
    return out


if __name__ == "__main__":
    run(None, int(sys.argv[1]) if len(sys.argv) > 1 else N_COMMENTS)
