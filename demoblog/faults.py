"""Switchable faults: the demo blog misbehaving the way real blogs do.

A :class:`Faults` value is applied by the server around the renderers (``serve(blog,
faults=Faults(...))``, ``POST /__admin/faults`` at run time, ``--faults JSON`` on the command
line). Each fault imitates something met in the wild:

- ``broken_posts``: the post's REST rendering crashes (a block or plugin that breaks under the
  site's PHP version), so every WordPress REST listing page containing it answers 500; on Blogger
  every post-feed page containing it answers 500. HTML pages, sitemaps and feeds stay fine.
- ``api_status``: the API is closed to anonymous readers (401 or 403): ``/wp-json/`` on
  WordPress, ``/feeds/`` on Blogger.
- ``listing``: post listing pages (REST posts, Blogger post feed) holding at least
  ``listing_min_items`` items either stall ``listing_delay_s`` seconds before answering
  (``"timeout"``: longer than the crawler waits) or answer truncated JSON / XML
  (``"truncated"``), as an overloaded host does with big pages; small pages are fine.
- ``broken_comment_listings``: the comment API of these posts answers 500 (REST
  ``wp/v2/comments?post=ID``, Blogger ``/feeds/ID/comments/default``).
- ``broken_comment_pages``: the HTML comment pages of these posts beyond the one shown on the
  post page answer 500 (``/comment-page-N/``, ``?commentPage=N``).

The decisions are pure functions of the request and the rendered response, so tests can check
them without a server.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from demoblog.model import DemoBlog
from demoblog.web import Request, Response

LISTING_FAULTS = ("timeout", "truncated")
_BLOGGER_POST_ID = re.compile(rb"\.post-(\d+)</id>")
_BLOGGER_POST_FEED = re.compile(r"/feeds/posts/(default|summary)(/-/.+)?")
_BLOGGER_COMMENT_FEED = re.compile(r"/feeds/(\d+)/comments/default")


@dataclass(frozen=True)
class Faults:
    broken_posts: frozenset[str] = frozenset()  # platform post ids
    api_status: int | None = None  # 401 | 403
    listing: str | None = None  # "timeout" | "truncated"
    listing_min_items: int = 2
    listing_delay_s: float = 3.0
    broken_comment_listings: frozenset[str] = frozenset()  # platform post ids
    broken_comment_pages: frozenset[str] = frozenset()  # platform post ids

    def __post_init__(self) -> None:
        if self.api_status not in (None, 401, 403):
            raise ValueError(f"api_status must be 401 or 403, not {self.api_status!r}")
        if self.listing not in (None, *LISTING_FAULTS):
            raise ValueError(f"listing must be one of {LISTING_FAULTS}, not {self.listing!r}")
        for name in ("broken_posts", "broken_comment_listings", "broken_comment_pages"):
            object.__setattr__(self, name, frozenset(str(x) for x in getattr(self, name)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {sorted(known)}")
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name, value in out.items():
            if isinstance(value, frozenset):
                out[name] = sorted(value)
        return out

    def __bool__(self) -> bool:
        return self != Faults()


@dataclass
class Outcome:
    """What the server sends instead of the rendered response, and how long it waits first."""

    response: Response
    delay_s: float = 0.0
    applied: list[str] = field(default_factory=list)


def rest_route(req: Request) -> str | None:
    """The REST route of a WordPress API request (``/wp-json/...`` or ``?rest_route=``), else None."""
    if req.path.startswith("/wp-json"):
        return "/" + req.path[len("/wp-json"):].strip("/")
    if req.path == "/" and req.arg("rest_route") is not None:
        return "/" + (req.arg("rest_route") or "").strip("/")
    return None


def is_api_request(blog: DemoBlog, req: Request) -> bool:
    if blog.flavour == "wordpress":
        return rest_route(req) is not None
    return req.path.startswith("/feeds/")


def is_post_listing(blog: DemoBlog, req: Request) -> bool:
    if blog.flavour == "wordpress":
        return rest_route(req) == "/wp/v2/posts"
    return _BLOGGER_POST_FEED.fullmatch(req.path) is not None


def listed_post_ids(blog: DemoBlog, body: bytes) -> list[str]:
    """Platform ids of the posts a listing response holds (REST JSON list or Blogger Atom)."""
    if blog.flavour == "blogger":
        return [m.decode() for m in _BLOGGER_POST_ID.findall(body)]
    try:
        data = json.loads(body)
    except ValueError:
        return []
    return [str(item.get("id")) for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def comment_listing_post(blog: DemoBlog, req: Request) -> str | None:
    """The post id whose comment API this request reads, else None."""
    if blog.flavour == "wordpress":
        if rest_route(req) == "/wp/v2/comments":
            return req.arg("post")
        return None
    m = _BLOGGER_COMMENT_FEED.fullmatch(req.path)
    return m.group(1) if m else None


def is_extra_comment_page(blog: DemoBlog, req: Request, post_id: str) -> bool:
    """An HTML comment page of the post other than the post page itself."""
    post = blog.post_by_id(post_id)
    if post is None:
        return False
    path = blog.post_path(post)
    if blog.flavour == "wordpress":
        return req.path.startswith(path + "comment-page-")
    return req.path == path and req.arg("commentPage") not in (None, "", "1")


def error_response(blog: DemoBlog, req: Request, status: int, why: str) -> Response:
    """An error as the platform shows it (REST JSON on the WordPress API, text elsewhere)."""
    if blog.flavour == "wordpress" and rest_route(req) is not None:
        code = {401: "rest_not_logged_in", 403: "rest_forbidden"}.get(status, "internal_server_error")
        body = json.dumps({"code": code, "message": why, "data": {"status": status}}).encode()
        return Response(status=status, body=body, content_type="application/json; charset=UTF-8")
    return Response(status=status, body=f"{why}\n".encode(), content_type="text/plain; charset=UTF-8")


def before(blog: DemoBlog, req: Request, faults: Faults) -> Response | None:
    """Faults decided by the request alone (answered without rendering), else None."""
    if faults.api_status and is_api_request(blog, req):
        return error_response(blog, req, faults.api_status, "Sorry, you are not allowed to do that.")
    post_id = comment_listing_post(blog, req)
    if post_id is not None and post_id in faults.broken_comment_listings:
        return error_response(blog, req, 500, "There has been a critical error on this website.")
    for pid in faults.broken_comment_pages:
        if is_extra_comment_page(blog, req, pid):
            return error_response(blog, req, 500, "There has been a critical error on this website.")
    return None


def after(blog: DemoBlog, req: Request, resp: Response, faults: Faults) -> Outcome:
    """Faults decided by what the renderer produced (which posts a listing page holds)."""
    if resp.status != 200 or not is_post_listing(blog, req):
        return Outcome(resp)
    ids = listed_post_ids(blog, resp.body)
    if faults.broken_posts & set(ids):
        return Outcome(error_response(blog, req, 500, "There has been a critical error on this website."),
                       applied=["broken_post"])
    if faults.listing and len(ids) >= faults.listing_min_items:
        if faults.listing == "timeout":
            return Outcome(resp, delay_s=faults.listing_delay_s, applied=["timeout"])
        resp.body = resp.body[: len(resp.body) // 2]
        return Outcome(resp, applied=["truncated"])
    return Outcome(resp)
