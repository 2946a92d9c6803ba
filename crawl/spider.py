"""One generic spider driven by the site list, with platform adapters.

Each configured blog becomes a :class:`SiteRun`, which goes through three phases:

1. **home**: the start page (asked conditionally) tells the platform (``auto`` detection),
   the WordPress REST root and any third-party comment system.
2. **discovery**: listings (WordPress REST posts pages, RSS/Atom feed pages, Blogger's post
   feed), the site-wide comment feed (a cheap "something new was said" signal) and sitemaps
   (``lastmod``); every post found is recorded in the state at once.
3. **plan + fetch**: for every known post (this run's listings and the state) decide: *full*
   (new, unfinished or changed: page + every comment page), *comments* (the comment feed names
   a comment we do not have), *revisit* (due on the decaying schedule, or a sweep after an
   unexplained comment-feed change: one conditional request) or nothing.

A post is *complete* when its page and all its comment pages were processed; only then are its
validators stored, so a kill at any moment leaves it incomplete and the next run fetches it in
full again. Records are written before the state notes them (re-emission is allowed, loss not).

The spider steers; the writing happens in the crawl's writer process (:mod:`crawl.sink`): post
pages, comments, archive entries and "post done" go there as messages, in order, and the
writer's report at the end says how each post page ended (emitted or unchanged).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import scrapy
from scrapy import Request
from scrapy.http import Response

from pipeline.htmltext import html_to_unicode
from pipeline.ids import canonical_url
from pipeline.settings import SiteConfig
from pipeline.sources import assemble, blogger, feeds, html_threads, wordpress
from pipeline.sources.detect import detect_comment_system, detect_platform

from crawl import context
from crawl.context import CrawlContext
from crawl.output import POST_PAGE_REJECTED, POST_PAGE_SKIPPED
from crawl.schedule import is_due
from crawl.sink import rejected_row, validators_tuple
from crawl.state import Validators
from crawl.traps import same_site, trap_reason

log = logging.getLogger(__name__)

POST_PAGE_KEY = "post_page_token"  # meta: which post page request (kept by retries and redirects)
REJECTED_KEY = "rejected_reason"  # meta: the reason of the rejected row status_of wrote

# Post listings of the platform APIs: a failing page is narrowed (see SiteRun.listing_failed).
LISTING_KINDS = ("wp-rest-posts", "blogger-posts-feed")
REST_PAGE_SIZE = 100  # posts per WordPress REST listing page (the API's maximum)
BLOGGER_PAGE_SIZE = 25  # Blogger's default max-results when the URL names none
# Failed listing requests a site may spend narrowing while no listing page has answered: past it
# the API is taken as broken everywhere (no endless page-after-page chain) and HTML takes over.
LISTING_FAILURE_BUDGET = 20
GAP_NOTE = "some posts failed in the API even one by one; read from their HTML pages"
# Refused by policy: asking again (now or next run) changes nothing, so no fallback and no failure.
_POLICY_REASONS = ("robots", "trap", "offsite", "blocked_address", "scheme")

# Path parts of listing pages (a post slug may contain "feed": /2024/05/feedback-in-every-session.html).
_NON_POST_PATH = ("/category/", "/tag/", "/author/", "/page/", "/search", "/feed/", "/comments/", "/wp-",
                  "/label/", "/p/", "/feeds/")


@dataclass
class PostTask:
    url: str  # canonical: the post's identity
    page_url: str
    platform_post_id: str | None
    meta: dict[str, Any]
    mode: str  # comment mode, see pipeline.sources.assemble.COMMENT_MODES
    comment_url: str | None = None  # first page of the API / feed comment source
    action: str = "full"  # full | comments | revisit
    candidate: bool = False  # from a sitemap/archive: only a post if the page looks like one
    modified_at: str | None = None
    lastmod: str | None = None
    pending: int = 0
    failed: bool = False
    started: bool = False
    validators: dict[str, Validators] = field(default_factory=dict)
    requested: set[str] = field(default_factory=set)
    html: str | None = None  # kept until done, for the HTML fallback of a failing comment API
    feed_failed: bool = False  # the comment API failed: comments come from the HTML pages
    page_seen: bool = False  # the post page's answer came (the fallback cannot ask it again)
    comment_system: str = "native"


def validators_of(response: Response) -> Validators:
    etag = response.headers.get("ETag")
    modified = response.headers.get("Last-Modified")
    return Validators(etag.decode("latin-1") if etag else None, modified.decode("latin-1") if modified else None,
                      hashlib.sha256(response.body).hexdigest())


def _total_pages_header(response: Response) -> dict[str, str]:
    """Just ``X-WP-TotalPages`` (read on every REST page; Scrapy's header lookup ignores case)."""
    value = response.headers.get("X-WP-TotalPages")
    return {"X-WP-TotalPages": value.decode("latin-1")} if value else {}


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): v[-1].decode("latin-1") for k, v in response.headers.items() if v}


