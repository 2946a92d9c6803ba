"""The crawl's writer (crawl.sink): order, dedupe, failure handling, and a dead writer stops the crawl.

:class:`RecordSink` is driven in-process with the messages the spider sends; :class:`SinkClient`
runs the real writer process.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from crawl.archive import archive_files
from crawl.output import POST_PAGE_EMITTED, POST_PAGE_SKIPPED
from crawl.sink import RecordSink, SinkClient
from crawl.state import CrawlState
from pipeline.sources import rebuild_from_warc

POST = "http://127.0.0.1:1/2024/01/sleep/"
T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)


def _sink(tmp_path: Path) -> RecordSink:
    return RecordSink(raw_path=tmp_path / "out" / "raw.jsonl", state_dir=tmp_path / "state",
                      archive_dir=tmp_path / "archive", sites=["s"])


def _records(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "out" / "raw.jsonl").read_text().splitlines()]


def _rest_comments(*ids: int, status: str = "approved") -> bytes:
    return json.dumps([{"id": i, "post": 7, "parent": 0, "author_name": f"reader{i}", "date_gmt": "2024-01-02T03:04:05",
                        "content": {"rendered": f"<p>comment {i}</p>"}, "status": status, "type": "comment"}
                       for i in ids]).encode()


def _post_page(html: str = "<html><body><article><p>Sleep and mood.</p></article></body></html>") -> dict[str, Any]:
    meta = {"title": "Sleep", "author": "Dr. A", "published_at": "2024-01-01T00:00:00+00:00",
            "modified_at": "2024-01-01T00:00:00+00:00", "categories": ["Sleep"], "tags": ["insomnia"],
            "content_html": "<p>Sleep and mood.</p>", "platform_post_id": "7", "url": POST, "source": "wp-rest"}
    return {"platform": "wordpress", "source": "wp-rest", "fetched_at": T0.isoformat(), "html": html, "meta": meta,
            "comment_system": "native", "http_status": 200, "page_url": POST}


def _done(validators: dict[str, tuple[Any, ...]] | None = None) -> dict[str, Any]:
    return {"validators": validators or {POST: ("etag-1", None, "hash-1")}, "now": T0.isoformat(),
            "modified_at": "2024-01-01T00:00:00+00:00", "lastmod": None}


def _discovered(tmp_path: Path) -> None:
    """What the crawler writes when a listing names the post."""
    state = CrawlState(tmp_path / "state")
    state.upsert_discovered("s", POST, platform_post_id="7", page_url=POST, meta={}, published_at=None,
                            now=T0.isoformat())
    state.close()


def test_a_post_is_complete_only_with_its_records_and_a_rerun_writes_nothing_new(tmp_path: Path) -> None:
    _discovered(tmp_path)
    sink = _sink(tmp_path)
    sink.handle_batch([
        ("post_page", ("s", 1, POST, _post_page())),
        ("rest_comments", ("s", POST, POST + "c", 200, _rest_comments(1, 2), T0.isoformat(), "7")),
        ("rest_comments", ("s", POST, POST + "c2", 200, _rest_comments(2, 3), T0.isoformat(), "7")),  # 2 again
        ("post_done", (POST, _done())),
    ])
    report = sink.close()
    records = _records(tmp_path)
    assert [r["type"] for r in records] == ["post", "comment", "comment", "comment"]
    assert sorted(r["platform_comment_id"] for r in records if r["type"] == "comment") == ["1", "2", "3"]
    assert report.post_pages == [("s", 1, POST_PAGE_EMITTED, "")]
    assert report.items == {("s", "post"): 1, ("s", "comment"): 3}
    state = CrawlState(tmp_path / "state")
    assert state.post(POST).complete is True
    assert state.validators(POST).etag == "etag-1"
    state.close()

    # The same post again (a re-crawl): the unchanged post and known comments are not rewritten;
    # one new comment is written.
    sink = _sink(tmp_path)
    sink.handle_batch([
        ("post_page", ("s", 2, POST, _post_page())),
        ("rest_comments", ("s", POST, POST + "c", 200, _rest_comments(1, 2, 3, 4), T0.isoformat(), "7")),
        ("post_done", (POST, _done())),
    ])
    report = sink.close()
    assert report.post_pages == [("s", 2, POST_PAGE_SKIPPED, "unchanged")]
    assert report.items == {("s", "comment"): 1}
    assert [r.get("platform_comment_id") for r in _records(tmp_path)[4:]] == ["4"]


def test_a_post_the_crawler_could_not_finish_stays_incomplete(tmp_path: Path) -> None:
    _discovered(tmp_path)
    sink = _sink(tmp_path)
    sink.handle_batch([("post_page", ("s", 1, POST, _post_page())), ("post_done", (POST, None))])
    sink.close()
    state = CrawlState(tmp_path / "state")
    assert state.post(POST).complete is False
    assert state.validators(POST) is None
    state.close()


def test_unreadable_comments_fail_the_post_and_leave_a_reason(tmp_path: Path) -> None:
    _discovered(tmp_path)
    sink = _sink(tmp_path)
    sink.handle_batch([
        ("rest_comments", ("s", POST, POST + "c", 200, b"<html>not json</html>", T0.isoformat(), "7")),
        ("post_done", (POST, _done())),
    ])
    report = sink.close()
    rejected = [r for r in _records(tmp_path) if r["type"] == "rejected"]
    assert [(r["reason"], r["key"]) for r in rejected] == [("parse_error", POST + "c")]
    assert report.rejected == {("s", "parse_error"): 1}
    state = CrawlState(tmp_path / "state")
    assert state.post(POST).complete is False  # the next run fetches it again
    state.close()


def test_site_row_names_the_comment_system_seen_most(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    disqus = '<html><body><p>Text</p><div id="disqus_thread"></div><script src="//x.disqus.com/embed.js"></script>'
    sink.handle_batch([("post_page", ("s", i, f"{POST}{i}/", {**_post_page(disqus), "page_url": f"{POST}{i}/"}))
                       for i in range(3)] + [("site_row", ("s", {"site_id": "s", "url": "u", "platform": "wordpress",
                                                                   "notes": ""}, {"native": 1}))])
    sink.close()
    records = _records(tmp_path)
    assert {r["comment_system"] for r in records if r["type"] == "post"} == {"disqus"}
    assert [r["comment_system"] for r in records if r["type"] == "site"] == ["disqus"]


def test_archive_entries_replay_to_the_same_records(tmp_path: Path) -> None:
    sink = _sink(tmp_path)
    body = _rest_comments(1, 2)
    sink.handle_batch([("archive", ({
        "url": POST + "c", "status": 200, "response_headers": [(b"Content-Type", [b"application/json"])],
        "body": body, "request_method": "GET", "request_headers": [(b"Accept", [b"*/*"])], "fetched_at": T0,
        "kind": "wp-rest-comments", "site": "s", "platform": "wordpress", "post": POST,
        "archive_meta": {"platform_post_id": "7", "mode": "wp-rest", "source": "wp-rest"}},))])
    sink.close()
    replayed = list(rebuild_from_warc(archive_files(tmp_path / "archive")))
    assert sorted(c.platform_comment_id for c in replayed) == ["1", "2"]


def test_a_writer_that_cannot_start_fails_the_crawl_with_a_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    failures: list[str] = []
    client = SinkClient(raw_path=blocker / "raw.jsonl", state_dir=tmp_path / "state", archive_dir=tmp_path / "a",
                        sites=["s"], on_failure=failures.append)
    client.process.join(timeout=60)  # it dies creating its output folder
    for i in range(100):
        client.send("emit", "site", {"site_id": "s", "i": i})
    report = client.close()
    assert client.failed and failures == [client.failed]
    assert "writer process" in client.failed
    assert report.items == {}
