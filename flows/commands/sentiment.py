"""``blogscope sentiment``: texts (lines or JSON lines with "text") to JSON lines of sentiment
(``pipeline.sentiment.score_lines``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable
from typing import IO

NAME = "sentiment"
HELP = "score texts (lines or JSONL with 'text') to JSONL"
DESCRIPTION = """\
Score the sentiment of texts with sentence-level VADER (English only).

Input: FILE or stdin, one text per line, or JSON lines with a "text" field (optional "id" and
"language" fields are used). A line that parses as a JSON object is a record (no "text" string:
nothing to score); any other line is the text itself. Output: one JSON line per input line, in input order, with
compound, label, language, sentences, share_positive, share_negative, scorer, scorer_version
(and id when the input line had one). Empty lines, non-English and mojibake text get
compound null.

--language auto (default) detects each line's language and leaves lines that are clearly in
another language unscored; lines too short to call ("LMAO, AMAZING!") are taken as English,
because this is an English scorer and nulling them would throw away most tweets and comments.
--language en skips detection and scores every line as English.
"""
EXAMPLES = """\
examples:
  blogscope sentiment comments.txt > scores.jsonl
  echo '{"id": "c1", "text": "Great post, very helpful!"}' | blogscope sentiment
  echo 'I love this post!' | blogscope sentiment
  blogscope sentiment --language en tweets.txt
"""

log = logging.getLogger("pipeline.sentiment")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-", metavar="FILE", help="input file (default: stdin, also '-')")
    parser.add_argument(
        "--language",
        choices=("auto", "en"),
        default="auto",
        help="auto: detect per line, leave other languages unscored (default); en: score every line as English",
    )
    parser.add_argument("-o", "--output", default="-", metavar="OUT", help="output file (default: stdout)")


def run(args: argparse.Namespace, settings: None = None) -> int:
    """JSON lines of sentiment, one per input line. Returns an exit code."""
    from pipeline.sentiment import SCORER_NAME, SCORER_VERSION, score_lines

    try:
        source: IO[str] = _stdin() if args.file == "-" else open(args.file, encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        print(f"blogscope sentiment: cannot read {args.file}: {exc.strerror}; give a readable text or JSONL file, "
              "or '-' for stdin", file=sys.stderr)
        return 2
    try:
        sink: IO[str] = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    except OSError as exc:
        print(f"blogscope sentiment: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        # newline="" above keeps a lone "\r" inside a line from splitting it; lines end at "\n".
        count = score_lines(_lines(source), sink, args.language)
    finally:
        if source is not sys.stdin:
            source.close()
        if sink is not sys.stdout:
            sink.close()
        else:
            sink.flush()
    log.info("scored %d lines with %s %s", count, SCORER_NAME, SCORER_VERSION)
    return 0


def _stdin() -> IO[str]:
    """stdin as UTF-8 that neither fails on bad bytes nor turns a lone "\\r" into a line break."""
    stream = sys.stdin
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(encoding="utf-8", errors="replace", newline="")
    return stream


def _lines(source: IO[str]) -> Iterable[str]:
    """Lines split on "\\n" only, so a stray "\\r" or U+2028 inside a text never adds an output line."""
    buffer = ""
    while True:
        chunk = source.read(1 << 16)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split("\n")
        yield from complete
    if buffer:
        yield buffer
