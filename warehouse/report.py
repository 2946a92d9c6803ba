"""The editors' report: one self-contained HTML file built from the discussion views.

Editors do not write SQL. They open ``HOME/report.html`` to see which topics draw discussion,
how that changes over time, which posts started the liveliest threads and how the tone moves.

Where the numbers come from (the analysts' views of the published database, opened read-only):

- ``v_comment_threads`` (one row per comment) joined to ``v_post_discussion`` (the post's site
  and dominant topic) and ``v_current_sentiment``: comments *written* per month and topic, their
  tone, the rising and falling topics. Reading comment rows, not a monthly aggregate, lets
  ``--since`` / ``--until`` cut on the exact day and ``--site`` apply (``v_topic_trends`` and
  ``v_sentiment_by_topic`` have no site column); over the whole database the numbers equal those
  two views (the tests check it).
- ``v_post_discussion``: posts published in the period, their comments, replies, commenters.
- ``v_topic_discussion``: the per-month cohort table (posts published that month and all their
  comments), offered as a CSV download beside the comments-per-post chart.
- ``v_late_comments``: comments on old posts. ``v_current_topics`` (+ ``model_runs``): topic
  labels, the model run id and its coherence.

Design choices, and why:

- A missing view or column becomes a "no data" note in its section, never a crash, so an empty
  or half-migrated database still gives a readable report.
- Offline and inert: styles inlined, plots as inline SVG from matplotlib (no JavaScript at all),
  CSV downloads as ``data:`` links, system fonts only, and a strict Content-Security-Policy that
  forbids every fetch and every script.
- Scraped titles, topic labels and pseudonyms are hostile input: Jinja2 autoescapes them,
  matplotlib escapes SVG text (every SVG is checked again before it is inlined), only absolute
  ``http(s)`` URLs become links, CSV cells cannot start a spreadsheet formula.
- Health talk is sensitive: commenters appear only as pseudonyms (the report selects named
  columns, never a raw name) and verbatim comment text is left out unless
  ``allow_comment_text=True``.
- Heavy libraries (duckdb, matplotlib, jinja2) are imported inside functions, so importing this
  module, or ``blogscope --help``, stays instant.
"""

from __future__ import annotations

import argparse
import base64
import csv
import dataclasses
import datetime as dt
import io
import logging
import math
import re
import statistics
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

VERSION = "0.1.0"
DEFAULT_TITLE = "Reader discussion report"

# Nothing may load, nothing may run. 'unsafe-inline' styles are needed by the inlined <style>
# and by matplotlib's SVG style attributes; images only as data: URIs. frame-ancestors and
# sandbox are ignored in a <meta> CSP (Chromium logs an error for them), so they are not set.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

TEMPLATES_DIR = Path(__file__).with_name("templates")

# Chromium refuses URLs longer than 2 MiB; a CSV link is cut (and says so) well before that.
MAX_CSV_LINK_BYTES = 1_000_000
MAX_TOPICS_IN_CHARTS = 8
MAX_DOTS_PER_TOPIC = 200
MOST_DISCUSSED_ROWS = 20
LATE_POSTS_ROWS = 15
LATE_COMMENT_ROWS = 15
EXCERPT_CHARS = 240
DEFAULT_TREND_MONTHS = 3

# Colour-blind safe (Okabe-Ito without its yellow, then Tol's muted): a topic keeps its colour.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#882255", "#44AA99",
           "#999933", "#332288")
OTHER_COLOUR = "#9aa3ad"
NEGATIVE, NEUTRAL, POSITIVE = "#D55E00", "#C9CED6", "#0072B2"

# The columns read from each view. A view without them is reported as unusable, not guessed at.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "v_post_discussion": ("post_id", "site_id", "title", "url", "published_at", "comments", "commenters",
                          "replies", "max_depth", "hours_to_first_comment", "model_run_id", "topic_id",
                          "topic_label", "mean_comment_sentiment"),
    "v_comment_threads": ("comment_id", "post_id", "published_at", "author_pseudonym", "is_reply",
                          "root_comment_id", "thread_size"),
    "v_current_sentiment": ("target_kind", "target_id", "compound", "label"),
    "v_late_comments": ("comment_id", "post_id", "site_id", "post_title", "post_published_at",
                        "comment_published_at", "days_after_post", "author_pseudonym", "model_run_id",
                        "topic_id", "topic_label"),
    "v_current_topics": ("scope", "model_run_id", "created_at", "model", "k", "topic_id", "label"),
    "v_topic_discussion": ("period", "period_start", "model_run_id", "topic_id", "topic_label", "posts",
                           "comments", "unique_commenters", "replies", "comments_per_post",
                           "median_hours_to_first_comment", "share_posts_without_comments",
                           "mean_comment_sentiment"),
}


class ReportError(WarehouseError):
    """The report cannot be written; the message says what to do."""


# --------------------------------------------------------------------------- public results


@dataclass(frozen=True)
class SectionStatus:
    """What one section of the report showed (for logs, flows and tests)."""

    anchor: str
    title: str
    figures: int
    has_data: bool
    note: str | None = None


@dataclass(frozen=True)
class ReportSummary:
    """What :func:`build_report` wrote."""

    out_path: Path
    bytes_written: int
    period_start: dt.date | None
    period_end: dt.date | None
    sites: tuple[str, ...]
    posts: int  # published in the period
    comments: int  # written in the period
    commenters: int | None  # distinct pseudonyms among those comments
    model_run_id: str | None
    coherence: float | None  # c_v of that model run
    sections: tuple[SectionStatus, ...]
    changes: tuple[str, ...]  # the "what changed" lines
    missing_views: tuple[str, ...]  # views that were absent or lacked columns

    @property
    def empty_sections(self) -> tuple[str, ...]:
        return tuple(s.anchor for s in self.sections if not s.has_data)


# --------------------------------------------------------------------------- small helpers


def _parse_day(value: str | dt.date | None, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ReportError(f"--{what} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31") from exc


def _as_date(value: Any) -> dt.date | None:
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


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(month: dt.date) -> dt.date:
    return _add_months(month, 1) - dt.timedelta(days=1)


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, cur = [], _month(first)
    while cur <= last:
        out.append(cur)
        cur = _add_months(cur, 1)
    return out


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _int_or_none(value: Any) -> int | None:
    out = _num(value)
    return None if out is None else int(round(out))


def _fmt_int(value: float | int | None) -> str:
    return "–" if value is None else f"{int(round(value)):,}"


def _fmt_float(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _fmt_pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.0f} %" if signed else f"{value * 100:.0f} %"


def _fmt_span(first: dt.date, last: dt.date) -> str:
    """'Mar–May 2025', 'Nov 2024–Jan 2025' or 'May 2025' for a run of whole months."""
    if first == last:
        return first.strftime("%b %Y")
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}"
    return f"{first:%b %Y}–{last:%b %Y}"


