"""Extraction speed: ``blogscope extract``'s path vs bare trafilatura, same pages, same run.

Ours: ``pipeline.extract.extract_paths`` with 2 worker processes (decode, one parse, main text,
metadata, comments, language, JSON lines) over the first 300 pages of
``trafilatura-eval/html/*/*.html.gz``. Baseline: ``trafilatura.extract(html, include_comments=False)``
in a 2-process ``multiprocessing.Pool.map(chunksize=4)``. Best of 3 for each, interleaved so
load from other processes hits both alike. Bar: ours >= 0.8x the baseline's speed.

Run: ``python bench/bench_extract.py [SHARED_DATA_DIR]`` (``make bench``); never in tests.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import resource
import sys
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Any

BAR = 0.8
PAGES = 300
WORKERS = 2
ROUNDS = 3


def _bare_one(path: str) -> int:
    import trafilatura

    with open(path, "rb") as handle:
        data = handle.read()
    html = gzip.decompress(data) if path.endswith(".gz") else data
    return len(trafilatura.extract(html, include_comments=False) or "")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run_bare(pages: list[str]) -> tuple[float, float]:
    cpu, start = _cpu_seconds(), time.perf_counter()
    with Pool(WORKERS) as pool:
        sum(pool.map(_bare_one, pages, chunksize=4))
    return time.perf_counter() - start, _cpu_seconds() - cpu


def _run_ours(pages: list[str]) -> tuple[float, float, dict[str, int]]:
    from pipeline.extract import extract_paths

    statuses: dict[str, int] = {}
    cpu, start = _cpu_seconds(), time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for record in extract_paths(pages, workers=WORKERS, timeout=60):
            statuses[record["status"]] = statuses.get(record["status"], 0) + 1
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    return time.perf_counter() - start, _cpu_seconds() - cpu, statuses


def pages_of(shared_data_dir: str | Path, limit: int = PAGES) -> list[str]:
    pattern = os.path.join(os.fspath(shared_data_dir), "trafilatura-eval", "html", "*", "*.html.gz")
    pages = sorted(glob.glob(pattern))[:limit]
    if not pages:
        raise SystemExit(f"no pages under {pattern}: pass the shared data folder (../shared/data)")
    return pages


def run(shared_data_dir: str | Path, rounds: int = ROUNDS, limit: int = PAGES) -> dict[str, Any]:
    """Measure both sides; returns times (best of ``rounds``), the ratio and page statuses."""
    import trafilatura  # noqa: F401 - imported once here so neither side pays for it

    import pipeline.extract  # noqa: F401

    pages = pages_of(shared_data_dir, limit)
    ours_times, bare_times, ours_cpu, bare_cpu = [], [], [], []
    statuses: dict[str, int] = {}
    for _ in range(rounds):
        elapsed, cpu = _run_bare(pages)
        bare_times.append(elapsed)
        bare_cpu.append(cpu)
        elapsed, cpu, statuses = _run_ours(pages)
        ours_times.append(elapsed)
        ours_cpu.append(cpu)
    best_ours, best_bare = min(ours_times), min(bare_times)
    return {
        "pages": len(pages),
        "workers": WORKERS,
        "ours_s": round(best_ours, 3),
        "trafilatura_s": round(best_bare, 3),
        "ratio": round(best_bare / best_ours, 3),
        "bar": BAR,
        "ours_all_s": [round(t, 3) for t in ours_times],
        "trafilatura_all_s": [round(t, 3) for t in bare_times],
        # CPU seconds (workers + parent) do not depend on what else the machine runs.
        "ours_cpu_s": round(min(ours_cpu), 3),
        "trafilatura_cpu_s": round(min(bare_cpu), 3),
        "cpu_ratio": round(min(bare_cpu) / min(ours_cpu), 3),
        "statuses": statuses,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parent.parent
    default = os.environ.get("BLOGSCOPE_SHARED_DATA") or str(root.parent / "shared" / "data")
    result = run(argv[0] if argv else default)
    print(f"extract_vs_trafilatura ratio {result['ratio']:.3f} (bar {BAR})")
    print(f"  blogscope extract path: {result['ours_s']:.2f} s for {result['pages']} pages "
          f"({result['pages'] / result['ours_s']:.0f} pages/s, {WORKERS} workers; rounds {result['ours_all_s']})")
    print(f"  bare trafilatura.extract: {result['trafilatura_s']:.2f} s "
          f"({result['pages'] / result['trafilatura_s']:.0f} pages/s, Pool({WORKERS}); rounds {result['trafilatura_all_s']})")
    print(f"  CPU seconds (load-independent): ours {result['ours_cpu_s']:.2f}, trafilatura "
          f"{result['trafilatura_cpu_s']:.2f}, ratio {result['cpu_ratio']:.3f}")
    print(f"  statuses: {result['statuses']}")
    return 0 if result["ratio"] >= BAR else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
