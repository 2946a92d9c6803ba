"""Blogger: the post feed (``/feeds/posts/default``) and each post's comment feed.

Payloads are parsed by :mod:`pipeline.sources.blogger`; the feed windows (``start-index``,
``max-results``), the narrowing of a failed page and the fallbacks are decided here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from pipeline.sources import assemble, blogger, feeds

from crawl.discovery.listing import narrower_size, read_listing
from crawl.posts import ListedPost, PostTask
from crawl.responses import validators_of
from crawl.traps import same_site

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

POSTS_KIND = "blogger-posts-feed"
COMMENTS_KIND = "blogger-comment-feed"
BLOGGER_PAGE_SIZE = 25  # Blogger's default max-results when the URL names none
NARROWED_KEY = "narrowed"  # request meta: a smaller window inside a failed page
# The post feed answering one of these: closed to anonymous readers, sitemaps and HTML take over.
CLOSED_STATUSES = (401, 403)


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


def listed_post(p: Any) -> ListedPost:
    return ListedPost(source="blogger-feed", url=p.url, title=p.title, author=p.author, published_at=p.published_at,
                      modified_at=p.updated_at, platform_post_id=p.post_id, categories=tuple(p.labels),
                      content_html=p.content_html, published_utc_offset_minutes=p.published_utc_offset_minutes)


def _posts_page(response: Response) -> blogger.Page:
    """A page of the post feed; a feed cut short raises ``FeedParseError`` (asked again)."""
    page = blogger.parse_posts_feed(response.body, response.url)
    blogger.check_complete(response.body)
    return page


class BloggerFeeds:
    """The post and comment feeds of one Blogger blog."""

    def __init__(self, run: SiteRun):
        self.run = run

    @property
    def posts_feed(self) -> str:
        return urljoin(self.run.base, "/feeds/posts/default")

    def start(self) -> Request | None:
        return self.run.request(self.posts_feed, POSTS_KIND, self.on_posts, conditional=True, discovery=True)

    def ask(self, url: str, narrowed: bool = False) -> Iterator[Request]:
        req = self.run.request(url, POSTS_KIND, self.on_posts, discovery=True,
                               extra={NARROWED_KEY: True} if narrowed else None)
        if req:
            yield req

    # ------------------------------------------------------------------ listing
    def on_posts(self, response: Response) -> Iterator[Request]:
        run = self.run
        first = response.request.url == self.posts_feed
        if first and response.status in CLOSED_STATUSES:
            # The feed API is closed to anonymous readers: sitemaps, archive pages and HTML instead.
            run.api_closed = True
            run.notes.append(f"Blogger feed API closed ({response.status}); used sitemaps and HTML")
            yield from run.discovery_done()
            return
        page = yield from read_listing(run, response, _posts_page)
        if page is not None:
            if first:
                run.site_validators[response.request.url] = validators_of(response)
            self.list_posts(page.items)
            # Narrowed pages cover one failed page's window: its next page is asked apart.
            nxt = None if response.meta.get(NARROWED_KEY) else blogger.next_page_url(response.url, page, run.netloc)
            if nxt:
                yield from self.ask(nxt)
        yield from run.discovery_done()

    def list_posts(self, items: Any) -> None:
        run = self.run
        with run.ctx.state.transaction():  # the page's posts in one commit
            for p in items:
                if not p.url or not same_site(p.url, run.netloc):
                    continue
                comments = p.comments_feed_url
                if not comments or not same_site(comments, run.netloc):
                    comments = blogger.comments_feed_url(run.base, p.post_id)
                run.discover(p.url, listed_post(p), mode="blogger-feed", comment_url=comments,
                             modified_at=p.updated_at)

    def narrow(self, meta: dict[str, Any], url: str) -> Iterator[Request]:
        """Ask a failed feed page's window again in smaller windows (see :mod:`.listing`)."""
        start, size = blogger_window(url)
        if not meta.get(NARROWED_KEY):
            # A failed page cannot name the next one: ask it at the same size (past the end is empty).
            yield from self.ask(blogger_window_url(self.posts_feed, start + size, size))
        if size <= 1:
            self.run.listings.note_gap()
            return
        child = narrower_size(size)
        for first in range(start, start + size, child):
            yield from self.ask(blogger_window_url(self.posts_feed, first, child), narrowed=True)

    # ------------------------------------------------------------------ a post's comments
    def ask_comments(self, task: PostTask, conditional: bool) -> Request | None:
        assert task.comment_url is not None
        return self.run.request(task.comment_url, COMMENTS_KIND, self.on_comments, post=task,
                                conditional=conditional, extra={"page": 1})

    def on_comments(self, response: Response) -> Iterator[Request]:
        run = self.run
        task: PostTask = response.meta["task"]
        first = response.request.url == task.comment_url
        status = run.status_of(response)
        if status == "error":
            yield from run.fetcher.comments_fallback(task)
        elif status == "ok":
            if first:
                task.validators[response.request.url] = validators_of(response)
            fetched = response.meta.get("fetched_at") or run.ctx.now_iso()
            try:
                page = blogger.parse_comments_feed(response.body, response.url)
                blogger.check_complete(response.body)
            except feeds.FeedParseError as exc:
                run.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                page = None
            if page is not None:
                run.fetcher.emit_comments(task, assemble.comments_from_blogger_feed(
                    response.body, site_id=run.id, post_url=task.url, fetched_at=fetched, base_url=response.url))
                nxt = blogger.next_page_url(response.url, page, run.netloc)
                if nxt:
                    req = run.request(nxt, COMMENTS_KIND, self.on_comments, post=task)
                    if req:
                        yield req
            else:
                yield from run.fetcher.comments_fallback(task)
        yield from run.task_done(task)
