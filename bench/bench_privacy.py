"""Benchmark: the process stage with the ingest redaction of names and identifiers against without.

Crawls both demo blogs (full size, served on 127.0.0.1) after planting comments from the labelled
set (``tests/data/privacy_labelled.jsonl``: salutations, sign-offs, e-mails, phones, URLs), then
runs ``pipeline.process.process_records`` on the same records, alternately with redaction and
with ``redact_batch`` replaced by a pass-through (the baseline), and prints the ratio of the
medians, and the time spent inside ``redact_batch`` as a share of the rest of the same runs
(steadier on a shared machine).

    .venv/bin/python -m bench privacy        (prints JSON; the bar is ratio <= 1.10)

``run(shared_data_dir) -> dict`` is what ``make bench`` calls. Figures are medians of a few
repeats on a shared, noisy machine: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
PLANTED_PER_BLOG = 150


def _crawl_demo_blogs(work: Path) -> list[dict[str, Any]]:
    from tests.support.testsite import run_crawl
    from demoblog.generate import add_comment, generate
    from demoblog.server import serve

    labelled = [json.loads(line) for line in (ROOT / "tests" / "data" / "privacy_labelled.jsonl").read_text().splitlines()]
    meta, rows = labelled[0], labelled[1:]
    records: list[dict[str, Any]] = []
    for flavour in ("wordpress", "blogger"):
        blog = generate(flavour, seed=7)
        public = [p.index for p in blog.posts if p.public]
        for i, row in enumerate(rows[:PLANTED_PER_BLOG]):
            author = meta["commenters"][i % len(meta["commenters"])]
            add_comment(blog, public[i % len(public)], author=author, text=row["text"])
        with serve(blog) as server:
            records += run_crawl([{"id": f"demo-{flavour}", "url": server.base_url}], work / flavour)
    return records


def run(shared_data_dir: Path | str) -> dict[str, Any]:
    """Median seconds of the process stage with and without redaction, and their ratio."""
    import pipeline.process as process
    from pipeline.redaction import BatchRedaction
    from pipeline.settings import ProcessSettings

    def no_redaction(*, posts: dict, comments: list, **_: Any) -> BatchRedaction:
        return BatchRedaction(posts, comments, [], [])

    real = process.redact_batch
    inside: list[float] = []  # seconds spent in redact_batch itself, per "with" run

    def timed_redaction(**kwargs: Any) -> BatchRedaction:
        start = time.perf_counter()
        try:
            return real(**kwargs)
        finally:
            inside.append(time.perf_counter() - start)

    settings = ProcessSettings(workers=1, timeout_s=60)
    timings: dict[str, list[float]] = {"with": [], "without": []}
    counts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-privacy-") as tmp:
        work = Path(tmp)
        records = _crawl_demo_blogs(work)
        comments = sum(r.get("type") == "comment" for r in records)
        for repeat in range(REPEATS):
            for mode in ("without", "with") if repeat % 2 == 0 else ("with", "without"):
                process.redact_batch = timed_redaction if mode == "with" else no_redaction
                try:
                    start = time.perf_counter()
                    result = process.process_records(iter(records), work / f"out-{mode}-{repeat}", "bench",
                                                     pseudonym_key=b"bench-key", settings=settings)
                    timings[mode].append(time.perf_counter() - start)
                finally:
                    process.redact_batch = real
                counts[mode] = {"posts": result.posts, "comments": result.comments}
    with_s, without_s = statistics.median(timings["with"]), statistics.median(timings["without"])
    # The wall-clock ratio is noisy on a shared machine; the time inside redact_batch against the
    # rest of the same runs is the steadier figure of what redaction adds.
    share = statistics.median(r / (w - r) for r, w in zip(inside, timings["with"]))
    return {"records": len(records), "comments_in": comments, "counts": counts,
            "process_s_without_redaction": round(without_s, 3), "process_s_with_redaction": round(with_s, 3),
            "ratio_with_vs_without": round(with_s / without_s, 3), "bar": 1.10,
            "redaction_s": round(statistics.median(inside), 3), "redaction_share_of_the_rest": round(share, 3)}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"), indent=1))
