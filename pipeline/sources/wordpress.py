"""Pure parsers of what WordPress publishes: REST API JSON, RSS comment feeds, WXR exports.

Only what the public site shows is kept: posts with ``status == "publish"`` and not password
protected for their comments, comments with ``status == "approved"``. The REST API of a real
WordPress answers anonymous clients with exactly that, but a caching proxy, a plugin or an export
(WXR holds everything) may not, so the filters are applied here as well.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from pipeline.sources.feeds import FeedParseError, iso_date, parse_feed, parse_xml, to_utc_iso, utc_offset_minutes
from pipeline.htmltext import html_to_text


@dataclass(frozen=True)
class WpPost:
    post_id: str
    url: str
    status: str
    title: str | None
    content_html: str | None
    excerpt_html: str | None
    published_at: str | None  # UTC ISO from date_gmt
    modified_at: str | None
    author: str | None
    protected: bool = False
    comment_status: str | None = None  # open | closed
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    comments_url: str | None = None  # _links.replies href when the API gives it
    published_utc_offset_minutes: int | None = None  # the site's zone at publication (date - date_gmt)

    @property
    def public(self) -> bool:
        return self.status == "publish"


@dataclass(frozen=True)
class WpComment:
    comment_id: str
    post_id: str | None
    parent_id: str | None  # None for top-level (the API says 0)
    author: str | None
    author_url: str | None
    published_at: str | None
    content_html: str
    status: str
    link: str | None = None
    comment_type: str = "comment"
    published_utc_offset_minutes: int | None = None  # the site's zone at publication (date - date_gmt)

    @property
    def public(self) -> bool:
        return self.status == "approved" and self.comment_type in ("comment", "")

    @property
    def text(self) -> str:
        return html_to_text(self.content_html)


def _load_json(data: bytes | str) -> object:
    try:
        return json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not JSON: {exc}") from exc


def _rendered(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("rendered")
    return value if isinstance(value, str) else None


def _gmt(entry: dict, key: str) -> str | None:
    """``date_gmt`` has no zone but is UTC; fall back to ``date`` (site local time) if absent."""
    raw = entry.get(f"{key}_gmt") or entry.get(key)
    return to_utc_iso(raw) if isinstance(raw, str) else None


def _local_offset(entry: dict, key: str) -> int | None:
    """Minutes east of UTC of the site's zone at ``key``: ``date`` (site local, no zone) minus ``date_gmt``.

    WordPress writes both without a zone; their difference is the offset the site's
    ``timezone_string`` had at that moment (so DST shows). A ``date`` that carries an offset itself
    states it; without ``date_gmt`` and without an offset the source gave none (``None``).
    """
    local, gmt = entry.get(key), entry.get(f"{key}_gmt")
    if not isinstance(local, str) or not local.strip():
        return None
    stated = utc_offset_minutes(local)
    if stated is not None or not isinstance(gmt, str) or not gmt.strip():
        return stated
    try:
        delta = datetime.fromisoformat(local.strip()) - datetime.fromisoformat(gmt.strip().replace("Z", ""))
    except (TypeError, ValueError):
        return None
    minutes = round(delta.total_seconds() / 60)
    # Real zones lie within -12:00..+14:00; anything else is a broken field, not an offset.
    return minutes if -12 * 60 <= minutes <= 14 * 60 else None


@functools.lru_cache(maxsize=4096)
def _term_text(name: str) -> str:
    """A category or tag name as text (a site has few; every post of a listing repeats them)."""
    return html_to_text(name)


def _terms(entry: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    cats: list[str] = []
    tags: list[str] = []
    groups = (entry.get("_embedded") or {}).get("wp:term") or []
    for group in groups:
        for term in group or []:
            if not isinstance(term, dict) or not term.get("name"):
                continue
            (cats if term.get("taxonomy") == "category" else tags if term.get("taxonomy") == "post_tag"
             else []).append(_term_text(term["name"]))
    return tuple(cats), tuple(tags)


def parse_rest_posts(data: bytes | str) -> list[WpPost]:
    """``/wp-json/wp/v2/posts`` (with or without ``_embed``) as :class:`WpPost` s (all statuses)."""
    doc = _load_json(data)
    if not isinstance(doc, list):
        raise FeedParseError("WordPress posts endpoint did not return a JSON list")
    posts = []
    for entry in doc:
        if not isinstance(entry, dict) or "id" not in entry:
            continue
        content = entry.get("content") if isinstance(entry.get("content"), dict) else {}
        embedded = entry.get("_embedded") or {}
        authors = embedded.get("author") or []
        author = authors[0].get("name") if authors and isinstance(authors[0], dict) else None
        replies = ((entry.get("_links") or {}).get("replies") or [{}])[0]
        cats, tags = _terms(entry)
        title = _rendered(entry.get("title"))
        posts.append(WpPost(
            post_id=str(entry["id"]),
            url=entry.get("link") or "",
            status=entry.get("status", "publish"),
            title=html_to_text(title) if title else None,
            content_html=_rendered(content),
            excerpt_html=_rendered(entry.get("excerpt")),
            published_at=_gmt(entry, "date"),
            modified_at=_gmt(entry, "modified"),
            author=author,
            protected=bool(content.get("protected")),
            comment_status=entry.get("comment_status"),
            categories=cats,
            tags=tags,
            comments_url=replies.get("href") if isinstance(replies, dict) else None,
            published_utc_offset_minutes=_local_offset(entry, "date"),
        ))
    return posts


def parse_rest_comments(data: bytes | str) -> list[WpComment]:
    """``/wp-json/wp/v2/comments`` as :class:`WpComment` s (filter with ``.public``)."""
    doc = _load_json(data)
    if not isinstance(doc, list):
        raise FeedParseError("WordPress comments endpoint did not return a JSON list")
    out = []
    for entry in doc:
        if not isinstance(entry, dict) or "id" not in entry:
            continue
        parent = entry.get("parent")
        out.append(WpComment(
            comment_id=str(entry["id"]),
            post_id=str(entry["post"]) if entry.get("post") is not None else None,
            parent_id=str(parent) if parent not in (None, 0, "0", "") else None,
            author=entry.get("author_name"),
            author_url=entry.get("author_url") or None,
            published_at=_gmt(entry, "date"),
            content_html=_rendered(entry.get("content")) or "",
            status=entry.get("status", "approved"),
            link=entry.get("link"),
            comment_type=entry.get("type", "comment") or "comment",
            published_utc_offset_minutes=_local_offset(entry, "date"),
        ))
    return out


def total_pages(headers: dict[str, str] | None) -> int | None:
    """``X-WP-TotalPages`` as an int (header names compared case-insensitively)."""
    for key, value in (headers or {}).items():
        if key.lower() == "x-wp-totalpages":
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


# --------------------------------------------------------------------------- RSS comment feeds

_COMMENT_FRAGMENT = re.compile(r"#comment-(\d+)$")


@dataclass(frozen=True)
class FeedComment:
    """A comment from a WordPress RSS comment feed: no parent (the feed does not say)."""

    comment_id: str | None
    post_url: str | None  # the comment link without fragment and comment page
    author: str | None
    published_at: str | None
    text: str
    published_utc_offset_minutes: int | None = None


def parse_comment_feed(data: bytes, base_url: str | None = None) -> list[FeedComment]:
    """A per-post (``/slug/feed/``) or site (``/comments/feed/``) WordPress comment feed."""
    feed = parse_feed(data, base_url)
    out = []
    for entry in feed.entries:
        cid = None
        for candidate in (entry.url, entry.entry_id):
            match = _COMMENT_FRAGMENT.search(candidate or "")
            if match:
                cid = match.group(1)
                break
        post_url = entry.url.split("#", 1)[0] if entry.url else None
        out.append(FeedComment(cid, post_url, entry.author, entry.published,
                               html_to_text(entry.content_html or entry.summary_html),
                               entry.published_utc_offset_minutes))
    return out


# --------------------------------------------------------------------------- WXR exports

_WP_NS = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/$")


@dataclass(frozen=True)
class WxrItem:
    post_id: str
    post_type: str
    status: str
    title: str | None
    url: str | None
    published_at: str | None
    password: bool
    comments: tuple[WpComment, ...]


def parse_wxr(data: bytes) -> list[WxrItem]:
    """A WordPress export (WXR): every item with every comment, approved or not."""
    root = parse_xml(data)
    wp = next((uri for uri in (root.nsmap or {}).values() if uri and _WP_NS.match(uri)), None)
    if wp is None:
        raise FeedParseError("not a WordPress export (no wp: namespace)")

    def wpt(el, name: str) -> str | None:
        node = el.find(f"{{{wp}}}{name}")
        return node.text.strip() if node is not None and node.text else None

    items = []
    for item in root.iter("item"):
        comments = []
        for c in item.findall(f"{{{wp}}}comment"):
            parent = wpt(c, "comment_parent")
            approved = wpt(c, "comment_approved")
            comments.append(WpComment(
                comment_id=wpt(c, "comment_id") or "",
                post_id=wpt(item, "post_id"),
                parent_id=parent if parent not in (None, "0") else None,
                author=wpt(c, "comment_author"),
                author_url=wpt(c, "comment_author_url"),
                published_at=to_utc_iso(wpt(c, "comment_date_gmt")),
                content_html=wpt(c, "comment_content") or "",
                status="approved" if approved == "1" else ("spam" if approved == "spam" else "hold"),
                comment_type=wpt(c, "comment_type") or "comment",
                published_utc_offset_minutes=_local_offset(
                    {"date": wpt(c, "comment_date"), "date_gmt": wpt(c, "comment_date_gmt")}, "date"),
            ))
        link = item.find("link")
        title = item.find("title")
        items.append(WxrItem(
            post_id=wpt(item, "post_id") or "",
            post_type=wpt(item, "post_type") or "post",
            status=wpt(item, "status") or "",
            title=title.text if title is not None else None,
            url=link.text.strip() if link is not None and link.text else None,
            published_at=to_utc_iso(wpt(item, "post_date_gmt")) if wpt(item, "post_date_gmt") not in
            (None, "0000-00-00 00:00:00") else None,
            password=bool(wpt(item, "post_password")),
            comments=tuple(comments),
        ))
    return items


# --------------------------------------------------------------------------- ids in URLs
# (The REST URLs a crawl asks are built by crawl.discovery.wordpress, which owns that conversation.)


def post_id_from_shortlink(url: str) -> str | None:
    """``?p=123`` style guids and shortlinks."""
    values = parse_qs(urlsplit(url).query).get("p")
    return values[0] if values and values[0].isdigit() else None


__all__ = [
    "WpPost", "WpComment", "FeedComment", "WxrItem", "parse_rest_posts", "parse_rest_comments",
    "parse_comment_feed", "parse_wxr", "total_pages", "iso_date",
    "post_id_from_shortlink",
]
