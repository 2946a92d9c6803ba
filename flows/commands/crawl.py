"""``blogscope crawl``: only the crawl, into ``HOME/runs/RUN/crawl`` (no run is recorded)."""

from __future__ import annotations

import argparse
import json

from flows.commands.common import add_site_options, ensure_writable_home, sites_from_args
from pipeline.settings import Settings

NAME = "crawl"
HELP = "only crawl (writes HOME/runs/RUN/crawl)"
EXAMPLES = """\
example:
  blogscope crawl https://blog.example.org/ --home ~/blogs
then: blogscope process --run RUN_ID --load --home ~/blogs"""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_site_options(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from flows import jobs

    sites = sites_from_args(settings, args)
    ensure_writable_home(settings.home)
    run_id = jobs.new_run_id()
    summary = jobs.crawl(settings, run_id, sites, allow_private=args.allow_private)
    print(f"run {run_id}: crawl output in {summary.out_dir}")
    print(json.dumps(summary.stats, indent=1, default=str))
    print(f"next: blogscope process --run {run_id} --home {settings.home} --load")
    return 0
