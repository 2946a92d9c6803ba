"""Run accounting: every crawl ends with counts that add up (``stats.json`` ``sites.<id>.accounting``).

Two identities per site, on a first crawl and on an unchanged re-crawl of the same sites:

- ``requests == responses + failures`` (and ``requests`` is what the servers really received);
- ``post_pages_fetched == posts_emitted + post_pages_rejected + post_pages_skipped``, with the
  buckets checked against ``raw.jsonl`` and against what each site is known to contain.

One crawl process covers five sites: the demo blog in three shapes (WordPress REST, WordPress
without REST and with a password-protected post, Blogger), the hostile test site (dead link,
oversized page, gzip bomb, robots-forbidden page, redirect to an internal address, 503s, 429)
and a site whose port refuses connections. The first crawl runs "in 2020", the re-crawl "in
2030", so every post is due for a revisit: the re-crawl asks every page again, conditionally.
"""

from __future__ import annotations

import json
import re
import socket
from collections import Counter
from typing import Any

import pytest

from crawl.output import CrawlStats
from tests.support.testsite import hostile_blog, internal_server, run_crawl
from demoblog.generate import generate
from demoblog.server import serve

FIRST_NOW = "2020-01-01T00:00:00+00:00"  # before every post: the first visit
RECRAWL_NOW = "2030-01-01T00:00:00+00:00"  # after every revisit point: every post is due
DEMO_SITES = ("wp-rest", "wp-html", "blogger")


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_identities(stats: dict[str, Any], records: list[dict[str, Any]], site: str) -> dict[str, Any]:
    acc = stats["sites"][site]["accounting"]
    assert acc["requests"] == acc["responses"] + acc["failures"], (site, acc)
    assert acc["requests"] == stats["sites"][site]["requests"]
    assert acc["responses"] == sum(stats["sites"][site]["responses_by_status"].values())
    assert acc["failures"] == sum(acc["failures_by_reason"].values())
    assert acc["post_pages_fetched"] == acc["posts_emitted"] + acc["post_pages_rejected"] + acc["post_pages_skipped"], \
        (site, acc)
    assert acc["post_pages_rejected"] == sum(acc["post_pages_rejected_by_reason"].values())
    assert acc["post_pages_skipped"] == sum(acc["post_pages_skipped_by_reason"].values())
    assert acc["requests_add_up"] and acc["post_pages_add_up"]
    # The buckets match the records: each emitted post is a post row, each rejected page a rejected row.
    mine = [r for r in records if r.get("site_id") == site]
    assert acc["posts_emitted"] == sum(r["type"] == "post" for r in mine) == stats["sites"][site]["posts"]
    rejected_rows = Counter(r["reason"] for r in mine if r["type"] == "rejected")
    for reason, n in acc["post_pages_rejected_by_reason"].items():
        assert rejected_rows[reason] >= n, (site, reason, rejected_rows)
    assert "interrupted" not in acc["post_pages_skipped_by_reason"]
    assert "unanswered_at_close" not in acc["failures_by_reason"]
    return acc


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    blogs = {"wp-rest": generate("wordpress", n_posts=8),
             "wp-html": generate("wordpress", n_posts=8, rest_api=False, protected_post=True),
             "blogger": generate("blogger", n_posts=8)}
    servers = {name: serve(blog) for name, blog in blogs.items()}
    internal, internal_log = internal_server("127.0.0.2")
    hostile, hostile_log = hostile_blog(internal)
    dead_url = f"http://127.0.0.1:{_closed_port()}/"
    sites = [{"id": name, "url": server.base_url} for name, server in servers.items()]
    sites += [{"id": "hostile", "url": hostile.base_url, "platform": "generic"},
              {"id": "dead", "url": dead_url, "platform": "generic"}]
    work = tmp_path_factory.mktemp("accounting")
    settings = {"max_response_bytes": 100_000}
    out: dict[str, Any] = {"blogs": blogs}
    try:
        for run, now in (("first", FIRST_NOW), ("again", RECRAWL_NOW)):
            hits_before = {name: s.stats()["total"] for name, s in servers.items()}
            status_before = {name: Counter(s.stats()["by_status"]) for name, s in servers.items()}
            hostile_before = len(hostile_log.paths())
            records = run_crawl(sites, work, out=run, settings=settings, now=now)
            out[run] = {
                "records": records,
                "stats": json.loads((work / run / "stats.json").read_text(encoding="utf-8")),
                "server_hits": {name: s.stats()["total"] - hits_before[name] for name, s in servers.items()},
                "server_status": {name: Counter(s.stats()["by_status"]) - status_before[name]
                                  for name, s in servers.items()},
                "hostile_hits": len(hostile_log.paths()) - hostile_before,
            }
        out["internal_hits"] = internal_log.paths()
    finally:
        for server in servers.values():
            server.stop()
        hostile.stop()
        internal.stop()
    return out


