"""``blogscope extract PATH_OR_URL... [--format jsonl] [--workers N]``: pages to JSON lines.

Kept in ``pipeline`` (argparse only, no heavy imports until it runs) so the CLI command is one
line: ``return extract_cli.main(argv)``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from pipeline.argtypes import OneLineArgumentParser, positive_int, positive_seconds, workers_count
from pipeline.extract import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S

LOGGER = logging.getLogger(__name__)

EPILOG = """example:
  blogscope extract saved/post.html.gz https://127.0.0.1:8000/2024/05/a-post/ --workers 2 > pages.jsonl

Each line is one page: url, title, author, published_at, language, text (main text, comments
excluded), comments [{comment_id, parent_id, author, published_at, text}], status (ok, empty,
non_html, too_large, timeout, error), reason, path, sitename, categories, tags."""


def build_parser(prog: str = "blogscope extract") -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog=prog,
        description="Extract main text, metadata and reader comments from saved pages or URLs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="+", metavar="PATH_OR_URL", help=".html or .html.gz files, or http(s) URLs")
    parser.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (default: jsonl)")
    parser.add_argument("--workers", type=workers_count, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds per page before it is recorded as timeout (default: {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--max-bytes", type=positive_int, default=DEFAULT_MAX_BYTES,
                        help=f"larger pages are recorded as too_large (default: {DEFAULT_MAX_BYTES:,})")
    return parser


# Exit statuses, as for ``blogscope run`` (README: exit codes).
EXIT_OK, EXIT_USAGE, EXIT_PARTIAL, EXIT_NOTHING = 0, 2, 3, 4


def exit_status(counts: dict[str, int]) -> int:
    """0 when every input extracted, 3 when some did not, 4 when none did (or there was none)."""
    ok = counts.get("ok", 0)
    failed = sum(n for status, n in counts.items() if status != "ok")
    if not failed:
        return EXIT_OK if ok else EXIT_NOTHING
    return EXIT_PARTIAL if ok else EXIT_NOTHING


def write_records(sources: Sequence[str], stream: TextIO, *, workers: int, timeout: float,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, int]:
    """Extract ``sources`` to JSON lines on ``stream``; returns how many pages ended in each status."""
    from pipeline.extract import extract_paths

    # trafilatura logs every page it finds no text in at WARNING; the record's status says it.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    counts: dict[str, int] = {}
    for record in extract_paths(sources, workers=workers, timeout=timeout, max_bytes=max_bytes):
        counts[record["status"]] = counts.get(record["status"], 0) + 1
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    stream.flush()
    return counts


def failure_summary(counts: dict[str, int]) -> str | None:
    """One stderr line naming the inputs that did not extract, or None when all did."""
    failed = {status: n for status, n in sorted(counts.items()) if status != "ok"}
    if not failed:
        return None
    total = sum(counts.values())
    detail = ", ".join(f"{n} {status}" for status, n in failed.items())
    return f"{sum(failed.values())} of {total} inputs did not extract ({detail}; see their status and reason)"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command; returns the exit status (see ``exit_status``; 2: bad arguments)."""
    args = build_parser().parse_args(argv)
    counts = write_records(args.sources, out or sys.stdout, workers=args.workers, timeout=args.timeout,
                           max_bytes=args.max_bytes)
    summary = failure_summary(counts)
    if summary:
        print(f"blogscope extract: {summary}", file=sys.stderr)
    return exit_status(counts)


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(main())