def _truncate(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _weighted(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    kept = [(v, w) for v, w in pairs if v is not None and w > 0]
    total = sum(w for _, w in kept)
    return sum(v * w for v, w in kept) / total if total else None


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


def _csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection): editors open these in Excel."""
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
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


# --------------------------------------------------------------------------- the data

TopicKey = tuple[str | None, int | None]  # (model_run_id, topic_id); (None, None) = no topic
NO_TOPIC: TopicKey = (None, None)


@dataclass(frozen=True)
class Topic:
    key: TopicKey
    label: str
    colour: str = OTHER_COLOUR


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
    cohort: list[dict[str, Any]] = field(default_factory=list)  # v_topic_discussion month rows
    commenters: int | None = None
    missing: dict[str, str] = field(default_factory=dict)  # view -> why it could not be used
    period_first: dt.date | None = None  # first month shown
    period_last: dt.date | None = None  # last month shown
    trend_current: tuple[dt.date, dt.date] | None = None
    trend_previous: tuple[dt.date, dt.date] | None = None

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


class _Views:
    """Read-only access to the published database that tolerates missing views and columns."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.missing: dict[str, str] = {}
        self._columns: dict[str, set[str]] = {}

    def columns(self, name: str) -> set[str]:
        if name not in self._columns:
            rows = self.con.execute(
                "select column_name from information_schema.columns "
                "where table_name = ? and table_schema = current_schema()", [name]).fetchall()
            self._columns[name] = {r[0].lower() for r in rows}
        return self._columns[name]

    def usable(self, view: str, extra: Sequence[str] = ()) -> bool:
        """True when ``view`` has the columns the report reads; else remembers why not."""
        cols = self.columns(view)
        if not cols:
            self.missing[view] = "view missing"
            return False
        lacking = [c for c in (*REQUIRED_COLUMNS.get(view, ()), *extra) if c not in cols]
        if lacking:
            self.missing[view] = f"lacks column(s) {', '.join(lacking)}"
            return False
        return True

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def _window(column: str, since: dt.date | None, until: dt.date | None) -> tuple[list[str], list[Any]]:
    clauses, params = [], []
    if since is not None:
        clauses.append(f"cast({column} as date) >= ?")
        params.append(since)
    if until is not None:
        clauses.append(f"cast({column} as date) <= ?")
        params.append(until)
    return clauses, params


def _where(clauses: Sequence[str]) -> str:
    return ("where " + " and ".join(clauses)) if clauses else ""


def _key(model_run_id: Any, topic_id: Any) -> TopicKey:
    if topic_id is None:
        return NO_TOPIC
    return (str(model_run_id) if model_run_id is not None else None, int(topic_id))


def _read_sites(views: _Views, data: ReportData) -> None:
    if "site_id" not in views.columns("sites"):
        return
    known = [str(r["site_id"]) for r in views.rows("select site_id from sites order by site_id")]
    if data.site and known and data.site not in known:
        raise ReportError(f"--site {data.site!r} is not in this database; known sites: {', '.join(known)}")
    data.sites = [data.site] if data.site else known


def _read_topics(views: _Views, data: ReportData) -> None:
    """Labels of the current topics, and the model run the header names (the site's own, else 'all')."""
    view = "v_current_topics"
    if not views.usable(view):
        return
    rows = views.rows(f"select scope, model_run_id, created_at, model, k, topic_id, label from {view} "
                      "order by scope, topic_id")
    scopes = {r["scope"] for r in rows}
    for r in rows:
        key = _key(r["model_run_id"], r["topic_id"])
        label = f"T{r['topic_id']} · {r['label']}" if r["label"] else f"T{r['topic_id']}"
        if len(scopes) > 1 and r["scope"] != "all":
            label += f" [{r['scope']} model]"
        data.topics[key] = Topic(key, label)
    wanted = data.site if data.site in scopes else "all"
    chosen = next((r for r in rows if r["scope"] == wanted), rows[0] if rows else None)
    if chosen is None:
        return
    data.model = ModelInfo(str(chosen["model_run_id"]), chosen["scope"], chosen["model"],
                           _int_or_none(chosen["k"]), chosen["created_at"])
    if {"model_run_id", "c_v"} <= views.columns("model_runs"):
        found = views.rows("select c_v from model_runs where model_run_id = ?", [data.model.run_id])
        data.model.coherence = _num(found[0]["c_v"]) if found else None


def _read_activity(views: _Views, data: ReportData) -> None:
    """Comments written per month and topic (and their tone), up to ``until``, from the per-comment view."""
    if not (views.usable("v_comment_threads") and views.usable("v_post_discussion")):
        return
    has_mood = views.usable("v_current_sentiment")
    mood_join = ("left join v_current_sentiment s on s.target_kind = 'comment' and s.target_id = c.comment_id"
                 if has_mood else "")
    mood_cols = ("count(s.compound) as scored, coalesce(sum(s.compound), 0) as compound_sum, "
                 "count(*) filter (where s.compound is not null and s.label = 'negative') as negative, "
                 "count(*) filter (where s.compound is not null and s.label = 'neutral') as neutral, "
                 "count(*) filter (where s.compound is not null and s.label = 'positive') as positive"
                 if has_mood else "0 as scored, 0.0 as compound_sum, 0 as negative, 0 as neutral, 0 as positive")
    clauses, params = _window("c.published_at", None, data.until)
    if data.site:
        clauses.append("p.site_id = ?")
        params.append(data.site)
    # The period's first month is cut at `since` to the day; earlier months stay whole.
    if data.since is not None:
        clauses.append("(c.published_at < ? or cast(c.published_at as date) >= ?)")
        params += [_month(data.since), data.since]
    dated = ["c.published_at is not null", *clauses]
    rows = views.rows(f"""
        select cast(date_trunc('month', c.published_at) as date) as month, p.model_run_id, p.topic_id,
               count(*) as comments, count(distinct c.author_pseudonym) as commenters,
               count(*) filter (where c.is_reply) as replies, {mood_cols}
        from v_comment_threads c
        join v_post_discussion p using (post_id)
        {mood_join}
        {_where(dated)}
        group by all
        order by 1, 2, 3""", params)
    for r in rows:
        data.activity.append(MonthTopic(r["month"], _key(r["model_run_id"], r["topic_id"]), r["comments"],
                                        r["commenters"], r["replies"], r["scored"], float(r["compound_sum"]),
                                        r["negative"], r["neutral"], r["positive"]))
    site_clause, site_params = (["p.site_id = ?"], [data.site]) if data.site else ([], [])
    undated = views.rows(f"""select count(*) as n from v_comment_threads c join v_post_discussion p using (post_id)
                             {_where(['c.published_at is null', *site_clause])}""", site_params)
    data.undated_comments = undated[0]["n"] if undated else 0
    # Distinct commenters of the period itself (the lookback months are not part of it).
    clauses, params = _window("c.published_at", data.since, data.until)
    clauses += ["c.author_pseudonym is not null", *site_clause]
    params += site_params
    found = views.rows(f"""select count(distinct c.author_pseudonym) as n from v_comment_threads c
                           join v_post_discussion p using (post_id) {_where(clauses)}""", params)
    data.commenters = found[0]["n"] if found else None


def _read_posts(views: _Views, data: ReportData) -> None:
    """Posts published in the period, with their thread shape from v_comment_threads."""
    if not views.usable("v_post_discussion"):
        return
    clauses, params = _window("p.published_at", data.since, data.until)
    if data.site:
        clauses.append("p.site_id = ?")
        params.append(data.site)
    threads = ""
    thread_cols = "null as threads, null as largest_thread"
    if views.usable("v_comment_threads"):
        threads = """left join (select post_id, count(distinct root_comment_id) as threads,
                                       max(thread_size) as largest_thread
                                from v_comment_threads group by post_id) t using (post_id)"""
        thread_cols = "t.threads, t.largest_thread"
    rows = views.rows(f"""
        select p.post_id, p.site_id, p.url, p.title, p.published_at, p.model_run_id, p.topic_id, p.comments,
               p.replies, p.commenters, p.max_depth, p.hours_to_first_comment, p.mean_comment_sentiment,
               {thread_cols}
        from v_post_discussion p {threads}
        {_where(clauses)}""", params)
    for r in rows:
        data.posts.append(PostRow(
            post_id=str(r["post_id"]), site_id=r["site_id"], url=r["url"],
            title=str(r["title"]) if r["title"] else "(untitled post)", published=_as_date(r["published_at"]),
            topic=_key(r["model_run_id"], r["topic_id"]), comments=int(r["comments"] or 0),
            replies=_int_or_none(r["replies"]), commenters=_int_or_none(r["commenters"]),
            max_depth=_int_or_none(r["max_depth"]), hours_to_first_comment=_num(r["hours_to_first_comment"]),
            mean_sentiment=_num(r["mean_comment_sentiment"]), threads=_int_or_none(r["threads"]),
            largest_thread=_int_or_none(r["largest_thread"])))


def _read_late(views: _Views, data: ReportData, allow_text: bool) -> None:
    view = "v_late_comments"
    if not views.usable(view):
        return
    clauses, params = _window("l.comment_published_at", data.since, data.until)
    if data.site:
        clauses.append("l.site_id = ?")
        params.append(data.site)
    url_join, url_col = "", "null as url"
    if "url" in views.columns("v_post_discussion"):
        url_join, url_col = "left join v_post_discussion p using (post_id)", "p.url"
    text_join, text_col = "", "null as text"
    if allow_text and {"comment_id", "text"} <= views.columns("comments"):
        text_join, text_col = "left join comments cm on cm.comment_id = l.comment_id", "cm.text"
    rows = views.rows(f"""
        select l.comment_id, l.post_id, l.post_title, l.post_published_at, l.comment_published_at,
               l.days_after_post, l.author_pseudonym, l.model_run_id, l.topic_id, {url_col}, {text_col}
        from {view} l {url_join} {text_join}
        {_where(clauses)}
        order by l.comment_published_at desc, l.comment_id""", params)
    for r in rows:
        data.late.append(LateRow(
            comment_id=str(r["comment_id"]), post_id=str(r["post_id"]), url=r["url"],
            title=str(r["post_title"]) if r["post_title"] else "(untitled post)",
            topic=_key(r["model_run_id"], r["topic_id"]), post_published=_as_date(r["post_published_at"]),
            commented=_as_date(r["comment_published_at"]), days_after_post=_num(r["days_after_post"]),
            pseudonym=r["author_pseudonym"], text=r["text"] if allow_text else None))
    # The view defines "late"; its documented comment says after how many days.
    comment = views.rows("select comment from duckdb_views() where view_name = ?", [view])
    found = re.search(r"more than (\d+) days", (comment[0]["comment"] or "") if comment else "")
    data.late_after_days = int(found.group(1)) if found else None


def _read_cohort(views: _Views, data: ReportData) -> None:
    """v_topic_discussion month rows of the period (a CSV download; the view has no site column)."""
    view = "v_topic_discussion"
    if data.site or data.period_first is None or not views.usable(view):
        return
    cols = ", ".join(REQUIRED_COLUMNS[view][1:])
    data.cohort = views.rows(f"""select {cols} from {view}
                                 where period = 'month' and period_start between ? and ?
                                 order by period_start, topic_id""", [data.period_first, data.period_last])


def gather(con: Any, *, since: dt.date | None, until: dt.date | None, site: str | None,
           allow_comment_text: bool = False, trend_months: int = DEFAULT_TREND_MONTHS) -> ReportData:
    """Read everything the report shows from an open read-only DuckDB connection."""
    views = _Views(con)
    data = ReportData(since=since, until=until, site=site)
    _read_sites(views, data)
    _read_topics(views, data)
    # Monthly totals are small whatever the database size: read them all, so the trend section can
    # compare the period with the months before it, however long the period is.
    _read_activity(views, data)
    _read_posts(views, data)
    _read_late(views, data, allow_comment_text)
    _settle_period(data, trend_months)
    _read_cohort(views, data)
    _assign_colours(data)
    data.missing = dict(views.missing)
    return data


def _settle_period(data: ReportData, trend_months: int) -> None:
    """Fix the months shown and the two windows the trend section compares."""
    known = sorted({m.month for m in data.activity} | {p.published for p in data.posts if p.published})
    first = _month(data.since) if data.since else (_month(known[0]) if known else None)
    last = _month(data.until) if data.until else (_month(known[-1]) if known else None)
    if first is None or last is None:
        return
    last = max(first, last)  # --since after the last data: one (empty) month
    data.period_first, data.period_last = first, last
    if data.since is not None:
        # An explicit period is compared with as many months just before it.
        span = len(_months_between(first, last))
        current = (first, last)
    else:
        span = trend_months
        current = (_add_months(last, -(span - 1)), last)
    data.trend_current = current
    data.trend_previous = (_add_months(current[0], -span), _add_months(current[0], -1))


def _assign_colours(data: ReportData) -> None:
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


def _trend_rows(data: ReportData) -> list[TrendRow]:
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


# --------------------------------------------------------------------------- charts


def _rc() -> dict[str, Any]:
    return {
        "svg.fonttype": "none",  # real <text>: small, selectable, searchable; drawn with system fonts
        "text.parse_math": False,  # a '$' in a scraped title must not switch to mathtext
        "svg.hashsalt": "blogscope-report",  # stable ids: the same data gives the same file
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "legend.frameon": False,
        "legend.fontsize": 9,
    }


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, nothing opens a window

    return Figure(figsize=(width, height), layout="constrained")


_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_SVG_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "a", "image", "feimage", "animate", "set",
                       "animatemotion", "animatetransform", "handler", "listener"}


