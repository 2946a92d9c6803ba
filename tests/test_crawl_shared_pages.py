"""The real crawler, then the process stage, over ~1,200 saved real pages served as one site.

Every ``*.html.gz`` of ``trafilatura-eval/html/*/`` and ``article-extraction-benchmark/html/``
(read from the shared data at test time, sent as stored with ``Content-Encoding: gzip``) is served
at ``/posts/<name>/`` on 127.0.0.1; the home page, an RSS feed and a sitemap list them all and the
site is crawled with ``platform = "generic"``. Then ``pipeline.process.process_crawl`` runs on the
crawl's ``raw.jsonl``.

What must hold: neither stage crashes, and every served page ends exactly once as either a post
row (``posts.parquet``) or a quarantine row with a named reason (``quarantine.parquet``: the
crawl's ``rejected`` rows and the process stage's drops). Nothing is silently lost. A page folded
into another as a near-duplicate would be a third, named outcome (an ``aliases.parquet`` row);
the test reports it rather than hiding it. Counts by outcome are printed (``pytest -s``).

The full set is used (no sampling): on 2 shared cores the whole file took 72 s when measured
(crawl ~40 s at ~30 pages/s, process stage with 2 workers ~31 s).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.generic_blog import serve_saved_pages
from tests.support.testsite import run_crawl

pytestmark = [pytest.mark.slow, pytest.mark.acceptance]

# Polite defaults are for real sites; this one is ours, on loopback.
FAST = {"download_delay": 0.0, "autothrottle": False, "concurrency_per_domain": 6, "retry_times": 1,
        "timeout_s": 30.0}


def saved_pages(shared: Path) -> dict[str, Path]:
    """slug -> file for every saved page of both sets, in a stable order, slugs unique."""
    files = sorted((shared / "trafilatura-eval" / "html").glob("*/*.html.gz"))
    files += sorted((shared / "article-extraction-benchmark" / "html").glob("*.html.gz"))
    out: dict[str, Path] = {}
    for f in files:
        prefix = "aeb" if "article-extraction-benchmark" in f.parts else f"te-{f.parent.name}"
        name = re.sub(r"[^a-z0-9]+", "-", f.name[: -len(".html.gz")].lower()).strip("-")[:80] or "page"
        slug = f"{prefix}-{name}"
        n = 2
        while slug in out:
            slug = f"{prefix}-{name}-{n}"
            n += 1
        out[slug] = f
    return out


@pytest.fixture(scope="module")
def crawled_and_processed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from pipeline.process import process_crawl
    from pipeline.settings import ProcessSettings

    pages = saved_pages(shared_data)
    assert len(pages) > 1100, f"expected ~1,213 saved pages under {shared_data}, found {len(pages)}"
    assert sum(s.startswith("aeb-") for s in pages) >= 150
    server, hits = serve_saved_pages(pages)
    work = tmp_path_factory.mktemp("shared-pages")
    try:
        started = time.monotonic()
        records = run_crawl([{"id": "saved", "url": server.base_url, "platform": "generic", "allow_private": True}],
                            work, out="crawl", settings=FAST)
        crawl_s = time.monotonic() - started
    finally:
        server.stop()
    started = time.monotonic()
    result = process_crawl([work / "crawl" / "raw.jsonl"], work / "processed", "shared-pages", home=work,
                           pseudonym_key=b"test-key-shared-pages",
                           settings=ProcessSettings(workers=2, timeout_s=30.0))
    process_s = time.monotonic() - started
    base = server.base_url.rstrip("/")
    return {"pages": {f"{base}/posts/{slug}/": path for slug, path in pages.items()}, "records": records,
            "hits": hits.paths(), "out": work / "processed", "result": result, "crawl_s": crawl_s,
            "stats": json.loads((work / "crawl" / "stats.json").read_text()),
            "process_s": process_s}


def _read(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist() if path.exists() else []


def test_every_page_served_once_and_crawled_to_a_record(crawled_and_processed: dict[str, Any]) -> None:
    pages = crawled_and_processed["pages"]
    served = Counter(crawled_and_processed["hits"])
    paths = {url: "/" + url.split("/", 3)[3] for url in pages}
    assert [url for url, path in paths.items() if served[path] != 1] == []
    records = crawled_and_processed["records"]
    outcome: dict[str, list[str]] = {url: [] for url in pages}
    for r in records:
        if r["type"] == "post" and r["url"] in outcome:
            outcome[r["url"]].append("post")
        elif r["type"] == "rejected" and r["key"] in outcome:
            outcome[r["key"]].append(f"rejected:{r['reason']}")
    bad = {url: kinds for url, kinds in outcome.items() if len(kinds) != 1}
    assert not bad, (len(bad), sorted(bad.items())[:5])
    assert {r["url"] for r in records if r["type"] == "post"} <= set(pages)
    # An exception in a spider callback leaves its post open and the site unfinished.
    site = [r for r in records if r["type"] == "site"]
    assert len(site) == 1 and "crawl stopped" not in site[0]["notes"], site
    assert crawled_and_processed["stats"]["accounting_adds_up"] is True
    print("crawl outcomes:", dict(Counter(k for kinds in outcome.values() for k in kinds)),
          f"in {crawled_and_processed['crawl_s']:.1f} s")


def test_every_page_ends_as_a_post_or_a_named_quarantine_row(crawled_and_processed: dict[str, Any]) -> None:
    pages = crawled_and_processed["pages"]
    out = crawled_and_processed["out"]
    outcome: dict[str, list[str]] = {url: [] for url in pages}
    for row in _read(out / "posts.parquet"):
        assert row["url"] in outcome, f"a post row for a page that was not served: {row['url']}"
        outcome[row["url"]].append("post")
    for row in _read(out / "quarantine.parquet"):
        if row["key"] in outcome:
            assert row["reason"], row
            outcome[row["key"]].append(f"quarantine:{row['stage']}:{row['reason']}")
    for row in _read(out / "aliases.parquet"):
        if row["url"] in outcome and "post" not in outcome[row["url"]]:
            outcome[row["url"]].append("alias_of_another_post")
    counts = Counter(k for kinds in outcome.values() for k in kinds)
    print(f"\n{len(pages)} pages -> {dict(sorted(counts.items()))}; "
          f"crawl {crawled_and_processed['crawl_s']:.1f} s, process {crawled_and_processed['process_s']:.1f} s")
    lost = sorted(url for url, kinds in outcome.items() if not kinds)
    assert not lost, (len(lost), lost[:5])
    twice = {url: kinds for url, kinds in outcome.items() if len(kinds) > 1}
    assert not twice, (len(twice), sorted(twice.items())[:5])
    folded = sorted(url for url, kinds in outcome.items() if kinds == ["alias_of_another_post"])
    assert not folded, (f"{len(folded)} page(s) folded into another post as near-duplicates: neither a post "
                        f"nor a quarantine row", folded[:5])
    assert counts["post"] >= 0.9 * len(pages)  # the saved pages are articles; most must survive
    result = crawled_and_processed["result"]
    assert result.posts == counts["post"]
