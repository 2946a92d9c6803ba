"""``blogscope status``: the last runs, their counts and errors, uncollected pages, privacy."""

from __future__ import annotations

import argparse
import sys

from flows.argtypes import positive_int
from flows.commands.common import add_home, require_published
from flows.commands.summary import print_crawl_failures
from pipeline.settings import Settings

NAME = "status"
HELP = "the last runs, their counts and errors"
EXAMPLES = """\
example:
  blogscope status --home ~/blogs"""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser)
    parser.add_argument("--limit", type=positive_int, default=10)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.query import format_result, query_file

    db = require_published(settings)
    result = query_file(db, "run_status", {"limit": args.limit})
    sys.stdout.write(format_result(result, "table"))
    if "scheduled" in (row[result.columns.index("trigger")] for row in result.rows):
        from flows.schedule import OVERLAP_NOTE

        print(OVERLAP_NOTE)
    counts = query_file(db, "summary_counts", {})
    print_crawl_failures(dict(zip(counts.columns, counts.rows[0])).get("crawl_failures"))
    privacy = query_file(db, "privacy_summary", {"limit": args.limit})
    sys.stdout.write("\nprivacy: replacements in texts at ingest (v_privacy_summary)\n" + format_result(privacy, "table"))
    return 0
