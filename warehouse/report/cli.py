"""``blogscope report``: the command line over :func:`build_report`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.argtypes import OneLineArgumentParser
from warehouse.report.build import DEFAULT_TITLE, build_report
from warehouse.report.results import ReportError


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="blogscope report", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write the editors' report: one offline HTML file on which topics draw discussion.",
        epilog="examples:\n  blogscope report --home ~/blogs --out report.html\n"
               "  blogscope report --home ~/blogs --since 2024-01-01 --until 2024-06-30 --site shrink-notes")
    parser.add_argument("--home", help="blogscope home folder (reads HOME/blogscope.duckdb); env BLOGSCOPE_HOME")
    parser.add_argument("--config", help="TOML config file (default: HOME/blogscope.toml when present)")
    parser.add_argument("--db", help="read this DuckDB file instead of HOME/blogscope.duckdb")
    parser.add_argument("--out", help="output HTML file (default: HOME/report.html)")
    parser.add_argument("--since", help="first day (YYYY-MM-DD, inclusive)")
    parser.add_argument("--until", help="last day (YYYY-MM-DD, inclusive)")
    parser.add_argument("--site", help="only this site id")
    parser.add_argument("--title", default=DEFAULT_TITLE, help="report title (default: %(default)s)")
    text = parser.add_mutually_exclusive_group()
    text.add_argument("--allow-comment-text", dest="allow_comment_text", action="store_true", default=None,
                      help="include short verbatim comment excerpts (sensitive; default from [privacy] "
                           "report_comment_text)")
    text.add_argument("--no-comment-text", dest="allow_comment_text", action="store_false",
                      help="never include comment text")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the report reads")
    return parser


def cli_main(argv: Sequence[str] | None = None) -> int:
    """``blogscope report``: 0 on success, 2 with a message when no report can be written."""
    from pipeline.settings import ConfigError, load_settings
    from warehouse.errors import WarehouseError

    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(home=Path(args.home).expanduser() if args.home else None, config=args.config)
        from warehouse.lake import lake_target

        db = Path(args.db) if args.db else (lake_target(settings) or settings.published_db)
        out = Path(args.out) if args.out else settings.report_path
        allow = settings.privacy.report_comment_text if args.allow_comment_text is None else args.allow_comment_text
        summary = build_report(db, out, since=args.since, until=args.until, site=args.site,
                               allow_comment_text=allow, title=args.title)
    except (ReportError, ConfigError, WarehouseError) as exc:
        print(f"blogscope report: error: {exc}", file=sys.stderr)
        return 2
    empty = summary.empty_sections
    print(f"wrote {summary.out_path} ({summary.bytes_written:,} bytes; {summary.posts:,} posts, "
          f"{summary.comments:,} comments" + (f"; no data yet in: {', '.join(empty)}" if empty else "") + ")")
    return 0
