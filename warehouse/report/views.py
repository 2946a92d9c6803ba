"""Reading the analysts' views of the published database into a :class:`ReportData`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from warehouse.report.data import (NO_TOPIC, CommentRow, LateRow, ModelInfo, MonthTopic, PostRow, ReportData, Topic, TopicKey,
                                   assign_colours, settle_period)
from warehouse.report.format import as_date, float_or_none, int_or_none, month_of
from warehouse.report.results import ReportError

DEFAULT_TREND_MONTHS = 3

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
    "v_topic_discussion_month": ("period_start", "model_run_id", "topic_id", "topic_label", "posts",
                           "comments", "unique_commenters", "replies", "comments_per_post",
                           "median_hours_to_first_comment", "share_posts_without_comments",
                           "mean_comment_sentiment"),
}


class _Views:
    """Read-only access to the published database that tolerates missing views and columns."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.missing: dict[str, str] = {}
        self._columns: dict[str, set[str]] = {}

    def columns(self, name: str) -> set[str]:
        if name not in self._columns:
            rows = self.query("report_columns", name=name)
            self._columns[name] = {r["column_name"].lower() for r in rows}
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

    def query(self, query_name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Rows of ``warehouse/sql/queries/QUERY_NAME.sql`` with its ``$params`` bound."""
        from warehouse.db import sql_text

        return self.rows(sql_text("queries", query_name), params)

    def rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, dict(params) if isinstance(params, Mapping) else list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]








def _key(model_run_id: Any, topic_id: Any) -> TopicKey:
    if topic_id is None:
        return NO_TOPIC
    return (str(model_run_id) if model_run_id is not None else None, int(topic_id))


def _read_sites(views: _Views, data: ReportData) -> None:
    if "site_id" not in views.columns("sites"):
        return
    known = [str(r["site_id"]) for r in views.query("report_sites")]
    if data.site and known and data.site not in known:
        raise ReportError(f"--site {data.site!r} is not in this database; known sites: {', '.join(known)}")
    data.sites = [data.site] if data.site else known


def _read_topics(views: _Views, data: ReportData, names: Mapping[int, str]) -> None:
    """Labels of the current topics, and the model run the header names (the site's own, else 'all').

    ``names`` ([topics.names]) are keyed by the stable topic id alignment keeps across refits, so
    an editor's name stays on its topic; the model's label stays as the topic's ``terms``.
    """
    view = "v_current_topics"
    if not views.usable(view):
        return
    rows = views.query("report_current_topics")
    scopes = {r["scope"] for r in rows}
    for r in rows:
        key = _key(r["model_run_id"], r["topic_id"])
        model_label = f"T{r['topic_id']} · {r['label']}" if r["label"] else f"T{r['topic_id']}"
        name = names.get(int(r["topic_id"]))
        label = name or model_label
        if len(scopes) > 1 and r["scope"] != "all":
            label += f" [{r['scope']} model]"
        data.topics[key] = Topic(key, label, terms=model_label, named=bool(name))
    wanted = data.site if data.site in scopes else "all"
    chosen = next((r for r in rows if r["scope"] == wanted), rows[0] if rows else None)
    if chosen is None:
        return
    data.model = ModelInfo(str(chosen["model_run_id"]), chosen["scope"], chosen["model"],
                           int_or_none(chosen["k"]), chosen["created_at"])
    if {"model_run_id", "c_v"} <= views.columns("model_runs"):
        found = views.query("report_model_coherence", model_run_id=data.model.run_id)
        data.model.coherence = float_or_none(found[0]["c_v"]) if found else None


def _read_activity(views: _Views, data: ReportData) -> None:
    """Comments written per month and topic (and their tone), up to ``until``, from the per-comment view."""
    if not (views.usable("v_comment_threads") and views.usable("v_post_discussion")):
        return
    from warehouse.db import sql_text

    sql = sql_text("queries", "report_activity")
    if not views.usable("v_current_sentiment"):  # an old database: the counts without the tone
        sql = sql.replace("LEFT JOIN v_current_sentiment s ON", "LEFT JOIN (SELECT NULL AS compound, NULL AS label, "
                          "NULL AS target_kind, NULL AS target_id) s ON")
    window = {"since": data.since, "until": data.until, "site": data.site}
    rows = views.rows(sql, {**window, "since_month": month_of(data.since) if data.since else None})
    for r in rows:
        data.activity.append(MonthTopic(r["month"], _key(r["model_run_id"], r["topic_id"]), r["comments"],
                                        r["commenters"], r["replies"], r["scored"], float(r["compound_sum"]),
                                        r["negative"], r["neutral"], r["positive"]))
    undated = views.query("report_undated_comments", site=data.site)
    data.undated_comments = undated[0]["n"] if undated else 0
    # Distinct commenters of the period itself (the lookback months are not part of it).
    found = views.query("report_period_commenters", **window)
    data.commenters = found[0]["n"] if found else None


def _post_row(r: dict[str, Any]) -> PostRow:
    return PostRow(
        post_id=str(r["post_id"]), site_id=r["site_id"], url=r["url"],
        title=str(r["title"]) if r["title"] else "(untitled post)", published=as_date(r["published_at"]),
        topic=_key(r["model_run_id"], r["topic_id"]), comments=int(r["comments"] or 0),
        replies=int_or_none(r["replies"]), commenters=int_or_none(r["commenters"]),
        max_depth=int_or_none(r["max_depth"]), hours_to_first_comment=float_or_none(r["hours_to_first_comment"]),
        mean_sentiment=float_or_none(r["mean_comment_sentiment"]), threads=int_or_none(r.get("threads")),
        largest_thread=int_or_none(r.get("largest_thread")))


def _read_posts(views: _Views, data: ReportData) -> None:
    """Posts published in the period, with their thread shape from v_comment_threads."""
    if not views.usable("v_post_discussion"):
        return
    from warehouse.db import sql_text

    sql = sql_text("queries", "report_posts")
    if not views.usable("v_comment_threads"):
        sql = sql.replace("FROM v_comment_threads GROUP BY post_id", "FROM (SELECT NULL AS post_id, NULL AS "
                          "root_comment_id, NULL AS thread_size) GROUP BY post_id")
    for r in views.rows(sql, {"since": data.since, "until": data.until, "site": data.site}):
        data.posts.append(_post_row(r))


def _read_late(views: _Views, data: ReportData, allow_text: bool) -> None:
    view = "v_late_comments"
    if not views.usable(view):
        return
    rows = views.query("report_late_comments", since=data.since, until=data.until, site=data.site,
                       allow_text=bool(allow_text))
    for r in rows:
        data.late.append(LateRow(
            comment_id=str(r["comment_id"]), post_id=str(r["post_id"]), url=r["url"],
            title=str(r["post_title"]) if r["post_title"] else "(untitled post)",
            topic=_key(r["model_run_id"], r["topic_id"]), post_published=as_date(r["post_published_at"]),
            commented=as_date(r["comment_published_at"]), days_after_post=float_or_none(r["days_after_post"]),
            pseudonym=r["author_pseudonym"], text=r["text"] if allow_text else None))
    # The view defines "late"; its documented comment says after how many days.
    comment = views.query("report_view_comment", view=view)
    found = re.search(r"more than (\d+) days", (comment[0]["comment"] or "") if comment else "")
    data.late_after_days = int(found.group(1)) if found else None


def _read_threads(views: _Views, data: ReportData, allow_text: bool) -> None:
    """The comments the interactive part draws threads and filtered charts from, and the older posts they name."""
    from warehouse.db import sql_text

    if not (views.usable("v_comment_threads", ("parent_id", "depth", "thread_depth", "hours_after_post"))
            and views.usable("v_post_discussion")):
        return
    has_mood = views.usable("v_current_sentiment")
    sql = sql_text("queries", "report_thread_comments")
    if not has_mood:
        sql = sql.replace("s.compound, s.label AS tone_label", "null AS compound, null AS tone_label").replace(
            "LEFT JOIN v_current_sentiment s ON s.target_kind = 'comment' AND s.target_id = c.comment_id\n", "")
    if not allow_text or "text" not in views.columns("comments"):
        sql = sql.replace("CASE WHEN $allow_text THEN cm.text END AS text", "null AS text").replace(
            "LEFT JOIN comments cm ON cm.comment_id = c.comment_id\n", "")
    params: dict[str, Any] = {"since": data.since, "until": data.until, "site": data.site}
    if "THEN cm.text" in sql:
        params["allow_text"] = allow_text
    for r in views.rows(sql, params):
        data.comments.append(CommentRow(
            comment_id=str(r["comment_id"]), post_id=str(r["post_id"]),
            parent_id=str(r["parent_id"]) if r["parent_id"] is not None else None, depth=int(r["depth"] or 0),
            pseudonym=r["author_pseudonym"], published=r["published_at"],
            hours_after_post=float_or_none(r["hours_after_post"]), compound=float_or_none(r["compound"]),
            tone=r["tone_label"], text=r["text"] if allow_text else None))
    known = {p.post_id for p in data.posts}
    older = sorted({c.post_id for c in data.comments} - known)
    if older:
        for r in views.rows(sql_text("queries", "report_posts_by_id"), {"ids": older}):
            data.older_posts.append(_post_row(r))


def _read_cohort(views: _Views, data: ReportData) -> None:
    """v_topic_discussion_month rows of the period (a CSV download; the view has no site column)."""
    view = "v_topic_discussion_month"
    if data.site or data.period_first is None or not views.usable(view):
        return
    data.cohort = views.query("report_topic_discussion_month", first=data.period_first, last=data.period_last)


def gather(con: Any, *, since: dt.date | None, until: dt.date | None, site: str | None,
           allow_comment_text: bool = False, trend_months: int = DEFAULT_TREND_MONTHS,
           topic_names: Mapping[int, str] | None = None) -> ReportData:
    """Read everything the report shows from an open read-only DuckDB connection."""
    views = _Views(con)
    data = ReportData(since=since, until=until, site=site)
    _read_sites(views, data)
    _read_topics(views, data, topic_names or {})
    # Monthly totals are small whatever the database size: read them all, so the trend section can
    # compare the period with the months before it, however long the period is.
    _read_activity(views, data)
    _read_posts(views, data)
    _read_late(views, data, allow_comment_text)
    _read_threads(views, data, allow_comment_text)
    settle_period(data, trend_months)
    _read_cohort(views, data)
    assign_colours(data)
    data.missing = dict(views.missing)
    return data
