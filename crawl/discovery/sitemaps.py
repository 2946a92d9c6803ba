"""Sitemaps: each post's ``lastmod``, and candidate post URLs where no API lists the posts.

The sitemaps robots.txt names are read first (at most 5), else ``/wp-sitemap.xml`` on WordPress
and ``/sitemap.xml`` elsewhere; of a sitemap index, the children named for posts (at most 20).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from pipeline.ids import canonical_url
from pipeline.sources import feeds

from crawl.responses import validators_of
from crawl.traps import same_site, trap_reason

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

SITEMAP_KIND = "sitemap"
MAX_FROM_ROBOTS = 5
MAX_CHILDREN = 20
# Path parts of listing pages (a post slug may contain "feed": /2024/05/feedback-in-every-session.html).
_NON_POST_PATH = ("/category/", "/tag/", "/author/", "/page/", "/search", "/feed/", "/comments/", "/wp-",
                  "/label/", "/p/", "/feeds/")


def may_be_post(url: str) -> bool:
    """A sitemap URL that is not the home page, a feed or a listing page."""
    path = urlsplit(url).path
    return path not in ("", "/") and not path.endswith("/feed") and not any(s in path for s in _NON_POST_PATH)


class Sitemaps:
    """The sitemaps of one site and what they said."""

    def __init__(self, run: SiteRun):
        self.run = run
        self.lastmod: dict[str, str] = {}  # canonical post URL -> lastmod
        self.locs: list[str] = []  # every same-site URL listed, in order

    def urls(self) -> list[str]:
        run = self.run
        from_robots = [u for u in run.ctx.robots_sitemaps.get(run.netloc, []) if same_site(u, run.netloc)]
        if from_robots:
            return from_robots[:MAX_FROM_ROBOTS]
        if run.platform == "wordpress":
            return [urljoin(run.base, "/wp-sitemap.xml")]
        return [urljoin(run.base, "/sitemap.xml")]

    def start(self) -> list[Request | None]:
        return [self.ask(url) for url in self.urls()]

    def ask(self, url: str) -> Request | None:
        return self.run.request(url, SITEMAP_KIND, self.on_sitemap, conditional=True, discovery=True, optional=True)

    def on_sitemap(self, response: Response) -> Iterator[Request]:
        run = self.run
        if run.status_of(response) == "ok":
            run.site_validators[response.request.url] = validators_of(response)
            try:
                sm = feeds.parse_sitemap(response.body)
            except feeds.FeedParseError as exc:
                run.reject(response.url, "parse_error", status=response.status, detail=str(exc))
                sm = feeds.Sitemap()
            children = [c.loc for c in sm.sitemaps if same_site(c.loc, run.netloc)]
            posts_children = [c for c in children if "post" in c.rsplit("/", 1)[-1]]
            for child in (posts_children or children)[:MAX_CHILDREN]:
                req = self.ask(child)
                if req:
                    yield req
            for u in sm.urls:
                if not same_site(u.loc, run.netloc) or trap_reason(u.loc):
                    continue
                if u.lastmod:
                    self.lastmod[canonical_url(u.loc)] = u.lastmod
                self.locs.append(u.loc)
        yield from run.discovery_done()

    def candidates(self, known: set[str]) -> list[str]:
        """Listed URLs that may be posts and are not in ``known`` (canonical URLs)."""
        return [loc for loc in self.locs if may_be_post(loc) and canonical_url(loc) not in known]