def _check_svg(svg: str) -> None:
    """Refuse to inline an SVG with anything active in it (defence in depth: matplotlib escapes text)."""
    root = ET.fromstring(svg)
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in _SVG_FORBIDDEN_TAGS:
            raise RuntimeError(f"chart SVG contains a <{tag}> element; refusing to inline it")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                raise RuntimeError(f"chart SVG has an event attribute {local}; refusing to inline it")
            if local == "href" and not value.startswith("#"):
                raise RuntimeError("chart SVG links outside itself; refusing to inline it")


def _svg_markup(fig: Any, prefix: str, label: str) -> Any:
    """Inline SVG markup for a figure: unique ids per chart, no XML prolog, checked, accessible."""
    from markupsafe import Markup, escape

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Several SVGs share one HTML document: prefix ids so clip paths do not cross charts.
    svg = _SVG_ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _SVG_REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    _check_svg(svg)
    # Drop the fixed size in pt: CSS scales the chart to the page, the viewBox keeps its shape.
    svg = re.sub(r'<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"',
                 lambda m: f'<svg{m.group(1)} role="img" aria-label="{escape(label)}"', svg, count=1)
    return Markup(svg)


def _short(label: str, limit: int = 42) -> str:
    return _truncate(label, limit)


def _ranked_topics(rows: Iterable[MonthTopic]) -> list[TopicKey]:
    totals: dict[TopicKey, int] = defaultdict(int)
    for m in rows:
        totals[m.topic] += m.comments
    return [k for k in sorted(totals, key=lambda k: (-totals[k], k[1] is None, k[1] or 0, k[0] or ""))
            if totals[k] > 0]


