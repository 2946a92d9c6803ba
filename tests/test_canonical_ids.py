"""Post ids that survive URL moves, and the source's UTC offset kept beside UTC times.

A blog that moves from http to https, drops ``www`` or changes host serves the same posts under
new URLs. New ids derive from the URL without scheme and ``www`` (unit-tested here: a scheme move
cannot be served on loopback without TLS); a re-crawl under another URL form keeps the id the
warehouse already holds (site + path), also for ids given before this rule
(``ids.legacy_post_id``). The end-to-end test crawls a demo blog as ``http://127.0.0.1:P`` and
again as ``http://localhost:P`` (both loopback: the host move), processes and loads both runs
into one real DuckDB file, and finds every post and every comment exactly once, under one id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.testsite import run_crawl
from demoblog.generate import generate, truth_dict
from demoblog.server import serve
from pipeline import ids
from pipeline.process import process_crawl
from pipeline.settings import ProcessSettings
from warehouse.corpus import known_post_urls
from warehouse.load import load_run

KEY = b"test-key"


@pytest.mark.parametrize("moved", [
    "https://example.org/2024/01/sleep/",          # http -> https
    "http://www.example.org/2024/01/sleep/",       # www added
    "https://www.Example.org/2024/01/sleep/?utm_source=x#comments",  # both, plus variants
    "https://example.org:443/2024/01/sleep/",      # default port written out
])
def test_a_scheme_or_www_move_keeps_the_post_id(moved: str) -> None:
    before = "http://example.org/2024/01/sleep/"
    assert ids.identity_url(moved) == ids.identity_url(before) == "example.org/2024/01/sleep/"
    assert ids.post_id(moved) == ids.post_id(before)
    # The id before this rule depended on the scheme: those ids are kept by the warehouse match.
    assert ids.legacy_post_id("https://example.org/2024/01/sleep/") != ids.legacy_post_id(before)


def test_different_posts_hosts_and_ports_keep_different_ids() -> None:
    base = ids.post_id("https://example.org/a/")
    assert ids.post_id("https://example.org/b/") != base
    assert ids.post_id("https://example.org:8080/a/") != base  # another server
    assert ids.post_id("https://blog.example.org/a/") != base  # another host (matched by the warehouse only)
    assert ids.post_id("https://wwwx.example.org/a/") != ids.post_id("https://x.example.org/a/")
    assert ids.path_key("http://127.0.0.1:8000/2024/01/x/?p=1") == ids.path_key("http://localhost:8000/2024/01/x/?p=1")


def _crawl_process_load(server_url: str, work: Path, home: Path, run_id: str) -> None:
    """One run as the flows run it: crawl subprocess, process stage with the warehouse lookups, load."""
    run_crawl([{"id": "demo", "url": server_url}], work, out=run_id)
    db = home / "work" / "warehouse.duckdb"
    process_crawl([work / run_id / "raw.jsonl"], home / "runs" / run_id / "processed", run_id, home=home,
                  pseudonym_key=KEY, settings=ProcessSettings(workers=1, timeout_s=60),
                  known_post_urls=lambda site_ids: known_post_urls(db, site_ids))
    load_run(db, home / "runs" / run_id, run_id, search_index=False)


def _rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(home / "work" / "warehouse.duckdb"), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def blog_server():
    blog = generate("wordpress", n_posts=8)
    server = serve(blog)
    yield blog, server
    server.stop()


@pytest.mark.parametrize("first_ids", ["current", "legacy"])
def test_a_host_move_gives_every_post_and_comment_once_under_one_id(
        blog_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_ids: str) -> None:
    blog, server = blog_server
    old_base = server.base_url  # http://127.0.0.1:P/
    new_base = old_base.replace("://127.0.0.1:", "://localhost:")
    truth = truth_dict(blog, old_base)
    public = {ids.path_key(p["url"]) for p in truth["posts"] if p["public"]}
    visible = {c["platform_comment_id"] for c in truth["comments"] if c["visible"]}
    home, work = tmp_path / "home", tmp_path / "crawl"

    with monkeypatch.context() as patch:
        if first_ids == "legacy":  # a warehouse loaded before ids left out scheme and www
            patch.setattr(ids, "post_id", ids.legacy_post_id)
        _crawl_process_load(old_base, work, home, "r1")
    before = dict(_rows(home, "SELECT url, post_id FROM posts"))
    comments_before = dict(_rows(home, "SELECT platform_comment_id, comment_id FROM comments"))
    assert {ids.path_key(u) for u in before} == public and set(comments_before) == visible
    if first_ids == "legacy":
        assert set(before.values()) == {ids.legacy_post_id(u) for u in before}

    _crawl_process_load(new_base, work, home, "r2")

    posts = _rows(home, "SELECT url, post_id FROM posts")
    assert len(posts) == len(public), "a post came in twice"
    assert all(url.startswith(new_base) for url, _ in posts), "the current URL is the new form"
    by_path = {ids.path_key(u): pid for u, pid in before.items()}
    assert {pid for _, pid in posts} == set(before.values())
    assert all(by_path[ids.path_key(url)] == pid for url, pid in posts), "a post changed its id"
    comments = _rows(home, "SELECT platform_comment_id, comment_id, post_id FROM comments")
    assert len(comments) == len(visible) and {c for c, _, _ in comments} == visible, "a comment came in twice"
    assert all(comments_before[c] == cid for c, cid, _ in comments), "a comment changed its id"
    assert not _rows(home, "SELECT comment_id FROM comments ANTI JOIN posts USING (post_id)"), "orphaned comments"
    # Every URL form stays findable: the old URLs are aliases of the same ids.
    aliases = dict(_rows(home, f"SELECT url, post_id FROM post_aliases WHERE url LIKE '{old_base}%'"))
    assert aliases == before


def test_the_warehouse_keeps_the_blogs_utc_offsets(blog_server: Any, tmp_path: Path) -> None:
    blog, server = blog_server
    home = tmp_path / "home"
    _crawl_process_load(server.base_url, tmp_path / "crawl", home, "r1")
    offset = blog.options.utc_offset_minutes
    assert offset == 120  # the demo WordPress blog writes +02:00
    assert _rows(home, "SELECT DISTINCT published_utc_offset_minutes FROM posts") == [(offset,)]
    assert _rows(home, "SELECT DISTINCT published_utc_offset_minutes FROM comments") == [(offset,)]
    truth = truth_dict(blog, server.base_url)
    hour_of = {p["url"]: int(p["published_at"][11:13]) for p in truth["posts"] if p["public"]}
    local = _rows(home, """SELECT p.url, v.local_hour, hour(v.published_at) FROM v_local_times v JOIN posts p
                           ON v.target_kind = 'post' AND v.target_id = p.post_id""")
    assert len(local) == len(hour_of)
    for url, local_hour, utc_hour in local:
        assert utc_hour == hour_of[url] and local_hour == (utc_hour + 2) % 24, url


def test_resolve_post_ids_prefers_the_warehouse_then_one_id_per_path_in_a_batch() -> None:
    from pipeline.process import fold, resolve_post_ids
    from pipeline.records import RawComment, RawPost, to_dict

    def post(url: str, site: str = "s") -> dict:
        return {"type": "post", **to_dict(RawPost(site, url, "wordpress", "html", "2024-01-01T00:00:00+00:00"))}

    batch = fold([post("http://old.example/a/"), post("http://new.example/a/"), post("http://new.example/b/"),
                  post("http://other.example/a/", site="other"),
                  {"type": "comment", **to_dict(RawComment("s", "http://new.example/c/?utm_source=x", "html",
                                                           "2024-01-01T00:00:00+00:00", "1"))}])
    fresh = resolve_post_ids(batch, None)
    assert fresh["http://old.example/a/"] == fresh["http://new.example/a/"] == ids.post_id("http://new.example/a/")
    assert fresh["http://new.example/b/"] == ids.post_id("http://new.example/b/")
    assert fresh["http://new.example/c/"] == ids.post_id("http://new.example/c/")
    assert fresh["http://other.example/a/"] == ids.post_id("http://other.example/a/")  # another site's /a/
    assert len(set(fresh.values())) == 4
    known = [("s", "http://old.example/a/", "legacy-a"), ("s", "http://old.example/a/?m=1", "legacy-a")]
    held = resolve_post_ids(batch, lambda site_ids: known if site_ids == ["other", "s"] else [])
    assert held["http://new.example/a/"] == held["http://old.example/a/"] == "legacy-a"
    assert held["http://new.example/b/"] == fresh["http://new.example/b/"]
