"""The HTML archive: post links on the home page and the older-posts pages after it.

The last resort, walked only when no feed, API or sitemap named a post. Every link found is a
*candidate*: it becomes a post only if its page looks like one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from scrapy import Request
from scrapy.http import Response

from pipeline.ids import canonical_url
from pipeline.sources import html_threads

from crawl.posts import ListedPost
from crawl.traps import same_site, trap_reason

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

ARCHIVE_KIND = "archive-page"
DEPTH_KEY = "depth_n"  # request meta: archive pages followed from the home page
MAX_DEPTH = 200


def archive_links(html: str, url: str) -> tuple[list[str], str | None]:
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


class HtmlArchive:
    """The walk through one site's HTML archive pages."""

    def __init__(self, run: SiteRun):
        self.run = run
        self.walked = False

    def walk_from_home(self, home_html: str) -> Request | None:
        """Candidates from the home page; the request for the next archive page, if any."""
        run = self.run
        self.walked = True
        links, nxt = archive_links(home_html, run.config.url)
        for link in links:
            if same_site(link, run.netloc) and not trap_reason(link):
                run.discover(link, ListedPost(url=link), mode=run.html_post_mode(), candidate=True)
        if nxt and same_site(nxt, run.netloc) and not trap_reason(nxt):
            return run.request(nxt, ARCHIVE_KIND, self.on_archive, discovery=True, extra={DEPTH_KEY: 1})
        return None

    def on_archive(self, response: Response) -> Iterator[Request]:
        run = self.run
        if run.status_of(response) == "ok" and hasattr(response, "text"):
            depth = response.meta.get(DEPTH_KEY, 0)
            links, nxt = archive_links(response.text, response.url)
            for link in links:
                if same_site(link, run.netloc) and not trap_reason(link) and canonical_url(link) not in run.posts:
                    run.discover(link, ListedPost(url=link), mode=run.html_post_mode(), candidate=True)
            if nxt and same_site(nxt, run.netloc) and not trap_reason(nxt) and depth < MAX_DEPTH:
                req = run.request(nxt, ARCHIVE_KIND, self.on_archive, discovery=True, extra={DEPTH_KEY: depth + 1})
                if req:
                    yield req
        yield from run.discovery_done()