def _date_axis(ax: Any, maxticks: int) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=2, maxticks=maxticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def chart_discussion_over_time(data: ReportData) -> Any | None:
    """Small multiples, one panel per topic on a shared scale: readable where 8 lines would tangle."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    rows = data.in_period()
    if not rows or data.period_first is None or data.period_last is None:
        return None
    months = _months_between(data.period_first, data.period_last)
    top = _ranked_topics(rows)[:MAX_TOPICS_IN_CHARTS]
    series: dict[Any, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for m in rows:
        series[m.topic if m.topic in top else "other"][m.month] += m.comments
    keys = [k for k in [*top, "other"] if k in series and sum(series[k].values()) > 0]
    cols = 1 if len(keys) == 1 else 2 if len(keys) <= 4 else 3
    nrows = math.ceil(len(keys) / cols)
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 0.5 + 1.75 * nrows)
        axes = fig.subplots(nrows, cols, sharex=True, sharey=True, squeeze=False).ravel()
        for index, (ax, key) in enumerate(zip(axes, keys)):
            values = [series[key].get(month, 0) for month in months]
            colour = OTHER_COLOUR if key == "other" else data.topic(key).colour
            label = "other topics" if key == "other" else data.label(key)
            ax.fill_between(months, values, color=colour, alpha=0.22, lw=0)
            ax.plot(months, values, color=colour, lw=2, marker="o" if len(months) < 3 else None, ms=4)
            ax.set_title(_short(label, 34), fontsize=10, color="#1d2430", loc="left")
            ax.grid(axis="y", color="#e5e8ec")
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
            _date_axis(ax, 5)
            if index + cols >= len(keys):  # lowest panel of its column: it carries the month labels
                ax.tick_params(axis="x", labelbottom=True)
        for ax in axes[len(keys):]:
            ax.set_visible(False)
        fig.suptitle("Comments written per month, by topic of the post (same scale in every panel)", x=0.01,
                     ha="left", fontsize=11, fontweight="bold")
        return _svg_markup(fig, "fig-time", "Small charts, one per topic: comments per month")


def _quantile_sample(values: list[int], limit: int) -> list[int]:
    """At most ``limit`` values spread evenly over the sorted ones: the dots keep the distribution's
    shape while a big blog's chart stays light (the boxes are always drawn from every post)."""
    if len(values) <= limit:
        return values
    ordered = sorted(values)
    step = (len(ordered) - 1) / (limit - 1)
    return [ordered[round(i * step)] for i in range(limit)]


def chart_comments_per_post(data: ReportData, posts: list[PostRow]) -> Any | None:
    import matplotlib
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    groups: dict[TopicKey, list[int]] = defaultdict(list)
    for p in posts:
        groups[p.topic].append(p.comments)
    if not groups:
        return None
    order = sorted(groups, key=lambda k: (statistics.median(groups[k]), statistics.fmean(groups[k])))
    rng = np.random.default_rng(7)  # fixed jitter: the same data draws the same picture
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 1.0 + 0.42 * len(order))
        ax = fig.add_subplot()
        # matplotlib 3.10 renamed vert=False to orientation="horizontal"; pyproject allows 3.9.
        horizontal = ({"orientation": "horizontal"} if tuple(map(int, matplotlib.__version__.split(".")[:2])) >= (3, 10)
                      else {"vert": False})
        ax.boxplot([groups[k] for k in order], **horizontal, widths=0.55, showfliers=False,
                   patch_artist=True, medianprops={"color": "#1d2430", "lw": 1.8},
                   boxprops={"facecolor": "#eef1f5", "edgecolor": "#7a8594"},
                   whiskerprops={"color": "#7a8594"}, capprops={"color": "#7a8594"})
        for i, key in enumerate(order, start=1):
            dots = _quantile_sample(groups[key], MAX_DOTS_PER_TOPIC)
            ys = i + rng.uniform(-0.18, 0.18, size=len(dots))
            ax.scatter(dots, ys, s=10, alpha=0.7, color=data.topic(key).colour, linewidths=0, zorder=3)
        ax.set_yticks(range(1, len(order) + 1), [f"{_short(data.label(k), 38)} (n={len(groups[k])})" for k in order])
        ax.set_xlabel("comments on the post")
        ax.set_xlim(left=-0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", color="#e5e8ec")
        ax.set_title("Comments per post, by topic (one dot per post)")
        return _svg_markup(fig, "fig-cpp", "Box plot: comments per post for each topic")


def chart_tone_by_topic(data: ReportData, moods: list[TopicMood]) -> Any | None:
    import matplotlib
    from matplotlib.ticker import PercentFormatter
    from matplotlib.transforms import offset_copy

    if not moods:
        return None
    rows = sorted(moods, key=lambda r: r.share_negative - r.share_positive, reverse=True)
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 1.4 + 0.42 * len(rows))
        ax = fig.add_subplot()
        y = list(range(len(rows)))
        neg = [r.share_negative for r in rows]
        neu = [r.share_neutral for r in rows]
        pos = [r.share_positive for r in rows]
        ax.barh(y, neg, color=NEGATIVE, label="negative")
        ax.barh(y, neu, left=neg, color=NEUTRAL, label="neutral")
        ax.barh(y, pos, left=[a + b for a, b in zip(neg, neu)], color=POSITIVE, label="positive")
        for yi, r in zip(y, rows):
            if r.mean is not None:
                ax.text(1.01, yi, f"mean {r.mean:+.2f}", va="center", fontsize=9, color="#1d2430")
        ax.set_yticks(y, [f"{_short(data.label(r.topic), 38)} (n={r.scored:,})" for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("share of the topic's scored comments")
        ax.set_title("Tone of comments by topic (most negative first)")
        # Below the x label at a fixed distance in points, whatever the number of bars.
        below = offset_copy(ax.transAxes, fig=fig, x=0, y=-36, units="points")
        ax.legend(loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=below, ncols=3)
        return _svg_markup(fig, "fig-tone", "Stacked bars: share of negative, neutral and positive comments per topic")


def chart_tone_over_time(data: ReportData) -> Any | None:
    import matplotlib

    rows = [m for m in data.in_period() if m.scored > 0]
    months = sorted({m.month for m in rows})
    if len(months) < 2:
        return None
    overall = {month: _weighted([(m.mean_sentiment, m.scored) for m in rows if m.month == month])
               for month in months}
    top = [k for k in _ranked_topics(rows) if k != NO_TOPIC][:4]
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 3.6)
        ax = fig.add_subplot()
        ax.axhline(0, color="#9aa3ad", lw=0.8)
        for key in top:
            pts = [(m.month, m.mean_sentiment) for m in rows if m.topic == key]
            if len(pts) >= 2:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=data.topic(key).colour, lw=1.2, alpha=0.8,
                        label=_short(data.label(key)))
        ax.plot(months, [overall[m] for m in months], color="#1d2430", lw=2.6, label="all comments")
        _date_axis(ax, 10)
        ax.set_ylim(-1, 1)
        ax.set_ylabel("mean comment sentiment")
        ax.grid(axis="y", color="#e5e8ec")
        ax.set_title("Tone over time: mean sentiment of the comments written each month")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _svg_markup(fig, "fig-tone-time", "Line chart: mean comment sentiment per month")


