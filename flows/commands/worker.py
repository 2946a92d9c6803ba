"""``blogscope worker``: pull per-site flow runs from a Prefect work pool (``flows/worker.py``)."""

from __future__ import annotations

import argparse

from flows.argtypes import positive_int
from pipeline.settings import Settings

NAME = "worker"
HELP = "pull per-site flow runs from a Prefect work pool (many machines)"
EXAMPLES = """\
example:
  PREFECT_API_URL=http://prefect-host:4200/api blogscope worker --pool blogs
  blogscope worker --pool blogs --api http://prefect-host:4200/api --name crawler-2
Runs Prefect's process worker; each site is crawled by one worker at a time.
See the README, 'Many machines'."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pool", required=True, help="the work pool's name")
    parser.add_argument("--name", help="this worker's name (default: the host name)")
    parser.add_argument("--limit", type=positive_int, default=1, help="flow runs at a time on this worker (default 1)")
    parser.add_argument("--api", metavar="URL", help="the Prefect API (default: PREFECT_API_URL)")


def run(args: argparse.Namespace, settings: Settings | None) -> int:
    from flows.worker import run_worker

    return run_worker(args.pool, name=args.name, limit=args.limit, api_url=args.api)
