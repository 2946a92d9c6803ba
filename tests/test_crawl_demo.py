"""The real crawler (subprocess) against the bundled demo blog over HTTP on 127.0.0.1.

Completeness is checked against the generator's ground truth: every public post, every public
comment with its exact parent, nothing hidden (unapproved comments, drafts, protected posts).
Incremental behaviour is counted on the demo server itself.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.support.testsite import run_crawl
from demoblog.generate import add_comment, generate, truth_dict
from demoblog.server import serve

def check_against_truth(records: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    posts = {r["url"]: r for r in records if r["type"] == "post"}
    comments = [r for r in records if r["type"] == "comment"]
    by_key = {(c["post_url"], c["platform_comment_id"]): c for c in comments}
    assert len(by_key) == len(comments), "a comment was emitted twice in one run"

    public_posts = {p["url"]: p for p in truth["posts"] if p["public"]}
    hidden_posts = {p["url"] for p in truth["posts"] if not p["public"]}
    assert set(posts) == set(public_posts), (sorted(set(public_posts) - set(posts))[:3],
                                             sorted(set(posts) - set(public_posts))[:3])
    assert not hidden_posts & set(posts)
    for url, post in posts.items():
        want = public_posts[url]
        assert post["title"] == want["title"]
        assert post["author"] == want["author"]
        assert post["published_at"] == want["published_at"]
        # The blog's own zone is kept beside the UTC time (the demo blogs write non-UTC offsets).
        assert post["published_utc_offset_minutes"] == want["published_utc_offset_minutes"] != 0, url
        assert post["html"] and want["text"].split("\n\n")[0][:60] in post["html"].replace("&#x27;", "'").replace(
            "&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")

    visible = {(c["post_url"], c["platform_comment_id"]): c for c in truth["comments"] if c["visible"]}
    hidden = {(c["post_url"], c["platform_comment_id"]) for c in truth["comments"] if not c["visible"]}
    assert set(by_key) == set(visible), (sorted(set(visible) - set(by_key))[:3], sorted(set(by_key) - set(visible))[:3])
    assert not hidden & set(by_key)
    for key, want in visible.items():
        got = by_key[key]
        assert got["parent_platform_comment_id"] == want["parent_platform_comment_id"], key
        assert got["author"] == want["author"], key
        assert got["published_at"] == want["published_at"], key
        assert got["published_utc_offset_minutes"] == want["published_utc_offset_minutes"] != 0, key
        assert got["text"] == want["text"], key

    # The blog exercises what matters: deep threads and posts with several comment pages.
    assert max(c["depth"] for c in visible.values()) >= 5
    per_page = truth["options"]["comments_per_page"]
    top_level = Counter(c["post_url"] for c in visible.values() if c["parent_platform_comment_id"] is None)
    assert max(-(-n // per_page) for n in top_level.values()) >= 3
    sites = [r for r in records if r["type"] == "site"]
    assert sites and sites[-1]["comment_system"] == "native"


# --------------------------------------------------------------------------- full crawls


@pytest.fixture(scope="module")
def demo_sites() -> dict[str, Any]:
    blogs = {
        "wordpress": generate("wordpress", protected_post=True),
        "blogger": generate("blogger"),
        "wp-norest": generate("wordpress", rest_api=False, default_comments_page="newest"),
        # Comment pages in the other order (the post URL shows the oldest page), small blog.
        "wp-oldest": generate("wordpress", n_posts=8, rest_api=False, default_comments_page="oldest"),
    }
    servers = {name: serve(blog) for name, blog in blogs.items()}
    yield {"blogs": blogs, "servers": servers}
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def first_crawls(demo_sites: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One complete crawl per demo site; later tests re-crawl with the same state."""
    out = {}
    for name, server in demo_sites["servers"].items():
        work = tmp_path_factory.mktemp(name)
        before = server.stats()["total"]
        records = run_crawl([{"id": name, "url": server.base_url}], work, out="run1")
        out[name] = {"work": work, "records": records, "requests": server.stats()["total"] - before,
                     "truth": truth_dict(demo_sites["blogs"][name], server.base_url),
                     "stats": json.loads((work / "run1" / "stats.json").read_text())}
    return out