def chart_most_discussed(data: ReportData, posts: list[PostRow]) -> Any | None:
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    posts = posts[:12]
    if not posts:
        return None
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 1.0 + 0.36 * len(posts))
        ax = fig.add_subplot()
        y = list(range(len(posts)))
        replies = [min(p.replies or 0, p.comments) for p in posts]
        direct = [p.comments - r for p, r in zip(posts, replies)]
        colours = [data.topic(p.topic).colour for p in posts]
        ax.barh(y, direct, color=colours, label="comments on the post")
        if any(replies):
            ax.barh(y, replies, left=direct, color=colours, alpha=0.45, hatch="///", edgecolor="white",
                    label="replies to other comments")
            ax.legend(loc="lower right")
        ax.set_yticks(y, [_short(p.title, 48) for p in posts])
        ax.invert_yaxis()
        ax.set_xlabel("comments")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", color="#e5e8ec")
        ax.set_title("The posts with the most comments (colour: topic)")
        return _svg_markup(fig, "fig-posts", "Bar chart: the most commented posts")


def chart_late_comments(data: ReportData) -> Any | None:
    import matplotlib
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    rows = [r for r in data.late if r.commented is not None]
    if not rows:
        return None
    first = min(data.period_first or _month(rows[-1].commented), _month(min(r.commented for r in rows)))
    last = max(data.period_last or _month(rows[0].commented), _month(max(r.commented for r in rows)))
    months = _months_between(first, last)
    totals: dict[TopicKey, int] = defaultdict(int)
    for r in rows:
        totals[r.topic] += 1
    top = [k for k in sorted(totals, key=lambda k: (-totals[k], k[1] is None, k[1] or 0)) if k != NO_TOPIC][:6]
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 3.8)
        ax = fig.add_subplot()
        x = np.arange(len(months))
        position = {m: i for i, m in enumerate(months)}
        stacks: dict[Any, Any] = {key: np.zeros(len(months)) for key in [*top, "other"]}
        for r in rows:
            stacks[r.topic if r.topic in top else "other"][position[_month(r.commented)]] += 1
        bottom = np.zeros(len(months))
        for key, counts in stacks.items():
            if counts.sum() == 0:
                continue
            colour = OTHER_COLOUR if key == "other" else data.topic(key).colour
            label = "other or no topic" if key == "other" else _short(data.label(key))
            ax.bar(x, counts, bottom=bottom, color=colour, width=0.8, label=label)
            bottom += counts
        step = max(1, math.ceil(len(months) / 12))
        ax.set_xticks(x[::step], [m.strftime("%b\n%Y") if m.month == 1 or i == 0 else m.strftime("%b")
                                  for i, m in enumerate(months[::step])])
        ax.set_ylabel("late comments")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#e5e8ec")
        ax.set_title("Late comments on old posts, per month written, by topic of the post")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _svg_markup(fig, "fig-late", "Stacked bars: late comments per month for each topic")


def chart_trends(data: ReportData, trends: list[TrendRow]) -> Any | None:
    import matplotlib

    rows = [t for t in trends if t.previous or t.current]
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r.change)
    if len(rows) > 14:  # the biggest movers either way
        rows = rows[:7] + rows[-7:]
    with matplotlib.rc_context(_rc()):
        fig = _new_figure(9.5, 1.1 + 0.4 * len(rows))
        ax = fig.add_subplot()
        y = list(range(len(rows)))
        ax.barh(y, [r.change for r in rows], color=[POSITIVE if r.change >= 0 else NEGATIVE for r in rows])
        ax.axvline(0, color="#1d2430", lw=0.8)
        span = max(1, max(abs(r.change) for r in rows))
        for yi, r in zip(y, rows):
            ax.text(r.change + (0.02 * span if r.change >= 0 else -0.02 * span), yi,
                    f"{r.previous:,} → {r.current:,}", va="center", ha="left" if r.change >= 0 else "right",
                    fontsize=9)
        ax.set_xlim(-span * 1.35, span * 1.35)
        ax.set_yticks(y, [_short(data.label(r.topic), 40) for r in rows])
        ax.set_xlabel("change in comments (this period minus the previous one)")
        ax.grid(axis="x", color="#e5e8ec")
        ax.set_title("Topics rising and falling")
        return _svg_markup(fig, "fig-trends", "Bar chart: change in comments per topic against the previous period")


# --------------------------------------------------------------------------- page model


@dataclass
class Cell:
    text: str
    numeric: bool = False
    nowrap: bool = False
    href: str | None = None
    raw_url: str | None = None
    excerpt: str | None = None


@dataclass
class Column:
    name: str
    numeric: bool = False


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Cell]]
    caption: str | None = None
    csv: CsvLink | None = None


@dataclass
class FigureBlock:
    svg: Any
    how_to_read: str
    csv: CsvLink | None
    heading: str | None = None
    extra_csv: CsvLink | None = None
    extra_csv_label: str | None = None


@dataclass
class Section:
    anchor: str
    title: str
    figures: list[FigureBlock] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    nodata: str | None = None


def _day_cell(day: dt.date | None) -> Cell:
    return Cell(day.isoformat() if day else "–", nowrap=True)


def _link_cell(title: str, url: str | None) -> Cell:
    href = safe_href(url)
    return Cell(title, href=href) if href else Cell(title, raw_url=url or None)


def _no_data(data: ReportData, views: Sequence[str], what: str) -> str:
    broken = [f"{v} ({data.missing[v]})" for v in views if v in data.missing]
    if broken:
        return (f"{what}. The database has no usable {', '.join(broken)}: run `blogscope load` (it migrates the "
                "warehouse) and then this report again.")
    return what + "."


def _section_over_time(data: ReportData) -> Section:
    section = Section("discussion-over-time", "Which topics draw discussion, month by month")
    svg = chart_discussion_over_time(data)
    if svg is None:
        section.nodata = _no_data(data, ("v_comment_threads", "v_post_discussion"), "No comments in this period yet")
        return section
    rows = data.in_period()
    header = ["month", "model_run_id", "topic_id", "topic", "comments", "commenters", "replies",
              "scored_comments", "mean_comment_sentiment", "negative", "neutral", "positive"]
    body = [[m.month, m.topic[0], m.topic[1], data.label(m.topic), m.comments, m.commenters, m.replies, m.scored,
             m.mean_sentiment, m.negative, m.neutral, m.positive] for m in rows]
    section.figures.append(FigureBlock(
        svg, "each small chart is one topic (the topic of the post a comment was left on), busiest first, all on "
             "the same scale: a higher curve means more comments written that month. Topics beyond the eight "
             "busiest are summed in the grey \"other topics\" chart. The last month may be incomplete.",
        csv_link("comments-per-month-by-topic", header, body)))
    if len({m.month for m in rows}) == 1:
        section.notes.append("Only one month of data so far: the curves take shape from the second month on.")
    if data.undated_comments:
        section.notes.append(f"{data.undated_comments:,} comments have no date and are not placed in time.")
    return section


