"""Threaded reader comments in WordPress and Blogger pages (the crawler's HTML fallback).

``pipeline.comments.extract_comments`` is the general extractor for any page; this module only
knows the two platforms' own markup, which is enough to recover *native* comment ids and exact
parent links (nesting of ``li`` elements), which the crawler needs to merge HTML comments with
API and feed comments on the native id. What the page does not show is never returned: comments
"awaiting moderation" (shown only to their author) and pingbacks/trackbacks are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from pipeline.ids import join_url
from pipeline.sources.feeds import to_utc_iso, utc_offset_minutes
from pipeline.htmltext import element_text

_WP_ID = re.compile(r"^(?:comment|li-comment)-(\d+)$")
_BLOGGER_ID = re.compile(r"^c(\d+)$")
_WP_COMMENT_PAGE = re.compile(r"/comment-page-(\d+)/?(?:#.*)?$")


@dataclass(frozen=True)
class ThreadComment:
    comment_id: str
    parent_id: str | None
    author: str | None
    author_url: str | None
    published_at: str | None
    text: str
    depth: int
    position: int
    by_post_author: bool = False
    published_utc_offset_minutes: int | None = None  # as the ``datetime`` attribute wrote it


def _doc(html: str):
    from lxml import html as lxml_html

    try:
        return lxml_html.document_fromstring(html)
    except Exception:  # noqa: BLE001 - empty or hopeless markup: no comments
        return None


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _first(el, xpath: str):
    found = el.xpath(xpath)
    return found[0] if found else None


def _own(el, path: str, stop_class: str):
    """First descendant matching ``path`` that does not belong to a nested comment."""
    for cand in el.xpath(path):
        anc = cand.getparent()
        nested = False
        while anc is not None and anc is not el:
            if anc.tag == "li" and stop_class in _classes(anc):
                nested = True
                break
            anc = anc.getparent()
        if not nested:
            return cand
    return None


def absolute_link(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base`` without its fragment; ``None`` when it cannot be.

    Real pages carry hrefs that ``urllib`` refuses (``http://[ccpa-preferences]`` raises
    ``ValueError`` for a bracketed host that is no IPv6 address); one such link must not stop the
    page's other links, or the crawl callback reading them.
    """
    joined = join_url(base, href)
    return joined.split("#", 1)[0] if joined is not None else None


def _page_links(doc: Any, base: str) -> Iterator[tuple[str, SplitResult]]:
    """Every usable ``<a href>`` of the page: (absolute URL, its parts)."""
    for a in doc.iter("a"):
        href = a.get("href")
        absolute = absolute_link(base, href) if href else None
        if absolute is not None:
            yield absolute, urlsplit(absolute)


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _thread_position(li: Any, id_pattern: re.Pattern[str]) -> tuple[str | None, int]:
    """(parent comment id, depth) of a comment ``li`` from the comment ``li`` elements around it.

    Both platforms nest a reply's ``li`` inside its parent's list item; the nearest enclosing
    comment is the parent and each enclosing comment adds one level (top level is depth 1).
    """
    parent_id: str | None = None
    depth = 1
    for anc in li.iterancestors("li"):
        found = id_pattern.match(anc.get("id") or "")
        if found and "comment" in _classes(anc):
            parent_id = parent_id or found.group(1)
            depth += 1
    return parent_id, depth


# --------------------------------------------------------------------------- WordPress


def parse_wordpress_comments(html: str, url: str = "") -> list[ThreadComment]:
    """Comments of a WordPress page's threaded list (``ol.comment-list`` / ``ol.commentlist``)."""
    doc = _doc(html)
    if doc is None:
        return []
    out: list[ThreadComment] = []
    for li in doc.iter("li"):
        match = _WP_ID.match(li.get("id") or "")
        classes = _classes(li)
        if not match or not ({"comment", "pingback", "trackback"} & classes):
            continue
        if classes & {"pingback", "trackback"}:
            continue
        body = _own(li, f".//*[{_cls('comment-body')}]", "comment")
        if body is None:
            body = li
        if _own(body, f".//*[{_cls('comment-awaiting-moderation')}]", "comment") is not None:
            continue
        parent_id, depth = _thread_position(li, _WP_ID)
        author_el = _own(body, f".//*[{_cls('fn')}]", "comment")
        author = element_text((author_el,)) if author_el is not None else None
        link_el = _first(author_el, ".//a[@href]") if author_el is not None else None
        if link_el is None and author_el is not None and author_el.tag == "a":
            link_el = author_el
        time_el = _own(body, ".//time[@datetime]", "comment")
        published = to_utc_iso(time_el.get("datetime")) if time_el is not None else None
        content_el = _own(body, f".//*[{_cls('comment-content')}]", "comment")
        if content_el is None:
            content_el = _legacy_wp_content(body)
        text = element_text((content_el,)) if content_el is not None else ""
        out.append(ThreadComment(
            comment_id=match.group(1), parent_id=parent_id, author=author or None,
            author_url=link_el.get("href") if link_el is not None else None,
            published_at=published, text=text, depth=depth, position=len(out),
            by_post_author="bypostauthor" in classes,
            published_utc_offset_minutes=utc_offset_minutes(time_el.get("datetime")) if time_el is not None else None,
        ))
    return out


