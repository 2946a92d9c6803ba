"""Small pure helpers: the dates, numbers and text the report reads from views and prints."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any


def as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, cur = [], month_of(first)
    while cur <= last:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def int_or_none(value: Any) -> int | None:
    out = float_or_none(value)
    return None if out is None else int(round(out))


def fmt_int(value: float | int | None) -> str:
    return "–" if value is None else f"{int(round(value)):,}"


def fmt_float(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def fmt_pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.0f} %" if signed else f"{value * 100:.0f} %"


def fmt_span(first: dt.date, last: dt.date) -> str:
    """'Mar–May 2025', 'Nov 2024–Jan 2025' or 'May 2025' for a run of whole months."""
    if first == last:
        return first.strftime("%b %Y")
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}"
    return f"{first:%b %Y}–{last:%b %Y}"


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis (never mid-word).

    A single word longer than the whole limit is the only thing cut inside a word.
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:·/-–—") + "…"


def short_label(text: str, limit: int) -> str:
    """A chart label: :func:`truncate` at a word boundary (the full text goes in a tooltip)."""
    return truncate(text, limit)


def weighted(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    kept = [(v, w) for v, w in pairs if v is not None and w > 0]
    total = sum(w for _, w in kept)
    return sum(v * w for v, w in kept) / total if total else None
