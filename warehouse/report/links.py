"""Everything that becomes a link on the page: post URLs that pass :func:`safe_href`, and CSV downloads."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Chromium refuses URLs longer than 2 MiB; a CSV link is cut (and says so) well before that.
MAX_CSV_LINK_BYTES = 1_000_000


def safe_href(url: Any) -> str | None:
    """The URL when it is a plain absolute http(s) link, else None (render it as text).

    ``javascript:``, ``data:``, ``file:``, protocol-relative and malformed URLs never become
    links; neither do URLs with whitespace or control characters (used to smuggle schemes past
    naive checks).
    """
    if not isinstance(url, str) or not url or len(url) > 4096:
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first),
    prefixed with ``'`` so it shows as text (CSV injection). The report's CSVs and
    ``blogscope export --format csv`` both use this one rule.
    """
    return "'" + value if value.startswith(_CSV_FORMULA_START) else value


def _csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection): editors open these in Excel."""
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class CsvLink:
    filename: str
    href: str
    rows: int
    truncated: bool


def csv_link(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
             max_bytes: int = MAX_CSV_LINK_BYTES) -> CsvLink:
    """A ``data:text/csv`` download link; base64 costs a third of percent-encoding's overhead.

    UTF-8 with a byte-order mark, so Excel shows accents and non-Latin titles right. Rows beyond
    ``max_bytes`` are cut (``truncated``), the browser would refuse the whole link otherwise.
    """
    filename = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") + ".csv"

    def encode(n: int) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([_csv_cell(v) for v in row] for row in rows[:n])
        return base64.b64encode(("\ufeff" + buf.getvalue()).encode("utf-8")).decode("ascii")

    n = len(rows)
    payload = encode(n)
    while len(payload) > max_bytes and n > 1:
        n = max(1, int(n * max_bytes / len(payload) * 0.95))
        payload = encode(n)
    return CsvLink(filename, "data:text/csv;charset=utf-8;base64," + payload, n, n < len(rows))
