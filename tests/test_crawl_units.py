"""Small pure parts of the crawler: revisit schedule, state, raw.jsonl writer, WARC archive."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crawl.archive import WarcArchive, archive_files
from crawl.output import CrawlStats, RawWriter
from crawl.schedule import is_due, next_due
from crawl.state import CrawlState, Validators
from pipeline.records import RawComment
from pipeline.sources.warc_replay import iter_responses

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
OFFSETS = (1, 3, 7, 30)


def iso(dt: datetime) -> str:
    return dt.isoformat()


def test_revisits_thin_out_after_publication() -> None:
    published = iso(T0)
    assert is_due(published, None, T0, OFFSETS)  # never visited
    first_visit = T0 + timedelta(hours=2)
    assert not is_due(published, iso(first_visit), T0 + timedelta(hours=20), OFFSETS)
    assert is_due(published, iso(first_visit), T0 + timedelta(days=1, hours=1), OFFSETS)  # day 1 passed
    visit2 = T0 + timedelta(days=1, hours=1)
    assert not is_due(published, iso(visit2), T0 + timedelta(days=2), OFFSETS)
    assert is_due(published, iso(visit2), T0 + timedelta(days=3, minutes=1), OFFSETS)
    visit_late = T0 + timedelta(days=31)
    assert not is_due(published, iso(visit_late), T0 + timedelta(days=400), OFFSETS)  # schedule exhausted
    assert next_due(published, iso(first_visit), OFFSETS) == T0 + timedelta(days=1)
    assert next_due(published, iso(visit_late), OFFSETS) is None
    # Unknown publication date: a slow steady check.
    assert is_due(None, iso(T0), T0 + timedelta(days=31), OFFSETS)
    assert not is_due(None, iso(T0), T0 + timedelta(days=3), OFFSETS)


def test_state_survives_reopen_and_keeps_validators_per_url(tmp_path: Path) -> None:
    state = CrawlState(tmp_path)
    state.upsert_discovered("s", "http://b.example/p/", platform_post_id="7", page_url="http://b.example/p/",
                            meta={"meta": {"title": "T"}}, published_at=iso(T0), now=iso(T0))
    assert not state.post("http://b.example/p/").complete
    state.record_comments("http://b.example/p/", [("12", "h1")])
    state.complete_post("http://b.example/p/", validators={"http://b.example/p/": Validators('"e1"', None, "x")},
                        now=iso(T0), modified_at=None, lastmod="2024-03-01")
    state.close()
    again = CrawlState(tmp_path)
    post = again.post("http://b.example/p/")
    assert post.complete and post.meta == {"meta": {"title": "T"}} and post.lastmod == "2024-03-01"
    assert again.validators("http://b.example/p/").request_headers() == {"If-None-Match": '"e1"'}
    assert again.comment_hashes("http://b.example/p/") == {"12": "h1"}
    assert again.comment_keys("http://b.example/p/") == {"12"}
    assert again.validators("http://b.example/other") is None


def test_raw_writer_trims_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    writer = RawWriter(path)
    writer.emit("comment", RawComment(site_id="s", post_url="u", source="html", fetched_at="t", text="a"))
    writer.close()
    with open(path, "ab") as fh:
        fh.write(b'{"type": "comment", "site_id": "s", "te')  # what a kill -9 mid-write could leave
    writer = RawWriter(path)
    writer.emit("site", {"site_id": "s"})
    writer.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["comment", "site"]


def test_stats_count_per_site() -> None:
    stats = CrawlStats()
    for _ in range(4):
        stats.request("a", "post-page")
    stats.response("a", 200, 100)
    stats.response("a", 304, 0)
    stats.item("a", "post")
    stats.item("a", "post")
    stats.reject("a", "timeout")
    out = stats.as_dict()
    assert out["requests"] == 4 and out["posts"] == 2
    assert out["sites"]["a"]["requests_per_post"] == 2.0
    assert out["responses_by_status"] == {"200": 1, "304": 1}
    assert out["rejected_by_reason"] == {"timeout": 1}


def test_archive_records_are_readable_after_a_torn_tail(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, run_stamp="20240301T000000Z")
    body = gzip.compress(b"<html>hello</html>")
    for i in range(3):
        archive.write(url=f"http://b.example/{i}", status=200, reason="OK",
                      response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                      body=body, request_method="GET", request_headers=[("User-Agent", "t")],
                      fetched_at=T0, extra={"WARC-Blogscope-Kind": "post-page", "WARC-Blogscope-Site": "s"})
    archive.close()
    (path,) = archive_files(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # a kill -9 in the middle of the last record
    found = list(iter_responses([path]))
    assert len(found) >= 2
    headers, status, payload = found[0]
    assert status == 200 and payload == b"<html>hello</html>"  # stored as sent, decoded on read
    assert headers["WARC-Blogscope-Kind"] == "post-page"
    assert headers["WARC-Date"].startswith("2024-03-01T12:00:00")


def test_archive_records_carry_digests_that_check(tmp_path: Path) -> None:
    """Block and payload digests (computed by blogscope, not warcio) verify with warcio's checker."""
    from warcio.archiveiterator import ArchiveIterator

    archive = WarcArchive(tmp_path, run_stamp="20240301T000000Z")
    for body in (b"", b"<p>caf\xc3\xa9</p>", gzip.compress(b"<html>hello</html>" * 500)):
        archive.write(url="http://b.example/2024/01/post/?page=2", status=200, reason="OK",
                      response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")], body=body,
                      request_method="GET", request_headers=[("User-Agent", "t")], fetched_at=T0,
                      extra={"WARC-Blogscope-Kind": "post-page"})
    archive.close()
    checked = []
    with open(archive_files(tmp_path)[0], "rb") as fh:
        for record in ArchiveIterator(fh, check_digests=True):
            record.content_stream().read()
            checked.append((record.rec_type, record.digest_checker.passed, record.digest_checker.problems))
    assert [c[0] for c in checked] == ["warcinfo"] + ["response", "request"] * 3
    assert all(passed is not False and not problems for _, passed, problems in checked), checked
    assert all(passed for kind, passed, _ in checked if kind != "warcinfo")