def _section_comments_per_post(data: ReportData, posts: list[PostRow]) -> Section:
    section = Section("comments-per-post", "Comments per post, by topic")
    svg = chart_comments_per_post(data, posts)
    if svg is None:
        section.nodata = _no_data(data, ("v_post_discussion",), "No posts were published in this period")
        return section
    header = ["post_id", "site_id", "published", "model_run_id", "topic_id", "topic", "title", "url", "comments",
              "replies", "commenters", "hours_to_first_comment"]
    body = [[p.post_id, p.site_id, p.published, p.topic[0], p.topic[1], data.label(p.topic), p.title, p.url,
             p.comments, p.replies, p.commenters, p.hours_to_first_comment] for p in posts]
    block = FigureBlock(
        svg, "one row per topic, one dot per post published in the period (with all its comments so far; for "
             f"topics with more than {MAX_DOTS_PER_TOPIC} posts, an even sample of them). The box spans the middle "
             "half of the posts and the dark bar is the median: a box further right means that topic's posts "
             "usually draw more comments; a long tail of dots means a few posts drew most of it.",
        csv_link("comments-per-post", header, body))
    if data.cohort:
        cols = list(REQUIRED_COLUMNS["v_topic_discussion"][1:])
        block.extra_csv = csv_link("topic-discussion-by-month", cols, [[r[c] for c in cols] for r in data.cohort])
        block.extra_csv_label = "Download the monthly table per topic (v_topic_discussion)"
    section.figures.append(block)
    groups: dict[TopicKey, list[PostRow]] = defaultdict(list)
    for p in posts:
        groups[p.topic].append(p)
    rows = []
    for key, group in sorted(groups.items(), key=lambda kv: (-sum(p.comments for p in kv[1]), kv[0][1] is None)):
        counts = [p.comments for p in group]
        firsts = [p.hours_to_first_comment for p in group if p.hours_to_first_comment is not None]
        rows.append([Cell(data.label(key)), Cell(_fmt_int(len(group)), True), Cell(_fmt_int(sum(counts)), True),
                     Cell(_fmt_float(statistics.fmean(counts), 1), True),
                     Cell(_fmt_float(statistics.median(counts), 1), True),
                     Cell(_fmt_pct(sum(1 for c in counts if c == 0) / len(counts)), True),
                     Cell(_fmt_float(statistics.median(firsts), 1) if firsts else "–", True)])
    section.tables.append(Table(
        [Column("topic"), Column("posts", True), Column("comments", True), Column("mean per post", True),
         Column("median per post", True), Column("posts without comments", True),
         Column("median hours to first comment", True)], rows,
        caption="Posts published in the period, by topic, with all their comments so far."))
    return section


def _section_tone(data: ReportData) -> Section:
    section = Section("tone", "Tone of the discussion")
    moods = data.moods()
    svg = chart_tone_by_topic(data, moods)
    if svg is not None:
        header = ["model_run_id", "topic_id", "topic", "scored_comments", "mean_compound", "share_negative",
                  "share_neutral", "share_positive"]
        body = [[r.topic[0], r.topic[1], data.label(r.topic), r.scored, r.mean, r.share_negative, r.share_neutral,
                 r.share_positive] for r in moods]
        section.figures.append(FigureBlock(
            svg, "each bar splits the comments written in the period on one topic into negative (orange), neutral "
                 "(grey) and positive (blue) by their sentiment score; topics at the top have the most negative "
                 "comments. Sentiment is a machine score (VADER): read it as a trend, not as a verdict on any "
                 "single comment.",
            csv_link("sentiment-by-topic", header, body), heading="By topic"))
    svg_time = chart_tone_over_time(data)
    if svg_time is not None:
        rows = [m for m in data.in_period() if m.scored]
        header = ["month", "model_run_id", "topic_id", "topic", "scored_comments", "mean_comment_sentiment"]
        body = [[m.month, m.topic[0], m.topic[1], data.label(m.topic), m.scored, m.mean_sentiment] for m in rows]
        section.figures.append(FigureBlock(
            svg_time, "the thick dark line is the mean sentiment of all comments written each month (from -1, very "
                      "negative, to +1, very positive; 0 is neutral); thin lines follow the busiest topics. "
                      "A drop means the discussion turned more negative that month.",
            csv_link("sentiment-per-month", header, body), heading="Over time"))
    if not section.figures:
        section.nodata = _no_data(data, ("v_current_sentiment", "v_comment_threads"),
                                  "No scored comments in this period yet")
    return section


def _section_most_discussed(data: ReportData, posts: list[PostRow]) -> Section:
    section = Section("most-discussed", "Most discussed posts")
    ranked = [p for p in posts if p.comments > 0]
    svg = chart_most_discussed(data, ranked)
    if svg is None:
        section.nodata = _no_data(data, ("v_post_discussion",), "No post published in this period has comments yet")
        return section
    block = FigureBlock(
        svg, "longer bars are livelier posts; the hatched part counts replies to other readers (a conversation) "
             "rather than comments on the post itself. Titles link to the posts in the table below.", None)
    section.figures.append(block)
    top = ranked[:MOST_DISCUSSED_ROWS]
    several_sites = len({p.site_id for p in top}) > 1
    columns = [Column("post")] + ([Column("site")] if several_sites else []) + [
        Column("topic"), Column("published"), Column("comments", True), Column("replies", True),
        Column("commenters", True), Column("largest thread", True), Column("mean tone", True)]
    rows, body = [], []
    for p in top:
        rows.append([_link_cell(p.title, p.url)] + ([Cell(p.site_id or "–", nowrap=True)] if several_sites else []) + [
            Cell(data.label(p.topic)), _day_cell(p.published), Cell(_fmt_int(p.comments), True),
            Cell(_fmt_int(p.replies), True), Cell(_fmt_int(p.commenters), True),
            Cell(_fmt_int(p.largest_thread), True), Cell(_fmt_float(p.mean_sentiment, 2, signed=True), True)])
        body.append([p.post_id, p.site_id, p.title, p.url, p.published, p.topic[0], p.topic[1], data.label(p.topic),
                     p.comments, p.replies, p.commenters, p.threads, p.largest_thread, p.max_depth,
                     p.hours_to_first_comment, p.mean_sentiment])
    header = ["post_id", "site_id", "title", "url", "published", "model_run_id", "topic_id", "topic", "comments",
              "replies", "commenters", "threads", "largest_thread", "max_depth", "hours_to_first_comment",
              "mean_comment_sentiment"]
    block.csv = csv_link("most-discussed-posts", header, body)
    section.tables.append(Table(
        columns, rows, caption=f"The {len(top)} posts published in the period with the most comments."))
    return section


