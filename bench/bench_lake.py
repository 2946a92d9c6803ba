"""DuckLake warehouse against the single-file DuckDB: load rows/s and the views' query time.

The same synthetic run (``bench_load.build_run``: posts, comments, sites) is loaded into a
DuckDB file and into a DuckLake (catalog in a throwaway PostgreSQL on 127.0.0.1, Parquet data
in a local folder standing for the shared storage), then every view of warehouse/sql/views (the
report reads them) is queried in full on each, best of 3. Ratios are lake / file, same run.
No full-text index on either side (DuckLake cannot hold one), so the loads compare like for like.

    python -m bench lake          (or: python bench/bench_lake.py [N_COMMENTS])
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

N_COMMENTS = 200_000


def _time_views(connect, repeats: int = 3) -> float:
    """Seconds to read every view in full (best of ``repeats``), on a fresh read-only connection."""
    from warehouse.db import views

    names = [f.name[:-4] for f in views()]
    conn = connect()
    try:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for name in names:
                conn.execute(f"SELECT * FROM {name}").fetchall()
            best = min(best, time.perf_counter() - start)
        return best
    finally:
        conn.close()


def run(data: Path | None = None, n_comments: int = N_COMMENTS) -> dict[str, Any]:
    from bench.bench_load import build_run
    from tests.support.postgres import start_postgres
    from warehouse.lake import LakeTarget
    from warehouse.load import load_run
    from warehouse.query import connect_readonly

    with tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp_name:
        tmp = Path(tmp_name)
        build_run(tmp / "run", n_comments)
        server = start_postgres(tmp / "pg")
        try:
            lake = LakeTarget(server.create_database("bench"), str(tmp / "lake-data"))
            file_db = tmp / "work" / "warehouse.duckdb"
            file_result = load_run(file_db, tmp / "run", "bench", search_index=False)
            lake_result = load_run(lake, tmp / "run", "bench")
            rows = file_result.rows
            file_views = _time_views(lambda: connect_readonly(file_db))
            lake_views = _time_views(lambda: connect_readonly(lake))
        finally:
            server.stop()
    out = {
        "rows": rows,
        "file_load_rows_per_s": round(rows / file_result.seconds),
        "lake_load_rows_per_s": round(rows / lake_result.seconds),
        "lake_load_s": round(lake_result.seconds, 2),
        "file_load_s": round(file_result.seconds, 2),
        "load_ratio_lake_over_file": round(file_result.seconds / lake_result.seconds, 3),
        "views_file_s": round(file_views, 3),
        "views_lake_s": round(lake_views, 3),
        "views_time_ratio_lake_over_file": round(lake_views / file_views, 2),
    }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(None, int(sys.argv[1]) if len(sys.argv) > 1 else N_COMMENTS), indent=2))
