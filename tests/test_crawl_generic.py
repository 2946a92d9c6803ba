"""The real crawler against a generic blog (not WordPress, not Blogger) over HTTP on 127.0.0.1.

The blog (:mod:`tests.support.generic_blog`) has no generator meta, no REST API and no Blogger feeds;
its reader comments are threaded in schema.org microdata (``Comment`` and the older
``UserComments``), microformats (``h-cite``) and three plain ``div.comment#comment-N`` layouts
(replies in a sibling list of a classed or of a bare ``li``, or nested in the comment), three posts spread their comments over three comment pages
(``?cpage=N``), and unapproved comments exist in the truth but never on a page. It is served twice
in one crawl: once with an Atom feed (newest posts only), a sitemap and robots.txt, once with
nothing but the home page and its ``/page/N/`` archive. ``platform`` is ``auto`` for both.

Generic markup often shows no comment ids, so the crawler's ids may be hashes; threads are
therefore compared as ``(author, text) -> parent's (author, text)`` per post.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.support.generic_blog import (
    STYLES,
    comment_page_count,
    generate_generic_blog,
    render_post,
    serve_generic_blog,
    truth_dict,
)
from tests.support.testsite import run_crawl

SITES = ("generic-full", "generic-archive")


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _key(author: str | None, text: str | None) -> tuple[str | None, str]:
    return (author, _norm(text))


def comment_threads(comments: list[dict[str, Any]]) -> dict[tuple[str, tuple[str | None, str]], Any]:
    """``(post_url, (author, text)) -> parent's (author, text) or None`` of crawled comments."""
    by_id = {(c["post_url"], c["platform_comment_id"]): c for c in comments}
    assert len(by_id) == len(comments), "a comment was emitted twice in one run"
    out: dict[tuple[str, tuple[str | None, str]], Any] = {}
    for c in comments:
        parent = None
        if c["parent_platform_comment_id"] is not None:
            p = by_id.get((c["post_url"], c["parent_platform_comment_id"]))
            assert p is not None, f"comment {c['platform_comment_id']} names a parent that was not emitted"
            parent = _key(p["author"], p["text"])
        key = (c["post_url"], _key(c["author"], c["text"]))
        assert key not in out, f"two comments with the same author and text on {c['post_url']}"
        out[key] = parent
    return out


def truth_threads(truth: dict[str, Any], visible: bool = True) -> dict[tuple[str, tuple[str | None, str]], Any]:
    return {(c["post_url"], _key(*c["key"])): (_key(*c["parent"]) if c["parent"] else None)
            for c in truth["comments"] if c["visible"] is visible}


@pytest.fixture(scope="module")
def generic_crawl(tmp_path_factory: pytest.TempPathFactory) -> Any:
    blog = generate_generic_blog()
    full, full_log = serve_generic_blog(blog)
    bare, bare_log = serve_generic_blog(blog, listings=False)
    work = tmp_path_factory.mktemp("generic")
    sites = [{"id": "generic-full", "url": full.base_url, "platform": "auto", "allow_private": True},
             {"id": "generic-archive", "url": bare.base_url, "platform": "auto", "allow_private": True}]
    try:
        records = run_crawl(sites, work, out="run1")
        yield {
            "records": {sid: [r for r in records if r.get("site_id") == sid] for sid in SITES},
            "truth": {"generic-full": truth_dict(blog, full.base_url),
                      "generic-archive": truth_dict(blog, bare.base_url)},
            "hits": {"generic-full": full_log.paths(), "generic-archive": bare_log.paths()},
            "stats": json.loads((work / "run1" / "stats.json").read_text()),
            "blog": blog,
        }
    finally:
        full.stop()
        bare.stop()


def test_the_blog_exercises_what_matters(generic_crawl: Any) -> None:
    """Guard on the fixture itself: deep threads, 3+ comment pages, hidden comments, every style."""
    truth = generic_crawl["truth"]["generic-full"]
    visible = [c for c in truth["comments"] if c["visible"]]
    assert max(c["depth"] for c in visible) >= 5
    assert max(p["comment_pages"] for p in truth["posts"]) >= 3
    assert sum(not c["visible"] for c in truth["comments"]) >= 5
    assert {c["style"] for c in visible} == set(STYLES)
    deepest = max(visible, key=lambda c: c["depth"])
    assert deepest["style"] == "plain-bare-li"  # only the bare list entry ties each level to its parent
    paged_styles = {p["style"] for p in truth["posts"] if p["comment_pages"] >= 3}
    assert {"microdata", "plain-li"} <= paged_styles  # hashed ids and native ids across pages


@pytest.mark.parametrize("site", SITES)
def test_platform_auto_detects_generic(generic_crawl: Any, site: str) -> None:
    records = generic_crawl["records"][site]
    site_rows = [r for r in records if r["type"] == "site"]
    assert site_rows and site_rows[-1]["platform"] == "generic"
    assert site_rows[-1]["comment_system"] == "native"
    assert {r["platform"] for r in records if r["type"] == "post"} == {"generic"}