@pytest.mark.parametrize("run", ["first", "again"])
def test_every_site_adds_up(crawls: dict[str, Any], run: str) -> None:
    stats, records = crawls[run]["stats"], crawls[run]["records"]
    assert stats["accounting_adds_up"] is True
    assert set(stats["sites"]) == {*DEMO_SITES, "hostile", "dead"}
    for site in stats["sites"]:
        _check_identities(stats, records, site)


@pytest.mark.parametrize("run", ["first", "again"])
def test_requests_are_what_the_servers_received(crawls: dict[str, Any], run: str) -> None:
    crawl = crawls[run]
    for site in DEMO_SITES:
        acc = crawl["stats"]["sites"][site]["accounting"]
        assert acc["requests"] == crawl["server_hits"][site] > 0
        assert acc["failures"] == 0
        answered = {k: v for k, v in crawl["stats"]["sites"][site]["responses_by_status"].items()}
        assert answered == {str(k): v for k, v in crawl["server_status"][site].items()}
        # No retries or failures on the demo: one send per post page asked.
        assert acc["post_pages_fetched"] == crawl["stats"]["sites"][site]["requests_by_kind"].get("post-page", 0)
    hostile = crawl["stats"]["sites"]["hostile"]["accounting"]
    assert hostile["requests"] == crawl["hostile_hits"]
    assert crawls["internal_hits"] == []


def test_first_crawl_buckets(crawls: dict[str, Any]) -> None:
    sites = crawls["first"]["stats"]["sites"]
    for site in ("wp-rest", "blogger"):
        public = sum(p.public for p in crawls["blogs"][site].posts)
        acc = sites[site]["accounting"]
        assert acc["post_pages_fetched"] == acc["posts_emitted"] == public
    html = sites["wp-html"]["accounting"]
    assert html["posts_emitted"] == sum(p.public for p in crawls["blogs"]["wp-html"].posts)
    assert html["post_pages_skipped_by_reason"] == {"protected": 1}

    hostile = sites["hostile"]["accounting"]
    assert hostile["posts_emitted"] == 5  # post-1..3, flaky (after two 503s), busy (after a 429)
    assert hostile["post_pages_rejected_by_reason"] == {"dead_link": 1, "offsite": 1, "robots": 1, "too_large": 2}
    assert hostile["post_pages_skipped"] == 0
    assert sites["hostile"]["responses_by_status"]["503"] == 2 and sites["hostile"]["responses_by_status"]["429"] == 1
    # The 300 kB page declared its length and was dropped unread: sent, never answered.
    assert hostile["failures_by_reason"] == {"too_large": 1}
    assert hostile["refused_by_reason"]["robots"] == 1 and hostile["refused_by_reason"]["offsite"] >= 1

    dead = sites["dead"]["accounting"]
    # robots.txt tried 1 + retry_times (2) times, each refused by the OS; the home page never sent.
    assert dead["requests"] == dead["failures"] == 3 and dead["responses"] == 0
    assert dead["failures_by_reason"] == {"connection_refused": 3}
    assert set(dead["refused_by_reason"]) == {"robots_unavailable"}  # home, then the sitemap fallback
    assert dead["post_pages_fetched"] == 0


