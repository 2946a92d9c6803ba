"""The crawl of one blog in one run: its state and bookkeeping, and the order of its phases.

A :class:`SiteRun` goes through three phases:

1. **home**: the start page (asked conditionally) tells the platform (``auto`` detection),
   the WordPress REST root and any third-party comment system.
2. **discovery** (:mod:`crawl.discovery`): listings (WordPress REST posts pages, RSS/Atom feed
   pages, Blogger's post feed), the site-wide comment feed and sitemaps (``lastmod``); every post
   found is recorded in the state at once.
3. **plan + fetch** (:mod:`crawl.plan`, :mod:`crawl.fetch`): for every known post decide what to
   fetch, and fetch it.

A post is *complete* when its page and all its comment pages were processed; only then are its
validators stored, so a kill at any moment leaves it incomplete and the next run fetches it in
full again. Records are written before the state notes them (re-emission is allowed, loss not).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from pipeline.ids import canonical_url
from pipeline.settings import SiteConfig

from crawl import plan
from crawl.context import CrawlContext
from crawl.discovery import blogger, wordpress
from crawl.discovery.blogger import BloggerFeeds
from crawl.discovery.feeds import CommentSignal, PostFeeds
from crawl.discovery.home import read_home
from crawl.discovery.html import HtmlArchive
from crawl.discovery.listing import ListingHealth
from crawl.discovery.sitemaps import Sitemaps
from crawl.discovery.wordpress import WordPressRest
from crawl.failures import classify_failure
from crawl.fetch import POST_PAGE_KEY, POST_PAGE_KIND, REJECTED_KEY, PostFetcher
from crawl.output import POST_PAGE_REJECTED, POST_PAGE_SKIPPED
from crawl.posts import ListedPost, PostTask
from crawl.responses import validators_of
from crawl.sink import rejected_row, validators_tuple
from crawl.state import Validators

# Post listings of the platform APIs: a failing page is narrowed (see crawl.discovery.listing).
LISTING_KINDS = (wordpress.POSTS_KIND, blogger.POSTS_KIND)
API_COMMENT_KINDS = (wordpress.COMMENTS_KIND, blogger.COMMENTS_KIND)
# Refused by policy: asking again (now or next run) changes nothing, so no fallback and no failure.
_POLICY_REASONS = ("robots", "trap", "offsite", "blocked_address", "scheme")


class SiteRun:
    """The crawl of one blog in one run: what is known, what is pending, what to report."""

    def __init__(self, ctx: CrawlContext, config: SiteConfig):
        self.ctx = ctx
        self.config = config
        self.id = config.id
        parts = urlsplit(config.url)
        self.netloc = parts.netloc.lower()
        self.base = f"{parts.scheme}://{parts.netloc}/"
        self.info: dict[str, Any] = ctx.state.site_info(self.id)
        self.platform = config.platform if config.platform != "auto" else self.info.get("platform", "generic")
        self.max_posts = config.max_posts
        self.posts: dict[str, PostTask] = {}
        self.requested: set[str] = set()
        self.site_validators: dict[str, Validators] = {}
        self.comment_systems: Counter[str] = Counter()
        self.notes: list[str] = []
        self.home_html: str | None = None
        self.protected_skipped = 0
        self.discovery_pending = 0
        self.discovery_failed = False
        self.planned = False
        self.finished = False
        self.use_rest = False
        self.api_closed = False  # the API refuses anonymous readers: sitemaps and HTML for the site
        self.listing_unchanged = False
        self.open_post_pages: dict[int, str] = {}  # post page requests without an outcome yet
        self._post_page_tokens = 0
        self.open_tasks = 0  # started tasks with requests pending (finish needs 0)
        # Posts with failures recorded by earlier runs: cleared when they complete.
        self.open_failures: set[str] = ctx.state.failed_posts(self.id)
        # The sources, each owning its requests and parsing, and the post fetcher.
        self.listings = ListingHealth(self.notes)
        self.wordpress = WordPressRest(self)
        self.blogger = BloggerFeeds(self)
        self.post_feeds = PostFeeds(self)
        self.comment_signal = CommentSignal(self)
        self.sitemaps = Sitemaps(self)
        self.archive = HtmlArchive(self)
        self.fetcher = PostFetcher(self)

    # ------------------------------------------------------------------ requests and answers
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
            meta["archive_meta"] = self.archive_meta(post, kind)
        if discovery:
            self.discovery_pending += 1
        if kind == POST_PAGE_KIND:
            # Run accounting: this request must end in exactly one bucket (post_page_done).
            self._post_page_tokens += 1
            meta[POST_PAGE_KEY] = self._post_page_tokens
            self.open_post_pages[self._post_page_tokens] = url
            self.ctx.stats.post_page_asked(self.id)
        meta.update(extra or {})
        return Request(url, callback=callback, errback=self.on_error, headers=headers, meta=meta,
                       dont_filter=True, priority=priority)

    def archive_meta(self, post: PostTask, kind: str) -> dict[str, Any]:
        """What the archive keeps about the post with the answer, so a replay builds the same records."""
        # After a comment API failure the post page is read for its HTML comments: say so, so
        # that a replay of the archive reads them too.
        mode = self.html_post_mode() if post.feed_failed else post.mode
        archive_meta = {"platform_post_id": post.platform_post_id, "mode": mode, "source": post.source}
        if kind == POST_PAGE_KIND:
            archive_meta.update(meta=post.listed.as_meta(), comment_system=post.comment_system,
                                is_post=not post.candidate)
        return archive_meta

    def start_requests(self) -> Iterator[Request]:
        req = self.request(self.config.url, "home", self.on_home, conditional=True, priority=10)
        if req:
            yield req

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

    def reject(self, url: str, reason: str, *, status: int | None = None, attempts: int = 1, detail: str = "") -> None:
        self.ctx.sink.send("emit", "rejected",
                           rejected_row(self.id, url, reason, status=status, attempts=attempts, detail=detail))
        self.ctx.stats.reject(self.id, reason)

    def on_error(self, failure: Any) -> Iterator[Request]:
        meta = failure.request.meta
        url = failure.request.url
        reason, detail = classify_failure(failure.value)
        if not (meta.get("optional") and reason in ("robots", "dead_link")):
            self.reject(url, reason, attempts=meta.get("retry_times", 0) + 1, detail=detail)
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
            elif kind in API_COMMENT_KINDS:
                yield from self.fetcher.comments_fallback(task)
            else:
                self.task_failed(task, url, str(kind), reason)
            yield from self.task_done(task)
        elif meta.get("discovery"):
            if kind in LISTING_KINDS and reason not in _POLICY_REASONS:
                yield from self.listing_failed(meta, url)
            elif not meta.get("optional"):
                self.discovery_failed = True
            yield from self.discovery_done()

    # ------------------------------------------------------------------ home and discovery
    def on_home(self, response: Response) -> Iterator[Request]:
        html = None
        if self.status_of(response) == "ok":
            self.site_validators[response.request.url] = validators_of(response)
            html = response.text if hasattr(response, "text") else None
        yield from self.after_home(html, response)

    def after_home(self, html: str | None, response: Response | None = None) -> Iterator[Request]:
        read_home(self, html, response)
        yield from self.start_discovery()

    def start_discovery(self) -> Iterator[Request]:
        """The listings of the site's platform, its comment feed and its sitemaps."""
        reqs: list[Request | None] = []
        if self.platform == "wordpress" and self.wordpress.usable():
            self.use_rest = True
            reqs.append(self.wordpress.start())
        elif self.platform == "blogger":
            reqs.append(self.blogger.start())
        else:
            reqs.extend(self.post_feeds.start())
        reqs.append(self.comment_signal.start())
        reqs.extend(self.sitemaps.start())
        sent = [r for r in reqs if r is not None]
        yield from sent
        if not sent:
            yield from plan.plan(self)

    def listing_failed(self, meta: dict[str, Any], url: str) -> Iterator[Request]:
        """A post listing page failed after Scrapy's retries (5xx, 4xx, timeout, invalid body)."""
        self.discovery_failed = True
        if not self.listings.page_failed():
            return
        if meta["kind"] == wordpress.POSTS_KIND:
            yield from self.wordpress.narrow(meta)
        else:
            yield from self.blogger.narrow(meta, url)

    def discovery_done(self) -> Iterator[Request]:
        self.discovery_pending -= 1
        if self.discovery_pending <= 0 and not self.planned:
            yield from plan.plan(self)

    def discover(self, url: str, listed: ListedPost, *, mode: str, comment_url: str | None = None,
                 modified_at: str | None = None, candidate: bool = False) -> None:
        """Record a post a source found (a candidate only becomes a post if its page looks like one)."""
        key = canonical_url(url)
        task = self.posts.get(key)
        if task is not None:
            if not candidate and task.candidate:  # a listing confirms a sitemap candidate
                task.candidate = False
                task.listed = listed
                task.mode = mode
                task.platform_post_id = listed.platform_post_id or task.platform_post_id
            return
        task = PostTask(url=key, page_url=url, platform_post_id=listed.platform_post_id, listed=listed, mode=mode,
                        comment_url=comment_url, modified_at=modified_at, candidate=candidate)
        self.posts[key] = task
        if not candidate:
            self.ctx.state.upsert_discovered(self.id, key, platform_post_id=listed.platform_post_id, page_url=url,
                                             meta=task.state_meta(), published_at=listed.published_at,
                                             now=self.ctx.now_iso())

    def html_mode(self) -> bool:
        """Posts come from feeds, sitemaps and HTML (no REST API, generic, or an API closed to us)."""
        return self.platform == "generic" or (self.platform == "wordpress" and not self.use_rest) or self.api_closed

    def html_post_mode(self) -> str:
        """The comment mode of a post read from its HTML page."""
        return {"wordpress": "html-wp", "blogger": "html-blogger"}.get(self.platform, "html-generic")

    # ------------------------------------------------------------------ posts: bookkeeping
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

    def task_failed(self, task: PostTask, url: str, kind: str, reason: str) -> None:
        """A page of the post could not be read: the post stays incomplete and the failure is recorded."""
        task.failed = True
        self.ctx.state.record_failure(self.id, url, post_url=task.url, kind=kind, reason=reason,
                                      now=self.ctx.now_iso())
        self.open_failures.add(task.url)
        self.ctx.stats.failed_item(self.id)

    def post_page_done(self, meta: dict[str, Any], bucket: str, reason: str = "") -> None:
        """Count where one post page request ended (once; later calls for it are ignored)."""
        if self.open_post_pages.pop(meta.get(POST_PAGE_KEY, -1), None) is not None:
            self.ctx.stats.post_page(self.id, bucket, reason)

    def close_post_pages(self) -> None:
        """The crawl stopped: post pages still waiting for an answer are skipped, ``interrupted``."""
        for _token in list(self.open_post_pages):
            self.ctx.stats.post_page(self.id, POST_PAGE_SKIPPED, "interrupted")
        self.open_post_pages.clear()

    # ------------------------------------------------------------------ the end of the site
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
