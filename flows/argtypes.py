"""Checked numeric command-line options, and an argument parser whose errors are one line.

argparse's ``type=int`` takes ``-1`` workers (which spun forever) and ``type=float`` takes
``inf`` and ``nan`` seconds (a time limit that is none). These ``type=`` functions refuse such
values with a message that says what is expected; ``OneLineArgumentParser`` prints it as the one
stderr line the CLI promises for errors the user can act on (exit status 2). Stdlib only: the
command modules (``flows/commands/``) use it, and ``blogscope --help`` stays instant.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import NoReturn


class OneLineArgumentParser(argparse.ArgumentParser):
    """``ArgumentParser`` whose usage errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (limits, sizes, counts)."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def workers_count(text: str) -> int:
    """Worker processes: 0 (one per core) or more."""
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 (one per core) or more")
    return value


def positive_seconds(text: str) -> float:
    """A time limit in seconds: finite and over 0 (0, negative, inf and nan would mean no limit)."""
    value = float(_number(text, float))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds over 0")
    return value
