"""Derived identifiers and canonical URLs.

Ids are short hex digests of what identifies a thing, so a rerun produces the same ids and loads
stay idempotent. Canonical URLs fold the variants blogs serve one post under (``?m=1``, AMP,
tracking parameters, fragments, ``/comment-page-N/``), so duplicates meet on one key.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_ID_LEN = 16

# Tracking, session, mobile/AMP and reply-link parameters (regex alternatives): they never change
# which post a URL names. Canonical URLs drop them; the crawler never fetches a URL carrying one
# (crawl.traps adds its own trap-only parameters to this list).
VARIANT_PARAMS = ("utm_[a-z]+", "m", "amp", "replytocom", "showcomment", "fbclid", "gclid", "mc_cid", "mc_eid",
                  "sessionid", "sid", "phpsessid", "jsessionid", "share")
# Also dropped when canonicalising, but fetched: a referral tag, WordPress's comment page number.
_DROP_PARAMS = re.compile("^(" + "|".join((*VARIANT_PARAMS, "ref", "cpage")) + ")$", re.IGNORECASE)
_AMP_SUFFIX = re.compile(r"/amp/?$")
_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?$")


def digest(*parts: object, length: int = _ID_LEN) -> str:
    """Stable hex id from parts (None is kept distinct from the empty string)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(b"\x00" if part is None else str(part).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]


def canonical_url(url: str) -> str:
    """Fold URL variants of one post onto one canonical form.

    Lower-cases scheme and host, drops default ports, fragments, tracking and mobile
    parameters, ``/amp/`` and ``/comment-page-N/`` suffixes, and ``.../amp.html`` style is left alone
    (too ambiguous). The path keeps its trailing-slash choice, except that ``/amp/`` removal
    leaves the slash WordPress uses.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    path = parts.path or "/"
    if _AMP_SUFFIX.search(path):
        path = _AMP_SUFFIX.sub("/", path)
    if _COMMENT_PAGE.search(path):
        path = _COMMENT_PAGE.sub("/", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _DROP_PARAMS.match(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def join_url(base: str | None, href: str) -> str | None:
    """``href`` made absolute against ``base``; ``None`` when urllib refuses it.

    Real pages carry hrefs that ``urllib`` rejects (``http://[ccpa-preferences]`` raises
    ``ValueError``: a bracketed host that is no IPv6 address). One such link must never stop the
    page's other links, or the crawl callback reading them.
    """
    try:
        joined = urljoin(base, href.strip()) if base else href.strip()
        urlsplit(joined).port  # noqa: B018 - raises ValueError for a malformed host or port
    except ValueError:
        return None
    return joined


def identity_url(url: str) -> str:
    """The form of a post URL its id derives from: canonical, without scheme and without ``www.``.

    A blog that moves from http to https, or drops (or adds) ``www``, serves the same posts under
    new URLs; their ids must not change. ``http://www.Example.org/a/`` and ``https://example.org/a/``
    both give ``example.org/a/``. A non-default port stays (it names another server).
    """
    parts = urlsplit(canonical_url(url))
    netloc = parts.netloc.removeprefix("www.")
    return urlunsplit(("", netloc, parts.path, parts.query, "")).removeprefix("//")


def path_key(url: str) -> str:
    """Path and query of the canonical URL: what names a post within its site whatever the host.

    The process stage matches a re-crawled post to the id the warehouse already gave it by
    ``(site_id, path_key)``, so a host move (``old-blog.example`` -> ``blog.example``) keeps ids too.
    """
    parts = urlsplit(canonical_url(url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def post_id(url: str) -> str:
    """A new post's id: a digest of its :func:`identity_url` (stable across scheme and ``www`` moves).

    Posts loaded before 0007 carry :func:`legacy_post_id`; the process stage keeps those ids (see
    ``pipeline.process.KnownPostUrls``), so existing warehouses never see a post twice.
    """
    return digest("post", identity_url(url))


def legacy_post_id(url: str) -> str:
    """The id posts got before ids left out the scheme and ``www.``: a digest of the canonical URL."""
    return digest("post", canonical_url(url))


def site_id_for(url: str) -> str:
    """A readable default site id from a start URL (host, with port when not default)."""
    parts = urlsplit(url)
    host = (parts.hostname or "site").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}-{parts.port}"
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-")


def comment_id(post: str, platform_comment_id: str | None, author: str | None = None,
               published_at: str | None = None, text: str | None = None) -> str:
    """Native comment id when the platform shows one, else a hash of what the reader sees."""
    if platform_comment_id:
        return digest("comment", post, platform_comment_id)
    norm = re.sub(r"\s+", " ", text or "").strip()
    return digest("comment-content", post, author, published_at, norm)
