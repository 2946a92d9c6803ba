"""When to look at an old post again (late comments arrive on a decaying schedule).

A post is *due* when one of the offsets after its publication (``revisit_after_days``, e.g.
1, 3, 7, 30 days) fell between the last visit and now: comments come fast in the first days and
rarely after a month, so visits thin out accordingly. Past the last offset a post is visited
only when a site-wide signal (comment feed changed) says something new arrived. Pure functions,
with "now" passed in so tests can move time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def is_due(published_at: str | None, last_visit: str | None, now: datetime,
           offsets_days: tuple[int, ...] | list[int]) -> bool:
    """True when a revisit point ``published + offset`` lies in ``(last_visit, now]``.

    Never visited means due. An unknown publication date falls back to the last offset measured
    from the last visit (a slow, steady check rather than never).
    """
    visited = parse_time(last_visit)
    if visited is None:
        return True
    published = parse_time(published_at)
    if not offsets_days:
        return False
    if published is None:
        return now - visited >= timedelta(days=max(offsets_days))
    for days in sorted(offsets_days):
        point = published + timedelta(days=days)
        if visited < point <= now:
            return True
    return False


def next_due(published_at: str | None, last_visit: str | None,
             offsets_days: tuple[int, ...] | list[int]) -> datetime | None:
    """The next revisit point after the last visit (``None`` when the schedule is exhausted)."""
    visited = parse_time(last_visit)
    published = parse_time(published_at)
    if published is None or visited is None:
        return None
    for days in sorted(offsets_days):
        point = published + timedelta(days=days)
        if point > visited:
            return point
    return None
