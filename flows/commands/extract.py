"""``blogscope extract``: saved pages or URLs to JSON lines (``pipeline.extract.extract_paths``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from flows.argtypes import positive_int, positive_seconds, workers_count
from flows.outcomes import EXIT_NOTHING_COLLECTED, EXIT_OK, EXIT_PARTIAL

NAME = "extract"
HELP = "extract saved pages or URLs to JSON lines"
DESCRIPTION = "Extract main text, metadata and reader comments from saved pages or URLs."
EXAMPLES = """\
examples:
  blogscope extract saved/page.html.gz other.html --format jsonl > pages.jsonl
  blogscope extract pages/*.html.gz --workers 2
  blogscope extract saved/page.html.gz --max-bytes 5000000 > page.jsonl
An input may also be an http(s) URL (fetched once, at most --max-bytes).
One JSON line per page: url, title, author, published_at, language, text (main text, comments
excluded), comments [{comment_id, parent_id, author, published_at, text}], status (ok, empty,
non_html, too_large, timeout, error), reason, path, sitename, categories, tags.
Exit codes: 0 every page extracted, 3 some did not, 4 none did."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    from pipeline.extract import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S  # ~0.1 s: only for this command

    parser.add_argument("inputs", nargs="+", metavar="PATH_OR_URL", help=".html or .html.gz files, or http(s) URLs")
    parser.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (default: jsonl)")
    parser.add_argument("--workers", type=workers_count, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds per page before it is recorded as timeout (default: {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--max-bytes", type=positive_int, default=DEFAULT_MAX_BYTES,
                        help=f"larger pages are recorded as too_large (default: {DEFAULT_MAX_BYTES:,})")


def run(args: argparse.Namespace, settings: None = None) -> int:
    counts = write_records(args.inputs, sys.stdout, workers=args.workers, timeout=args.timeout,
                           max_bytes=args.max_bytes)
    summary = failure_summary(counts)
    if summary:
        print(f"blogscope extract: {summary}", file=sys.stderr)
    return exit_status(counts)


def exit_status(counts: dict[str, int]) -> int:
    """0 when every input extracted, 3 when some did not, 4 when none did (or there was none)."""
    ok = counts.get("ok", 0)
    failed = sum(n for status, n in counts.items() if status != "ok")
    if not failed:
        return EXIT_OK if ok else EXIT_NOTHING_COLLECTED
    return EXIT_PARTIAL if ok else EXIT_NOTHING_COLLECTED


def write_records(sources: Sequence[str], stream: TextIO, *, workers: int, timeout: float,
                  max_bytes: int) -> dict[str, int]:
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
