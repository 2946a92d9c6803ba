"""``blogscope export``: tables and views to Parquet or CSV (pseudonyms only, PII redacted)."""

from __future__ import annotations

import argparse
from pathlib import Path

from flows.commands.common import add_home, require_published
from pipeline.settings import Settings

NAME = "export"
HELP = "export tables (pseudonyms only, PII redacted)"
EXAMPLES = """\
examples:
  blogscope export --format parquet --out exports/ --home ~/blogs
  blogscope export --format csv --table v_post_discussion --out exports/ --home ~/blogs"""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--table", action="append", help="table or view to export (repeatable; default: core tables)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--raw-cells", action="store_true",
                        help="CSV: write text cells as stored; by default a cell starting with = + - @ tab or CR "
                             "gets a leading ' so spreadsheets show it as text, not run it as a formula")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.export import export

    files = export(require_published(settings), Path(args.out), fmt=args.format, tables=args.table,
                   raw_cells=args.raw_cells)
    for f in files:
        print(f)
    return 0
