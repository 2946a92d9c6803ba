"""One generic spider driven by the site list: each configured blog is a :class:`~crawl.siterun.SiteRun`.

The spider steers; the writing happens in the crawl's writer process (:mod:`crawl.sink`): post
pages, comments, archive entries and "post done" go there as messages, in order, and the
writer's report at the end says how each post page ended (emitted or unchanged).

Where the code lives: :mod:`crawl.siterun` (one site's state, bookkeeping and phases),
:mod:`crawl.discovery` (one module per source: WordPress REST, Blogger feeds, RSS/Atom feeds,
sitemaps, the HTML archive), :mod:`crawl.plan` (what to fetch of each post), :mod:`crawl.fetch`
(post pages and their comment pages) and :mod:`crawl.failures` (why a request failed).
"""

from __future__ import annotations

from typing import Any

import scrapy

from crawl import context
from crawl.fetch import POST_PAGE_KEY
from crawl.siterun import SiteRun


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
