"""Run one crawl: ``python -m crawl.run --sites FILE.json --out DIR --state DIR --archive DIR``.

The flows layer runs this in a subprocess (the Twisted reactor cannot be restarted inside one
process). Output: ``OUT/raw.jsonl`` (records appended and flushed one by one) and
``OUT/stats.json`` (written at the end). Exit code 0 when the crawl ran, also with errors (they
are ``rejected`` rows); 2 when the input cannot be used (the message says what to fix).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

log = logging.getLogger("crawl.run")

EXAMPLE = """example:
  python -m crawl.run --sites sites.json --out runs/R1/crawl --state state --archive archive
  sites.json: [{"id": "shrink-notes", "url": "https://example.org/", "platform": "auto"}]
"""


class InputError(ValueError):
    """The command line or an input file cannot be used; the message says what to change."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m crawl.run", description="Crawl blogs: posts and threaded reader comments.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sites", required=True, type=Path, help="JSON list of site configs (pipeline.settings.SiteConfig)")
    p.add_argument("--out", required=True, type=Path, help="run crawl folder: raw.jsonl and stats.json go here")
    p.add_argument("--state", required=True, type=Path, help="crawl state folder (sqlite; kept between runs)")
    p.add_argument("--archive", required=True, type=Path, help="WARC archive folder")
    p.add_argument("--allow-private", action="store_true",
                   help="allow each site's own host:port even if it is a loopback/private address (tests, demo)")
    p.add_argument("--settings-json", type=Path, help="JSON object of pipeline.settings.CrawlSettings fields")
    p.add_argument("--now", help="ISO time used as 'now' for the revisit schedule (tests)")
    p.add_argument("--log-level", default="WARNING", help="Scrapy/Python log level (default WARNING)")
    return p


def load_sites(path: Path) -> tuple[Any, ...]:
    from pipeline.settings import ConfigError, load_sites as _load

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"--sites {path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"--sites {path}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and "sites" in data:
        data = data["sites"]
    if not isinstance(data, list) or not data:
        raise InputError(f"--sites {path}: expected a non-empty JSON list of sites like "
                         '[{"url": "https://example.org/"}]')
    try:
        sites = _load(data, str(path))
    except (ConfigError, TypeError) as exc:
        raise InputError(str(exc)) from exc
    ids = [s.id for s in sites]
    if len(set(ids)) != len(ids):
        raise InputError(f"--sites {path}: site ids must be unique, got {ids}")
    from urllib.parse import urlsplit

    for s in sites:
        parts = urlsplit(s.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"site {s.id}: url {s.url!r} must be an absolute http(s) URL")
    return sites


