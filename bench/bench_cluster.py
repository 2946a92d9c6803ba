"""Sites per hour with 1 and with 2 workers (``flows/cluster_local.py``), politeness delays on.

What bounds a real crawl is the per-host politeness delay, not the CPU: each site is crawled by
one worker at a time (a Prefect concurrency limit per site), so more machines crawl more sites at
once. ``N_SITES`` demo blogs on 127.0.0.1 (8 posts each, WordPress- and Blogger-like in turn),
``[crawl] download_delay = DELAY_S``; one PostgreSQL, one Prefect server, one work pool. First a
round of one flow run per site with worker-1 alone, then worker-2 joins and a second round runs
into a fresh shared folder (a first crawl again, so both rounds do the same work). Sites per
hour = sites / (first trigger to last run finished). Target: 2 workers >= 1.8x 1 worker.

    python -m bench cluster
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

N_SITES = 8
DELAY_S = 1.0
TARGET_RATIO = 1.8


def _round(lc: Any, sites: tuple, shared: Path) -> float:
    from flows import cluster, site_job

    (shared / "warehouse").mkdir(parents=True, exist_ok=True)
    (shared / "warehouse" / "blogscope.toml").write_text(f"[crawl]\ndownload_delay = {DELAY_S}\n", encoding="utf-8")
    site_job.prepare_shared(shared)
    names = cluster.register_sites(lc.pool, shared, sites, allow_private=True)
    start = time.perf_counter()
    states = cluster.wait_for_runs(cluster.trigger_round(names), timeout_s=3600)
    elapsed = time.perf_counter() - start
    bad = [s for s in states if s.state != "COMPLETED"]
    if bad:
        raise RuntimeError(f"runs did not complete: {bad}")
    return elapsed


def run(_data: Path | None = None) -> dict[str, Any]:
    from flows.cluster_local import demo_sites, local_cluster

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp, demo_sites(N_SITES) as sites, \
            local_cluster(Path(tmp)) as lc:
        lc.start_worker("worker-1")
        one = _round(lc, sites, Path(tmp) / "shared-1-worker")
        lc.start_worker("worker-2")
        two = _round(lc, sites, Path(tmp) / "shared-2-workers")
    result = {"sites": N_SITES, "download_delay_s": DELAY_S,
              "seconds_1_worker": round(one, 1), "seconds_2_workers": round(two, 1),
              "sites_per_hour_1_worker": round(N_SITES / one * 3600, 1),
              "sites_per_hour_2_workers": round(N_SITES / two * 3600, 1),
              "ratio": round(one / two, 2), "target_ratio": TARGET_RATIO}
    result["ok"] = result["ratio"] >= TARGET_RATIO
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
