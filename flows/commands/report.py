"""``blogscope report``: the editors' offline HTML report (``warehouse.report.build_report``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.settings import Settings

NAME = "report"
HELP = "write the editors' HTML report"
EXAMPLES = """\
examples:
  blogscope report --home ~/blogs --out report.html
  blogscope report --home ~/blogs --since 2024-01-01 --until 2024-06-30 --site shrink-notes"""
DESCRIPTION = "Write the editors' report: one offline HTML file on which topics draw discussion."


def configure_parser(parser: argparse.ArgumentParser) -> None:
    from warehouse.report.build import DEFAULT_TITLE  # the report's modules (not duckdb etc.): only for this command

    # No default here: load_settings takes BLOGSCOPE_HOME, then the config's home.
    parser.add_argument("--home",
                        help="blogscope home folder (reads HOME/blogscope.duckdb); env BLOGSCOPE_HOME")
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
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the report reads (as blogscope -v)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.report import build_report

    from warehouse.lake import lake_target

    db = Path(args.db) if args.db else (lake_target(settings) or settings.published_db)
    out = Path(args.out) if args.out else settings.report_path
    allow = settings.privacy.report_comment_text if args.allow_comment_text is None else args.allow_comment_text
    summary = build_report(db, out, since=args.since, until=args.until, site=args.site,
                           allow_comment_text=allow, title=args.title, topic_names=settings.topics.names_by_id)
    empty = summary.empty_sections
    print(f"wrote {summary.out_path} ({summary.bytes_written:,} bytes; {summary.posts:,} posts, "
          f"{summary.comments:,} comments" + (f"; no data yet in: {', '.join(empty)}" if empty else "") + ")")
    return 0
