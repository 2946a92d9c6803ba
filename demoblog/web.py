"""What both flavours share: request/response types, escaping, date formats, robots.txt,
sitemap and the private page that robots.txt forbids.

Renderers are pure functions ``(blog, Request) -> Response``; the server adds validators
(ETag, Last-Modified), answers conditional requests and counts requests.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import format_datetime
from typing import Any, Callable

from demoblog.model import DemoBlog, Post

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
JSON = "application/json; charset=UTF-8"
TEXT = "text/plain; charset=UTF-8"

PRIVATE_PATH = "/private/secret.html"
# Text only the robots-forbidden page contains, so tests can tell if a crawler fetched it.
PRIVATE_MARKER = "blogscope-demo-private-area"


@dataclass
class Request:
    method: str  # GET | HEAD | POST
    path: str  # percent-decoded path
    query: dict[str, list[str]]
    base: str  # "http://127.0.0.1:PORT" (no trailing slash)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    # When the content last changed; sent as Last-Modified and used for If-Modified-Since.
    last_modified: datetime | None = None


class HttpError(Exception):
    """Raised by renderers to answer with an error status (404 page, REST error, ...)."""

    def __init__(self, status: int, message: str = "", payload: Any = None):
        super().__init__(message)
        self.status = status
        self.payload = payload


def int_arg(req: Request, name: str, default: int, *, lo: int = 1, hi: int | None = None,
            invalid: Callable[[str, str], HttpError] | None = None) -> int:
    """An integer query argument; missing or empty gives ``default``.

    A value that is not an integer or lies outside ``lo..hi`` raises ``invalid(name, raw)``: each
    platform words that error its own way (Blogger a plain 400, WordPress REST a JSON 400, WordPress
    HTML pages a 404), so the caller passes its wording and the parsing stays in one place.
    """
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < lo or (hi is not None and value > hi):
        raise (invalid or _plain_invalid)(name, raw)
    return value


def _plain_invalid(name: str, raw: str) -> HttpError:
    return HttpError(400, f"Invalid {name} value: {raw}")


def esc(value: object) -> str:
    """HTML-escape text and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def html_response(body: str, last_modified: datetime | None = None, status: int = 200,
                  headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status=status, body=body.encode("utf-8"), content_type=HTML,
                    headers=headers or [], last_modified=last_modified)


def xml_response(body: str, content_type: str, last_modified: datetime | None) -> Response:
    return Response(body=body.encode("utf-8"), content_type=content_type, last_modified=last_modified)


def json_response(data: Any, last_modified: datetime | None = None, status: int = 200,
                  headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(status=status, body=body.encode("utf-8"), content_type=JSON,
                    headers=headers or [], last_modified=last_modified)


def redirect(location: str, status: int = 301) -> Response:
    return Response(status=status, body=b"", content_type=HTML, headers=[("Location", location)])


def etag_for(body: bytes) -> str:
    """Strong validator: changes whenever one byte of the body changes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# --------------------------------------------------------------------------- dates


def site_zone(blog: DemoBlog) -> tzinfo:
    """The blog's own zone: a fixed offset, as WordPress's "UTC+2" setting (no DST, so runs agree)."""
    return timezone(timedelta(minutes=blog.options.utc_offset_minutes))


def iso(dt: datetime, tz: tzinfo = timezone.utc) -> str:
    """2024-01-05T10:31:00+00:00 (or in the site's zone: 2024-01-05T12:31:00+02:00)"""
    return dt.astimezone(tz).isoformat()


def iso_local_naive(dt: datetime, tz: tzinfo) -> str:
    """WordPress REST ``date`` style: the site's local time, no offset (``date_gmt`` says UTC)."""
    return dt.astimezone(tz).replace(tzinfo=None).isoformat()


def iso_gmt_naive(dt: datetime) -> str:
    """WordPress REST ``date_gmt`` style: no offset."""
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def iso_millis(dt: datetime, tz: tzinfo = timezone.utc) -> str:
    """Blogger feed style: 2024-01-05T10:31:00.000+00:00 (in the blog's zone: ...05:31:00.000-05:00)"""
    dt = dt.astimezone(tz)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}" + dt.isoformat()[-6:]


def rfc822(dt: datetime, tz: tzinfo = timezone.utc) -> str:
    """RSS pubDate: Fri, 05 Jan 2024 10:31:00 +0000 (or the site's offset)"""
    return format_datetime(dt.astimezone(tz))


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def long_date(dt: datetime) -> str:
    """January 5, 2024"""
    return f"{MONTHS[dt.month - 1]} {dt.day}, {dt.year}"


def clock_12h(dt: datetime, upper: bool) -> str:
    """10:31 am (WordPress) / 10:31 AM (Blogger)"""
    hour = dt.hour % 12 or 12
    suffix = "AM" if dt.hour < 12 else "PM"
    return f"{hour}:{dt.minute:02d} {suffix if upper else suffix.lower()}"


def weekday_date(dt: datetime) -> str:
    """Friday, January 5, 2024 (Blogger date header)"""
    return f"{WEEKDAYS[dt.weekday()]}, {long_date(dt)}"


def epoch_millis(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def post_activity(post: Post) -> datetime:
    """Last change a reader of the post page can see: an edit or a (late) comment."""
    times = [post.modified] + [c.recorded_at or c.published for c in post.visible_comments()]
    return max(times)


# --------------------------------------------------------------------------- common pages


def common_page(blog: DemoBlog, req: Request) -> Response | None:
    """The pages both platforms serve alike (robots.txt, sitemap, the robots-disallowed staff page)."""
    pages = {"/robots.txt": robots_txt, "/sitemap.xml": sitemap_xml, PRIVATE_PATH: private_page}
    page = pages.get(req.path)
    return page(blog, req) if page else None


def robots_txt(blog: DemoBlog, req: Request) -> Response:
    if blog.flavour == "wordpress":
        rules = "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\nDisallow: /private/\n"
    else:
        # Real Blogger also disallows /search; the demo allows it because its older-posts
        # paging (/search?updated-max=...) is how the HTML archive is reached.
        rules = ("User-agent: Mediapartners-Google\nDisallow: \n\n"
                 "User-agent: *\nDisallow: /private/\nAllow: /\n")
    body = f"{rules}\nSitemap: {req.base}/sitemap.xml\n"
    return Response(body=body.encode("utf-8"), content_type=TEXT, last_modified=None)


def sitemap_xml(blog: DemoBlog, req: Request) -> Response:
    posts = blog.listed_posts()
    newest = max((p.modified for p in posts), default=None)
    rows = [f"<url><loc>{esc(req.base)}/</loc>" + (f"<lastmod>{iso(newest)}</lastmod>" if newest else "")
            + "</url>"]
    for p in posts:
        rows.append(f"<url><loc>{esc(req.base + blog.post_path(p))}</loc><lastmod>{iso(p.modified)}</lastmod></url>")
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows) + "\n</urlset>\n")
    return xml_response(body, XML, newest)


def private_page(blog: DemoBlog, req: Request) -> Response:
    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"UTF-8\"><title>Staff area - "
            f"{esc(blog.site_title)}</title><meta name=\"robots\" content=\"noindex\"></head><body>"
            f"<h1>Staff area</h1><p>{PRIVATE_MARKER}: rota and on-call numbers. Crawlers that obey "
            f"robots.txt never see this page.</p></body></html>")
    return html_response(body)