@pytest.mark.parametrize("name", ["wordpress", "blogger", "wp-norest", "wp-oldest"])
def test_first_crawl_collects_everything_public_and_nothing_hidden(first_crawls: dict[str, Any], name: str) -> None:
    crawl = first_crawls[name]
    check_against_truth(crawl["records"], crawl["truth"])
    stats = crawl["stats"]
    assert stats["requests"] == crawl["requests"]  # our count matches the server's
    assert stats["archived_responses"] == sum(stats["responses_by_status"].values())  # every answer archived
    assert stats["rejected_by_reason"] == {} or set(stats["rejected_by_reason"]) <= {"dead_link"}
    print(f"{name}: {crawl['requests']} requests for {stats['posts']} posts "
          f"({crawl['requests'] / stats['posts']:.2f}/post), {stats['pages_per_s']} pages/s")


def test_protected_post_and_its_comments_are_skipped(first_crawls: dict[str, Any]) -> None:
    crawl = first_crawls["wordpress"]
    protected = [p for p in crawl["truth"]["posts"] if p["protected"]]
    assert protected, "the demo blog was generated with a protected post"
    urls = {r.get("url") for r in crawl["records"]} | {r.get("post_url") for r in crawl["records"]}
    assert not {p["url"] for p in protected} & urls
    site = [r for r in crawl["records"] if r["type"] == "site"][-1]
    assert "password-protected" in site["notes"]


def test_robots_private_page_never_requested(demo_sites: dict[str, Any], first_crawls: dict[str, Any]) -> None:
    for server in demo_sites["servers"].values():
        paths = server.stats()["by_path"]
        assert not any(p.startswith("/private/") for p in paths)
        assert paths.get("/robots.txt", 0) >= 1


@pytest.mark.parametrize("name", ["wordpress", "blogger", "wp-norest"])
def test_recrawl_unchanged_then_late_comment(demo_sites: dict[str, Any], first_crawls: dict[str, Any],
                                             name: str) -> None:
    server = demo_sites["servers"][name]
    blog = demo_sites["blogs"][name]
    crawl = first_crawls[name]
    before = server.stats()["total"]
    again = run_crawl([{"id": name, "url": server.base_url}], crawl["work"], out="run2")
    second = server.stats()["total"] - before
    assert second <= 0.10 * crawl["requests"], (second, crawl["requests"])
    assert [r for r in again if r["type"] in ("post", "comment")] == []

    old_post = next(p for p in sorted(blog.posts, key=lambda p: p.published) if p.public and p.comments)
    added = add_comment(blog, old_post.index)
    before = server.stats()["total"]
    third = run_crawl([{"id": name, "url": server.base_url}], crawl["work"], out="run3")
    late = [r for r in third if r["type"] == "comment"]
    assert [c["platform_comment_id"] for c in late] == [added.platform_comment_id]
    assert late[0]["post_url"] == truth_dict(blog, server.base_url)["posts"][old_post.index]["url"]
    assert [r for r in third if r["type"] == "post"] == []
    assert server.stats()["total"] - before <= 0.15 * crawl["requests"]


@pytest.mark.parametrize("name", ["wordpress", "blogger", "wp-norest"])
def test_replay_from_archive_gives_the_same_records(first_crawls: dict[str, Any], name: str) -> None:
    from crawl.archive import archive_files
    from pipeline.records import to_dict
    from pipeline.sources import rebuild_from_warc

    crawl = first_crawls[name]
    files = archive_files(crawl["work"] / "archive")
    assert files
    replayed = [to_dict(r) for r in rebuild_from_warc(files)]
    live_posts = {r["url"]: r for r in crawl["records"] if r["type"] == "post"}
    live_comments = {(r["post_url"], r["platform_comment_id"]): r for r in crawl["records"] if r["type"] == "comment"}
    # The archive also holds later runs (re-crawl, late comment): compare what the first run emitted.
    re_posts = {r["url"]: r for r in replayed if "html" in r}
    re_comments = {(r["post_url"], r["platform_comment_id"]): r for r in replayed if "post_url" in r}
    assert set(re_posts) == set(live_posts)
    assert set(live_comments) <= set(re_comments)
    for url, live in live_posts.items():
        got = re_posts[url]
        for field in ("title", "author", "published_at", "platform_post_id", "categories", "tags", "html",
                      "content_html", "fetched_at", "source", "platform"):
            assert got[field] == live[field], (url, field)
    for key, live in live_comments.items():
        got = dict(re_comments[key])
        assert {k: v for k, v in got.items() if k != "type"} == {k: v for k, v in live.items() if k != "type"}, key
