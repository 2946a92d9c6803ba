"""Pure parsers for syndication and discovery formats: RSS 2.0, RSS 1.0 (RDF), Atom, JSON Feed,
sitemaps (plain, gzip, index, text) and OPML, plus feed discovery in HTML.

Everything here takes bytes and returns plain dataclasses; nothing fetches. XML is parsed by lxml
with entity resolution and network access off (feeds are untrusted input: no XXE), and with
``recover`` so the half-broken feeds found in the wild still give their entries.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from pipeline.ids import join_url

log = logging.getLogger(__name__)

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "thr": "http://purl.org/syndication/thread/1.0",
    "openSearch": "http://a9.com/-/spec/opensearchrss/1.0/",
    "rss1": "http://purl.org/rss/1.0/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
}
_MAX_XML_BYTES = 50 * 1024 * 1024  # a feed larger than this is not a feed


class FeedParseError(ValueError):
    """The bytes are not a feed, sitemap or OPML document this module understands."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, with the blog-specific extensions the crawler needs."""

    url: str | None  # the entry's HTML page (RSS link / Atom link rel=alternate)
    entry_id: str | None  # RSS guid / Atom id / JSON id
    title: str | None = None
    author: str | None = None
    author_url: str | None = None
    published: str | None = None  # ISO 8601 (UTC offset kept when given; a zone-less date reads as UTC)
    # The offset the feed wrote for ``published`` (minutes east of UTC); None when it wrote none.
    published_utc_offset_minutes: int | None = None
    updated: str | None = None
    categories: tuple[str, ...] = ()
    content_html: str | None = None
    summary_html: str | None = None
    comments_feed_url: str | None = None  # wfw:commentRss, Atom link rel=replies (atom+xml)
    comment_count: int | None = None  # slash:comments, thr:total
    in_reply_to_ref: str | None = None  # thr:in-reply-to @ref (comment feeds)
    in_reply_to_href: str | None = None  # thr:in-reply-to @href: the post's page
    related_url: str | None = None  # Atom link rel=related (Blogger: the parent comment)
    links: tuple[tuple[str, str, str], ...] = ()  # (rel, type, href) of every link


@dataclass(frozen=True)
class Feed:
    kind: str  # rss | rdf | atom | json
    title: str | None
    site_url: str | None
    entries: tuple[FeedEntry, ...]
    feed_id: str | None = None
    generator: str | None = None
    next_url: str | None = None  # Atom link rel=next (Blogger paging)
    total_results: int | None = None  # openSearch:totalResults
    start_index: int | None = None
    items_per_page: int | None = None


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: str | None = None


@dataclass(frozen=True)
class Sitemap:
    urls: tuple[SitemapUrl, ...] = ()
    sitemaps: tuple[SitemapUrl, ...] = ()  # children of a sitemap index


@dataclass(frozen=True)
class OpmlFeed:
    title: str | None
    xml_url: str
    html_url: str | None = None


@dataclass(frozen=True)
class DiscoveredFeed:
    url: str
    type: str
    title: str | None = None


@dataclass
class _Links:
    items: list[tuple[str, str, str]] = field(default_factory=list)

    def first(self, rel: str, type_prefix: str = "") -> str | None:
        for r, t, h in self.items:
            if r == rel and t.startswith(type_prefix) and h:
                return h
        return None


# --------------------------------------------------------------------------- helpers


def parse_xml(data: bytes):  # lxml element
    """Parse untrusted XML safely (no entities, no network, recover from small errors)."""
    from lxml import etree

    if len(data) > _MAX_XML_BYTES:
        raise FeedParseError(f"document of {len(data)} bytes exceeds {_MAX_XML_BYTES}")
    data = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise FeedParseError(f"not XML: {exc}") from exc
    if root is None:
        raise FeedParseError("empty or unreadable XML document")
    return root


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _text(el) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


def _child(el, *names: str):
    """First child whose local name is one of ``names`` (namespace-agnostic)."""
    for child in el:
        if _local(child.tag) in names:
            return child
    return None


def _child_ns(el, ns: str, name: str):
    return el.find(f"{{{NS[ns]}}}{name}")


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 or RFC 822 date as written (naive when it names no zone); ``None`` when unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None