class SiteRun:
    """The crawl of one blog in one run."""

    def __init__(self, ctx: CrawlContext, config: SiteConfig):
        self.ctx = ctx
        self.config = config
        self.id = config.id
        parts = urlsplit(config.url)
        self.netloc = parts.netloc.lower()
        self.base = f"{parts.scheme}://{parts.netloc}/"
        self.info: dict[str, Any] = ctx.state.site_info(self.id)
        self.platform = config.platform if config.platform != "auto" else self.info.get("platform", "generic")
        self.posts: dict[str, PostTask] = {}
        self.discovery_pending = 0
        self.discovery_failed = False
        self.discovery_started = False
        self.planned = False
        self.finished = False
        self.site_validators: dict[str, Validators] = {}
        self.commented: set[str] = set()  # posts the site comment feed says have new comments
        self.sweep = False
        self.sitemap_lastmod: dict[str, str] = {}
        self.sitemap_locs: list[str] = []
        self.use_rest = False
        self.listing_unchanged = False
        self.requested: set[str] = set()
        self.comment_systems: Counter[str] = Counter()
        self.notes: list[str] = []
        self.protected_skipped = 0
        self.archive_walked = False
        self.home_html: str | None = None
        self.max_posts = config.max_posts
        self.open_post_pages: dict[int, str] = {}  # post page requests without an outcome yet
        self._post_page_tokens = 0
        self.open_tasks = 0  # started tasks with requests pending (finish needs 0)
        self.api_gap = False  # a listing item failed even alone: HTML discovery fills the gap
        self.api_closed = False  # the API refuses anonymous readers: sitemaps and HTML for the site
        self.listing_pages: int | None = None  # WordPress REST pages, once a full page said how many
        self.listing_ok = 0  # listing pages read in this run
        self.listing_failures = 0  # listing requests that failed (after Scrapy's retries)
        # Posts with failures recorded by earlier runs: cleared when they complete.
        self.open_failures: set[str] = ctx.state.failed_posts(self.id)

    # ------------------------------------------------------------------ requests
    def request(self, url: str, kind: str, callback: Any, *, post: PostTask | None = None, conditional: bool = False,
                discovery: bool = False, optional: bool = False, extra: dict[str, Any] | None = None,
                priority: int = 0) -> Request | None:
        """A request on this site, or ``None`` when it was already asked in this run."""
        if url in self.requested:
            return None
        self.requested.add(url)
        headers = {}
        if conditional:
            stored = self.ctx.state.validators(url)
            if stored:
                headers = stored.request_headers()
        meta: dict[str, Any] = {
            "site": self.id, "kind": kind, "platform": self.platform,
            "download_slot": f"site:{self.id}", "discovery": discovery, "optional": optional,
        }
        if post is not None:
            meta["post"] = post.url
            meta["task"] = post
            self.hold(post)
            # After a comment API failure the post page is read for its HTML comments: say so, so
            # that a replay of the archive reads them too.
            mode = self.html_post_mode() if post.feed_failed else post.mode
            archive_meta = {"platform_post_id": post.platform_post_id, "mode": mode,
                            "source": post.meta.get("source", "html")}
            if kind == "post-page":
                archive_meta.update(meta=post.meta, comment_system=post.comment_system, is_post=not post.candidate)
            meta["archive_meta"] = archive_meta
        if discovery:
            self.discovery_pending += 1
        if kind == "post-page":
            # Run accounting: this request must end in exactly one bucket (post_page_done).
            self._post_page_tokens += 1
            meta[POST_PAGE_KEY] = self._post_page_tokens
            self.open_post_pages[self._post_page_tokens] = url
            self.ctx.stats.post_page_asked(self.id)
        meta.update(extra or {})
        return Request(url, callback=callback, errback=self.on_error, headers=headers, meta=meta,
                       dont_filter=True, priority=priority)

    def start_requests(self) -> Iterator[Request]:
        req = self.request(self.config.url, "home", self.on_home, conditional=True, priority=10)
        if req:
            yield req

    # ------------------------------------------------------------------ responses: common
    def status_of(self, response: Response) -> str:
        """ok | not_modified | error (an error is recorded as a rejected row)."""
        if 200 <= response.status < 300:
            return "ok"
        if response.status == 304:
            return "not_modified"
        meta = response.meta
        if not (meta.get("optional") and response.status in (400, 401, 403, 404, 410)):
            reason = "dead_link" if response.status in (404, 410) else f"http_{response.status // 100}xx"
            self.reject(response.url, reason, status=response.status, attempts=meta.get("retry_times", 0) + 1,
                        detail=f"{meta.get('kind')} answered {response.status}")
            meta[REJECTED_KEY] = reason
        return "error"

    def post_page_done(self, meta: dict[str, Any], bucket: str, reason: str = "") -> None:
        """Count where one post page request ended (once; later calls for it are ignored)."""
        if self.open_post_pages.pop(meta.get(POST_PAGE_KEY, -1), None) is not None:
            self.ctx.stats.post_page(self.id, bucket, reason)

    def close_post_pages(self) -> None:
        """The crawl stopped: post pages still waiting for an answer are skipped, ``interrupted``."""
        for _token in list(self.open_post_pages):
            self.ctx.stats.post_page(self.id, POST_PAGE_SKIPPED, "interrupted")
        self.open_post_pages.clear()

    def reject(self, url: str, reason: str, *, status: int | None = None, attempts: int = 1, detail: str = "") -> None:
        self.ctx.sink.send("emit", "rejected",
                           rejected_row(self.id, url, reason, status=status, attempts=attempts, detail=detail))
        self.ctx.stats.reject(self.id, reason)

    def on_error(self, failure: Any) -> Iterator[Request]:
        request = failure.request
        meta = request.meta
        exc = failure.value
        reason, detail = _failure_reason(exc)
        if not (meta.get("optional") and reason in ("robots", "dead_link")):
            self.reject(request.url, reason, attempts=meta.get("retry_times", 0) + 1, detail=detail)
            self.post_page_done(meta, POST_PAGE_REJECTED, reason)
        else:
            self.post_page_done(meta, POST_PAGE_SKIPPED, reason)
        if reason == "robots_unavailable":
            self.notes.append("robots.txt unavailable (server error or no answer): site not crawled in this run")
        elif reason == "blocked_address":
            self.notes.append(f"refused: {detail}")
        task: PostTask | None = meta.get("task")
        kind = meta.get("kind")
        if kind == "home":
            yield from self.after_home(None)
        elif task is not None:
            if reason in _POLICY_REASONS:
                pass  # refused by policy: retrying next run changes nothing
            elif kind in ("blogger-comment-feed", "wp-rest-comments"):
                yield from self.comments_fallback(task)
            else:
                self.task_failed(task, request.url, str(kind), reason)
            yield from self.task_done(task)
        elif meta.get("discovery"):
            if kind in LISTING_KINDS and reason not in _POLICY_REASONS:
                yield from self.listing_failed(meta, request.url)
            elif not meta.get("optional"):
                self.discovery_failed = True
            yield from self.discovery_done()

    # ------------------------------------------------------------------ home + detection
    def on_home(self, response: Response) -> Iterator[Request]:
        status = self.status_of(response)
        html = None
        if status == "ok":
            self.site_validators[response.request.url] = validators_of(response)
            html = response.text if hasattr(response, "text") else None
        yield from self.after_home(html, response)

    def after_home(self, html: str | None, response: Response | None = None) -> Iterator[Request]:
        if html is not None:
            self.home_html = html
            det = detect_platform(html, response.url if response else self.base,
                                  _headers(response) if response else None)
            if self.config.platform == "auto":
                self.platform = det.platform
            self.info.update(platform=self.platform, wp_api_root=det.wp_api_root, blog_id=det.blogger_blog_id,
                             evidence=det.evidence)
            third = detect_comment_system(html)
            if third:
                self.comment_systems[third] += 1
            self.info["home_comment_system"] = third
            self.info["feeds"] = [f.url for f in feeds.discover_feeds(html, response.url if response else self.base)
                                  if same_site(f.url, self.netloc)]
            self.ctx.state.save_site_info(self.id, self.info)
        elif self.info.get("home_comment_system"):
            self.comment_systems[self.info["home_comment_system"]] += 1
        yield from self.start_discovery()

    # ------------------------------------------------------------------ discovery
    def start_discovery(self) -> Iterator[Request]:
        self.discovery_started = True
        reqs: list[Request | None] = []
        if self.platform == "wordpress" and self.info.get("rest_ok", True) is not False and (
                self.info.get("wp_api_root") or self.config.platform == "wordpress"):
            root = wordpress.rest_root(self.base, self.info.get("wp_api_root"))
            self.use_rest = True
            reqs.append(self.request(self.wp_posts_url(root, 1), "wp-rest-posts", self.on_wp_posts, conditional=True,
                                     discovery=True, extra={"page": 1, "rest_root": root}))
        elif self.platform == "blogger":
            reqs.append(self.request(urljoin(self.base, "/feeds/posts/default"), "blogger-posts-feed",
                                     self.on_blogger_posts, conditional=True, discovery=True))
        else:
            reqs.extend(self.feed_requests())
        if self.platform == "wordpress":
            reqs.append(self.request(urljoin(self.base, "/comments/feed/"), "site-comment-feed", self.on_site_comments,
                                     conditional=True, discovery=True, optional=True))
        elif self.platform == "blogger":
            reqs.append(self.request(urljoin(self.base, "/feeds/comments/default"), "site-comment-feed",
                                     self.on_site_comments, conditional=True, discovery=True, optional=True))
        for url in self.sitemap_urls():
            reqs.append(self.request(url, "sitemap", self.on_sitemap, conditional=True, discovery=True, optional=True))
        sent = [r for r in reqs if r is not None]
        yield from sent
        if not sent:
            yield from self.plan()

    def feed_requests(self) -> list[Request | None]:
        """Post feeds of a WordPress site without REST or of a generic site."""
        urls = [u for u in self.info.get("feeds") or [] if not feeds.is_comment_feed(feeds.DiscoveredFeed(u, ""))]
        if self.platform == "wordpress":
            urls = [urljoin(self.base, "/feed/")]
        return [self.request(u, "feed", self.on_feed, conditional=True, discovery=True, extra={"page": 1, "feed": u},
                             optional=self.platform != "wordpress") for u in urls[:3]]

    def sitemap_urls(self) -> list[str]:
        from_robots = [u for u in self.ctx.robots_sitemaps.get(self.netloc, []) if same_site(u, self.netloc)]
        if from_robots:
            return from_robots[:5]
        if self.platform == "wordpress":
            return [urljoin(self.base, "/wp-sitemap.xml")]
        return [urljoin(self.base, "/sitemap.xml")]

    def discovery_done(self) -> Iterator[Request]:
        self.discovery_pending -= 1
        if self.discovery_pending <= 0 and not self.planned:
            yield from self.plan()

    # -- WordPress REST
    @staticmethod
    def wp_posts_url(root: str, page: int, per_page: int = REST_PAGE_SIZE) -> str:
        return wordpress.rest_url(root, "wp/v2/posts", per_page=per_page, page=page, _embed=1)

    def on_wp_posts(self, response: Response) -> Iterator[Request]:
        meta = response.meta
        page, root = meta["page"], meta["rest_root"]
        narrowed = bool(meta.get("narrowed"))
        if response.status in (400,) and (page > 1 or narrowed):
            yield from self.discovery_done()  # past the last page
            return
        if page == 1 and not narrowed and response.status in (401, 403, 404, 410, 501):
            # REST disabled or hidden: use feeds, sitemaps and HTML instead.
            self.info["rest_ok"] = False
            self.use_rest = False
            self.notes.append(f"REST API unavailable ({response.status}); used feeds and HTML")
            self.ctx.state.save_site_info(self.id, self.info)
            yield from [r for r in self.feed_requests() if r is not None]
            yield from self.discovery_done()
            return
        status = self.status_of(response)
        posts: list[Any] | None = None
        if status == "error":
            yield from self.listing_failed(meta, response.request.url)
        elif status == "not_modified":
            self.listing_unchanged = True
        else:
            try:
                posts = wordpress.parse_rest_posts(response.body)
            except feeds.FeedParseError as exc:  # truncated or invalid JSON
                self.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                yield from self.listing_failed(meta, response.request.url)
        if posts is not None:
            self.listing_ok += 1
            if page == 1 and not narrowed:
                self.site_validators[response.request.url] = validators_of(response)
            if not narrowed and (page == 1 or meta.get("chain")):
                # Page 1 names the other pages; after a failed page 1, the first page that answers does.
                self.listing_pages = wordpress.total_pages(_total_pages_header(response)) or 1
                for n in range(page + 1, min(self.listing_pages, 1000) + 1):
                    req = self.request(self.wp_posts_url(root, n), "wp-rest-posts", self.on_wp_posts,
                                       discovery=True, extra={"page": n, "rest_root": root})
                    if req:
                        yield req
            with self.ctx.state.transaction():  # the page's posts in one commit
                for p in posts:
                    if not p.public or not p.url or not same_site(p.url, self.netloc):
                        continue
                    if p.protected:
                        self.protected_skipped += 1
                        continue
                    comment_url = wordpress.rest_url(root, "wp/v2/comments", post=p.post_id, per_page=100, page=1)
                    self.discover(p.url, platform_post_id=p.post_id, mode="wp-rest", comment_url=comment_url,
                                  modified_at=p.modified_at, meta={
                                      "title": p.title, "author": p.author, "published_at": p.published_at,
                                      "modified_at": p.modified_at, "platform_post_id": p.post_id,
                                      "categories": list(p.categories), "tags": list(p.tags),
                                      "content_html": p.content_html, "source": "wp-rest", "url": p.url,
                                      "comment_status": p.comment_status,
                                      "published_utc_offset_minutes": p.published_utc_offset_minutes})
        yield from self.discovery_done()

    # -- a failing post listing page: retried by Scrapy, then narrowed, then HTML
    def listing_failed(self, meta: dict[str, Any], url: str) -> Iterator[Request]:
        """A post listing page failed after Scrapy's retries (5xx, 4xx, timeout, invalid body).

        Its items are asked again in smaller pages (100 -> 10 -> 2 -> 1 on WordPress, 25 -> 5 -> 1
        on Blogger) so one post that breaks the API costs only itself; an item that fails alone is
        a gap, filled from the HTML pages that sitemaps name (see :meth:`plan`). Listing
        validators are then not stored, so the next run lists the site in full again.
        """
        self.discovery_failed = True
        self.listing_failures += 1
        if self.listing_failures > LISTING_FAILURE_BUDGET and not self.listing_ok:
            self.listing_gap("the API failed on every listing page asked; read the site from sitemaps and HTML")
            return
        if meta["kind"] == "wp-rest-posts":
            yield from self.narrow_wp_listing(meta)
        else:
            yield from self.narrow_blogger_listing(meta, url)

    def narrow_wp_listing(self, meta: dict[str, Any]) -> Iterator[Request]:
        page, root = meta["page"], meta["rest_root"]
        size = meta.get("per_page", REST_PAGE_SIZE)
        if not meta.get("narrowed") and self.listing_pages is None:
            # The page that says how many pages there are failed: go on one page at a time.
            yield from self.listing_request(self.wp_posts_url(root, page + 1), "wp-rest-posts", self.on_wp_posts,
                                            {"page": page + 1, "rest_root": root, "chain": True})
        if size <= 1:
            self.listing_gap()
            return
        child = narrower_size(size)
        first = (page - 1) * size // child + 1
        for n in range(first, first + size // child):
            yield from self.listing_request(self.wp_posts_url(root, n, child), "wp-rest-posts", self.on_wp_posts,
                                            {"page": n, "per_page": child, "rest_root": root, "narrowed": True})

    def narrow_blogger_listing(self, meta: dict[str, Any], url: str) -> Iterator[Request]:
        start, size = blogger_window(url)
        feed = urljoin(self.base, "/feeds/posts/default")
        if not meta.get("narrowed"):
            # A failed page cannot name the next one: ask it at the same size (past the end is empty).
            yield from self.listing_request(blogger_window_url(feed, start + size, size), "blogger-posts-feed",
                                            self.on_blogger_posts, {})
        if size <= 1:
            self.listing_gap()
            return
        child = narrower_size(size)
        for first in range(start, start + size, child):
            yield from self.listing_request(blogger_window_url(feed, first, child), "blogger-posts-feed",
                                            self.on_blogger_posts, {"narrowed": True})

    def listing_request(self, url: str, kind: str, callback: Any, extra: dict[str, Any]) -> Iterator[Request]:
        req = self.request(url, kind, callback, discovery=True, extra=extra)
        if req:
            yield req

    def listing_gap(self, note: str = GAP_NOTE) -> None:
        """Posts the API could not list: :meth:`plan` takes the sitemap's other URLs as candidates."""
        if not self.api_gap:
            self.api_gap = True
        if note not in self.notes:
            self.notes.append(note)

    # -- feeds (WordPress without REST, generic)
    def on_feed(self, response: Response) -> Iterator[Request]:
        meta = response.meta
        page = meta.get("page", 1)
        status = self.status_of(response)
        if status == "not_modified":
            self.listing_unchanged = True
        elif status == "ok":
            if page == 1:
                self.site_validators[response.request.url] = validators_of(response)
            try:
                feed = feeds.parse_feed(response.body, response.url)
            except feeds.FeedParseError as exc:
                self.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                feed = None
            new = 0
            mode = "html-wp" if self.platform == "wordpress" else "html-generic"
            with self.ctx.state.transaction():  # the page's posts in one commit
                for e in feed.entries if feed else ():
                    if not e.url or not same_site(e.url, self.netloc) or trap_reason(e.url):
                        continue
                    pid = wordpress.post_id_from_shortlink(e.entry_id or "") if self.platform == "wordpress" else None
                    new += canonical_url(e.url) not in self.posts
                    self.discover(e.url, platform_post_id=pid, mode=mode, modified_at=e.updated, meta={
                        "title": e.title, "author": e.author, "published_at": feeds.to_utc_iso(e.published),
                        "modified_at": feeds.to_utc_iso(e.updated), "platform_post_id": pid,
                        "categories": list(e.categories), "content_html": e.content_html, "source": "feed",
                        "url": e.url, "published_utc_offset_minutes": e.published_utc_offset_minutes})
            nxt = None
            if feed and feed.entries and new and page < 200:
                if feed.next_url and same_site(feed.next_url, self.netloc):
                    nxt = feed.next_url
                elif self.platform == "wordpress":
                    base_feed = meta.get("feed") or response.url
                    nxt = f"{base_feed}{'&' if '?' in base_feed else '?'}paged={page + 1}"
            if nxt:
                req = self.request(nxt, "feed", self.on_feed, discovery=True, optional=True,
                                   extra={"page": page + 1, "feed": meta.get("feed")})
                if req:
                    yield req
        yield from self.discovery_done()

    # -- Blogger
    def on_blogger_posts(self, response: Response) -> Iterator[Request]:
        first = response.request.url == urljoin(self.base, "/feeds/posts/default")
        if first and response.status in (401, 403):
            # The feed API is closed to anonymous readers: sitemaps, archive pages and HTML instead.
            self.api_closed = True
            self.notes.append(f"Blogger feed API closed ({response.status}); used sitemaps and HTML")
            yield from self.discovery_done()
            return
        status = self.status_of(response)
        page = None
        if status == "error":
            yield from self.listing_failed(response.meta, response.request.url)
        elif status == "not_modified":
            self.listing_unchanged = True
        else:
            try:
                page = blogger.parse_posts_feed(response.body, response.url)
                blogger.check_complete(response.body)
            except feeds.FeedParseError as exc:  # truncated or invalid XML
                self.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                page = None
                yield from self.listing_failed(response.meta, response.request.url)
        if page is not None:
            self.listing_ok += 1
            if first:
                self.site_validators[response.request.url] = validators_of(response)
            with self.ctx.state.transaction():  # the page's posts in one commit
                for p in page.items if page else ():
                    if not p.url or not same_site(p.url, self.netloc):
                        continue
                    comments = p.comments_feed_url
                    if not comments or not same_site(comments, self.netloc):
                        comments = blogger.comments_feed_url(self.base, p.post_id)
                    self.discover(p.url, platform_post_id=p.post_id, mode="blogger-feed", comment_url=comments,
                                  modified_at=p.updated_at, meta={
                                      "title": p.title, "author": p.author, "published_at": p.published_at,
                                      "modified_at": p.updated_at, "platform_post_id": p.post_id,
                                      "categories": list(p.labels), "content_html": p.content_html,
                                      "source": "blogger-feed", "url": p.url,
                                      "published_utc_offset_minutes": p.published_utc_offset_minutes})
            # Narrowed pages cover one failed page's window: its next page is asked apart.
            nxt = None if response.meta.get("narrowed") else blogger.next_page_url(response.url, page, self.netloc)
            if nxt:
                req = self.request(nxt, "blogger-posts-feed", self.on_blogger_posts, discovery=True)
                if req:
                    yield req
        yield from self.discovery_done()

    # -- the site-wide comment feed: "was anything said since the last run?"
    def on_site_comments(self, response: Response) -> Iterator[Request]:
        status = self.status_of(response)
        if status == "ok":
            current = validators_of(response)
            previous = self.ctx.state.validators(response.request.url)
            self.site_validators[response.request.url] = current
            if previous is not None and previous.content_hash != current.content_hash:
                self.read_comment_signal(response)
        yield from self.discovery_done()

    def read_comment_signal(self, response: Response) -> None:
        pairs: list[tuple[str | None, str | None]] = []
        try:
            if self.platform == "blogger":
                for c in blogger.parse_comments_feed(response.body, response.url).items:
                    post_url = c.post_url
                    pairs.append((canonical_url(post_url) if post_url else None, c.comment_id))
            else:
                for c in wordpress.parse_comment_feed(response.body, response.url):
                    pairs.append((canonical_url(c.post_url) if c.post_url else None, c.comment_id))
        except feeds.FeedParseError:
            self.sweep = True
            return
        unknown = [(p, c) for p, c in pairs if p and c and c not in self.ctx.state.comment_keys(p)]
        for post_url, _ in unknown:
            self.commented.add(post_url)
        if not unknown or len(unknown) == len(pairs):
            # Changed but nothing new visible, or the feed window may have overflowed: check
            # every known post's comments conditionally (cheap 304s when unchanged).
            self.sweep = True

    # -- sitemaps
    def on_sitemap(self, response: Response) -> Iterator[Request]:
        status = self.status_of(response)
        if status == "ok":
            self.site_validators[response.request.url] = validators_of(response)
            try:
                sm = feeds.parse_sitemap(response.body)
            except feeds.FeedParseError as exc:
                self.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                sm = feeds.Sitemap()
            children = [c.loc for c in sm.sitemaps if same_site(c.loc, self.netloc)]
            posts_children = [c for c in children if "post" in c.rsplit("/", 1)[-1]]
            for child in (posts_children or children)[:20]:
                req = self.request(child, "sitemap", self.on_sitemap, conditional=True, discovery=True, optional=True)
                if req:
                    yield req
            for u in sm.urls:
                if not same_site(u.loc, self.netloc) or trap_reason(u.loc):
                    continue
                if u.lastmod:
                    self.sitemap_lastmod[canonical_url(u.loc)] = u.lastmod
                self.sitemap_locs.append(u.loc)
        yield from self.discovery_done()

    # -- HTML archive pages (generic fallback)
    def on_archive(self, response: Response) -> Iterator[Request]:
        status = self.status_of(response)
        if status == "ok" and hasattr(response, "text"):
            depth = response.meta.get("depth_n", 0)
            links, nxt = _archive_links(response.text, response.url)
            for link in links:
                if same_site(link, self.netloc) and not trap_reason(link) and canonical_url(link) not in self.posts:
                    self.discover(link, platform_post_id=None, mode=self.html_post_mode(),
                                  meta={"source": "html", "url": link}, candidate=True)
            if nxt and same_site(nxt, self.netloc) and not trap_reason(nxt) and depth < 200:
                req = self.request(nxt, "archive-page", self.on_archive, discovery=True,
                                   extra={"depth_n": depth + 1})
                if req:
                    yield req
        yield from self.discovery_done()

    # ------------------------------------------------------------------ posts
    def discover(self, url: str, *, platform_post_id: str | None, mode: str, meta: dict[str, Any],
                 comment_url: str | None = None, modified_at: str | None = None, candidate: bool = False) -> None:
        key = canonical_url(url)
        task = self.posts.get(key)
        if task is not None:
            if not candidate and task.candidate:  # a listing confirms a sitemap candidate
                task.candidate = False
                task.meta = meta
                task.mode = mode
                task.platform_post_id = platform_post_id or task.platform_post_id
            return
        task = PostTask(url=key, page_url=url, platform_post_id=platform_post_id, meta=meta, mode=mode,
                        comment_url=comment_url, modified_at=modified_at, candidate=candidate)
        self.posts[key] = task
        if not candidate:
            self.ctx.state.upsert_discovered(
                self.id, key, platform_post_id=platform_post_id, page_url=url,
                meta={"meta": meta, "mode": mode, "comment_url": comment_url, "modified_at": modified_at},
                published_at=meta.get("published_at"), now=self.ctx.now_iso())

    def html_mode(self) -> bool:
        """Posts come from feeds, sitemaps and HTML (no REST API, generic, or an API closed to us)."""
        return self.platform == "generic" or (self.platform == "wordpress" and not self.use_rest) or self.api_closed

    def html_post_mode(self) -> str:
        """The comment mode of a post read from its HTML page."""
        return {"wordpress": "html-wp", "blogger": "html-blogger"}.get(self.platform, "html-generic")

    def plan(self) -> Iterator[Request]:
        """Decide what to fetch for every known post, once discovery is complete."""
        if self.html_mode() or self.api_gap:
            mode = self.html_post_mode()
            # A gap in the API: sitemap URLs not known as posts may be the posts it could not list.
            known = {p.url for p in self.ctx.state.posts(self.id)} if self.api_gap and not self.html_mode() else set()
            for loc in self.sitemap_locs:
                path = urlsplit(loc).path
                if path not in ("", "/") and not path.endswith("/feed") and not any(s in path for s in _NON_POST_PATH) \
                        and canonical_url(loc) not in known:
                    self.discover(loc, platform_post_id=None, mode=mode, meta={"source": "html", "url": loc},
                                  candidate=True)
            if not self.archive_walked and not self.posts and self.home_html is not None \
                    and not self.ctx.state.posts(self.id):
                # No feed and no sitemap named a post: walk the HTML archive from the home page.
                self.archive_walked = True
                links, nxt = _archive_links(self.home_html, self.config.url)
                for link in links:
                    if same_site(link, self.netloc) and not trap_reason(link):
                        self.discover(link, platform_post_id=None, mode=mode, meta={"source": "html", "url": link},
                                      candidate=True)
                if nxt and same_site(nxt, self.netloc) and not trap_reason(nxt):
                    req = self.request(nxt, "archive-page", self.on_archive, discovery=True, extra={"depth_n": 1})
                    if req:
                        yield req
                        return
        self.planned = True
        now = self.ctx.now
        offsets = tuple(self.ctx.settings.revisit_after_days)
        known = {p.url: p for p in self.ctx.state.posts(self.id)}
        # Posts in the state but not in this run's listings (unchanged listing, or older pages).
        for url, st in known.items():
            if st.meta.get("not_post"):
                if url in self.posts and not (self.sitemap_lastmod.get(url) and
                                              self.sitemap_lastmod.get(url) != st.lastmod):
                    del self.posts[url]
                continue
            if url not in self.posts:
                stored = st.meta
                self.posts[url] = PostTask(url=url, page_url=st.page_url or url, platform_post_id=st.platform_post_id,
                                           meta=stored.get("meta", {}), mode=stored.get("mode", "html-generic"),
                                           comment_url=stored.get("comment_url"), modified_at=st.modified_at)
        new_budget = self.max_posts
        for url, task in list(self.posts.items()):
            st = known.get(url)
            lastmod = self.sitemap_lastmod.get(url)
            task.lastmod = lastmod or (st.lastmod if st else None)
            if st is None or not st.complete:
                action = "full"
            elif (task.modified_at and st.modified_at and task.modified_at != st.modified_at) or (
                    lastmod and st.lastmod and lastmod != st.lastmod):
                action = "full"
            elif url in self.commented:
                action = "comments"
            elif self.sweep or is_due(st.published_at or task.meta.get("published_at"), st.last_visit, now, offsets):
                action = "revisit"
            else:
                continue
            # max_posts caps first fetches (posts never completed, this run's new ones included);
            # the rest follow in later runs. Known posts that changed are always fetched.
            if action == "full" and not (st is not None and st.complete) and not task.candidate:
                if new_budget is not None:
                    if new_budget <= 0:
                        continue
                    new_budget -= 1
            task.action = action
            yield from self.start_task(task, previously_complete=bool(st and st.complete))
        yield from self.maybe_finish()

    def start_task(self, task: PostTask, previously_complete: bool) -> Iterator[Request]:
        task.started = True
        reqs: list[Request | None] = []
        html_mode = task.mode.startswith("html-")
        if task.action == "full" or (html_mode and task.action in ("comments", "revisit")):
            conditional = previously_complete and task.action != "comments"
            reqs.append(self.request(task.page_url, "post-page", self.on_post_page, post=task,
                                     conditional=conditional))
        if task.comment_url and task.mode in ("wp-rest", "blogger-feed"):
            kind = "wp-rest-comments" if task.mode == "wp-rest" else "blogger-comment-feed"
            callback = self.on_wp_comments if task.mode == "wp-rest" else self.on_blogger_comments
            conditional = previously_complete and task.action in ("full", "revisit")
            reqs.append(self.request(task.comment_url, kind, callback, post=task, conditional=conditional,
                                     extra={"page": 1}))
        sent = [r for r in reqs if r is not None]
        yield from sent
        if not sent:
            self.hold(task)
            yield from self.task_done(task)

    def on_post_page(self, response: Response) -> Iterator[Request]:
        task: PostTask = response.meta["task"]
        task.page_seen = True
        status = self.status_of(response)
        if status == "error":
            if response.status >= 500 or response.status in (408, 429):
                self.task_failed(task, response.request.url, "post-page", response.meta.get(REJECTED_KEY, "error"))
            self.post_page_done(response.meta, POST_PAGE_REJECTED, response.meta.get(REJECTED_KEY, "error"))
        elif status == "not_modified":
            self.post_page_done(response.meta, POST_PAGE_SKIPPED, "not_modified")
        elif not hasattr(response, "text"):
            # An image, PDF or other binary where the listing promised a post page.
            self.reject(response.url, "not_html", status=response.status,
                        detail=f"post page answered {response.headers.get('Content-Type', b'?').decode('latin-1')}")
            self.post_page_done(response.meta, POST_PAGE_REJECTED, "not_html")
        else:
            task.validators[response.request.url] = validators_of(response)
            html = page_text(response)
            fetched = response.meta.get("fetched_at") or self.ctx.now_iso()
            # The page's third-party comment system is detected by the writer (crawl.sink).
            if not assemble.accept_post_page(html, self.platform, task.candidate):
                # Password-protected, or an archive/static page listed in the sitemap: remember it
                # as "not a post" so later runs skip it unless its sitemap lastmod changes.
                protected = assemble._password_protected(html)
                if protected:
                    self.protected_skipped += 1
                self.post_page_done(response.meta, POST_PAGE_SKIPPED, "protected" if protected else "not_a_post")
                task.candidate = False
                self.ctx.state.upsert_discovered(self.id, task.url, platform_post_id=None, page_url=task.page_url,
                                                 meta={"not_post": True, "mode": task.mode}, published_at=None,
                                                 now=self.ctx.now_iso())
            else:
                if task.candidate:
                    task.candidate = False
                    self.ctx.state.upsert_discovered(
                        self.id, task.url, platform_post_id=task.platform_post_id, page_url=task.page_url,
                        meta={"meta": task.meta, "mode": task.mode, "comment_url": task.comment_url,
                              "modified_at": task.modified_at},
                        published_at=task.meta.get("published_at"), now=self.ctx.now_iso())
                self.emit_post(task, html, fetched, response.status, response.url, response.meta)
                if task.mode.startswith("html-") or task.feed_failed:
                    task.html = None
                    yield from self.html_comments(task, html, response.url, fetched)
                elif task.mode in ("blogger-feed", "wp-rest"):
                    task.html = html  # kept until the comment API answered, for its HTML fallback
        yield from self.task_done(task)

    def on_comment_page(self, response: Response) -> Iterator[Request]:
        task: PostTask = response.meta["task"]
        status = self.status_of(response)
        if status == "error":
            self.task_failed(task, response.request.url, "comment-page", response.meta.get(REJECTED_KEY, "error"))
        elif status == "ok" and hasattr(response, "text"):
            fetched = response.meta.get("fetched_at") or self.ctx.now_iso()
            yield from self.html_comments(task, page_text(response), response.url, fetched)
        yield from self.task_done(task)

    def html_comments(self, task: PostTask, html: str, page_url: str, fetched: str) -> Iterator[Request]:
        mode = task.mode if task.mode.startswith("html-") else (
            "html-blogger" if self.platform == "blogger" else "html-wp")
        self.emit_comments(task, assemble.comments_from_html(mode, html, site_id=self.id, post_url=task.url,
                                                             page_url=page_url, fetched_at=fetched))
        if mode == "html-blogger":
            pages = html_threads.blogger_comment_pages(html, page_url)
        else:
            pages = html_threads.wordpress_comment_pages(html, page_url)
        for page in pages:
            if same_site(page, self.netloc) and page not in task.requested and page != task.page_url:
                task.requested.add(page)
                req = self.request(page, "comment-page", self.on_comment_page, post=task,
                                   extra={"archive_meta": {"mode": mode, "platform_post_id": task.platform_post_id}})
                if req:
                    yield req

    def on_wp_comments(self, response: Response) -> Iterator[Request]:
        task: PostTask = response.meta["task"]
        page = response.meta.get("page", 1)
        if response.status == 400 and page > 1:
            yield from self.task_done(task)
            return
        status = self.status_of(response)
        if status == "error":
            yield from self.comments_fallback(task)
        elif status == "ok":
            if page == 1:
                task.validators[response.request.url] = validators_of(response)
            fetched = response.meta.get("fetched_at") or self.ctx.now_iso()
            # Parsed and written by the writer process (a parse error fails the post there).
            self.ctx.sink.send("rest_comments", self.id, task.url, response.url, response.status, response.body,
                               fetched, task.platform_post_id)
            if page == 1:
                pages = wordpress.total_pages(_total_pages_header(response)) or 1
                for n in range(2, min(pages, 1000) + 1):
                    url = _with_page(response.request.url, n)
                    req = self.request(url, "wp-rest-comments", self.on_wp_comments, post=task, extra={"page": n})
                    if req:
                        yield req
        yield from self.task_done(task)

    def on_blogger_comments(self, response: Response) -> Iterator[Request]:
        task: PostTask = response.meta["task"]
        first = response.request.url == task.comment_url
        status = self.status_of(response)
        if status == "error":
            yield from self.comments_fallback(task)
        elif status == "ok":
            if first:
                task.validators[response.request.url] = validators_of(response)
            fetched = response.meta.get("fetched_at") or self.ctx.now_iso()
            try:
                page = blogger.parse_comments_feed(response.body, response.url)
                blogger.check_complete(response.body)
            except feeds.FeedParseError as exc:
                self.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                page = None
            if page is not None:
                self.emit_comments(task, assemble.comments_from_blogger_feed(
                    response.body, site_id=self.id, post_url=task.url, fetched_at=fetched, base_url=response.url))
                nxt = blogger.next_page_url(response.url, page, self.netloc)
                if nxt:
                    req = self.request(nxt, "blogger-comment-feed", self.on_blogger_comments, post=task)
                    if req:
                        yield req
            else:
                yield from self.comments_fallback(task)
        yield from self.task_done(task)

    def comments_fallback(self, task: PostTask) -> Iterator[Request]:
        """The comment API (REST comments, Blogger comment feed) failed: read the post's HTML comment pages.

        Comments already read from the API are dropped by the writer (same keys), so a fallback
        after page 1 of the API adds only what was missing.
        """
        if task.feed_failed:
            return  # a second failing API page of the same post: the HTML pages are already asked
        task.feed_failed = True
        self.notes.append("the comment API failed for some posts; used their HTML comment pages")
        if task.html is not None:
            html, task.html = task.html, None
            yield from self.html_comments(task, html, task.page_url, self.ctx.now_iso())
        elif task.page_url not in self.requested:
            req = self.request(task.page_url, "post-page", self.on_post_page, post=task)
            if req:
                yield req
        elif task.page_seen:
            # The page answered without a body to read (304 or an error): next run reads it again.
            self.task_failed(task, task.comment_url or task.page_url, "comments", "comment_api_and_page_failed")
        # else the page is in flight and on_post_page reads its comments (feed_failed is set)

    def task_failed(self, task: PostTask, url: str, kind: str, reason: str) -> None:
        """A page of the post could not be read: the post stays incomplete and the failure is recorded."""
        task.failed = True
        self.ctx.state.record_failure(self.id, url, post_url=task.url, kind=kind, reason=reason,
                                      now=self.ctx.now_iso())
        self.open_failures.add(task.url)
        self.ctx.stats.failed_item(self.id)

    # ------------------------------------------------------------------ records (written by the sink)
    def emit_post(self, task: PostTask, html: str, fetched: str, status: int, page_url: str,
                  meta: dict[str, Any]) -> None:
        """Send the post page to the writer; its report says whether it was emitted or unchanged."""
        self.ctx.sink.send("post_page", self.id, meta.get(POST_PAGE_KEY, -1), task.url, {
            "platform": self.platform, "source": task.meta.get("source", "html"), "fetched_at": fetched,
            "html": html, "meta": task.meta, "comment_system": task.comment_system, "http_status": status,
            "page_url": page_url})

    def emit_comments(self, task: PostTask, comments: Iterable[Any]) -> None:
        """Send parsed comments to the writer, which drops those already written (this run or before)."""
        self.ctx.sink.send("comments", self.id, task.url, list(comments))

    def hold(self, task: PostTask) -> None:
        """One more answer the task waits for (``task_done`` releases it)."""
        task.pending += 1
        if task.pending == 1:
            self.open_tasks += 1

    def task_done(self, task: PostTask) -> Iterator[Request]:
        task.pending -= 1
        if task.pending > 0:
            return
        if task.pending == 0:
            self.open_tasks -= 1
        complete = None
        if not task.failed and task.url in self.open_failures:
            # Read in full this time: the failures earlier runs recorded for it are over.
            self.open_failures.discard(task.url)
            self.ctx.state.clear_failures(task.url)
        if not task.failed and not task.candidate:
            complete = {"validators": {u: validators_tuple(v) for u, v in task.validators.items()},
                        "now": self.ctx.now_iso(), "modified_at": task.modified_at, "lastmod": task.lastmod}
        # After every record of the post in the writer's queue: "complete" is never ahead of them.
        self.ctx.sink.send("post_done", task.url, complete)
        task.html = None
        yield from self.maybe_finish()

    def maybe_finish(self) -> Iterator[Request]:
        if self.finished or not self.planned or self.discovery_pending > 0:
            return
        if self.open_tasks > 0:  # a counter: checking every task here made a crawl O(posts^2)
            return
        self.finish()
        yield from ()

    def finish(self) -> None:
        """Every request of the site is answered: store listing validators and the site record."""
        if self.finished:
            return
        self.finished = True
        if not self.discovery_failed and self.planned:
            self.ctx.sink.send("site_done", self.id,
                               {u: validators_tuple(v) for u, v in self.site_validators.items()},
                               self.info, self.ctx.now_iso())
        self.emit_site()

    def emit_site(self, interrupted: bool = False) -> None:
        notes = list(dict.fromkeys(self.notes))
        if self.protected_skipped:
            notes.append(f"{self.protected_skipped} password-protected post(s) skipped (text and comments hidden)")
        if self.discovery_failed:
            notes.append("some listings failed; the next run lists the site again")
        if interrupted:
            notes.append("crawl stopped before the site was finished")
        # The writer adds the comment systems it saw on post pages to the home page's and names
        # the most common one.
        self.ctx.sink.send("site_row", self.id, {"site_id": self.id, "url": self.config.url, "platform": self.platform,
                                                "notes": "; ".join(notes)}, dict(self.comment_systems))
        self.ctx.progress(self.id, force=True)


def page_text(response: Response) -> str:
    """A post or comment page as text, decoded from its bytes as ``blogscope extract`` decodes them.

    Not ``response.text``: Scrapy trusts the declared charset, so Windows-1252 bytes served as
    UTF-8 became U+FFFD and UTF-8 served as ISO-8859-1 became mojibake (issue 18). The page's
    bytes (the ones the archive keeps) decide, with one function for every path.
    """
    return html_to_unicode(response.body)[0]


def _archive_links(html: str, url: str) -> tuple[list[str], str | None]:
    """Post links and the next-page link of an archive/home page."""
    from lxml import html as lxml_html

    try:
        doc = lxml_html.document_fromstring(html)
    except Exception:  # noqa: BLE001
        return [], None
    links = []
    for href in doc.xpath("//*[contains(@class,'entry-title') or contains(@class,'post-title')]//a/@href"
                          " | //article//a[@rel='bookmark']/@href | //h2/a/@href"):
        absolute = html_threads.absolute_link(url, href)  # None for hrefs urllib refuses
        if absolute is not None and absolute not in links:
            links.append(absolute)
    nxt = (doc.xpath("//a[@rel='next']/@href") or doc.xpath("//link[@rel='next']/@href")
           or doc.xpath("//a[contains(concat(' ', normalize-space(@class), ' '), ' next ')]/@href")
           or doc.xpath("//a[contains(@class,'blog-pager-older-link')]/@href"))
    return links, html_threads.absolute_link(url, nxt[0]) if nxt else None


def narrower_size(size: int) -> int:
    """The page size a failed listing page is asked again in: at most its square root, dividing ``size``.

    100 -> 10 -> 2 -> 1 and 25 -> 5 -> 1: one broken item costs a few requests per level, and the
    children's pages line up with the parent's window.
    """
    child = max(1, math.isqrt(size))
    while size % child:
        child -= 1
    return child


def blogger_window(url: str) -> tuple[int, int]:
    """``start-index`` and ``max-results`` of a Blogger feed URL (Blogger's defaults when absent)."""
    query = dict(parse_qsl(urlsplit(url).query))
    try:
        return int(query.get("start-index", 1)), int(query.get("max-results", BLOGGER_PAGE_SIZE))
    except ValueError:
        return 1, BLOGGER_PAGE_SIZE


def blogger_window_url(feed: str, start: int, size: int) -> str:
    """The post feed from item ``start`` (1-based), ``size`` items, as ``next_page_url`` writes it."""
    return f"{feed}?{urlencode({'start-index': start, 'max-results': size})}"


def _with_page(url: str, page: int) -> str:
    """The same REST URL asking for another ``page``."""
    import re

    if re.search(r"([?&])page=\d+", url):
        return re.sub(r"([?&])page=\d+", lambda m: f"{m.group(1)}page={page}", url, count=1)
    return f"{url}{'&' if '?' in url else '?'}page={page}"


def _failure_reason(exc: BaseException) -> tuple[str, str]:
    from crawl.middlewares import Refused

    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, Refused):
        return exc.reason, exc.detail
    low = text.lower()
    if "max size" in low or "maxsize" in low or "larger than download" in low:
        return "too_large", text[:300]
    if "timeout" in name.lower() or "timed out" in low or "took longer" in low:
        return "timeout", text[:300]
    if "dns" in name.lower() or "lookup" in name.lower() or "resolve" in name.lower():
        return "dns_or_blocked", text[:300]
    if "refused" in name.lower():
        return "connection_refused", text[:300]
    if "robots" in low:
        return "robots", text[:300]
    if name in ("ResponseNeverReceived", "ConnectionLost", "ConnectionDone", "ResponseFailed",
                "ResponseDataLossError", "DownloadFailedError"):
        return "connection_lost", f"{name}: {text[:300]}"
    return "error", f"{name}: {text[:300]}"


class BlogSpider(scrapy.Spider):
    """Crawls every configured site; the work lives in :class:`SiteRun`."""

    name = "blogscope"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ctx = context.current()
        self.runs = {s.id: SiteRun(self.ctx, s) for s in self.ctx.sites}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> BlogSpider:
        from scrapy import signals

        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> Any:
        for run in self.runs.values():
            for req in run.start_requests():
                yield req

    def on_closed(self, spider: Any, reason: str) -> None:
        for run in self.runs.values():
            if not run.finished:
                if run.planned and run.discovery_pending <= 0 and run.open_tasks <= 0:
                    run.finish()
                else:
                    run.emit_site(interrupted=True)
        # Wait for the writer to finish what it was sent; its report completes the accounting.
        report = self.ctx.sink.close()
        for site, token, bucket, why in report.post_pages:
            if site in self.runs:
                self.runs[site].post_page_done({POST_PAGE_KEY: token}, bucket, why)
        self.ctx.stats.add_written(report.items, report.rejected)
        for site, n in report.failed_items.items():
            self.ctx.stats.failed_item(site, n)
        for run in self.runs.values():
            run.close_post_pages()
