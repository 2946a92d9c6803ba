"""Pure parsers of Blogger's Atom feeds: the post feed and per-post comment feeds.

Blogger ids live in Atom ``<id>`` values: ``tag:blogger.com,1999:blog-BLOGID.post-ID`` for posts
and comments alike. A reply names its parent with ``<link rel="related"
href=".../feeds/POSTID/comments/default/PARENTID">`` and its post with ``<thr:in-reply-to>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.sources.feeds import Feed, FeedEntry, FeedParseError, parse_feed, to_utc_iso
from pipeline.htmltext import html_to_text

_ATOM_ID = re.compile(r"blog-(?P<blog>\d+)\.(?:post|comment)-(?P<id>\d+)$")
_RELATED_PARENT = re.compile(r"/comments/default/(?P<id>\d+)(?:[/?#]|$)")
_REPLIES_FEED_POST = re.compile(r"/feeds/(?P<post>\d+)/comments/")
# Blogger has one kind of term, the label, with its own page at /search/label/NAME. Labels are
# the blog's categories: they land in ``categories`` (never ``tags``) whether they come from the
# feed's <category> elements or from a post page's label links.
_LABEL_PATH = "/search/label/"


def is_label_url(href: str | None) -> bool:
    """True for a link to a Blogger label page (``rel="tag"`` in Blogger themes, yet a category)."""
    return bool(href) and _LABEL_PATH in urlsplit(href).path


@dataclass(frozen=True)
class BloggerPost:
    post_id: str
    blog_id: str | None
    url: str | None
    title: str | None
    author: str | None
    published_at: str | None
    updated_at: str | None
    labels: tuple[str, ...]  # the post's categories (see is_label_url)
    content_html: str | None
    comments_feed_url: str | None
    comment_count: int | None
    published_utc_offset_minutes: int | None = None  # as the feed wrote it (the blog's zone)


@dataclass(frozen=True)
class BloggerComment:
    comment_id: str
    post_id: str | None
    parent_id: str | None
    post_url: str | None
    author: str | None
    author_url: str | None
    published_at: str | None
    content_html: str | None
    published_utc_offset_minutes: int | None = None  # as the feed wrote it (the blog's zone)

    @property
    def text(self) -> str:
        return html_to_text(self.content_html)


@dataclass(frozen=True)
class Page:
    """One page of a paged Blogger feed."""

    items: tuple
    next_url: str | None
    total_results: int | None
    start_index: int | None
    items_per_page: int | None


def atom_ids(entry_id: str | None) -> tuple[str | None, str | None]:
    """(blog id, post-or-comment id) from a Blogger Atom id."""
    match = _ATOM_ID.search(entry_id or "")
    return (match.group("blog"), match.group("id")) if match else (None, None)


def _page(feed: Feed, items: list) -> Page:
    return Page(tuple(items), feed.next_url, feed.total_results, feed.start_index, feed.items_per_page)


def parse_posts_feed(data: bytes, base_url: str | None = None) -> Page:
    """``/feeds/posts/default`` (a page of it) as :class:`BloggerPost` s."""
    feed = parse_feed(data, base_url)
    posts = []
    for entry in feed.entries:
        blog_id, post_id = atom_ids(entry.entry_id)
        if post_id is None:
            continue
        posts.append(BloggerPost(
            post_id=post_id, blog_id=blog_id, url=entry.url, title=entry.title, author=entry.author,
            published_at=to_utc_iso(entry.published), updated_at=to_utc_iso(entry.updated),
            labels=entry.categories, content_html=entry.content_html or entry.summary_html,
            comments_feed_url=entry.comments_feed_url, comment_count=entry.comment_count,
            published_utc_offset_minutes=entry.published_utc_offset_minutes,
        ))
    return _page(feed, posts)


def check_complete(data: bytes) -> None:
    """Raise :class:`FeedParseError` when a Blogger feed page was cut short.

    The feed parser recovers what it can from broken XML (right for feeds found in the wild),
    but Blogger's own API always closes its documents: a page without ``</feed>`` lost entries in
    transit or in an overloaded server, and must be asked again rather than read as complete.
    """
    if not data.rstrip().endswith(b"</feed>"):
        raise FeedParseError(f"truncated feed: {len(data)} bytes without the closing </feed>")


def _comment_post_id(entry: FeedEntry) -> str | None:
    _, pid = atom_ids(entry.in_reply_to_ref)
    if pid:
        return pid
    for _rel, _typ, href in entry.links:
        match = _REPLIES_FEED_POST.search(href)
        if match:
            return match.group("post")
    return None


def parse_comments_feed(data: bytes, base_url: str | None = None) -> Page:
    """``/feeds/POSTID/comments/default`` (or the site-wide comment feed) as comments."""
    feed = parse_feed(data, base_url)
    out = []
    for entry in feed.entries:
        _, cid = atom_ids(entry.entry_id)
        if cid is None:
            continue
        parent = None
        if entry.related_url:
            match = _RELATED_PARENT.search(entry.related_url)
            parent = match.group("id") if match else None
        post_url = entry.in_reply_to_href or (entry.url.split("?", 1)[0].split("#", 1)[0] if entry.url else None)
        out.append(BloggerComment(
            comment_id=cid, post_id=_comment_post_id(entry), parent_id=parent, post_url=post_url,
            author=entry.author, author_url=entry.author_url, published_at=to_utc_iso(entry.published),
            content_html=entry.content_html or entry.summary_html,
            published_utc_offset_minutes=entry.published_utc_offset_minutes,
        ))
    return _page(feed, out)


def next_page_url(current_url: str, page: Page, site_netloc: str | None = None) -> str | None:
    """The URL of the next page, kept on the site's own host.

    Real Blogger's ``rel="next"`` points at ``www.blogger.com``; a polite crawler that stays on the
    blog's host computes the next ``start-index`` itself from the openSearch numbers instead.
    """
    if not page.items:
        return None
    if page.next_url and (site_netloc is None or urlsplit(page.next_url).netloc == site_netloc):
        return page.next_url
    if page.next_url is None and page.total_results is None:
        return None
    start = page.start_index or 1
    per_page = page.items_per_page or len(page.items)
    nxt = start + len(page.items)
    if page.total_results is not None and nxt > page.total_results:
        return None
    parts = urlsplit(current_url)
    query = dict(parse_qsl(parts.query))
    query["start-index"] = str(nxt)
    query["max-results"] = str(per_page)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def comments_feed_url(base_url: str, post_id: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{post_id}/comments/default"


__all__ = ["BloggerPost", "BloggerComment", "Page", "atom_ids", "parse_posts_feed",
           "parse_comments_feed", "next_page_url", "comments_feed_url"]