def test_malformed_hrefs_never_break_link_handling() -> None:
    """``http://[ccpa-preferences]`` (seen on a real page) makes urllib raise ValueError."""
    from crawl.traps import same_site, trap_reason
    from pipeline.ids import join_url
    from pipeline.sources.detect import detect_platform
    from pipeline.sources.feeds import discover_feeds

    bad = "http://[ccpa-preferences]/"
    assert join_url("http://127.0.0.1/", bad) is None
    assert join_url("http://127.0.0.1/a/", "../b") == "http://127.0.0.1/b"
    assert trap_reason(bad) == "malformed_url" and same_site(bad, "127.0.0.1") is False
    page = (f'<html><head><link rel="alternate" type="application/rss+xml" href="{bad}">'
            f'<link rel="https://api.w.org/" href="{bad}"></head><body></body></html>')
    assert discover_feeds(page, "http://127.0.0.1/") == []
    assert detect_platform(page, "http://127.0.0.1/").platform in ("generic", "wordpress")


def test_wordpress_rest_urls_for_pretty_and_plain_roots() -> None:
    from crawl.discovery.wordpress import RestListingPage, comments_url, rest_root, with_page

    assert rest_root("http://127.0.0.1:1/") == "http://127.0.0.1:1/wp-json/"
    assert rest_root("http://127.0.0.1:1/", "http://127.0.0.1:1/?rest_route=/") == "http://127.0.0.1:1/?rest_route=/"
    pretty = RestListingPage("http://127.0.0.1:1/wp-json/", 2, per_page=10)
    assert pretty.url == "http://127.0.0.1:1/wp-json/wp/v2/posts?per_page=10&page=2&_embed=1"
    plain = comments_url("http://127.0.0.1:1/?rest_route=/", "7")
    assert plain == "http://127.0.0.1:1/?rest_route=/wp/v2/comments&post=7&per_page=100&page=1"
    assert with_page(plain, 3).endswith("&page=3") and with_page("http://127.0.0.1:1/x", 2).endswith("x?page=2")