def _legacy_wp_content(body):
    """Old themes put the paragraphs straight into ``.comment-body`` (or the ``li``) beside meta and reply.

    Metadata is recognised as ``blogscope extract`` recognises it (``pipeline.comments``), so a
    bare ``<b class="fn">`` name beside the paragraphs never becomes part of the text.
    """
    from copy import deepcopy

    from pipeline.comments import is_comment_metadata

    clone = deepcopy(body)
    junk = clone.xpath(f".//*[{_cls('comment-author')} or {_cls('comment-meta')} or "
                       f"{_cls('commentmetadata')} or {_cls('reply')} or {_cls('comment-metadata')}]"
                       " | .//ol | .//ul")
    junk += [el for el in clone.iterdescendants() if is_comment_metadata(el)]
    for el in junk:
        if el.getparent() is not None:
            el.drop_tree()
    return clone


def wordpress_comment_pages(html: str, url: str) -> list[str]:
    """Absolute URLs of the other comment pages of this post (``/comment-page-N/`` or ``?cpage=N``).

    Themes order them differently (newest page first by default), so every page link on the
    page is returned, sorted by page number, and the caller de-duplicates across pages.
    """
    doc = _doc(html)
    if doc is None:
        return []
    post_path = re.sub(r"/comment-page-\d+/?$", "/", urlsplit(url).path)
    pages: dict[int, str] = {}
    for absolute, parts in _page_links(doc, url):
        match = _WP_COMMENT_PAGE.search(parts.path)
        if match and parts.path.startswith(post_path.rstrip("/")) and not parts.query:
            pages[int(match.group(1))] = absolute
            continue
        cpage = parse_qs(parts.query).get("cpage")
        if cpage and cpage[0].isdigit() and parts.path == urlsplit(url).path:
            pages[int(cpage[0])] = absolute
    current = url.split("#", 1)[0]
    return [pages[n] for n in sorted(pages) if pages[n] != current]


# --------------------------------------------------------------------------- Blogger


def _ms_to_iso(ms: str) -> str | None:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def parse_blogger_comments(html: str, url: str = "") -> list[ThreadComment]:
    """Comments of a Blogger post page: threaded (``li.comment#cID``) or classic ``dl#comments-block``."""
    doc = _doc(html)
    if doc is None:
        return []
    out: list[ThreadComment] = []
    for li in doc.iter("li"):
        match = _BLOGGER_ID.match(li.get("id") or "")
        if not match or "comment" not in _classes(li):
            continue
        parent_id, depth = _thread_position(li, _BLOGGER_ID)
        block = _own(li, f".//*[{_cls('comment-block')}]", "comment")
        if block is None:
            block = li
        user = _own(block, f".//cite[{_cls('user')}]", "comment")
        author = element_text((user,)) if user is not None else None
        link = _first(user, ".//a[@href]") if user is not None else None
        date_link = _own(block, f".//*[{_cls('datetime')}]//a[@href]", "comment")
        published = None
        if date_link is not None:
            shown = parse_qs(urlsplit(date_link.get("href")).query).get("showComment")
            published = _ms_to_iso(shown[0]) if shown else None
        content = _own(block, f".//*[{_cls('comment-content')}]", "comment")
        text = element_text((content,)) if content is not None else ""
        is_author = _own(block, f".//*[{_cls('blog-author')}]", "comment") is not None
        out.append(ThreadComment(
            comment_id=match.group(1), parent_id=parent_id, author=author or None,
            author_url=link.get("href") if link is not None else None, published_at=published,
            text=text, depth=depth, position=len(out), by_post_author=is_author,
        ))
    if out:
        return out
    return _parse_blogger_classic(doc)


def _parse_blogger_classic(doc) -> list[ThreadComment]:
    """Classic templates: ``<dl id="comments-block"><dt class="comment-author" id="cID">``, flat."""
    out: list[ThreadComment] = []
    for dt in doc.xpath("//dl[@id='comments-block']/dt"):
        anchor = dt.get("id") or (_first(dt, ".//a[@name]").get("name") if _first(dt, ".//a[@name]") is not None else "")
        match = _BLOGGER_ID.match(anchor or "")
        if not match:
            continue
        body = dt.getnext()
        while body is not None and not (body.tag == "dd" and "comment-body" in _classes(body)):
            body = body.getnext() if body.tag == "dd" else None
        author_link = _first(dt, ".//a[@href and not(@name)]")
        author = element_text((author_link,)) if author_link is not None else (element_text((dt,)) or None)
        footer = body.getnext() if body is not None else None
        published = None
        if footer is not None:
            stamp = _first(footer, ".//a[contains(@href, 'showComment')]")
            if stamp is not None:
                shown = parse_qs(urlsplit(stamp.get("href")).query).get("showComment")
                published = _ms_to_iso(shown[0]) if shown else None
        out.append(ThreadComment(match.group(1), None, author, author_link.get("href") if author_link is not None else None,
                                 published, element_text((body,)) if body is not None else "", 1, len(out)))
    return out


def blogger_comment_pages(html: str, url: str) -> list[str]:
    """Other HTML comment pages of a Blogger post (``?commentPage=N`` links)."""
    doc = _doc(html)
    if doc is None:
        return []
    path = urlsplit(url).path
    pages: dict[int, str] = {}
    for absolute, parts in _page_links(doc, url):
        values = parse_qs(parts.query).get("commentPage")
        if values and values[0].isdigit() and parts.path == path:
            pages[int(values[0])] = absolute
    current = url.split("#", 1)[0]
    return [pages[n] for n in sorted(pages) if pages[n] != current]


__all__ = ["ThreadComment", "absolute_link", "parse_wordpress_comments", "wordpress_comment_pages",
           "parse_blogger_comments", "blogger_comment_pages"]
