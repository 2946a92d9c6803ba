"""Downloader middlewares and the throttle extension: safety, politeness and the raw archive.

Order (downloader middleware numbers; requests pass low to high, responses high to low):

- 40  :class:`GuardMiddleware`: http(s) only, the site's own host, no private addresses (unless
       the site's own endpoint is allowed), trap URLs, the per-site page cap. Runs before robots
       so nothing is fetched for a refused host, robots.txt included. Redirected requests pass
       here again (the redirect middleware reschedules them).
- 100 :class:`RobotsMiddleware`: robots.txt per host (asked conditionally), Disallow and
       Crawl-delay; Scrapy's own robots middleware is off (it ignores Crawl-delay).
- 950 :class:`ArchiveMiddleware`: closest to the network: counts every request sent and writes
       every response (redirects, errors and 304s too) to WARC before anything else sees it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from crawl import context
from crawl.failures import Refused, classify_failure
from crawl.guard import ALLOWED_SCHEMES
from crawl.state import Validators
from crawl.traps import same_site, trap_reason

log = logging.getLogger(__name__)


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or ""), port


class GuardMiddleware:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.ctx = context.current()
        self.site_netlocs = {s.id: _netloc(s.url) for s in self.ctx.sites}
        self.max_pages = {s.id: s.max_pages or self.ctx.settings.max_pages_per_site for s in self.ctx.sites}

    @classmethod
    def from_crawler(cls, crawler: Any) -> GuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        try:
            self._check(request)
        except Refused as refused:
            self.ctx.stats.refuse(context.site_for(request.meta), refused.reason)
            raise

    def _check(self, request: Request) -> None:
        meta = request.meta
        site = meta.get("site")
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise Refused("scheme", f"{scheme}: links are never requested")
        if site is None or site not in self.site_netlocs:
            raise Refused("offsite", "request without a configured site")
        if not same_site(request.url, self.site_netlocs[site]):
            raise Refused("offsite", f"{_netloc(request.url)} is not the site's host {self.site_netlocs[site]}")
        host, port = _host_port(request.url)
        ok, why = self.ctx.policy.check(host, port)
        if not ok:
            self.ctx.policy.note_refused(host, port, why)
            raise Refused("blocked_address", why)
        if not meta.get("robots_request"):
            trap = trap_reason(request.url)
            if trap:
                raise Refused("trap", trap)
            if self.ctx.stats.requests[site] >= self.max_pages[site] and not meta.get("retry_times"):
                raise Refused("page_cap", f"site reached its cap of {self.max_pages[site]} requests")
        meta.setdefault("download_slot", f"site:{site}")


class RobotsMiddleware:
    """robots.txt per host: Disallow, Crawl-delay and Sitemap lines.

    Policy when robots.txt cannot be read: 4xx means no rules (allow all, as RFC 9309 says);
    5xx, a timeout or a refused connection means "do not crawl this host now" (RFC 9309 §2.3.1.3
    lets a crawler assume complete disallow), so every request to it becomes a ``robots_unavailable``
    rejection and the next run asks again.
    """

    PRIORITY = 1000

    def __init__(self, crawler: Any):
        if not crawler.settings.getbool("BLOGSCOPE_OBEY_ROBOTS", True):
            raise NotConfigured
        self.crawler = crawler
        self.ctx = context.current()
        self.user_agent = crawler.settings.get("USER_AGENT") or ""
        self._parsers: dict[str, Any] = {}  # netloc -> Protego | "allow" | "unavailable" | Deferred

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Any:
        """Decide at once when the host's rules are known (nearly always); else wait for robots.txt."""
        if request.meta.get("robots_request"):
            return None
        rules = self._parsers.get(_netloc(request.url))
        if rules is None or not isinstance(rules, (str, Protego)):
            return self._decide_when_known(request)  # a coroutine: Scrapy awaits it
        self._decide(request, rules)
        return None

    async def _decide_when_known(self, request: Request) -> None:
        self._decide(request, await self._rules(request))

    def _decide(self, request: Request, rules: Any) -> None:
        refused = None
        if rules == "unavailable":
            refused = Refused("robots_unavailable", "robots.txt answered with a server error or not at all")
        elif rules not in ("allow", None) and not rules.can_fetch(request.url, self.user_agent):
            refused = Refused("robots", "forbidden by robots.txt")
        if refused is not None:
            self.ctx.stats.refuse(context.site_for(request.meta), refused.reason)
            raise refused

    async def _rules(self, request: Request) -> Any:
        from twisted.internet.defer import Deferred

        from scrapy.utils.defer import maybe_deferred_to_future

        netloc = _netloc(request.url)
        found = self._parsers.get(netloc)
        if isinstance(found, Deferred):
            return await maybe_deferred_to_future(found)
        if found is not None:
            return found
        waiter: Deferred = Deferred()
        self._parsers[netloc] = waiter
        rules = await self._fetch(request, netloc)
        self._parsers[netloc] = rules
        waiter.callback(rules)
        return rules

    async def _fetch(self, request: Request, netloc: str) -> Any:
        scheme = urlsplit(request.url).scheme
        url = f"{scheme}://{netloc}/robots.txt"
        stored = self.ctx.state.robots(netloc)
        headers = stored[2].request_headers() if stored else {}
        robots_req = Request(url, headers=headers, priority=self.PRIORITY, dont_filter=True, callback=NO_CALLBACK,
                             meta={"site": request.meta.get("site"), "kind": "robots", "robots_request": True,
                                   "download_slot": request.meta.get("download_slot")})
        try:
            response = await self.crawler.engine.download_async(robots_req)
        except Exception as exc:  # noqa: BLE001 - any failure to read robots means "not now"
            log.warning("robots.txt of %s unavailable (%s): not crawling this host in this run", netloc, exc)
            return "unavailable"
        status = response.status
        body = response.body
        if status == 304 and stored:
            status, body = stored[0], stored[1]
        elif status < 500:
            self.ctx.state.save_robots(netloc, status, body, Validators(
                response.headers.get("ETag", b"").decode("latin-1") or None,
                response.headers.get("Last-Modified", b"").decode("latin-1") or None), self.ctx.now_iso())
        if status >= 500:
            log.warning("robots.txt of %s answered %s: not crawling this host in this run", netloc, status)
            return "unavailable"
        if status >= 400:
            log.info("robots.txt of %s answered %s: no rules", netloc, status)
            return "allow"
        rules = Protego.parse(body.decode("utf-8", "replace"))
        self.ctx.robots_sitemaps[netloc] = list(rules.sitemaps)
        delay = rules.crawl_delay(self.user_agent)
        if delay:
            self._apply_delay(request, float(delay))
        return rules

    def _apply_delay(self, request: Request, delay: float) -> None:
        """Crawl-delay as the minimum gap between requests of the site's download slot.

        Scrapy measures the gap from when a request leaves the queue; the server sees it after the
        connection is set up, which can shave a few ms off the gap it observes. A 5 % + 20 ms margin
        keeps the gap at or above the asked delay on the server's clock too.
        """
        delay = delay * 1.05 + 0.02
        slot_key = request.meta.get("download_slot") or f"site:{request.meta.get('site')}"
        self.ctx.robots_delay[slot_key] = delay
        downloader = self.crawler.engine.downloader
        settings = dict(downloader.per_slot_settings.get(slot_key, {}))
        settings.update({"delay": max(delay, float(settings.get("delay", 0))), "jitter": 0})
        downloader.per_slot_settings[slot_key] = settings
        slot = downloader.slots.get(slot_key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0
        log.info("Crawl-delay %.2fs for %s", delay, slot_key)


SEND_KEY = "blogscope_send"


class ArchiveMiddleware:
    def __init__(self, crawler: Any):
        self.ctx = context.current()
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        # The send number pairs this send with its answer or failure (run accounting). Retries
        # and redirects copy meta; they get their own number here when they are sent.
        meta[SEND_KEY] = self.ctx.stats.request(context.site_for(meta), meta.get("kind", "other"))

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A sent request failed without an HTTP answer (called first: highest number)."""
        if self.ctx.stats.answered(request.meta.pop(SEND_KEY, None)):
            self.ctx.stats.failure(context.site_for(request.meta), classify_failure(exception)[0])

    def process_response(self, request: Request, response: Response) -> Response:
        meta = request.meta
        fetched = datetime.now(timezone.utc)
        meta["fetched_at"] = fetched.isoformat()
        site = context.site_for(meta)
        if self.ctx.stats.answered(meta.pop(SEND_KEY, None)):
            self.ctx.stats.response(site, response.status, len(response.body))
        # Written by the crawl's writer process, in order with the records (crawl.sink); headers
        # are decoded and the WARC headers built there, off this loop.
        self.ctx.sink.send("archive", {
            "url": response.url, "status": response.status, "response_headers": list(response.headers.items()),
            "body": response.body, "request_method": request.method,
            "request_headers": list(request.headers.items()), "fetched_at": fetched,
            "kind": meta.get("kind", "other"), "site": site, "platform": meta.get("platform"),
            "post": meta.get("post"), "archive_meta": meta.get("archive_meta")})
        if response.status in (429, 503):
            self._back_off(request, response)
        self.ctx.progress(site)
        return response

    def _back_off(self, request: Request, response: Response) -> None:
        """Honour ``Retry-After`` (seconds, capped at 120) on the site's slot before the retry."""
        raw = response.headers.get("Retry-After")
        if not raw:
            return
        try:
            wait = min(float(raw.decode("latin-1").strip()), 120.0)
        except ValueError:
            return  # an HTTP-date: Scrapy's retry back-off applies
        if wait <= 0 or self.crawler is None:
            return
        slot_key = request.meta.get("download_slot")
        slot = self.crawler.engine.downloader.slots.get(slot_key)
        if slot is None:
            return
        floor = self.ctx.robots_delay.get(slot_key, 0.0)
        previous = slot.delay
        slot.delay = max(slot.delay, wait)
        self.ctx.robots_delay[slot_key] = max(floor, wait)  # keep AutoThrottle from lowering it
        log.info("%s answered %s with Retry-After %.1fs: backing off", response.url, response.status, wait)

        def restore() -> None:
            self.ctx.robots_delay[slot_key] = floor
            if floor:
                self.ctx.robots_delay[slot_key] = floor
            else:
                self.ctx.robots_delay.pop(slot_key, None)
            slot.delay = max(previous, floor)

        from twisted.internet import reactor

        reactor.callLater(wait + 0.05, restore)


class PoliteThrottle(AutoThrottle):
    """AutoThrottle that never goes below a slot's robots.txt Crawl-delay."""

    def _adjust_delay(self, slot: Any, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        ctx = context.CURRENT
        if ctx is None:
            return
        for key, value in self.crawler.engine.downloader.slots.items():
            if value is slot and key in ctx.robots_delay:
                slot.delay = max(slot.delay, ctx.robots_delay[key])
                slot.jitter = 0