def test_recrawl_buckets(crawls: dict[str, Any]) -> None:
    sites = crawls["again"]["stats"]["sites"]
    assert all(sites[s]["accounting"]["posts_emitted"] == 0 for s in sites)
    assert [r for r in crawls["again"]["records"] if r["type"] in ("post", "comment")] == []
    # REST and Blogger revisits ask only the comment sources (conditionally): no post pages.
    assert sites["wp-rest"]["accounting"]["post_pages_fetched"] == 0
    assert sites["blogger"]["accounting"]["post_pages_fetched"] == 0
    # Without REST the post page itself is the comment source: asked with validators, 304.
    html = sites["wp-html"]["accounting"]
    public = sum(p.public for p in crawls["blogs"]["wp-html"].posts)
    assert html["post_pages_fetched"] == public
    assert html["post_pages_skipped_by_reason"] == {"not_modified": public}
    # The hostile site sends no validators: its posts come back whole and unchanged; the failures again.
    hostile = sites["hostile"]["accounting"]
    assert hostile["post_pages_skipped_by_reason"] == {"unchanged": 5}
    assert hostile["post_pages_rejected_by_reason"] == {"dead_link": 1, "offsite": 1, "robots": 1, "too_large": 2}


# --------------------------------------------------------------------------- units


def test_in_flight_sends_at_close_become_failures() -> None:
    stats = CrawlStats()
    first = stats.request("s", "home")
    stats.request("s", "post-page")  # never answered: the crawl was stopped
    assert stats.answered(first) and not stats.answered(first)  # a copied send number counts once
    stats.response("s", 200, 10)
    stats.close_in_flight()
    acc = stats.as_dict()["sites"]["s"]["accounting"]
    assert acc["requests"] == 2 and acc["responses"] == 1
    assert acc["failures_by_reason"] == {"unanswered_at_close": 1} and acc["requests_add_up"]


def test_comment_system_hints_cover_every_detector_pattern() -> None:
    """The crawler's cheap pre-check must not hide a system ``detect_comment_system`` knows."""
    from pipeline.sources.detect import _COMMENT_SYSTEMS, COMMENT_SYSTEM_HINTS
    from pipeline.sources.detect import detect_comment_system as comment_system_of

    for name, pattern in _COMMENT_SYSTEMS:
        for branch in pattern.pattern.split("|"):
            literal = re.sub(r"\\(.)", r"\1", branch).lower()
            assert any(hint in literal for hint in COMMENT_SYSTEM_HINTS), (name, branch)
    assert comment_system_of('<div id="DISQUS_thread"></div>') == "disqus"
    assert comment_system_of("<html><body><ol class='comment-list'></ol></body></html>") is None


def test_stats_json_of_a_real_crawl_names_the_fields(crawls: dict[str, Any]) -> None:
    acc = crawls["first"]["stats"]["sites"]["hostile"]["accounting"]
    assert set(acc) == {
        "requests", "responses", "failures", "failures_by_reason", "requests_add_up", "refused_before_sending",
        "refused_by_reason", "post_pages_fetched", "posts_emitted", "post_pages_rejected",
        "post_pages_rejected_by_reason", "post_pages_skipped", "post_pages_skipped_by_reason", "post_pages_add_up"}
    assert isinstance(crawls["first"]["stats"]["scrapy_elapsed_s"], float)


def test_post_record_without_page_parsing_is_the_same_record() -> None:
    """``build_post_record`` skips the page's metadata only when the listing makes it irrelevant."""
    from demoblog import wordpress as demo_wordpress
    from demoblog.web import Request as DemoRequest
    from crawl.sink import build_post_record
    from pipeline.sources import assemble

    blog = generate("wordpress", n_posts=8)
    post = next(p for p in blog.posts if p.public and p.tags)
    html = demo_wordpress.handle(blog, DemoRequest("GET", blog.post_path(post), {}, "http://127.0.0.1:1")).body.decode()
    full = {"title": post.title, "author": "Dr. A", "published_at": "2024-01-02T03:04:05+00:00",
            "modified_at": "2024-01-03T03:04:05+00:00", "categories": ["Sleep"], "tags": ["insomnia"],
            "content_html": "<p>Body</p>", "platform_post_id": "12", "url": "http://127.0.0.1:1/p/"}
    fields = {"site_id": "s", "url": "http://127.0.0.1:1/p/", "platform": "wordpress", "source": "wp-rest",
              "fetched_at": "2024-02-01T00:00:00+00:00", "comment_system": "native", "http_status": 200,
              "page_url": "http://127.0.0.1:1/p/"}
    for meta in (full, {**full, "tags": []}, {**full, "author": None}):
        assert build_post_record(html=html, meta=meta, **fields) == assemble.build_post(html=html, meta=meta, **fields)
    assert build_post_record(html=html, meta=full, **fields).html == html
