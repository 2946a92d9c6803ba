"""Recognise a blog's platform and its comment system from a page it serves.

Cheap string and lxml checks on the home or a post page; no fetching. A site whose comments are
drawn by a third-party script (Disqus and the like) has no comments in its HTML or feeds, so the
crawler reports the system by name instead of silently finding nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.ids import join_url

# (name, pattern) in priority order; patterns are matched against the raw page text.
_COMMENT_SYSTEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("disqus", re.compile(r"id=[\"']disqus_thread[\"']|disqus\.com/embed\.js|\.disqus\.com/|disqus_config", re.I)),
    ("facebook", re.compile(r"class=[\"'][^\"']*\bfb-comments\b|facebook\.com/plugins/comments|<fb:comments", re.I)),
    ("commento", re.compile(r"id=[\"']commento[\"']|commento\.io/js|cdn\.commento", re.I)),
    ("hyvor", re.compile(r"hyvor-talk|talk\.hyvor\.com", re.I)),
    ("intensedebate", re.compile(r"intensedebate\.com", re.I)),
    ("livefyre", re.compile(r"livefyre", re.I)),
    ("utterances", re.compile(r"utteranc\.es", re.I)),
    ("giscus", re.compile(r"giscus\.app", re.I)),
    ("remark42", re.compile(r"remark42", re.I)),
    ("isso", re.compile(r"data-isso|isso-thread", re.I)),
    ("cusdis", re.compile(r"cusdis", re.I)),
    ("graphcomment", re.compile(r"graphcomment", re.I)),
    ("vuukle", re.compile(r"vuukle", re.I)),
    ("spotim", re.compile(r"spot\.im|openweb", re.I)),
)

_WP_API = re.compile(r"<link[^>]+rel=[\"']https://api\.w\.org/[\"'][^>]*>", re.I)
_HREF = re.compile(r"href=[\"']([^\"']+)[\"']", re.I)
_GENERATOR = re.compile(
    r"<meta[^>]+name=[\"']generator[\"'][^>]*content=[\"']([^\"']+)|"
    r"<meta[^>]+content=[\"']([^\"']+)[\"'][^>]*name=[\"']generator[\"']", re.I)
_BLOG_ID = re.compile(r"blogger\.com/feeds/(\d+)/|blogID=(\d+)|blog-(\d{6,})", re.I)


@dataclass(frozen=True)
class Detection:
    platform: str  # wordpress | blogger | generic
    evidence: str
    wp_api_root: str | None = None
    blogger_blog_id: str | None = None


def generator(html: str) -> str | None:
    match = _GENERATOR.search(html[:200_000])
    if not match:
        return None
    return (match.group(1) or match.group(2)).strip()


def wp_api_root(html: str, base_url: str) -> str | None:
    """The REST root the page advertises (``<link rel="https://api.w.org/">``), absolute."""
    match = _WP_API.search(html[:200_000])
    if not match:
        return None
    href = _HREF.search(match.group(0))
    return join_url(base_url, href.group(1)) if href else None


def detect_platform(html: str, base_url: str, headers: dict[str, str] | None = None) -> Detection:
    """WordPress via the REST link, generator meta, ``Link: rel=api.w.org`` header or wp paths;
    Blogger via the generator meta or Blogger feed ids; else generic."""
    head = html[:300_000]
    api = wp_api_root(head, base_url)
    link_header = ""
    for key, value in (headers or {}).items():
        if key.lower() == "link":
            link_header += value
    if api is None and "api.w.org" in link_header:
        m = re.search(r"<([^>]+)>;\s*rel=\"https://api\.w\.org/\"", link_header)
        api = join_url(base_url, m.group(1)) if m else None
    gen = (generator(head) or "").lower()
    if api:
        return Detection("wordpress", "api.w.org link", wp_api_root=api)
    if gen.startswith("wordpress"):
        return Detection("wordpress", f"generator {gen}")
    if gen == "blogger" or "blogger.com/feeds/" in head or "blog-pager-older-link" in head:
        m = _BLOG_ID.search(head)
        blog_id = next((g for g in m.groups() if g), None) if m else None
        return Detection("blogger", f"generator {gen or 'blogger markers'}", blogger_blog_id=blog_id)
    host = re.escape(urlsplit(base_url).netloc)
    own_wp_path = re.compile(rf"(?:src|href)=[\"'](?:https?://{host})?/wp-(?:content|includes|json)/", re.I)
    if len(own_wp_path.findall(head)) >= 2:
        return Detection("wordpress", "wp-content paths on the site's own host")
    return Detection("generic", "no platform markers")


# Literal text that every pattern of _COMMENT_SYSTEMS contains (checked by
# tests/test_crawl_accounting.py). The patterns are ~14 case-insensitive regexes over the whole
# page (~5 ms for a 20 kB post page); most pages contain none of these words, and one lower()
# plus substring checks tell that in ~0.1 ms.
COMMENT_SYSTEM_HINTS = ("disqus", "fb-comments", "facebook.com/plugins/comments", "fb:comments", "commento",
                        "hyvor", "intensedebate", "livefyre", "utteranc.es", "giscus.app", "remark42", "isso",
                        "cusdis", "graphcomment", "vuukle", "spot.im", "openweb")


def detect_comment_system(html: str) -> str | None:
    """Name of a third-party comment system embedded in the page, else ``None``."""
    low = html.lower()
    if not any(hint in low for hint in COMMENT_SYSTEM_HINTS):
        return None
    for name, pattern in _COMMENT_SYSTEMS:
        if pattern.search(html):
            return name
    return None


__all__ = ["COMMENT_SYSTEM_HINTS", "Detection", "detect_platform", "detect_comment_system", "wp_api_root",
           "generator"]
