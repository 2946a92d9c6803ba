"""``blogscope schedule``: serve the config's cron schedules with Prefect (``flows/schedule.py``)."""

from __future__ import annotations

import argparse

from flows.commands.common import add_home, ensure_writable_home, sites_from_args
from pipeline.settings import Settings

NAME = "schedule"
HELP = "serve cron schedules from the config (Prefect)"
EXAMPLES = """\
example:
  blogscope schedule --home ~/blogs --sites sites.toml
Config: [schedule] crawl_cron = "0 3 * * *", topics_cron = "0 4 * * 0"
Starts a Prefect server on 127.0.0.1 (or uses PREFECT_API_URL) and prints its UI URL;
overlapping runs wait for the previous one."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser)
    parser.add_argument("--sites", help="site list TOML ([[sites]] id, url, platform, allow_private, ...)")
    parser.add_argument("--allow-private", action="store_true",
                        help="let the crawl reach blogs on loopback/private addresses (tests, intranets)")
    parser.add_argument("--once", action="store_true", help="register the deployments and exit (no serving loop)")
    parser.add_argument("--port", type=int, help="port of the Prefect server and UI on 127.0.0.1 (default: a free one)")
    parser.add_argument("--crawl-every", type=float, metavar="SECONDS",
                        help="crawl at this interval instead of [schedule] crawl_cron (tests, short trials)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from flows.schedule import serve_schedules

    sites = sites_from_args(settings, args)
    ensure_writable_home(settings.home)
    return serve_schedules(settings, sites, config=args.config, allow_private=args.allow_private, once=args.once,
                           port=args.port, crawl_every_s=args.crawl_every)
