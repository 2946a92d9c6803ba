"""``blogscope query``: read-only SQL on the analysts' database."""

from __future__ import annotations

import argparse
import sys

from flows.argtypes import positive_seconds
from flows.commands.common import add_home, require_published
from flows.errors import UserError
from pipeline.settings import Settings

NAME = "query"
HELP = "read-only SQL on the analysts' database"
EXAMPLES = """\
examples:
  blogscope query "select count(*) from comments" --home ~/blogs
  blogscope query "select * from v_topic_discussion_month limit 20" --home ~/blogs --format csv
  blogscope query 'select title, comments from v_post_discussion where topic_label = $t' --param t="night / bed / sleep" --home ~/blogs
Read-only; external access disabled; only SELECT/WITH/DESCRIBE/SHOW/EXPLAIN/SUMMARIZE."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql")
    add_home(parser)
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--timeout", type=positive_seconds, default=30.0, help="seconds before the query is stopped")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="bind $KEY to VALUE (repeatable); values are bound, never pasted into the SQL")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.query import format_result, query

    db = require_published(settings)
    result = query(db, args.sql, params=_params(args.param) or None, timeout_s=args.timeout)
    sys.stdout.write(format_result(result, args.format))
    return 0


def _params(items: list[str]) -> dict[str, str]:
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UserError(f"--param {item!r}: use KEY=VALUE, e.g. --param topic=sleep")
        params[name] = value
    return params