@pytest.mark.parametrize("site", SITES)
def test_every_post_and_nothing_else(generic_crawl: Any, site: str) -> None:
    records = generic_crawl["records"][site]
    truth = generic_crawl["truth"][site]
    posts = {r["url"]: r for r in records if r["type"] == "post"}
    assert len(posts) == len([r for r in records if r["type"] == "post"]), "a post was emitted twice"
    want = {p["url"]: p for p in truth["posts"]}
    assert set(posts) == set(want), (sorted(set(want) - set(posts)), sorted(set(posts) - set(want)))
    assert not set(truth["not_posts"]) & set(posts)
    for url, post in posts.items():
        assert post["title"] == want[url]["title"], url
        assert post["author"] == want[url]["author"], url
        assert post["published_at"] == want[url]["published_at"], url
        assert want[url]["first_paragraph"] in post["html"], url


@pytest.mark.parametrize("site", SITES)
def test_every_public_comment_with_its_exact_parent(generic_crawl: Any, site: str) -> None:
    records = generic_crawl["records"][site]
    truth = generic_crawl["truth"][site]
    comments = [r for r in records if r["type"] == "comment"]
    got = comment_threads(comments)
    want = truth_threads(truth)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, (len(missing), missing[:3], len(extra), extra[:3])
    wrong_parent = [k for k in want if got[k] != want[k]]
    assert not wrong_parent, wrong_parent[:3]
    published = {(c["post_url"], _key(*c["key"])): c["published_at"] for c in truth["comments"]}
    for c in comments:
        assert c["published_at"] == published[(c["post_url"], _key(c["author"], c["text"]))]
    by_style = Counter(c["style"] for c in truth["comments"] if c["visible"])
    print(f"{site}: {len(comments)} comments by style {dict(by_style)}")


@pytest.mark.parametrize("site", SITES)
def test_unapproved_comments_are_never_emitted(generic_crawl: Any, site: str) -> None:
    records = generic_crawl["records"][site]
    hidden = truth_threads(generic_crawl["truth"][site], visible=False)
    assert hidden
    seen = {(r["post_url"], _key(r["author"], r["text"])) for r in records if r["type"] == "comment"}
    assert not set(hidden) & seen
    hidden_texts = {text for _url, (_author, text) in hidden}
    assert not any(text in _norm(r.get("text")) for r in records if r["type"] == "comment" for text in hidden_texts)


@pytest.mark.parametrize("site", SITES)
def test_every_comment_page_asked_once(generic_crawl: Any, site: str) -> None:
    hits = Counter(generic_crawl["hits"][site])
    blog = generic_crawl["blog"]
    for post in blog.posts:
        for n in range(2, comment_page_count(post) + 1):
            assert hits[f"{post.path}?cpage={n}"] == 1, (post.path, n, hits[f"{post.path}?cpage={n}"])
        assert hits[post.path] == 1, post.path


def test_listings_then_archive_walk(generic_crawl: Any) -> None:
    full = Counter(generic_crawl["hits"]["generic-full"])
    assert full["/feed.xml"] == 1 and full["/sitemap.xml"] == 1
    # The feed names the newest posts; the rest come from the sitemap, so no archive walk.
    assert not any(p.startswith("/page/") for p in full)
    bare = Counter(generic_crawl["hits"]["generic-archive"])
    pages = -(-len(generic_crawl["blog"].posts) // generic_crawl["blog"].per_archive_page)
    assert [bare[f"/page/{n}/"] for n in range(2, pages + 1)] == [1] * (pages - 1)


def test_stats_add_up_and_nothing_rejected(generic_crawl: Any) -> None:
    stats = generic_crawl["stats"]
    assert stats["accounting_adds_up"] is True
    assert stats["rejected_by_reason"] == {}
    truth = generic_crawl["truth"]["generic-full"]
    assert stats["posts"] == 2 * len(truth["posts"])
    assert stats["comments"] == 2 * sum(c["visible"] for c in truth["comments"])


@pytest.mark.parametrize("style", STYLES)
def test_every_style_threads_through_the_html_path(style: str) -> None:
    """The crawler's HTML path (no server) on a blog written in one style only.

    Pins the generic extractor's rule for each style on its own, so a regression names the style
    (the crawl above mixes them). ``plain-bare-li`` and ``usercomments`` were once known gaps of
    ``pipeline/comments.py``: replies beside a comment in a bare ``<li>``, and schema.org
    ``UserComments`` with its ``creator`` as the author.
    """
    from pipeline.sources import assemble

    blog = generate_generic_blog(styles=(style,), n_posts=4)
    base = "http://127.0.0.1:9"
    truth = truth_dict(blog, base + "/")
    got: list[dict[str, Any]] = []
    for post in blog.posts:
        url = base + post.path
        for n in range(1, comment_page_count(post) + 1):
            for c in assemble.comments_from_html("html-generic", render_post(blog, post, base, n), site_id="s",
                                                 post_url=url, page_url=url, fetched_at="2024-01-01T00:00:00+00:00"):
                got.append({"post_url": url, "platform_comment_id": c.platform_comment_id,
                            "parent_platform_comment_id": c.parent_platform_comment_id, "author": c.author,
                            "text": c.text})
    want = truth_threads(truth)
    assert want and any(parent for parent in want.values()), "the style's blog must have replies"
    assert comment_threads(got) == want
