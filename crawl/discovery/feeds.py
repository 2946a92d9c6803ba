"""RSS/Atom feeds: post feeds (WordPress without REST, generic blogs) and the site-wide comment feed.

The post feeds list posts page by page (``rel=next``, or WordPress's ``?paged=``). The site's
comment feed is a cheap signal: when it changed since the last run, the comments it names that
the state does not know mark their posts for a comment fetch; a change it cannot explain starts a
sweep (every known post's comments asked conditionally).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from pipeline.ids import canonical_url
from pipeline.sources import blogger, feeds, wordpress

from crawl.posts import ListedPost
from crawl.responses import validators_of
from crawl.traps import same_site, trap_reason

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

FEED_KIND = "feed"
SITE_COMMENTS_KIND = "site-comment-feed"
FEED_PAGE_KEY = "feed_page"  # request meta: the FeedPage asked
MAX_FEEDS = 3  # post feeds read per site (a home page may link one per category)
MAX_FEED_PAGES = 200


@dataclass(frozen=True)
class FeedPage:
    feed: str  # the feed's first page (WordPress's ?paged= is added to it)
    page: int = 1


class PostFeeds:
    """The post feeds of a WordPress site without REST or of a generic site."""

    def __init__(self, run: SiteRun):
        self.run = run

    def start(self) -> list[Request | None]:
        run = self.run
        urls = [u for u in run.info.get("feeds") or [] if not feeds.is_comment_feed(feeds.DiscoveredFeed(u, ""))]
        if run.platform == "wordpress":
            urls = [urljoin(run.base, "/feed/")]
        return [run.request(u, FEED_KIND, self.on_feed, conditional=True, discovery=True,
                            extra={FEED_PAGE_KEY: FeedPage(u)}, optional=run.platform != "wordpress")
                for u in urls[:MAX_FEEDS]]

    def on_feed(self, response: Response) -> Iterator[Request]:
        run = self.run
        asked: FeedPage = response.meta[FEED_PAGE_KEY]
        status = run.status_of(response)
        if status == "not_modified":
            run.listing_unchanged = True
        elif status == "ok":
            if asked.page == 1:
                run.site_validators[response.request.url] = validators_of(response)
            try:
                feed = feeds.parse_feed(response.body, response.url)
            except feeds.FeedParseError as exc:
                run.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                feed = None
            new = self.list_posts(feed.entries if feed else ())
            nxt = None
            if feed and feed.entries and new and asked.page < MAX_FEED_PAGES:
                if feed.next_url and same_site(feed.next_url, run.netloc):
                    nxt = feed.next_url
                elif run.platform == "wordpress":
                    nxt = f"{asked.feed}{'&' if '?' in asked.feed else '?'}paged={asked.page + 1}"
            if nxt:
                req = run.request(nxt, FEED_KIND, self.on_feed, discovery=True, optional=True,
                                  extra={FEED_PAGE_KEY: FeedPage(asked.feed, asked.page + 1)})
                if req:
                    yield req
        yield from run.discovery_done()

    def list_posts(self, entries: tuple | list) -> int:
        """Record the entries' posts; how many this run did not know yet."""
        run = self.run
        new = 0
        mode = "html-wp" if run.platform == "wordpress" else "html-generic"
        with run.ctx.state.transaction():  # the page's posts in one commit
            for e in entries:
                if not e.url or not same_site(e.url, run.netloc) or trap_reason(e.url):
                    continue
                pid = wordpress.post_id_from_shortlink(e.entry_id or "") if run.platform == "wordpress" else None
                new += canonical_url(e.url) not in run.posts
                listed = ListedPost(source="feed", url=e.url, title=e.title, author=e.author,
                                    published_at=feeds.to_utc_iso(e.published), modified_at=feeds.to_utc_iso(e.updated),
                                    platform_post_id=pid, categories=tuple(e.categories), content_html=e.content_html,
                                    published_utc_offset_minutes=e.published_utc_offset_minutes)
                run.discover(e.url, listed, mode=mode, modified_at=e.updated)
        return new


class CommentSignal:
    """The site-wide comment feed: which posts have comments the state does not know."""

    def __init__(self, run: SiteRun):
        self.run = run
        self.commented: set[str] = set()  # posts the site comment feed says have new comments
        self.sweep = False  # a change the feed cannot explain: revisit every known post

    def start(self) -> Request | None:
        run = self.run
        path = {"wordpress": "/comments/feed/", "blogger": "/feeds/comments/default"}.get(run.platform)
        if path is None:
            return None
        return run.request(urljoin(run.base, path), SITE_COMMENTS_KIND, self.on_site_comments, conditional=True,
                           discovery=True, optional=True)

    def on_site_comments(self, response: Response) -> Iterator[Request]:
        run = self.run
        if run.status_of(response) == "ok":
            current = validators_of(response)
            previous = run.ctx.state.validators(response.request.url)
            run.site_validators[response.request.url] = current
            if previous is not None and previous.content_hash != current.content_hash:
                self.read(response)
        yield from run.discovery_done()

    def read(self, response: Response) -> None:
        run = self.run
        pairs: list[tuple[str | None, str | None]] = []
        try:
            if run.platform == "blogger":
                for c in blogger.parse_comments_feed(response.body, response.url).items:
                    pairs.append((canonical_url(c.post_url) if c.post_url else None, c.comment_id))
            else:
                for fc in wordpress.parse_comment_feed(response.body, response.url):
                    pairs.append((canonical_url(fc.post_url) if fc.post_url else None, fc.comment_id))
        except feeds.FeedParseError:
            self.sweep = True
            return
        unknown = [(p, c) for p, c in pairs if p and c and c not in run.ctx.state.comment_keys(p)]
        for post_url, _ in unknown:
            self.commented.add(post_url)
        if not unknown or len(unknown) == len(pairs):
            # Changed but nothing new visible, or the feed window may have overflowed: check
            # every known post's comments conditionally (cheap 304s when unchanged).
            self.sweep = True
