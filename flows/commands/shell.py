"""``blogscope shell``: the bundled DuckDB shell on the published database, read-only, with
full-text search loaded offline."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from flows.commands.common import add_home, require_published
from flows.errors import UserError
from pipeline.settings import Settings

NAME = "shell"
HELP = "the bundled DuckDB shell, read-only, with full-text search loaded offline"
EXAMPLES = """\
examples:
  blogscope shell --home ~/blogs
  blogscope shell --home ~/blogs -- -csv -c "select count(*) from v_post_discussion"
Opens .venv/bin/duckdb -readonly HOME/blogscope.duckdb with the fts extension loaded from the
installed package (LOAD fts by name would try to download it), so fts_main_posts.match_bm25 works
offline."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser)
    parser.add_argument("duckdb_args", nargs=argparse.REMAINDER, help="after --: options for the duckdb shell")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.db import fts_load_statement
    from warehouse.lake import LakeTarget

    db = require_published(settings)
    shell = Path(sys.executable).parent / "duckdb"  # the duckdb-cli package, same release as the library
    if not shell.is_file():
        raise UserError(f"no DuckDB shell at {shell}; install it with 'make install' (package duckdb-cli)")
    # Without these, a query that needs fts before the LOAD would try to download it.
    setup = ("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; "
             f"{fts_load_statement()};")
    extra = args.duckdb_args[1:] if args.duckdb_args[:1] == ["--"] else args.duckdb_args
    sys.stdout.flush()
    if isinstance(db, LakeTarget):  # the analysts' one-liner (warehouse.lake.analyst_command)
        from warehouse.lake import attach_statements

        setup += " " + "; ".join(attach_statements(db, read_only=True, secrets=False)) + ";"
        os.execv(shell, [str(shell), "-cmd", setup, *extra])
    os.execv(shell, [str(shell), "-readonly", str(db), "-cmd", setup, *extra])
    return 0  # not reached: the shell replaces this process
