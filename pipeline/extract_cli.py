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

from pipeline.extract import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S

LOGGER = logging.getLogger(__name__)

EPILOG = """example:
  blogscope extract saved/post.html.gz https://127.0.0.1:8000/2024/05/a-post/ --workers 2 > pages.jsonl

Each line is one page: url, title, author, published_at, language, text (main text, comments
excluded), comments [{comment_id, parent_id, author, published_at, text}], status (ok, empty,
non_html, too_large, timeout, error), reason, path, sitename, categories, tags."""


def build_parser(prog: str = "blogscope extract") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Extract main text, metadata and reader comments from saved pages or URLs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="+", metavar="PATH_OR_URL", help=".html or .html.gz files, or http(s) URLs")
    parser.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (default: jsonl)")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds per page before it is recorded as timeout (default: {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help=f"larger pages are recorded as too_large (default: {DEFAULT_MAX_BYTES:,})")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command; returns the exit status (0: every input has a record, 2: bad arguments)."""
    args = build_parser().parse_args(argv)
    if args.workers < 0:
        print("blogscope extract: --workers must be 0 (all cores) or more", file=sys.stderr)
        return 2
    if args.timeout <= 0:
        print("blogscope extract: --timeout must be a positive number of seconds", file=sys.stderr)
        return 2
    from pipeline.extract import extract_paths

    # trafilatura logs every page it finds no text in at WARNING; the record's status says it.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    stream = out or sys.stdout
    counts: dict[str, int] = {}
    for record in extract_paths(args.sources, workers=args.workers, timeout=args.timeout, max_bytes=args.max_bytes):
        counts[record["status"]] = counts.get(record["status"], 0) + 1
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    stream.flush()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    LOGGER.info("extracted %d pages: %s", sum(counts.values()), summary)
    return 0


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(main())
