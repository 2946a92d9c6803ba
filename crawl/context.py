"""What one crawl process shares between its spider, middlewares and extensions.

Scrapy builds middlewares and extensions itself (``from_crawler``), so the run's state, writers
and settings are handed over through :data:`CURRENT`, set by :mod:`crawl.run` before the
crawl starts. A crawl runs alone in its process (the Twisted reactor cannot restart), so one
module-level slot is enough.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.settings import CrawlSettings, SiteConfig

from crawl.guard import EndpointPolicy
from crawl.output import CrawlStats
from crawl.sink import LIVE_FIELDS, SinkClient
from crawl.state import CrawlState


@dataclass
class CrawlContext:
    sites: tuple[SiteConfig, ...]
    settings: CrawlSettings
    state: CrawlState  # the crawler's own connection: discovery, robots, reads
    sink: SinkClient  # the writer process: archive, raw.jsonl, post/comment state
    stats: CrawlStats
    policy: EndpointPolicy
    now: datetime
    progress_every_s: float = 2.0
    robots_sitemaps: dict[str, list[str]] = field(default_factory=dict)
    robots_delay: dict[str, float] = field(default_factory=dict)
    _last_progress: float = 0.0

    def now_iso(self) -> str:
        return self.now.isoformat()

    def progress(self, site: str, force: bool = False) -> None:
        """A progress line on stderr, at most every ``progress_every_s`` seconds."""
        t = time.monotonic()
        if force or t - self._last_progress >= self.progress_every_s:
            self._last_progress = t
            if self.sink.report is None:
                self.stats.live = {(s.id, kind): self.sink.live_count(s.id, kind)
                                   for s in self.sites for kind in LIVE_FIELDS}
            print(self.stats.progress_line(site), file=sys.stderr, flush=True)


CURRENT: CrawlContext | None = None


def current() -> CrawlContext:
    if CURRENT is None:
        raise RuntimeError("crawl.context.CURRENT is not set: start crawls through crawl.run.main()")
    return CURRENT


def site_for(meta: dict[str, Any]) -> str:
    return str(meta.get("site") or "-")
