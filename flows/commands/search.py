"""``blogscope search``: ranked full-text search (BM25) over posts and comments."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from flows.argtypes import positive_int
from flows.commands.common import add_home, require_published
from flows.errors import UserError
from pipeline.settings import Settings

if TYPE_CHECKING:
    from warehouse.query import QueryResult

NAME = "search"
HELP = "full-text search over posts and comments (ranked, BM25)"
EXAMPLES = """\
examples:
  blogscope search "sleep medication" --home ~/blogs
  blogscope search 'melatonin "sleep diary"' --home ~/blogs --json
  blogscope search lithium --home ~/blogs --limit 5
  blogscope search "sleep medication" --by-month --home ~/blogs    # attention over time, per site
Any word may match; posts and comments with more of the words (and rarer ones) rank first.
A "quoted phrase" must appear as written. Comment snippets have e-mails and phones redacted."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("terms", help='words (any may match; more matches rank higher) and "quoted phrases" '
                                      "(must appear)")
    add_home(parser)
    parser.add_argument("--limit", type=positive_int, default=20)
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    parser.add_argument("--by-month", action="store_true",
                        help="instead of the documents: matching posts and comments per month and site, with their "
                             "share of all that month's")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.query import QueryResult
    from warehouse.search import mentions_by_month, search

    from warehouse.lake import LakeTarget

    db = require_published(settings)
    if isinstance(db, LakeTarget):
        raise UserError("search needs the full-text indexes of the single-file warehouse, which DuckLake cannot "
                        "hold; on DuckLake use 'blogscope query' (e.g. WHERE text ILIKE '%word%')")
    if args.by_month:
        print_rows(mentions_by_month(db, args.terms), args.json)
        return 0
    hits = search(db, args.terms, limit=args.limit)
    if not hits:
        print(f"no match for {args.terms!r}", file=sys.stderr)
    # JSON lines carry every field; the table leaves out post_id (the url names the post).
    columns = list(hits[0]) if args.json and hits else ["score", "kind", "title", "snippet", "url", "id"]
    print_rows(QueryResult(columns, [tuple(h[c] for c in columns) for h in hits]), args.json)
    return 0


def print_rows(result: QueryResult, json_lines: bool) -> None:
    """The query table, or one JSON object per row."""
    from warehouse.query import format_result

    if not json_lines:
        sys.stdout.write(format_result(result, "table"))
        return
    for row in result.rows:
        print(json.dumps(dict(zip(result.columns, row)), ensure_ascii=False, default=str))
