"""WordPress REST API: the post listing pages and each post's comment pages.

The whole conversation with the API lives here: which URL to ask (pretty ``/wp-json/`` or plain
``?rest_route=`` roots), how many pages a listing has (``X-WP-TotalPages`` of its first page),
what to do when the API is disabled (feeds take over) or a page fails (narrowing). The payloads
are parsed by the pure functions of :mod:`pipeline.sources.wordpress`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlencode, urljoin

from scrapy import Request
from scrapy.http import Response

from pipeline.sources import wordpress

from crawl.discovery.listing import narrower_size, read_listing
from crawl.posts import ListedPost, PostTask
from crawl.responses import validators_of
from crawl.traps import same_site

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

POSTS_KIND = "wp-rest-posts"
COMMENTS_KIND = "wp-rest-comments"
REST_PAGE_SIZE = 100  # posts per WordPress REST listing page (the API's maximum)
MAX_PAGES = 1000  # of a listing or of one post's comments
LISTING_KEY = "rest_listing"  # request meta: the RestListingPage asked
COMMENT_PAGE_KEY = "page"  # request meta: the comment page asked (1-based)
# Page 1 answering one of these: REST is disabled or hidden, feeds and HTML take over.
UNAVAILABLE_STATUSES = (401, 403, 404, 410, 501)


def rest_root(base_url: str, api_link: str | None = None) -> str:
    """The REST root: the ``api.w.org`` link when the page gave one, else ``/wp-json/``."""
    if api_link:
        return api_link if api_link.endswith("/") or "?" in api_link else api_link + "/"
    return urljoin(base_url, "/wp-json/")


def rest_url(root: str, route: str, **params: object) -> str:
    """A REST URL under ``root`` for both pretty (``/wp-json/``) and plain (``?rest_route=``) roots."""
    query = urlencode([(k, v) for k, v in params.items() if v is not None])
    if "rest_route=" in root:
        return f"{root}{route}" + (f"&{query}" if query else "")
    return f"{root.rstrip('/')}/{route.lstrip('/')}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class RestListingPage:
    """One ``wp/v2/posts`` page asked."""

    root: str
    page: int
    per_page: int = REST_PAGE_SIZE
    narrowed: bool = False  # a smaller page inside a failed one
    chain: bool = False  # asked because the page that names the page count failed

    @property
    def url(self) -> str:
        return rest_url(self.root, "wp/v2/posts", per_page=self.per_page, page=self.page, _embed=1)


def total_pages(response: Response) -> int | None:
    """``X-WP-TotalPages`` of a REST answer (Scrapy's header lookup ignores case)."""
    value = response.headers.get("X-WP-TotalPages")
    return wordpress.total_pages({"X-WP-TotalPages": value.decode("latin-1")} if value else {})


def with_page(url: str, page: int) -> str:
    """The same REST URL asking for another ``page``."""
    if re.search(r"([?&])page=\d+", url):
        return re.sub(r"([?&])page=\d+", lambda m: f"{m.group(1)}page={page}", url, count=1)
    return f"{url}{'&' if '?' in url else '?'}page={page}"


def comments_url(root: str, post_id: str) -> str:
    return rest_url(root, "wp/v2/comments", post=post_id, per_page=100, page=1)


def listed_post(p: wordpress.WpPost) -> ListedPost:
    return ListedPost(source="wp-rest", url=p.url, title=p.title, author=p.author, published_at=p.published_at,
                      modified_at=p.modified_at, platform_post_id=p.post_id, categories=p.categories,
                      tags=p.tags, content_html=p.content_html, comment_status=p.comment_status,
                      published_utc_offset_minutes=p.published_utc_offset_minutes)


class WordPressRest:
    """The REST API of one WordPress site."""

    def __init__(self, run: SiteRun):
        self.run = run
        self.listing_pages: int | None = None  # listing pages, once a full page said how many

    def usable(self) -> bool:
        """REST is tried unless an earlier run found it off, and only where detection found it."""
        info, run = self.run.info, self.run
        return info.get("rest_ok", True) is not False and bool(
            info.get("wp_api_root") or run.config.platform == "wordpress")

    def start(self) -> Request | None:
        root = rest_root(self.run.base, self.run.info.get("wp_api_root"))
        return self.ask(RestListingPage(root, 1), conditional=True)

    def ask(self, listing: RestListingPage, conditional: bool = False) -> Request | None:
        return self.run.request(listing.url, POSTS_KIND, self.on_posts, conditional=conditional, discovery=True,
                                extra={LISTING_KEY: listing})

    # ------------------------------------------------------------------ listing
    def on_posts(self, response: Response) -> Iterator[Request]:
        run = self.run
        listing: RestListingPage = response.meta[LISTING_KEY]
        if response.status == 400 and (listing.page > 1 or listing.narrowed):
            yield from run.discovery_done()  # past the last page
            return
        if listing.page == 1 and not listing.narrowed and response.status in UNAVAILABLE_STATUSES:
            yield from self.unavailable(response.status)
            yield from run.discovery_done()
            return
        posts = yield from read_listing(run, response, lambda r: wordpress.parse_rest_posts(r.body))
        if posts is not None:
            if listing.page == 1 and not listing.narrowed:
                run.site_validators[response.request.url] = validators_of(response)
            if not listing.narrowed and (listing.page == 1 or listing.chain):
                # Page 1 names the other pages; after a failed page 1, the first page that answers does.
                self.listing_pages = total_pages(response) or 1
                for n in range(listing.page + 1, min(self.listing_pages, MAX_PAGES) + 1):
                    req = self.ask(RestListingPage(listing.root, n))
                    if req:
                        yield req
            self.list_posts(posts, listing.root)
        yield from run.discovery_done()

    def unavailable(self, status: int) -> Iterator[Request]:
        """REST disabled or hidden: remember it, and list the site from its feeds."""
        run = self.run
        run.info["rest_ok"] = False
        run.use_rest = False
        run.notes.append(f"REST API unavailable ({status}); used feeds and HTML")
        run.ctx.state.save_site_info(run.id, run.info)
        yield from [r for r in run.post_feeds.start() if r is not None]

    def list_posts(self, posts: list[wordpress.WpPost], root: str) -> None:
        run = self.run
        with run.ctx.state.transaction():  # the page's posts in one commit
            for p in posts:
                if not p.public or not p.url or not same_site(p.url, run.netloc):
                    continue
                if p.protected:
                    run.protected_skipped += 1
                    continue
                run.discover(p.url, listed_post(p), mode="wp-rest", comment_url=comments_url(root, p.post_id),
                             modified_at=p.modified_at)

    def narrow(self, meta: dict[str, Any]) -> Iterator[Request]:
        """Ask a failed listing page's posts again in smaller pages (see :mod:`.listing`)."""
        listing: RestListingPage = meta[LISTING_KEY]
        if not listing.narrowed and self.listing_pages is None:
            # The page that says how many pages there are failed: go on one page at a time.
            req = self.ask(RestListingPage(listing.root, listing.page + 1, chain=True))
            if req:
                yield req
        if listing.per_page <= 1:
            self.run.listings.note_gap()
            return
        child = narrower_size(listing.per_page)
        first = (listing.page - 1) * listing.per_page // child + 1
        for n in range(first, first + listing.per_page // child):
            req = self.ask(replace(listing, page=n, per_page=child, narrowed=True, chain=False))
            if req:
                yield req

    # ------------------------------------------------------------------ a post's comments
    def ask_comments(self, task: PostTask, conditional: bool) -> Request | None:
        assert task.comment_url is not None
        return self.run.request(task.comment_url, COMMENTS_KIND, self.on_comments, post=task,
                                conditional=conditional, extra={COMMENT_PAGE_KEY: 1})

    def on_comments(self, response: Response) -> Iterator[Request]:
        run = self.run
        task: PostTask = response.meta["task"]
        page = response.meta.get(COMMENT_PAGE_KEY, 1)
        if response.status == 400 and page > 1:
            yield from run.task_done(task)
            return
        status = run.status_of(response)
        if status == "error":
            yield from run.fetcher.comments_fallback(task)
        elif status == "ok":
            if page == 1:
                task.validators[response.request.url] = validators_of(response)
            fetched = response.meta.get("fetched_at") or run.ctx.now_iso()
            # Parsed and written by the writer process (a parse error fails the post there).
            run.ctx.sink.send("rest_comments", run.id, task.url, response.url, response.status, response.body,
                              fetched, task.platform_post_id)
            if page == 1:
                for n in range(2, min(total_pages(response) or 1, MAX_PAGES) + 1):
                    req = run.request(with_page(response.request.url, n), COMMENTS_KIND, self.on_comments,
                                      post=task, extra={COMMENT_PAGE_KEY: n})
                    if req:
                        yield req
        yield from run.task_done(task)
