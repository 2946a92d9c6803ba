"""``blogscope run``: crawl, process, load, topics, publish, report, as a Prefect flow."""

from __future__ import annotations

import argparse
import time
from typing import Any

from flows.commands.common import add_site_options, ensure_writable_home, sites_from_args
from flows.commands.summary import print_run_summary, report_exit
from flows.errors import UserError
from pipeline.settings import Settings

NAME = "run"
HELP = "crawl blogs, process, load, publish, report (a Prefect flow)"
EXAMPLES = """\
examples:
  blogscope run https://blog.example.org/ --home ~/blogs
  blogscope run --sites sites.toml --home ~/blogs
  blogscope run http://127.0.0.1:8000/ --home /tmp/h --allow-private
Crawls, processes, loads, fits or infers topics, publishes HOME/blogscope.duckdb and writes
HOME/report.html. Runs as a Prefect flow against the server of 'blogscope schedule' when one
runs for HOME (or PREFECT_API_URL), else a temporary one on 127.0.0.1 that stops with it.
Exit codes: 0 all sites ok, 3 some failed, 4 nothing collected, 2 user error, 130 Ctrl-C."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_site_options(parser)
    parser.add_argument("--refit-topics", action="store_true",
                        help="retrain the topic model (default: infer with the last one)")
    parser.add_argument("--no-report", action="store_true", help="skip writing HOME/report.html")


def run(args: argparse.Namespace, settings: Settings) -> int:
    sites = sites_from_args(settings, args)
    if not sites:
        raise UserError("no sites: give blog URLs, e.g. 'blogscope run https://blog.example.org/ --home DIR', "
                        "or a site list with --sites sites.toml")
    ensure_writable_home(settings.home)
    start = time.perf_counter()
    summary = run_as_flow(settings, args.config, sites, allow_private=args.allow_private,
                          refit_topics=args.refit_topics, write_report=not args.no_report)
    print_run_summary(settings, summary, time.perf_counter() - start)
    return report_exit(summary, NAME)


def run_as_flow(settings: Settings, config: str | None, sites: tuple[Any, ...], *, allow_private: bool,
                refit_topics: bool = False, write_report: bool = True) -> dict[str, Any]:
    """The run flow, talking to a Prefect server that dies with this process (``flows/server.py``)."""
    from flows.prefect_env import configure_prefect_env
    from flows.server import use_server_for_run

    configure_prefect_env(settings.home)
    use_server_for_run(settings.home)
    from flows.prefect_flows import run_flow

    return run_flow(home=str(settings.home), config=config, sites=[s.__dict__ for s in sites],
                    allow_private=allow_private, refit_topics=refit_topics, write_report=write_report)