def load_crawl_settings(path: Path | None) -> Any:
    from pipeline.settings import CrawlSettings

    if path is None:
        return CrawlSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"--settings-json {path}: cannot read JSON ({exc})") from exc
    names = {f.name: f for f in dataclasses.fields(CrawlSettings)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise InputError(f"--settings-json {path}: unknown setting(s) {unknown}; known: {sorted(names)}")
    defaults = CrawlSettings()
    clean = {}
    for key, value in data.items():
        if isinstance(getattr(defaults, key), tuple) and isinstance(value, list):
            value = tuple(value)
        clean[key] = value
    return CrawlSettings(**clean)


def scrapy_settings(cs: Any) -> dict[str, Any]:
    """Scrapy settings from blogscope's CrawlSettings: polite defaults, no control surfaces."""
    ua = cs.user_agent + (f" contact: {cs.contact}" if cs.contact else "")
    return {
        "BOT_NAME": "blogscope",
        "USER_AGENT": ua,
        "ROBOTSTXT_OBEY": False,  # our RobotsMiddleware obeys (incl. Crawl-delay) when obey_robots
        "BLOGSCOPE_OBEY_ROBOTS": cs.obey_robots,
        # At least 8 in all (several sites at once), and never below one site's own concurrency.
        "CONCURRENT_REQUESTS": max(8, int(cs.concurrency_per_domain)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, int(cs.concurrency_per_domain)),
        # The spider yields requests, never items (records go straight to raw.jsonl): Scrapy's
        # default of 100 parallel item workers per callback output is pure overhead here.
        "CONCURRENT_ITEMS": 1,
        # Scrapy parses each callback's source (inspect + ast) to warn about `return value` in
        # generators; the sources' callbacks are fresh bound methods, so its cache never hits and
        # this cost 1-2 ms per response. Our callbacks return nothing.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "DOWNLOAD_DELAY": float(cs.download_delay),
        "AUTOTHROTTLE_ENABLED": bool(cs.autothrottle),
        "AUTOTHROTTLE_START_DELAY": max(float(cs.download_delay), 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "DOWNLOAD_MAXSIZE": int(cs.max_response_bytes),
        "DOWNLOAD_WARNSIZE": int(cs.max_response_bytes) // 2,
        "DOWNLOAD_TIMEOUT": float(cs.timeout_s),
        "RETRY_TIMES": int(cs.retry_times),
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "HTTPERROR_ALLOW_ALL": True,  # the spider records non-2xx answers as rejected rows
        "REDIRECT_MAX_TIMES": 5,
        "METAREFRESH_ENABLED": False,
        "COOKIES_ENABLED": False,
        "HTTPCACHE_ENABLED": False,  # own validators instead; never replays a 5xx
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
        "DEPTH_LIMIT": int(cs.max_depth) * 50,  # structured crawling: depth counts pages of listings
        "URLLENGTH_LIMIT": 2083,
        "TWISTED_DNS_RESOLVER": "crawl.guard.GuardedResolver",
        "DOWNLOADER_MIDDLEWARES": {
            "crawl.middlewares.GuardMiddleware": 40,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawl.middlewares.RobotsMiddleware": 100,
            "crawl.middlewares.ArchiveMiddleware": 950,
        },
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "scrapy.extensions.remote_control.RemoteControl": None,
            "scrapy.extensions.throttle.AutoThrottle": None,
            "crawl.middlewares.PoliteThrottle": 0,
        },
        "DOWNLOAD_DELAY_JITTER": 0.5,
    }


def track_crawl_cpu(crawler: Any) -> dict[str, float]:
    """CPU time of this process from spider open to spider close (filled in when it closes)."""
    import time

    from scrapy import signals

    marks: dict[str, float] = {}

    def opened(**_kw: Any) -> None:
        marks["start"] = time.process_time()
        marks["opened_at"] = time.monotonic()

    def closed(**_kw: Any) -> None:
        if "start" in marks:
            marks["seconds"] = round(time.process_time() - marks["start"], 3)

    crawler.signals.connect(opened, signal=signals.spider_opened, weak=False)
    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    return marks


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        sites = load_sites(args.sites)
        cs = load_crawl_settings(args.settings_json)
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else datetime.now(timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
    except (InputError, ValueError) as exc:
        print(f"crawl: {exc}", file=sys.stderr)
        return 2
    if args.allow_private or cs.allow_private:
        sites = tuple(dataclasses.replace(s, allow_private=True) for s in sites)
    return run_crawl(sites, cs, out=args.out, state_dir=args.state, archive_dir=args.archive, now=now,
                     log_level=args.log_level.upper())


def run_crawl(sites: tuple[Any, ...], cs: Any, *, out: Path, state_dir: Path, archive_dir: Path,
              now: datetime, log_level: str = "WARNING") -> int:
    """Crawl ``sites`` in this process (once per process: the reactor cannot restart)."""
    from urllib.parse import urlsplit

    from scrapy.crawler import CrawlerProcess

    from crawl import context, guard
    from crawl.output import CrawlStats
    from crawl.sink import SinkClient
    from crawl.spider import BlogSpider
    from crawl.state import CrawlState

    policy = guard.POLICY
    for s in sites:
        if s.allow_private:
            parts = urlsplit(s.url)
            policy.add(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    out.mkdir(parents=True, exist_ok=True)
    state = CrawlState(state_dir)  # creates the schema before the writer process opens it too
    sink = SinkClient(raw_path=out / "raw.jsonl", state_dir=state_dir, archive_dir=archive_dir,
                      sites=[s.id for s in sites])
    ctx = context.CrawlContext(sites=tuple(sites), settings=cs, state=state, sink=sink, stats=CrawlStats(),
                               policy=policy, now=now)
    context.CURRENT = ctx
    settings = scrapy_settings(cs)
    settings["LOG_LEVEL"] = log_level
    settings["LOG_FORMAT"] = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    print(f"[crawl] {len(sites)} site(s): " + ", ".join(f"{s.id} <{s.url}>" for s in sites),
          file=sys.stderr, flush=True)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BlogSpider)
    cpu = track_crawl_cpu(crawler)
    sink.on_failure = lambda why: _stop(crawler, "writer_failed")
    sink.call_later = _call_later
    process.crawl(crawler)
    process.start()
    report = sink.close()  # already closed by the spider unless the crawl never opened
    finish_reason = (crawler.stats.get_value("finish_reason") if crawler.stats else None) or "unknown"
    elapsed = crawler.stats.get_value("elapsed_time_seconds") if crawler.stats else None
    ctx.stats.close_in_flight()
    stats = ctx.stats.as_dict({
        "finish_reason": finish_reason,
        # Spider open to close as Scrapy measures it (duration_s also counts process start-up).
        "scrapy_elapsed_s": round(float(elapsed), 3) if elapsed is not None else None,
        # CPU seconds of this process over the same span: a speed figure that a busy machine
        # (other processes on the cores) distorts far less than elapsed time.
        "crawl_cpu_s": cpu.get("seconds"),
        # Spider open until the writer process wrote the last record (the crawl's real span), and
        # that process's CPU seconds: the crawl's work is spread over both processes.
        "crawl_elapsed_s": round(sink.closed_at - cpu["opened_at"], 3) if "opened_at" in cpu and sink.closed_at
        else None,
        "writer_cpu_s": report.cpu_s,
        "refused_connections": [f"{h}:{p} ({r})" for h, p, r in policy.refused][:100],
        "warc_files": report.warc_files,
        "archived_responses": report.archived,  # every HTTP answer, in the WARC files above
        "writer_failed": sink.failed,
        "now": ctx.now_iso(),
    })
    write_failures(out / "failures.jsonl", state, [s.id for s in sites])
    (out / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True), encoding="utf-8")
    for site_id in sorted(stats["sites"]):
        ctx.progress(site_id, force=True)
    for site_id, site in sorted(stats["sites"].items()):
        if not (site["accounting"]["requests_add_up"] and site["accounting"]["post_pages_add_up"]):
            # A bookkeeping bug, not a crawl error: the records are fine, the counts are not.
            log.error("crawl accounting of %s does not add up: %s", site_id, site["accounting"])
    print(f"[crawl] done in {stats['duration_s']} s: {stats['requests']} requests, {stats['posts']} posts, "
          f"{stats['comments']} comments, rejected {stats['rejected_by_reason'] or 0}", file=sys.stderr, flush=True)
    ctx.state.close()
    if sink.failed:
        print(f"[crawl] failed: {sink.failed}. Records up to the failure are kept; run the crawl again "
              "to finish (nothing is lost, posts not completed are fetched again).", file=sys.stderr, flush=True)
        return 1
    return 0


def write_failures(path: Path, state: Any, site_ids: list[str]) -> int:
    """The open crawl failures of the crawled sites (a snapshot: the warehouse replaces each site's rows)."""
    rows = state.open_failures(site_ids)
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)
    return len(rows)


def _call_later(delay: float, fn: Any) -> Any:
    """The running reactor's callLater (imported late: importing it earlier would install one)."""
    from twisted.internet import reactor

    return reactor.callLater(delay, fn)


def _stop(crawler: Any, reason: str) -> None:
    """Close the spider (from the reactor thread) when the crawl cannot go on."""
    from scrapy.utils.defer import deferred_from_coro

    if crawler.engine is not None and crawler.engine.spider is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


if __name__ == "__main__":
    sys.exit(main())
