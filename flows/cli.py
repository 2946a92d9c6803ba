"""The one console script: ``blogscope <command> ...``.

Heavy libraries (Scrapy, trafilatura, gensim, scikit-learn, Prefect) are imported inside the
commands, so ``blogscope --help`` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from pathlib import Path

from pipeline.argtypes import OneLineArgumentParser, positive_int, positive_seconds, workers_count

EXAMPLES = {
    "main": """\
examples:
  blogscope demo                                 # crawl the bundled demo blog end to end
  blogscope run https://blog.example.org/ --home ~/blogs
  blogscope query "select count(*) from comments" --home ~/blogs
  blogscope report --home ~/blogs --out report.html

The analysts' database is HOME/blogscope.duckdb; open it read-only with any DuckDB client,
e.g. .venv/bin/duckdb -readonly HOME/blogscope.duckdb
""",
    "demo": """\
example:
  blogscope demo --home demo-home
Serves a generated psychiatry group blog (WordPress-like and Blogger-like) on 127.0.0.1,
crawls it over HTTP, processes, loads DuckDB, publishes and writes a report.""",
    "run": """\
examples:
  blogscope run https://blog.example.org/ --home ~/blogs
  blogscope run --sites sites.toml --home ~/blogs
  blogscope run http://127.0.0.1:8000/ --home /tmp/h --allow-private
Crawls, processes, loads, fits or infers topics, publishes HOME/blogscope.duckdb and writes
HOME/report.html. Runs as a Prefect flow against the server of 'blogscope schedule' when one
runs for HOME (or PREFECT_API_URL), else a temporary one on 127.0.0.1 that stops with it.
Exit codes: 0 all sites ok, 3 some failed, 4 nothing collected, 2 user error, 130 Ctrl-C.""",
    "extract": """\
