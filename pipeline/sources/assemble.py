"""Build ``RawPost`` / ``RawComment`` records from parsed platform data.

The live crawler and the WARC replay (:mod:`pipeline.sources.warc_replay`) call the same
functions on the same inputs, so a replay of the archive gives the same records as the crawl.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.ids import canonical_url, digest
from pipeline.records import RawComment, RawPost
from pipeline.sources.feeds import to_utc_iso, utc_offset_minutes
from pipeline.htmltext import element_text

#: How a post's comments are collected; written into the archive beside each post page.
COMMENT_MODES = ("wp-rest", "blogger-feed", "html-wp", "html-blogger", "html-generic", "none")

_CONTENT_XPATHS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-body ')]",
    "//*[@itemprop='articleBody']",
    "//article",
)


def _doc(html: str):
    from lxml import html as lxml_html

    try:
        return lxml_html.document_fromstring(html)
    except Exception:  # noqa: BLE001
        return None


def page_fields(html: str) -> dict[str, Any]:
    """Title, author, dates, categories, tags and canonical URL that a post page shows.

    The fields of ``pipeline.metadata.page_metadata`` (the one metadata reader, shared with
    ``blogscope extract``) under the names of ``RawPost``, dates in UTC; empty fields left out.
    """
    from pipeline.htmltext import PageTooDeep, html_to_unicode, parse_html
    from pipeline.metadata import page_metadata

    try:
        tree = parse_html(html_to_unicode(html)[0])
    except PageTooDeep:
        return {}
    if tree is None:
        return {}
    meta = page_metadata(tree)
    out = {
        "title": meta.get("title"),
        "author": meta.get("author"),
        "published_at": to_utc_iso(meta.get("date")),
        "published_utc_offset_minutes": utc_offset_minutes(meta.get("date")),
        "modified_at": to_utc_iso(meta.get("modified")),
        "categories": meta.get("categories") or [],
        "tags": meta.get("tags") or [],
        "canonical": meta.get("url"),
    }
    return {k: v for k, v in out.items() if v not in (None, [], ())}


def main_text(html: str) -> str:
    """The post body's text (no comments, no sidebar) for change detection."""
    doc = _doc(html)
    if doc is None:
        return html
    for xpath in _CONTENT_XPATHS:
        found = doc.xpath(xpath)
        if found:
            return element_text((found[0],))
    for junk in doc.xpath("//*[@id='comments' or @id='respond' or contains(@class,'comments')]"):
        if junk.getparent() is not None:
            junk.drop_tree()
    return element_text((doc,))


def looks_like_post(html: str, platform: str) -> bool:
    """A single-post page rather than an archive, page or search result."""
    if platform == "wordpress":
        return bool(re.search(r"class=\"[^\"]*\b(type-post|single-post|single)\b", html))
    if platform == "blogger":
        return "post-body" in html and "post hentry" in html
    return bool(re.search(r"<article\b|og:type\"?\s+content=\"article|\bhentry\b|itemprop=\"articleBody\"", html))


def accept_post_page(html: str, platform: str, candidate: bool) -> bool:
    """Whether a fetched page becomes a post record.

    A password-protected post shows neither its text nor its comments to the public, so it is
    never a post record. A *candidate* (named only by a sitemap or an archive page, not by a
    post listing) must also look like a single post.
    """
    if _password_protected(html):
        return False
    return looks_like_post(html, platform) if candidate else True


def build_post(*, site_id: str, url: str, platform: str, source: str, fetched_at: str, html: str | None,
               meta: dict[str, Any], comment_system: str, http_status: int | None,
               page_url: str | None = None) -> RawPost:
    """A ``RawPost`` from what the listing said (``meta``) and the page; the listing wins."""
    page = page_fields(html) if html else {}
    aliases = []
    for alias in (page_url, meta.get("url")):
        if alias and alias != url and canonical_url(alias) == url and alias not in aliases:
            aliases.append(alias)
    return RawPost(
        site_id=site_id, url=url, platform=platform, source=source, fetched_at=fetched_at, html=html,
        content_html=meta.get("content_html"),
        title=meta.get("title") or page.get("title"),
        author=meta.get("author") or page.get("author"),
        published_at=meta.get("published_at") or page.get("published_at"),
        # The offset travels with the date it belongs to: the listing's when the listing gave the date.
        published_utc_offset_minutes=(meta.get("published_utc_offset_minutes") if meta.get("published_at")
                                      else page.get("published_utc_offset_minutes")),
        modified_at=meta.get("modified_at") or page.get("modified_at"),
        platform_post_id=meta.get("platform_post_id"),
        categories=tuple(meta.get("categories") or page.get("categories") or ()),
        tags=tuple(meta.get("tags") or page.get("tags") or ()),
        aliases=tuple(aliases), comment_system=comment_system, http_status=http_status,
    )


def post_signature(post: RawPost) -> str:
    """What makes a new version of a post worth emitting (comments and sidebars excluded)."""
    body = post.content_html or (main_text(post.html) if post.html else "")
    body = re.sub(r"\s+", " ", body).strip()
    return digest("post-version", post.title, post.author, post.published_at, post.modified_at, body,
                  "|".join(post.categories), "|".join(post.tags))


