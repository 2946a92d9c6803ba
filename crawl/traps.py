"""Crawler traps: URL shapes that multiply pages without adding posts.

Blogs serve one post under many URLs (``?replytocom=``, ``?m=1``, ``/amp/``, tracking
parameters) and generate endless archives (calendars, ``?m=YYYYMM``, deep ``/page/N/`` chains).
The crawler only fetches URLs it builds or that a listing names, and every discovered link passes
:func:`trap_reason` first. Pure functions.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from pipeline.ids import VARIANT_PARAMS

# Variants of a post URL (shared with canonical URLs), plus actions, previews, search, calendars
# and print/format views that only multiply pages.
_TRAP_PARAMS = re.compile(
    "^(" + "|".join((*VARIANT_PARAMS, "action", "doing_wp_cron", "preview", "preview_id", "_wpnonce", "s", "calendar",
                     "ical", "outlook-ical", "format", "print", "tribe-bar-date", "eventdisplay")) + ")$",
    re.IGNORECASE,
)
_TRAP_PATH = re.compile(
    r"/(amp|feed/atom|trackback|embed|wp-admin|wp-login\.php|xmlrpc\.php|wp-json/oembed|calendar|events?/\d{4}-\d{2})"
    r"(/|$)",
    re.IGNORECASE,
)
_PAGE_N = re.compile(r"/page/(\d+)/?$")
_REPEATED_SEGMENT = re.compile(r"(/[^/]+)\1\1")
MAX_URL_LENGTH = 512
MAX_QUERY_PARAMS = 6


def trap_reason(url: str, *, max_archive_page: int = 500) -> str | None:
    """Why ``url`` is a trap or variant not worth fetching, or ``None`` when it is fine."""
    if len(url) > MAX_URL_LENGTH:
        return "url_too_long"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed host or port
    except ValueError:
        return "malformed_url"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme_{parts.scheme.lower() or 'none'}"
    params = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    for key, _value in params:
        if _TRAP_PARAMS.match(key):
            return f"trap_param_{key.lower()}"
    if len(params) > MAX_QUERY_PARAMS:
        return "query_explosion"
    if _TRAP_PATH.search(parts.path):
        return "trap_path"
    if _REPEATED_SEGMENT.search(parts.path):
        return "repeated_path_segment"
    page = _PAGE_N.search(parts.path)
    if page and int(page.group(1)) > max_archive_page:
        return "archive_too_deep"
    if parts.path.count("/") > 12:
        return "path_too_deep"
    return None


def same_site(url: str, netloc: str) -> bool:
    """On the site's own host and port (``www.`` prefix ignored, http/https both accepted)."""
    try:
        host = urlsplit(url).netloc.lower()
    except ValueError:
        return False
    a = host[4:] if host.startswith("www.") else host
    b = netloc.lower()
    b = b[4:] if b.startswith("www.") else b
    return a == b
