"""Rebuild posts and comments from the crawler's WARC archive, without the network.

``blogscope process --from-archive`` uses this when text must be re-extracted (a better
extractor, a lost run folder): every archived response carries headers naming what it is
(``WARC-Blogscope-Kind``), the site, the canonical post URL and the listing metadata, so the same
builders the live crawl used (:mod:`pipeline.sources.assemble`) produce the same records.
Each post and each comment (keyed on the native id) is yielded once, in its latest archived
version. A truncated last record (a killed crawl) ends that file quietly.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from pipeline.records import RawComment, RawPost
from pipeline.sources import assemble

log = logging.getLogger(__name__)

HEADER_KIND = "WARC-Blogscope-Kind"
HEADER_SITE = "WARC-Blogscope-Site"
HEADER_PLATFORM = "WARC-Blogscope-Platform"
HEADER_POST = "WARC-Blogscope-Post"
HEADER_META = "WARC-Blogscope-Meta"


def _fetched_at(warc_date: str) -> str:
    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).astimezone(timezone.utc).isoformat()


def iter_responses(paths: Iterable[Path | str], max_bytes: int = 32 * 1024 * 1024,
                   ) -> Iterator[tuple[dict[str, str], int, bytes]]:
    """(WARC headers + ``Content-Type``, HTTP status, decoded body) of every response, files in order."""
    from warcio.archiveiterator import ArchiveIterator

    for path in paths:
        try:
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type != "response":
                        continue
                    headers = dict(record.rec_headers.headers)
                    if record.http_headers:
                        headers["Content-Type"] = record.http_headers.get_header("Content-Type") or ""
                    status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
                    body = record.content_stream().read(max_bytes + 1)
                    if len(body) > max_bytes:  # a decompression bomb the crawl refused too
                        log.warning("skipped %s: body over %d bytes", headers.get("WARC-Target-URI"), max_bytes)
                        continue
                    yield headers, status, body
        except Exception as exc:  # noqa: BLE001 - a torn tail after a kill ends the file, not the replay
            log.warning("stopped reading %s at a damaged record: %s", path, exc)


def _decode_html(content_type: str, body: bytes) -> str:
    """Decode a page as the crawler and ``blogscope extract`` do: from its bytes (``pipeline.htmltext``).

    The ``Content-Type`` charset is not trusted: blogs mislabel Windows-1252 as UTF-8 and UTF-8
    as ISO-8859-1 (issue 18); the replay must give the records the crawl gave.
    """
    from pipeline.htmltext import html_to_unicode

    return html_to_unicode(body)[0]


def rebuild_from_warc(paths: Iterable[Path | str]) -> Iterator[RawPost | RawComment]:
    """Yield the ``RawPost`` and ``RawComment`` records the archived responses contain."""
    # Like the live crawl, a post or comment is replaced only by a *different* version
    # (signature / content hash), so the replay gives what the crawls emitted.
    posts: dict[str, tuple[str, RawPost]] = {}
    comments: dict[tuple[str, str], tuple[str, RawComment]] = {}
    for headers, status, body in iter_responses(paths):
        if status != 200:
            continue
        kind = headers.get(HEADER_KIND, "")
        site = headers.get(HEADER_SITE, "")
        post_url = headers.get(HEADER_POST)
        info: dict[str, Any] = json.loads(headers.get(HEADER_META) or "{}")
        fetched = _fetched_at(headers.get("WARC-Date", ""))
        url = headers.get("WARC-Target-URI", "")
        if not post_url:
            continue
        found: list[RawComment] = []
        html = _decode_html(headers.get("Content-Type", ""), body) if kind in ("post-page", "comment-page") else ""
        if kind == "post-page":
            platform = headers.get(HEADER_PLATFORM, "generic")
            if not assemble.accept_post_page(html, platform, candidate=not info.get("is_post", True)):
                continue
            from pipeline.sources.detect import detect_comment_system

            post = assemble.build_post(
                site_id=site, url=post_url, platform=platform, source=info.get("source", "html"),
                fetched_at=fetched, html=html, meta=info.get("meta") or {},
                comment_system=detect_comment_system(html) or info.get("comment_system", "native"),
                http_status=status, page_url=url)
            signature = assemble.post_signature(post)
            if post_url not in posts or posts[post_url][0] != signature:
                posts[post_url] = (signature, post)
            if info.get("mode", "").startswith("html-"):
                found = assemble.comments_from_html(info["mode"], html, site_id=site, post_url=post_url,
                                                    page_url=url, fetched_at=fetched)
        elif kind == "comment-page":
            found = assemble.comments_from_html(info.get("mode", "html-generic"), html, site_id=site,
                                                post_url=post_url, page_url=url, fetched_at=fetched)
        elif kind == "wp-rest-comments":
            found = assemble.comments_from_rest(body, site_id=site, post_url=post_url, fetched_at=fetched,
                                                post_platform_id=info.get("platform_post_id"))
        elif kind == "blogger-comment-feed":
            found = assemble.comments_from_blogger_feed(body, site_id=site, post_url=post_url, fetched_at=fetched,
                                                        base_url=url)
        for comment in found:
            key = (post_url, assemble.comment_key(comment))
            digest = assemble.comment_hash(comment)
            if key not in comments or comments[key][0] != digest:
                comments[key] = (digest, comment)
    for _sig, post in posts.values():
        yield post
    for _digest, comment in comments.values():
        yield comment