def _section_late(data: ReportData) -> Section:
    section = Section("late-comments", "Late comments on old posts")
    svg = chart_late_comments(data)
    if svg is None:
        section.nodata = _no_data(data, ("v_late_comments",), "No late comments on old posts in this period")
        return section
    threshold = (f"more than {data.late_after_days} days after the post" if data.late_after_days
                 else "long after the post was published")
    header = ["commented", "comment_id", "post_id", "title", "url", "post_published", "days_after_post",
              "model_run_id", "topic_id", "topic", "commenter_pseudonym"]
    body = [[r.commented, r.comment_id, r.post_id, r.title, r.url, r.post_published, r.days_after_post, r.topic[0],
             r.topic[1], data.label(r.topic), r.pseudonym] for r in data.late]
    section.figures.append(FigureBlock(
        svg, f"each bar counts the comments written {threshold}, in the month they were written, coloured by "
             "the topic of the post. Old posts that keep drawing comments show which subjects stay alive.",
        csv_link("late-comments", header, body)))
    per_post: dict[str, list[LateRow]] = defaultdict(list)
    for r in data.late:
        per_post[r.post_id].append(r)
    ranked = sorted(per_post.values(), key=lambda rs: (-len(rs), rs[0].title))[:LATE_POSTS_ROWS]
    rows = []
    for rs in ranked:
        first = rs[0]
        ages = [r.days_after_post for r in rs if r.days_after_post is not None]
        latest = max((r.commented for r in rs if r.commented), default=None)
        rows.append([_link_cell(first.title, first.url), Cell(data.label(first.topic)),
                     _day_cell(first.post_published), Cell(_fmt_int(len(rs)), True), _day_cell(latest),
                     Cell(_fmt_int(max(ages)) if ages else "–", True)])
    section.tables.append(Table(
        [Column("post"), Column("topic"), Column("published"), Column("late comments", True),
         Column("latest"), Column("longest delay (days)", True)], rows,
        caption="Old posts that drew the most late comments in the period."))
    rows = []
    for r in data.late[:LATE_COMMENT_ROWS]:  # newest first
        post_cell = _link_cell(r.title, r.url)
        if r.text:
            post_cell.excerpt = _truncate(r.text, EXCERPT_CHARS)
        rows.append([_day_cell(r.commented), post_cell, Cell(_fmt_int(r.days_after_post), True),
                     Cell(r.pseudonym or "anonymous", nowrap=True)])
    with_text = any(r.text for r in data.late[:LATE_COMMENT_ROWS])
    section.tables.append(Table(
        [Column("written"), Column("post" + (" and comment excerpt" if with_text else "")),
         Column("days after the post", True), Column("commenter (pseudonym)")], rows,
        caption="The most recent late comments. Commenters are shown as pseudonyms only."))
    return section


def _section_trends(data: ReportData, trends: list[TrendRow]) -> Section:
    section = Section("trends", "Topics rising and falling")
    if not trends or data.trend_current is None or data.trend_previous is None:
        if data.trend_current and data.trend_previous:
            why = (f"No comments in the previous period ({_fmt_span(*data.trend_previous)}) to compare "
                   f"{_fmt_span(*data.trend_current)} with: only one period of data so far")
        else:
            why = "No discussion data yet"
        section.nodata = _no_data(data, ("v_comment_threads", "v_post_discussion"), why)
        return section
    svg = chart_trends(data, trends)
    cur, prev = _fmt_span(*data.trend_current), _fmt_span(*data.trend_previous)
    header = ["model_run_id", "topic_id", "topic", f"comments_{prev}", f"comments_{cur}", "change", "change_share"]
    body = [[t.topic[0], t.topic[1], data.label(t.topic), t.previous, t.current, t.change, t.change_share]
            for t in trends]
    section.figures.append(FigureBlock(
        svg, f"bars to the right (blue) are topics that drew more comments in {cur} than in {prev}; bars to the "
             "left (orange) drew fewer. The numbers give the comments before → after.",
        csv_link("topic-trends", header, body)))
    rows = [[Cell(data.label(t.topic)), Cell(_fmt_int(t.previous), True), Cell(_fmt_int(t.current), True),
             Cell(f"{t.change:+,}", True), Cell(_fmt_pct(t.change_share, signed=True) if t.previous else "new", True)]
            for t in trends]
    section.tables.append(Table([Column("topic"), Column(prev, True), Column(cur, True), Column("change", True),
                                 Column("change %", True)], rows,
                                caption=f"Comments written per topic, {cur} against {prev}."))
    return section


def _what_changed(data: ReportData, trends: list[TrendRow], posts: list[PostRow]) -> list[str]:
    lines: list[str] = []
    if trends and data.trend_current and data.trend_previous:
        cur_span, prev_span = _fmt_span(*data.trend_current), _fmt_span(*data.trend_previous)
        cur, prev = sum(t.current for t in trends), sum(t.previous for t in trends)
        share = f" ({(cur - prev) / prev * 100:+.0f} %)" if prev else ""
        lines.append(f"Comments: {cur:,} in {cur_span} against {prev:,} in {prev_span}{share}.")
        up = [t for t in trends if t.change > 0 and t.topic != NO_TOPIC]
        down = [t for t in trends if t.change < 0 and t.topic != NO_TOPIC]
        if up:
            best = max(up, key=lambda t: t.change)
            lines.append(f"Rising most: {data.label(best.topic)} ({best.previous:,} → {best.current:,} comments).")
        if down:
            worst = min(down, key=lambda t: t.change)
            lines.append(f"Falling most: {data.label(worst.topic)} ({worst.previous:,} → {worst.current:,} "
                         "comments).")

        def tone(window: tuple[dt.date, dt.date]) -> float | None:
            return _weighted([(m.mean_sentiment, m.scored) for m in data.activity
                              if window[0] <= m.month <= window[1]])

        tone_cur, tone_prev = tone(data.trend_current), tone(data.trend_previous)
        if tone_cur is not None and tone_prev is not None:
            delta = tone_cur - tone_prev
            mood = "about the same" if abs(delta) < 0.05 else "more positive" if delta > 0 else "more negative"
            lines.append(f"Tone: mean comment sentiment {tone_prev:+.2f} → {tone_cur:+.2f} ({mood}).")
    if data.late:
        per_topic: dict[TopicKey, int] = defaultdict(int)
        for r in data.late:
            per_topic[r.topic] += 1
        top = max(per_topic, key=lambda k: (per_topic[k], k != NO_TOPIC))
        lines.append(f"Late comments: {len(data.late):,} comments arrived on old posts, most on "
                     f"{data.label(top)} ({per_topic[top]:,}).")
    lively = [p for p in posts if p.comments > 0]
    if lively:
        best = lively[0]
        lines.append(f"Liveliest thread: “{_truncate(best.title, 90)}” with {best.comments:,} comments.")
    return lines


# --------------------------------------------------------------------------- building


def _connect_read_only(db_path: Path) -> Any:
    """The analysts' locked-down connection: read-only, no file or network access, UTC."""
    from warehouse.query import QueryRefused, connect_readonly

    if not db_path.is_file():
        raise ReportError(f"no database at {db_path}: run `blogscope run` or `blogscope load` for this home first "
                          "(the report reads the published HOME/blogscope.duckdb)")
    try:
        return connect_readonly(db_path)
    except QueryRefused as exc:
        raise ReportError(f"{exc}. If a load is publishing right now, wait for it and try again.") from exc


