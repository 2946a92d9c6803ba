"""The one console script: ``blogscope <command> ...``.

Each command is one module in ``flows/commands/`` with ``configure_parser(parser)`` and
``run(args, settings) -> int``, listed in ``COMMANDS`` below (add a command: write the module,
add it to the list). This module builds the parser, reads the settings once, and turns errors
into the exit codes of the README: 0 ok, 1 bug (traceback), 2 user error (one line, see
``flows/errors.py``), 3 partial, 4 nothing collected, 130 Ctrl-C.

Heavy libraries (Scrapy, trafilatura, gensim, scikit-learn, Prefect) are imported inside the
commands' ``run``, so ``blogscope --help`` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from flows.argtypes import OneLineArgumentParser
from flows.commands import (
    crawl,
    demo,
    deploy,
    export,
    extract,
    migrate,
    process,
    query,
    report,
    run,
    schedule,
    search,
    sentiment,
    shell,
    status,
    topics,
    worker,
)
from flows.commands.common import FORMATTER
from flows.errors import ACTIONABLE_ERRORS
from pipeline.settings import Settings

# In the order of ``blogscope --help``.
COMMANDS: tuple[ModuleType, ...] = (demo, run, crawl, process, query, search, shell, export, report, status,
                                    extract, sentiment, topics, schedule, deploy, worker, migrate)
COMMANDS_BY_NAME = {module.NAME: module for module in COMMANDS}

MAIN_EXAMPLES = """\
examples:
  blogscope demo                                 # crawl the bundled demo blog end to end
  blogscope run https://blog.example.org/ --home ~/blogs
  blogscope query "select count(*) from comments" --home ~/blogs
  blogscope report --home ~/blogs --out report.html

The analysts' database is HOME/blogscope.duckdb; open it read-only with any DuckDB client,
e.g. .venv/bin/duckdb -readonly HOME/blogscope.duckdb
"""

# Every --help epilog, by command ("main": blogscope --help); tests/test_examples.py runs them.
EXAMPLES = {"main": MAIN_EXAMPLES, **{module.NAME: module.EXAMPLES for module in COMMANDS}}


def build_parser(configure: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``configure``, only those commands get their options (every command
    is listed either way), so ``blogscope --help`` does not import what ``extract`` or ``report``
    need for their defaults."""
    parser = OneLineArgumentParser(
        prog="blogscope", formatter_class=FORMATTER, epilog=MAIN_EXAMPLES,
        description="Mine blogs and their reader discussions: crawl posts and threaded comments, "
                    "extract text, score sentiment and topics, query everything in DuckDB.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", None),
                                        epilog=module.EXAMPLES, formatter_class=FORMATTER)
        if configure is None or module.NAME in configure:
            module.configure_parser(command_parser)
    return parser


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _settings(args: argparse.Namespace) -> Settings | None:
    """The settings, read once from ``--home``/``--config``; None for commands without a home."""
    if "home" not in vars(args):
        return None
    from pipeline.settings import load_settings

    home = Path(args.home).expanduser().resolve() if args.home else None
    return load_settings(home=home, config=args.config)


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
    word = next((a for a in argv if not a.startswith("-")), None)  # the command (top-level options take no value)
    parser = build_parser(configure=[word] if word in COMMANDS_BY_NAME else [])
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _setup_logging(args.verbose)
    try:
        return int(COMMANDS_BY_NAME[args.command].run(args, _settings(args)) or 0)
    except ACTIONABLE_ERRORS as exc:
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