examples:
  blogscope extract saved/page.html.gz other.html --format jsonl > pages.jsonl
  blogscope extract pages/*.html.gz --workers 2
One JSON line per page: url, title, author, published_at, language, text (main text, no
comments) and comments [{comment_id, parent_id, author, published_at, text}], plus status.""",
    "query": """\
examples:
  blogscope query "select count(*) from comments" --home ~/blogs
  blogscope query "select * from v_topic_discussion_month limit 20" --home ~/blogs --format csv
  blogscope query 'select title, comments from v_post_discussion where topic_label = $t' --param t="night / bed / sleep" --home ~/blogs
Read-only; external access disabled; only SELECT/WITH/DESCRIBE/SHOW/EXPLAIN/SUMMARIZE.""",
    "shell": """\
examples:
  blogscope shell --home ~/blogs
  blogscope shell --home ~/blogs -- -csv -c "select count(*) from v_post_discussion"
Opens .venv/bin/duckdb -readonly HOME/blogscope.duckdb with the fts extension loaded from the
installed package (LOAD fts by name would try to download it), so fts_main_posts.match_bm25 works
offline.""",
    "search": """\
examples:
  blogscope search "sleep medication" --home ~/blogs
  blogscope search 'melatonin "sleep diary"' --home ~/blogs --json
  blogscope search lithium --home ~/blogs --limit 5
  blogscope search "sleep medication" --by-month --home ~/blogs    # attention over time, per site
Any word may match; posts and comments with more of the words (and rarer ones) rank first.
A "quoted phrase" must appear as written. Comment snippets have e-mails and phones redacted.""",
}


def _home(args: argparse.Namespace) -> Path:
    return Path(args.home).expanduser().resolve()


def _settings(args: argparse.Namespace):  # noqa: ANN202
    from pipeline.settings import load_settings

    return load_settings(home=_home(args), config=getattr(args, "config", None))


def _add_home(p: argparse.ArgumentParser, default: str | None = None) -> None:
    p.add_argument("--home", default=default or os.environ.get("BLOGSCOPE_HOME", "blogscope-home"),
                   help="blogscope home folder (database, runs, archive, report); env BLOGSCOPE_HOME "
                        "(default: %(default)s)")
    p.add_argument("--config", help="TOML config file (default: HOME/blogscope.toml when present)")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = OneLineArgumentParser(
        prog="blogscope", formatter_class=fmt, epilog=EXAMPLES["main"],
        description="Mine blogs and their reader discussions: crawl posts and threaded comments, "
                    "extract text, score sentiment and topics, query everything in DuckDB.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="run the whole pipeline on the bundled offline demo blog",
                       formatter_class=fmt, epilog=EXAMPLES["demo"])
    _add_home(p, "demo-home")
    p.add_argument("--seed", type=int, default=7, help="demo blog generator seed (default: %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep earlier runs in HOME (default: start fresh)")

    p = sub.add_parser("run", help="crawl blogs, process, load, publish, report (a Prefect flow)",
                       formatter_class=fmt, epilog=EXAMPLES["run"])
    p.add_argument("urls", nargs="*", metavar="URL", help="blog start URLs (in addition to --sites)")
    _add_home(p)
    p.add_argument("--sites", help="site list TOML ([[sites]] id, url, platform, allow_private, ...)")
    p.add_argument("--allow-private", action="store_true",
                   help="let the crawl reach blogs on loopback/private addresses (tests, intranets)")
    p.add_argument("--refit-topics", action="store_true", help="retrain the topic model (default: infer with the last one)")
    p.add_argument("--no-report", action="store_true", help="skip writing HOME/report.html")

    p = sub.add_parser("crawl", help="only crawl (writes HOME/runs/RUN/crawl)", formatter_class=fmt,
                       epilog="example:\n  blogscope crawl https://blog.example.org/ --home ~/blogs")
    p.add_argument("urls", nargs="*", metavar="URL")
    _add_home(p)
    p.add_argument("--sites")
    p.add_argument("--allow-private", action="store_true")

    p = sub.add_parser("process", help="process a crawled run (or rebuild from the WARC archive)", formatter_class=fmt,
                       epilog="examples:\n  blogscope process --run RUN_ID --home ~/blogs\n"
                              "  blogscope process --from-archive --home ~/blogs   # no network")
    _add_home(p)
    p.add_argument("--run", help="run id (default: the latest crawled run)")
    p.add_argument("--from-archive", action="store_true", help="rebuild posts and comments from HOME/archive WARC files")
    p.add_argument("--workers", type=workers_count, default=0, help="extraction worker processes (default: all cores)")
    p.add_argument("--load", action="store_true", help="also load, publish and report")

    p = sub.add_parser("query", help="read-only SQL on the analysts' database", formatter_class=fmt,
                       epilog=EXAMPLES["query"])
    p.add_argument("sql")
    _add_home(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--timeout", type=positive_seconds, default=30.0, help="seconds before the query is stopped")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="bind $KEY to VALUE (repeatable); values are bound, never pasted into the SQL")

    p = sub.add_parser("search", help="full-text search over posts and comments (ranked, BM25)",
                       formatter_class=fmt, epilog=EXAMPLES["search"])
    p.add_argument("terms", help='words (any may match; more matches rank higher) and "quoted phrases" (must appear)')
    _add_home(p)
    p.add_argument("--limit", type=positive_int, default=20)
    p.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    p.add_argument("--by-month", action="store_true",
                   help="instead of the documents: matching posts and comments per month and site, with their "
                        "share of all that month's")

    p = sub.add_parser("shell", help="the bundled DuckDB shell, read-only, with full-text search loaded offline",
                       formatter_class=fmt, epilog=EXAMPLES["shell"])
    _add_home(p)
    p.add_argument("duckdb_args", nargs=argparse.REMAINDER, help="after --: options for the duckdb shell")

    p = sub.add_parser("export", help="export tables (pseudonyms only, PII redacted)", formatter_class=fmt,
                       epilog="example:\n  blogscope export --format parquet --out exports/ --home ~/blogs")
    _add_home(p)
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--table", action="append", help="table or view to export (repeatable; default: core tables)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--raw-cells", action="store_true",
                   help="CSV: write text cells as stored; by default a cell starting with = + - @ tab or CR "
                        "gets a leading ' so spreadsheets show it as text, not run it as a formula")

    # Listed here; its options live in warehouse.report.cli (DELEGATED below).
    p = sub.add_parser("report", help="write the editors' HTML report", formatter_class=fmt,
                       epilog="example:\n  blogscope report --home ~/blogs --since 2024-01-01 --out report.html")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="--home DIR [--out FILE] [--since DAY] [--until DAY] "
                   "[--site ID] [--title TEXT] [--allow-comment-text | --no-comment-text]")

    p = sub.add_parser("status", help="the last runs, their counts and errors", formatter_class=fmt,
                       epilog="example:\n  blogscope status --home ~/blogs")
    _add_home(p)
    p.add_argument("--limit", type=positive_int, default=10)

    p = sub.add_parser("extract", help="extract saved pages or URLs to JSON lines", formatter_class=fmt,
                       epilog=EXAMPLES["extract"])
    p.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--format", choices=["jsonl"], default="jsonl")
    p.add_argument("--workers", type=workers_count, default=0, help="worker processes (default: all cores)")
    p.add_argument("--timeout", type=positive_seconds, default=30.0, help="per-page timeout in seconds")

    p = sub.add_parser("sentiment", help="score texts (lines or JSONL with 'text') to JSONL", formatter_class=fmt,
                       epilog="examples:\n  blogscope sentiment comments.txt > scores.jsonl\n"
                              "  echo 'I love this post!' | blogscope sentiment")
    p.add_argument("file", nargs="?", help="input file (default: standard input)")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    p = sub.add_parser("topics", help="fit topic models on any corpus (CSV or JSONL)", formatter_class=fmt,
                       epilog="example:\n  blogscope topics fit --input posts.csv --text-field post --k 27 --out topics/")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="fit --input FILE --text-field NAME [--k N] --out DIR")

    p = sub.add_parser("schedule", help="serve cron schedules from the config (Prefect)", formatter_class=fmt,
                       epilog="example:\n  blogscope schedule --home ~/blogs --sites sites.toml\n"
                              "Config: [schedule] crawl_cron = \"0 3 * * *\", topics_cron = \"0 4 * * 0\"\n"
                              "Starts a Prefect server on 127.0.0.1 (or uses PREFECT_API_URL) and prints its UI URL;\n"
                              "overlapping runs wait for the previous one.")
    _add_home(p)
    p.add_argument("--sites")
    p.add_argument("--allow-private", action="store_true")
    p.add_argument("--once", action="store_true", help="register the deployments and exit (no serving loop)")
    p.add_argument("--port", type=int, help="port of the Prefect server and UI on 127.0.0.1 (default: a free one)")
    p.add_argument("--crawl-every", type=float, metavar="SECONDS",
                   help="crawl at this interval instead of [schedule] crawl_cron (tests, short trials)")

    p = sub.add_parser("deploy", help="register one deployment per site in a work pool (many machines)",
                       formatter_class=fmt,
                       epilog="example:\n  PREFECT_API_URL=http://prefect-host:4200/api blogscope deploy --pool blogs \\\n"
                              "      --shared /mnt/blogscope --sites sites.toml --cron '0 3 * * *'\n"
                              "Workers ('blogscope worker --pool blogs') then crawl the sites; see the README, 'Many machines'.")
    p.add_argument("--pool", required=True, help="the work pool's name (created when missing, type process)")
    p.add_argument("--shared", required=True, metavar="DIR",
                   help="the shared path every worker mounts at the same place (warehouse, crawl state, archive)")
    p.add_argument("--sites")
    p.add_argument("--config")
    p.add_argument("--cron", help="a schedule for every site (default: runs only when triggered)")
    p.add_argument("--allow-private", action="store_true")

    p = sub.add_parser("worker", help="pull per-site flow runs from a Prefect work pool (many machines)",
                       formatter_class=fmt,
                       epilog="example:\n  PREFECT_API_URL=http://prefect-host:4200/api blogscope worker --pool blogs\n"
                              "Runs Prefect's process worker; each site is crawled by one worker at a time.\n"
                              "See the README, 'Many machines'.")
    p.add_argument("--pool", required=True, help="the work pool's name")
    p.add_argument("--name", help="this worker's name (default: the host name)")
    p.add_argument("--limit", type=positive_int, default=1, help="flow runs at a time on this worker (default 1)")
    p.add_argument("--api", metavar="URL", help="the Prefect API (default: PREFECT_API_URL)")

    p = sub.add_parser("migrate", help="create or upgrade the warehouse schema", formatter_class=fmt,
                       epilog="example:\n  blogscope migrate --home ~/blogs")
    _add_home(p)
    return parser


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


# Commands whose options belong to a module with its own parser: everything after the command
# name is handed over untouched, so their --help is complete.
DELEGATED = {"sentiment": "pipeline.sentiment:cli_main", "topics": "pipeline.topics_cli:main",
             "report": "warehouse.report.cli:cli_main"}


# Output that cannot be written: a full disk (or /dev/full), a quota, a closed pipe.
_OUTPUT_ERRNOS = frozenset((errno.ENOSPC, errno.EDQUOT, errno.EPIPE))


def _output_failed(command: str, exc: OSError) -> int:
    """One line for output the system would not take, instead of a traceback (exit 2; 0 for a closed pipe)."""
    # Whatever is still buffered for stdout goes nowhere: flushing it at exit would fail again
    # and print a second error.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if exc.errno == errno.EPIPE:
        return 0  # the reader stopped early (`blogscope search x | head -1`): not an error
    print(f"blogscope {command}: error: cannot write the output: {exc.strerror or exc} "
          "(free some disk space or write elsewhere)", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _main(argv)
        sys.stdout.flush()  # inside the try: a closed pipe or a full disk shows up at the last flush
        return code
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        return _output_failed(next((a for a in argv if not a.startswith("-")), ""), exc)


def _main(argv: list[str]) -> int:
    if argv and argv[0] in DELEGATED:
        import importlib

        module, func = DELEGATED[argv[0]].split(":")
        return int(getattr(importlib.import_module(module), func)(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _setup_logging(args.verbose)
    from flows import commands

    handler = getattr(commands, "cmd_" + args.command.replace("-", "_"))
    from pipeline.settings import ConfigError
    from warehouse.errors import WarehouseError

    try:
        return int(handler(args) or 0)
    except (commands.UserError, ConfigError, WarehouseError) as exc:
        # Problems the user can act on: one line, no traceback.
        print(f"blogscope {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Child processes got the Ctrl-C too and stopped cleanly; a run cut short is marked
        # crashed by the next one, which picks up its records.
        print(f"blogscope {args.command}: interrupted; run it again to finish (nothing is lost)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