def _period_label(data: ReportData) -> str:
    first = data.since or data.period_first
    last = data.until or (_month_end(data.period_last) if data.period_last else None)
    if first is None and last is None:
        return "no data yet"
    return f"{first.isoformat() if first else 'start'} to {last.isoformat() if last else 'today'}"


def render_html(data: ReportData, *, title: str, db_name: str, allow_comment_text: bool,
                generated_at: dt.datetime | None = None) -> tuple[str, list[Section], list[str]]:
    """The report's HTML, the sections it shows and its "what changed" lines."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    posts = sorted(data.posts, key=lambda p: (-p.comments, -(p.commenters or 0), p.title, p.post_id))
    trends = _trend_rows(data)
    sections = [_section_over_time(data), _section_comments_per_post(data, posts), _section_tone(data),
                _section_most_discussed(data, posts), _section_late(data), _section_trends(data, trends)]
    changes = _what_changed(data, trends, posts)
    cards = [{"value": _fmt_int(len(data.posts)), "label": "posts published"},
             {"value": _fmt_int(sum(m.comments for m in data.in_period())), "label": "comments written"}]
    if data.commenters is not None:
        cards.append({"value": _fmt_int(data.commenters), "label": "commenters"})
    cards.append({"value": _fmt_int(len([k for k in data.topics if k != NO_TOPIC])), "label": "topics"})
    cards.append({"value": _fmt_int(len(data.late)), "label": "late comments"})
    model = None
    if data.model:
        model = {"run_id": data.model.run_id, "model": data.model.model, "k": data.model.k,
                 "scope": data.model.scope,
                 "coherence": _fmt_float(data.model.coherence, 3) if data.model.coherence is not None else "n/a",
                 "created_at": data.model.created_at.strftime("%Y-%m-%d") if data.model.created_at else None}
    header = {"period": _period_label(data), "sites": data.sites, "site_filter": data.site, "model": model,
              "cards": cards, "has_data": bool(data.activity or data.posts)}
    privacy = ("Commenters appear only as pseudonyms. Verbatim comment text is "
               + ("included (allow_comment_text is on): treat this file as sensitive."
                  if allow_comment_text else "not included; set report_comment_text = true in [privacy] "
                                             "if editors need short excerpts."))
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined)
    css = Markup((TEMPLATES_DIR / "report.css").read_text(encoding="utf-8"))
    now = generated_at or dt.datetime.now(dt.timezone.utc)
    html = env.get_template("report.html.j2").render(
        title=title, csp=CSP, version=VERSION, css=css, header=header, changes=changes, sections=sections,
        generated_at=now.strftime("%Y-%m-%d %H:%M UTC"), db_name=db_name, privacy_note=privacy)
    return html, sections, changes


def build_report(db_path: str | Path, out_path: str | Path, *, since: str | dt.date | None = None,
                 until: str | dt.date | None = None, site: str | None = None, allow_comment_text: bool = False,
                 title: str = DEFAULT_TITLE) -> ReportSummary:
    """Write the editors' report for ``db_path`` to ``out_path`` (atomically) and summarise it.

    ``since`` / ``until`` are inclusive days (``YYYY-MM-DD`` or dates): comments written and
    posts published in between. ``site`` keeps one site id. Raises :class:`ReportError` when the
    database is missing or unreadable, a date is malformed or the site is unknown.
    """
    db_path, out_path = Path(db_path), Path(out_path)
    since_day, until_day = _parse_day(since, "since"), _parse_day(until, "until")
    if since_day and until_day and since_day > until_day:
        raise ReportError(f"--since {since_day} is after --until {until_day}: swap them")
    con = _connect_read_only(db_path)
    try:
        data = gather(con, since=since_day, until=until_day, site=site or None,
                      allow_comment_text=allow_comment_text)
    finally:
        con.close()
    for view, why in sorted(data.missing.items()):
        log.warning("report: %s is unusable (%s); its section shows a no-data note", view, why)
    html, sections, changes = render_html(data, title=title, db_name=db_path.name,
                                          allow_comment_text=allow_comment_text)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out_path)  # editors never open a half-written report
    size = out_path.stat().st_size
    statuses = tuple(SectionStatus(s.anchor, s.title, len(s.figures), bool(s.figures), s.nodata) for s in sections)
    log.info("report: wrote %s (%d bytes; sections without data: %s)", out_path, size,
             ", ".join(s.anchor for s in statuses if not s.has_data) or "none")
    return ReportSummary(
        out_path=out_path, bytes_written=size, period_start=data.since or data.period_first,
        period_end=data.until or (_month_end(data.period_last) if data.period_last else None),
        sites=tuple(data.sites), posts=len(data.posts), comments=sum(m.comments for m in data.in_period()),
        commenters=data.commenters, model_run_id=data.model.run_id if data.model else None,
        coherence=data.model.coherence if data.model else None, sections=statuses, changes=tuple(changes),
        missing_views=tuple(sorted(data.missing)))


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blogscope report", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write the editors' report: one offline HTML file on which topics draw discussion.",
        epilog="examples:\n  blogscope report --home ~/blogs --out report.html\n"
               "  blogscope report --home ~/blogs --since 2024-01-01 --until 2024-06-30 --site shrink-notes")
    parser.add_argument("--home", help="blogscope home folder (reads HOME/blogscope.duckdb); env BLOGSCOPE_HOME")
    parser.add_argument("--config", help="TOML config file (default: HOME/blogscope.toml when present)")
    parser.add_argument("--db", help="read this DuckDB file instead of HOME/blogscope.duckdb")
    parser.add_argument("--out", help="output HTML file (default: HOME/report.html)")
    parser.add_argument("--since", help="first day (YYYY-MM-DD, inclusive)")
    parser.add_argument("--until", help="last day (YYYY-MM-DD, inclusive)")
    parser.add_argument("--site", help="only this site id")
    parser.add_argument("--title", default=DEFAULT_TITLE, help="report title (default: %(default)s)")
    text = parser.add_mutually_exclusive_group()
    text.add_argument("--allow-comment-text", dest="allow_comment_text", action="store_true", default=None,
                      help="include short verbatim comment excerpts (sensitive; default from [privacy] "
                           "report_comment_text)")
    text.add_argument("--no-comment-text", dest="allow_comment_text", action="store_false",
                      help="never include comment text")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the report reads")
    return parser


def cli_main(argv: Sequence[str] | None = None) -> int:
    """``blogscope report``: 0 on success, 2 with a message when no report can be written."""
    from pipeline.settings import ConfigError, load_settings

    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(home=Path(args.home).expanduser() if args.home else None, config=args.config)
        db = Path(args.db) if args.db else settings.published_db
        out = Path(args.out) if args.out else settings.report_path
        allow = settings.privacy.report_comment_text if args.allow_comment_text is None else args.allow_comment_text
        summary = build_report(db, out, since=args.since, until=args.until, site=args.site,
                               allow_comment_text=allow, title=args.title)
    except (ReportError, ConfigError) as exc:
        print(f"blogscope report: error: {exc}", file=sys.stderr)
        return 2
    empty = summary.empty_sections
    print(f"wrote {summary.out_path} ({summary.bytes_written:,} bytes; {summary.posts:,} posts, "
          f"{summary.comments:,} comments" + (f"; no data yet in: {', '.join(empty)}" if empty else "") + ")")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli_main())
