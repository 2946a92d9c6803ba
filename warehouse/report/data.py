"""What the report shows, as plain dataclasses, and what is derived from it: period, colours, trends."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from warehouse.report.colours import MAX_TOPICS_IN_CHARTS, OTHER_COLOUR, PALETTE
from warehouse.report.format import add_months, month_of, months_between

TopicKey = tuple[str | None, int | None]  # (model_run_id, topic_id); (None, None) = no topic
NO_TOPIC: TopicKey = (None, None)


@dataclass(frozen=True)
class Topic:
    key: TopicKey
    label: str
    colour: str = OTHER_COLOUR
    terms: str = ""  # the model's own label (top terms), shown in a tooltip when an editor named the topic
    named: bool = False  # the label comes from [topics.names]


@dataclass
class CommentRow:
    """One comment of the interactive report's threads (a pseudonym, never a name)."""

    comment_id: str
    post_id: str
    parent_id: str | None
    depth: int
    pseudonym: str | None
    published: dt.datetime | None
    hours_after_post: float | None
    compound: float | None
    tone: str | None
    text: str | None


@dataclass
class ModelInfo:
    run_id: str
    scope: str
    model: str | None
    k: int | None
    created_at: dt.datetime | None
    coherence: float | None = None


@dataclass
class MonthTopic:
    """Comments written in one month on posts of one topic."""

    month: dt.date
    topic: TopicKey
    comments: int
    commenters: int
    replies: int
    scored: int
    compound_sum: float
    negative: int
    neutral: int
    positive: int

    @property
    def mean_sentiment(self) -> float | None:
        return self.compound_sum / self.scored if self.scored else None


@dataclass
class PostRow:
    post_id: str
    site_id: str | None
    url: str | None
    title: str
    published: dt.date | None
    topic: TopicKey
    comments: int
    replies: int | None
    commenters: int | None
    max_depth: int | None
    hours_to_first_comment: float | None
    mean_sentiment: float | None
    threads: int | None = None
    largest_thread: int | None = None


@dataclass
class LateRow:
    comment_id: str
    post_id: str
    url: str | None
    title: str
    topic: TopicKey
    post_published: dt.date | None
    commented: dt.date | None
    days_after_post: float | None
    pseudonym: str | None
    text: str | None


@dataclass
class TopicMood:
    topic: TopicKey
    scored: int
    mean: float | None
    share_negative: float
    share_neutral: float
    share_positive: float


@dataclass
class TrendRow:
    topic: TopicKey
    previous: int
    current: int

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def change_share(self) -> float | None:
        return None if self.previous == 0 else self.change / self.previous


@dataclass
class ReportData:
    """Everything the report shows, already cut to the period and site."""

    since: dt.date | None
    until: dt.date | None
    site: str | None
    topics: dict[TopicKey, Topic] = field(default_factory=dict)
    model: ModelInfo | None = None
    sites: list[str] = field(default_factory=list)
    activity: list[MonthTopic] = field(default_factory=list)  # the period and the months before it
    undated_comments: int = 0
    posts: list[PostRow] = field(default_factory=list)
    late: list[LateRow] = field(default_factory=list)
    late_after_days: int | None = None
    cohort: list[dict[str, Any]] = field(default_factory=list)  # v_topic_discussion_month rows
    commenters: int | None = None
    missing: dict[str, str] = field(default_factory=dict)  # view -> why it could not be used
    period_first: dt.date | None = None  # first month shown
    period_last: dt.date | None = None  # last month shown
    trend_current: tuple[dt.date, dt.date] | None = None
    trend_previous: tuple[dt.date, dt.date] | None = None
    comments: list[CommentRow] = field(default_factory=list)  # on the period's posts, or written in it
    older_posts: list[PostRow] = field(default_factory=list)  # published before the period, commented in it

    def topic(self, key: TopicKey) -> Topic:
        if key not in self.topics:
            label = "(no topic)" if key[1] is None else f"T{key[1]}"
            self.topics[key] = Topic(key, label)
        return self.topics[key]

    def label(self, key: TopicKey) -> str:
        return self.topic(key).label

    def in_period(self) -> list[MonthTopic]:
        if self.period_first is None or self.period_last is None:
            return []
        return [m for m in self.activity if self.period_first <= m.month <= self.period_last]

    def moods(self) -> list[TopicMood]:
        """Tone of the period's comments per topic (same definitions as v_sentiment_by_topic)."""
        acc: dict[TopicKey, list[MonthTopic]] = defaultdict(list)
        for m in self.in_period():
            acc[m.topic].append(m)
        out = []
        for key, rows in acc.items():
            scored = sum(r.scored for r in rows)
            if scored:
                out.append(TopicMood(key, scored, sum(r.compound_sum for r in rows) / scored,
                                     sum(r.negative for r in rows) / scored, sum(r.neutral for r in rows) / scored,
                                     sum(r.positive for r in rows) / scored))
        return out


def settle_period(data: ReportData, trend_months: int) -> None:
    """Fix the months shown and the two windows the trend section compares."""
    known = sorted({m.month for m in data.activity} | {p.published for p in data.posts if p.published})
    first = month_of(data.since) if data.since else (month_of(known[0]) if known else None)
    last = month_of(data.until) if data.until else (month_of(known[-1]) if known else None)
    if first is None or last is None:
        return
    last = max(first, last)  # --since after the last data: one (empty) month
    data.period_first, data.period_last = first, last
    if data.since is not None:
        # An explicit period is compared with as many months just before it.
        span = len(months_between(first, last))
        current = (first, last)
    else:
        span = trend_months
        current = (add_months(last, -(span - 1)), last)
    data.trend_current = current
    data.trend_previous = (add_months(current[0], -span), add_months(current[0], -1))


def assign_colours(data: ReportData) -> None:
    """Topics ranked by comments in the period get the palette; the rest, and no topic, share grey."""
    totals: dict[TopicKey, int] = defaultdict(int)
    for m in data.in_period():
        totals[m.topic] += m.comments
    for key in [*data.topics, *(p.topic for p in data.posts), *(r.topic for r in data.late)]:
        totals.setdefault(key, 0)
    ranked = [k for k in sorted(totals, key=lambda k: (-totals[k], k[1] is None, k[1] or 0, k[0] or ""))
              if k != NO_TOPIC]
    for rank, key in enumerate(ranked):
        colour = PALETTE[rank] if rank < min(MAX_TOPICS_IN_CHARTS, len(PALETTE)) else OTHER_COLOUR
        data.topics[key] = dataclasses.replace(data.topic(key), colour=colour)
    data.topic(NO_TOPIC)


def trend_rows(data: ReportData) -> list[TrendRow]:
    if data.trend_current is None or data.trend_previous is None:
        return []
    cur: dict[TopicKey, int] = defaultdict(int)
    prev: dict[TopicKey, int] = defaultdict(int)
    for m in data.activity:
        if data.trend_current[0] <= m.month <= data.trend_current[1]:
            cur[m.topic] += m.comments
        elif data.trend_previous[0] <= m.month <= data.trend_previous[1]:
            prev[m.topic] += m.comments
    if not prev:
        return []
    rows = [TrendRow(k, prev.get(k, 0), cur.get(k, 0)) for k in set(cur) | set(prev)]
    return sorted(rows, key=lambda r: (-r.change, r.topic[1] is None, r.topic[1] or 0, r.topic[0] or ""))
