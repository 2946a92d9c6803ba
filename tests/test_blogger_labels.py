"""Blogger labels are categories, whichever way they are read: the posts feed, a post page's label
links (rel="tag" in Blogger themes) and the extractor's markup metadata."""

from __future__ import annotations

import urllib.request

import pytest

from demoblog.generate import generate
from demoblog.server import serve
from pipeline.extract import extract_page
from pipeline.sources.assemble import page_fields
from pipeline.sources.blogger import is_label_url, parse_posts_feed


def _get(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, no proxy
    with opener.open(url, timeout=30) as resp:
        return resp.read()


@pytest.fixture(scope="module")
def blogger_site():
    blog = generate("blogger", n_posts=8)
    with serve(blog) as server:
        yield server


def test_label_urls_are_recognised() -> None:
    assert is_label_url("http://127.0.0.1:8000/search/label/Sleep%20Medicine")
    assert is_label_url("/search/label/Sleep?m=1")
    assert not is_label_url("http://127.0.0.1:8000/tag/sleep/") and not is_label_url(None)
    assert not is_label_url("http://127.0.0.1:8000/2024/01/a.html?q=/search/label/x")


def test_labels_from_the_feed_and_the_page_are_categories(blogger_site) -> None:
    post = next(p for p in blogger_site.blog.listed_posts() if len(p.categories) > 1)
    assert not post.tags, "demo truth: a Blogger post has labels (categories) and no tags"
    feed = parse_posts_feed(_get(blogger_site.base_url + "feeds/posts/default?max-results=500"),
                            blogger_site.base_url)
    entry = next(e for e in feed.items if e.title == post.title)
    assert set(entry.labels) == set(post.categories)

    html = _get(blogger_site.base_url.rstrip("/") + blogger_site.blog.post_path(post)).decode("utf-8")
    meta = page_fields(html)
    assert set(meta["categories"]) == set(post.categories) and "tags" not in meta
    extracted = extract_page(html, blogger_site.base_url.rstrip("/") + blogger_site.blog.post_path(post))
    assert set(post.categories) <= set(extracted.categories) and not set(post.categories) & set(extracted.tags)


def test_migration_moves_labels_loaded_as_tags_into_categories() -> None:
    import duckdb

    from warehouse import db as wdb

    conn = duckdb.connect(":memory:", config=dict(wdb.BASE_CONFIG))
    wdb.migrate(conn)
    conn.execute("""INSERT INTO sites (site_id, platform, run_id, first_seen_run_id)
                    VALUES ('bg', 'blogger', 'r1', 'r1'), ('wp', 'wordpress', 'r1', 'r1')""")
    conn.execute("""INSERT INTO posts (post_id, site_id, url, text, categories, tags, content_hash, run_id,
                                       first_seen_run_id, updated_run_id) VALUES
        ('old', 'bg', 'http://127.0.0.1/a.html', 't', [], ['Sleep', 'Insomnia'], 'h', 'r1', 'r1', 'r1'),
        ('new', 'bg', 'http://127.0.0.1/b.html', 't', ['Sleep'], [], 'h', 'r1', 'r1', 'r1'),
        ('wp', 'wp', 'http://127.0.0.1/c/', 't', [], ['insomnia'], 'h', 'r1', 'r1', 'r1')""")
    migration = next(m for m in wdb.migrations() if m.name == "0006_blogger_labels_as_categories.sql")
    conn.execute(migration.text)
    got = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT post_id, categories, tags FROM posts").fetchall()}
    assert got == {"old": (["Sleep", "Insomnia"], []), "new": (["Sleep"], []), "wp": ([], ["insomnia"])}
    conn.close()