def build_comment(*, site_id: str, post_url: str, source: str, fetched_at: str, comment_id: str | None,
                  parent_id: str | None, author: str | None, author_url: str | None, published_at: str | None,
                  text: str, position: int, published_utc_offset_minutes: int | None = None) -> RawComment:
    return RawComment(
        site_id=site_id, post_url=post_url, source=source, fetched_at=fetched_at,
        platform_comment_id=comment_id, parent_platform_comment_id=parent_id, author=author,
        author_url=author_url, published_at=published_at, text=text, position=position,
        published_utc_offset_minutes=published_utc_offset_minutes,
    )


def comment_key(comment: RawComment) -> str:
    """Native id when the platform shows one, else a hash of what the reader sees."""
    if comment.platform_comment_id:
        return comment.platform_comment_id
    norm = re.sub(r"\s+", " ", comment.text).strip()
    return "h:" + digest("comment-content", comment.author, comment.published_at, norm)


def comment_hash(comment: RawComment) -> str:
    return digest("comment-version", comment.parent_platform_comment_id, comment.author, comment.published_at,
                  re.sub(r"\s+", " ", comment.text).strip())


# --------------------------------------------------------------------------- per source


def comments_from_rest(data: bytes, *, site_id: str, post_url: str, fetched_at: str,
                       post_platform_id: str | None = None) -> list[RawComment]:
    from pipeline.sources.wordpress import parse_rest_comments

    out = []
    for c in parse_rest_comments(data):
        if not c.public or (post_platform_id and c.post_id and c.post_id != post_platform_id):
            continue
        out.append(build_comment(site_id=site_id, post_url=post_url, source="wp-rest", fetched_at=fetched_at,
                                 comment_id=c.comment_id, parent_id=c.parent_id, author=c.author,
                                 author_url=c.author_url, published_at=c.published_at, text=c.text,
                                 position=len(out), published_utc_offset_minutes=c.published_utc_offset_minutes))
    return out


def comments_from_blogger_feed(data: bytes, *, site_id: str, post_url: str, fetched_at: str,
                               base_url: str | None = None) -> list[RawComment]:
    from pipeline.sources.blogger import parse_comments_feed

    out = []
    for c in parse_comments_feed(data, base_url).items:
        out.append(build_comment(site_id=site_id, post_url=post_url, source="blogger-feed", fetched_at=fetched_at,
                                 comment_id=c.comment_id, parent_id=c.parent_id, author=c.author,
                                 author_url=c.author_url, published_at=c.published_at, text=c.text,
                                 position=len(out), published_utc_offset_minutes=c.published_utc_offset_minutes))
    return out


def comments_from_html(mode: str, html: str, *, site_id: str, post_url: str, page_url: str,
                       fetched_at: str) -> list[RawComment]:
    """Comments a post page shows, by the platform's markup (or the generic extractor)."""
    from pipeline.sources import html_threads

    if _password_protected(html):
        return []
    if mode in ("html-wp", "wp-rest"):
        found = html_threads.parse_wordpress_comments(html, page_url)
    elif mode in ("html-blogger", "blogger-feed"):
        found = html_threads.parse_blogger_comments(html, page_url)
    else:
        found = html_threads.parse_wordpress_comments(html, page_url) or html_threads.parse_blogger_comments(
            html, page_url)
        if not found:
            return _generic_comments(html, site_id=site_id, post_url=post_url, page_url=page_url,
                                     fetched_at=fetched_at)
    return [build_comment(site_id=site_id, post_url=post_url, source="html", fetched_at=fetched_at,
                          comment_id=c.comment_id, parent_id=c.parent_id, author=c.author, author_url=c.author_url,
                          published_at=c.published_at, text=c.text, position=c.position,
                          published_utc_offset_minutes=c.published_utc_offset_minutes) for c in found]


def _generic_comments(html: str, *, site_id: str, post_url: str, page_url: str, fetched_at: str) -> list[RawComment]:
    """Any other markup: ``pipeline.comments.extract_comments`` when the text stage provides it."""
    try:
        from pipeline.comments import extract_comments  # type: ignore[attr-defined]
    except ImportError:
        return []
    out = []
    try:
        # No trafilatura fallback here: it costs a full extraction pass inside the crawl's
        # event loop; the process stage still runs the full extractor on the saved page.
        found = extract_comments(html, page_url, fallback=False)
    except TypeError:
        found = extract_comments(html, page_url)
    except Exception:  # one page's odd markup must not stop the crawl
        import logging

        logging.getLogger(__name__).exception("generic comment extraction failed on %s", page_url)
        return []
    for i, c in enumerate(found):
        out.append(build_comment(site_id=site_id, post_url=post_url, source="html", fetched_at=fetched_at,
                                 comment_id=c.comment_id or None, parent_id=c.parent_id, author=c.author,
                                 author_url=None, published_at=c.published_at, text=c.text, position=i))
    return out


# WordPress marks a password-protected post by classes on the post (``post-password-required``)
# and on its password form (``post-password-form``). The same words appear in nearly every
# WordPress theme's stylesheet, often inlined into public pages, so only a class attribute counts.
_PASSWORD_CLASS = re.compile(r"""\bclass\s*=\s*(?:"[^"]*|'[^']*|)\bpost-password-(?:form|required)\b""", re.I)


def _password_protected(html: str) -> bool:
    if "post-password-" not in html:  # the common case, without a regex pass over the page
        return False
    return _PASSWORD_CLASS.search(html) is not None
