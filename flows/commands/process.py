"""``blogscope process``: a crawled run (or the WARC archive) to Parquet; ``--load`` also loads,
fits or infers topics, publishes and reports (``flows.orchestration``, without Prefect)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from flows.argtypes import workers_count
from flows.commands.common import add_home, ensure_writable_home
from flows.commands.summary import report_exit
from pipeline.settings import Settings

NAME = "process"
HELP = "process a crawled run (or rebuild from the WARC archive)"
EXAMPLES = """\
examples:
  blogscope process --run RUN_ID --home ~/blogs
  blogscope process --run RUN_ID --load --home ~/blogs     # also load, publish and report
  blogscope process --from-archive --load --home ~/blogs   # rebuild everything, no network"""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser)
    parser.add_argument("--run", help="run id (default: the latest crawled run)")
    parser.add_argument("--from-archive", action="store_true",
                        help="rebuild posts and comments from HOME/archive WARC files")
    parser.add_argument("--workers", type=workers_count, default=0,
                        help="extraction worker processes (default: all cores)")
    parser.add_argument("--load", action="store_true", help="also load, publish and report")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from flows import jobs

    ensure_writable_home(settings.home)
    if args.from_archive:
        run_id = args.run or jobs.new_run_id()
    else:
        run_id = args.run or jobs.latest_run_id(settings, "crawl")
    if args.workers:
        settings = dataclasses.replace(settings, process=dataclasses.replace(settings.process, workers=args.workers))
    if not args.load:
        _print_counts(run_id, jobs.process(settings, run_id, from_archive=args.from_archive))
        print(f"next: blogscope process --run {run_id} --load --home {settings.home}")
        return 0
    from flows import orchestration

    plan = orchestration.RunPlan(kind="process", process=True, from_archive=args.from_archive, write_report=True,
                                 config={"from_archive": args.from_archive})
    summary = orchestration.execute(settings, run_id, plan, orchestration.plain_stages())
    _print_counts(run_id, summary["process"])
    print(f"loaded and published {settings.published_db}")
    return report_exit(summary, NAME)


def _print_counts(run_id: str, processed: dict[str, Any]) -> None:
    print(f"run {run_id}: {processed['posts']} posts, {processed['comments']} comments, "
          f"{processed['quarantined']} quarantined")