def iso_date(value: str | None) -> str | None:
    """An RSS (RFC 822) or ISO 8601 date as ISO 8601; ``None`` when unreadable.

    Dates without a zone are taken as UTC (RSS requires one; ISO dates from WordPress
    ``*_gmt`` fields have none but are UTC by definition).
    """
    dt = _parse_datetime(value)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.isoformat()


def to_utc_iso(value: str | None) -> str | None:
    """Like :func:`iso_date` but converted to UTC, so dates from different sources compare."""
    iso = iso_date(value)
    if iso is None:
        return None
    dt = datetime.fromisoformat(iso).astimezone(timezone.utc)
    return dt.isoformat()


def utc_offset_minutes(value: str | None) -> int | None:
    """The UTC offset a date string states, in minutes east of UTC; ``None`` when it states none.

    Kept beside the UTC time so analysts can compute the blog's local hour of day. A string
    without a zone gives ``None`` (it is *taken* as UTC by :func:`iso_date`, but the source did not
    say so); ``Z``, ``+00:00`` and RFC 822 ``GMT`` give 0. RFC 822's ``-0000`` ("zone unknown")
    gives ``None``.
    """
    dt = _parse_datetime(value)
    offset = dt.utcoffset() if dt is not None else None
    if offset is None:
        return None
    return int(offset.total_seconds() // 60)


# --------------------------------------------------------------------------- feeds


def parse_feed(data: bytes, base_url: str | None = None) -> Feed:
    """Parse RSS 2.0, RSS 1.0, Atom or JSON Feed bytes."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return _parse_json_feed(data, base_url)
    root = parse_xml(data)
    name = _local(root.tag).lower()
    if name == "rss":
        return _parse_rss(root, base_url)
    if name == "feed":
        return _parse_atom(root, base_url)
    if name == "rdf":
        return _parse_rdf(root, base_url)
    raise FeedParseError(f"unknown feed root element <{name}>")


def _abs(base: str | None, href: str | None) -> str | None:
    if not href:
        return None
    return join_url(base, href)


def _parse_rss(root, base_url: str | None) -> Feed:
    channel = _child(root, "channel")
    if channel is None:
        raise FeedParseError("RSS without <channel>")
    site_url = _text(_child(channel, "link"))
    base = base_url or site_url
    entries = []
    for item in channel.iter("item"):
        link = _text(_child(item, "link"))
        guid = _text(_child(item, "guid"))
        content = _child_ns(item, "content", "encoded")
        creator = _child_ns(item, "dc", "creator")
        author = _text(creator) if creator is not None else _text(_child(item, "author"))
        comments_count = _child_ns(item, "slash", "comments")
        comment_rss = _child_ns(item, "wfw", "commentRss")
        pub = _text(_child(item, "pubDate")) or _text(_child_ns(item, "dc", "date"))
        links = tuple(("alternate", "text/html", x) for x in [link] if x)
        entries.append(FeedEntry(
            url=_abs(base, link),
            entry_id=guid,
            title=_text(_child(item, "title")),
            author=author,
            published=iso_date(pub),
            published_utc_offset_minutes=utc_offset_minutes(pub),
            updated=iso_date(_text(_child_ns(item, "atom", "updated"))),
            categories=tuple(t for t in (_text(c) for c in item if _local(c.tag) == "category") if t),
            content_html=_text(content),
            summary_html=_text(_child(item, "description")),
            comments_feed_url=_abs(base, _text(comment_rss)),
            comment_count=_int(_text(comments_count)),
            links=links,
        ))
    gen = _text(_child(channel, "generator"))
    return Feed("rss", _text(_child(channel, "title")), site_url, tuple(entries), generator=gen,
                next_url=_atom_next(channel, base))


def _atom_next(el, base: str | None) -> str | None:
    for link in el.findall(f"{{{NS['atom']}}}link"):
        if link.get("rel") == "next":
            return _abs(base, link.get("href"))
    return None


def _parse_rdf(root, base_url: str | None) -> Feed:
    channel = _child(root, "channel")
    site_url = _text(_child(channel, "link")) if channel is not None else None
    entries = []
    for item in root:
        if _local(item.tag) != "item":
            continue
        link = _text(_child(item, "link"))
        entries.append(FeedEntry(
            url=_abs(base_url or site_url, link),
            entry_id=item.get(f"{{{NS['rdf']}}}about") or link,
            title=_text(_child(item, "title")),
            author=_text(_child_ns(item, "dc", "creator")),
            published=iso_date(_text(_child_ns(item, "dc", "date"))),
            published_utc_offset_minutes=utc_offset_minutes(_text(_child_ns(item, "dc", "date"))),
            content_html=_text(_child_ns(item, "content", "encoded")),
            summary_html=_text(_child(item, "description")),
        ))
    title = _text(_child(channel, "title")) if channel is not None else None
    return Feed("rdf", title, site_url, tuple(entries))


def _atom_links(el, base: str | None) -> _Links:
    links = _Links()
    for link in el:
        if _local(link.tag) != "link":
            continue
        href = _abs(base, link.get("href"))
        if href:
            links.items.append((link.get("rel", "alternate"), link.get("type", ""), href))
    return links


def _atom_content(el) -> str | None:
    """Atom text constructs: ``html`` is escaped markup, ``xhtml`` is inline markup."""
    if el is None:
        return None
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml":
        from lxml import etree

        div = _child(el, "div")
        target = div if div is not None else el
        inner = (target.text or "") + "".join(
            etree.tostring(c, encoding="unicode", with_tail=True) for c in target)
        return inner.strip() or None
    text = el.text or ""
    if kind == "text":
        import html as html_mod

        return html_mod.escape(text.strip()) or None
    return text.strip() or None


def _parse_atom(root, base_url: str | None) -> Feed:
    feed_links = _atom_links(root, base_url)
    site_url = feed_links.first("alternate", "text/html") or feed_links.first("alternate")
    base = base_url or site_url
    entries = []
    for entry in root:
        if _local(entry.tag) != "entry":
            continue
        links = _atom_links(entry, base)
        author_el = _child(entry, "author")
        author = _text(_child(author_el, "name")) if author_el is not None else None
        author_uri = _text(_child(author_el, "uri")) if author_el is not None else None
        reply = _child_ns(entry, "thr", "in-reply-to")
        total = _child_ns(entry, "thr", "total")
        replies_feed = None
        for rel, typ, href in links.items:
            if rel == "replies" and "atom" in typ:
                replies_feed = href
                break
        categories = tuple(c.get("term") for c in entry if _local(c.tag) == "category" and c.get("term"))
        entries.append(FeedEntry(
            url=links.first("alternate", "text/html") or links.first("alternate"),
            entry_id=_text(_child(entry, "id")),
            title=_text(_child(entry, "title")),
            author=author,
            author_url=author_uri,
            published=iso_date(_text(_child(entry, "published")) or _text(_child(entry, "issued"))),
            published_utc_offset_minutes=utc_offset_minutes(_text(_child(entry, "published"))
                                                            or _text(_child(entry, "issued"))),
            updated=iso_date(_text(_child(entry, "updated")) or _text(_child(entry, "modified"))),
            categories=categories,
            content_html=_atom_content(_child(entry, "content")),
            summary_html=_atom_content(_child(entry, "summary")),
            comments_feed_url=replies_feed,
            comment_count=_int(_text(total)),
            in_reply_to_ref=reply.get("ref") if reply is not None else None,
            in_reply_to_href=_abs(base, reply.get("href")) if reply is not None else None,
            related_url=links.first("related"),
            links=tuple(links.items),
        ))
    gen = _text(_child(root, "generator"))
    return Feed(
        "atom", _text(_child(root, "title")), site_url, tuple(entries),
        feed_id=_text(_child(root, "id")), generator=gen, next_url=feed_links.first("next"),
        total_results=_int(_text(_child_ns(root, "openSearch", "totalResults"))),
        start_index=_int(_text(_child_ns(root, "openSearch", "startIndex"))),
        items_per_page=_int(_text(_child_ns(root, "openSearch", "itemsPerPage"))),
    )


def _parse_json_feed(data: bytes, base_url: str | None) -> Feed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not a JSON feed: {exc}") from exc
    if not isinstance(doc, dict) or "items" not in doc or not isinstance(doc["items"], list):
        raise FeedParseError("JSON document without an 'items' list is not a JSON Feed")
    site_url = doc.get("home_page_url")
    base = base_url or site_url
    feed_author = _json_author(doc)
    entries = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        tags = item.get("tags") or []
        entries.append(FeedEntry(
            url=_abs(base, item.get("url") or item.get("external_url")),
            entry_id=str(item["id"]) if item.get("id") is not None else None,
            title=item.get("title"),
            author=_json_author(item) or feed_author,
            published=iso_date(item.get("date_published")),
            published_utc_offset_minutes=utc_offset_minutes(item.get("date_published")
                                                            if isinstance(item.get("date_published"), str) else None),
            updated=iso_date(item.get("date_modified")),
            categories=tuple(str(t) for t in tags if isinstance(t, (str, int))),
            content_html=item.get("content_html") or (
                __import__("html").escape(item["content_text"]) if item.get("content_text") else None),
            summary_html=item.get("summary"),
        ))
    return Feed("json", doc.get("title"), site_url, tuple(entries), next_url=doc.get("next_url"))


def _json_author(obj: dict) -> str | None:
    authors = obj.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return authors[0].get("name")
    author = obj.get("author")
    if isinstance(author, dict):
        return author.get("name")
    return None


# --------------------------------------------------------------------------- sitemaps


def parse_sitemap(data: bytes) -> Sitemap:
    """A sitemap (``urlset``), sitemap index, gzip of either, or a plain-text URL list."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as gz:
                data = gz.read(_MAX_XML_BYTES + 1)  # bounded: a gzip bomb stops here
        except OSError as exc:
            raise FeedParseError(f"broken gzip sitemap: {exc}") from exc
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        urls = []
        for line in stripped.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if line.startswith(("http://", "https://")):
                urls.append(SitemapUrl(line))
        return Sitemap(urls=tuple(urls))
    root = parse_xml(data)
    name = _local(root.tag)
    if name not in ("urlset", "sitemapindex"):
        raise FeedParseError(f"not a sitemap: root element <{name}>")
    found = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = _text(_child(node, "loc"))
        if loc:
            found.append(SitemapUrl(loc.strip(), iso_date(_text(_child(node, "lastmod")))))
    if name == "sitemapindex":
        return Sitemap(sitemaps=tuple(found))
    return Sitemap(urls=tuple(found))


# --------------------------------------------------------------------------- OPML + discovery


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Feeds of an OPML subscription list (nested outlines flattened)."""
    root = parse_xml(data)
    if _local(root.tag).lower() != "opml":
        raise FeedParseError("not an OPML document")
    out = []
    for node in root.iter():
        if _local(node.tag) != "outline":
            continue
        xml_url = node.get("xmlUrl") or node.get("xmlurl")
        if xml_url:
            out.append(OpmlFeed(node.get("title") or node.get("text"), xml_url.strip(),
                                node.get("htmlUrl") or node.get("htmlurl")))
    return out


_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/json", "application/rdf+xml")


def discover_feeds(html: str, base_url: str) -> list[DiscoveredFeed]:
    """``<link rel="alternate">`` feeds of an HTML page, in page order, absolute URLs."""
    from lxml import html as lxml_html

    try:
        doc = lxml_html.document_fromstring(html)
    except Exception:  # noqa: BLE001 - hopeless markup has no feeds to find
        return []
    out, seen = [], set()
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        typ = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href")
        if "alternate" in rels and typ in _FEED_TYPES and href:
            url = join_url(base_url, href)
            if url is not None and url not in seen:
                seen.add(url)
                out.append(DiscoveredFeed(url, typ, link.get("title")))
    return out


_COMMENT_FEED_TITLE = re.compile(r"comments?\b", re.IGNORECASE)


def is_comment_feed(feed: DiscoveredFeed) -> bool:
    """WordPress lists the site comments feed beside the posts feed; tell them apart."""
    return bool(feed.title and _COMMENT_FEED_TITLE.search(feed.title)) or "/comments/" in feed.url
