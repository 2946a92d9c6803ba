"""The report's six sections: each chart with its how-to-read text, CSV download and table."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence

from warehouse.report.blocks import Cell, Column, FigureBlock, Section, Table, day_cell, link_cell
from warehouse.report.charts import (MAX_DOTS_PER_TOPIC, chart_comments_per_post, chart_discussion_over_time,
                                     chart_late_comments, chart_most_discussed, chart_tone_by_topic,
                                     chart_tone_over_time, chart_trends)
from warehouse.report.data import LateRow, PostRow, ReportData, TopicKey, TrendRow
from warehouse.report.format import fmt_float, fmt_int, fmt_pct, fmt_span, truncate
from warehouse.report.links import csv_link
from warehouse.report.views import REQUIRED_COLUMNS

MOST_DISCUSSED_ROWS = 20
LATE_POSTS_ROWS = 15
LATE_COMMENT_ROWS = 15
EXCERPT_CHARS = 240


def _no_data(data: ReportData, views: Sequence[str], what: str) -> str:
    broken = [f"{v} ({data.missing[v]})" for v in views if v in data.missing]
    if broken:
        return (f"{what}. The database has no usable {', '.join(broken)}: run `blogscope migrate` (it upgrades "
                "the schema and publishes) and then this report again.")
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
        cols = list(REQUIRED_COLUMNS["v_topic_discussion_month"])
        block.extra_csv = csv_link("topic-discussion-by-month", cols, [[r[c] for c in cols] for r in data.cohort])
        block.extra_csv_label = "Download the monthly table per topic (v_topic_discussion_month)"
    section.figures.append(block)
    groups: dict[TopicKey, list[PostRow]] = defaultdict(list)
    for p in posts:
        groups[p.topic].append(p)
    rows = []
    for key, group in sorted(groups.items(), key=lambda kv: (-sum(p.comments for p in kv[1]), kv[0][1] is None)):
        counts = [p.comments for p in group]
        firsts = [p.hours_to_first_comment for p in group if p.hours_to_first_comment is not None]
        rows.append([Cell(data.label(key)), Cell(fmt_int(len(group)), True), Cell(fmt_int(sum(counts)), True),
                     Cell(fmt_float(statistics.fmean(counts), 1), True),
                     Cell(fmt_float(statistics.median(counts), 1), True),
                     Cell(fmt_pct(sum(1 for c in counts if c == 0) / len(counts)), True),
                     Cell(fmt_float(statistics.median(firsts), 1) if firsts else "–", True)])
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
        rows.append([link_cell(p.title, p.url)] + ([Cell(p.site_id or "–", nowrap=True)] if several_sites else []) + [
            Cell(data.label(p.topic)), day_cell(p.published), Cell(fmt_int(p.comments), True),
            Cell(fmt_int(p.replies), True), Cell(fmt_int(p.commenters), True),
            Cell(fmt_int(p.largest_thread), True), Cell(fmt_float(p.mean_sentiment, 2, signed=True), True)])
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
        rows.append([link_cell(first.title, first.url), Cell(data.label(first.topic)),
                     day_cell(first.post_published), Cell(fmt_int(len(rs)), True), day_cell(latest),
                     Cell(fmt_int(max(ages)) if ages else "–", True)])
    section.tables.append(Table(
        [Column("post"), Column("topic"), Column("published"), Column("late comments", True),
         Column("latest"), Column("longest delay (days)", True)], rows,
        caption="Old posts that drew the most late comments in the period."))
    rows = []
    for r in data.late[:LATE_COMMENT_ROWS]:  # newest first
        post_cell = link_cell(r.title, r.url)
        if r.text:
            post_cell.excerpt = truncate(r.text, EXCERPT_CHARS)
        rows.append([day_cell(r.commented), post_cell, Cell(fmt_int(r.days_after_post), True),
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
            why = (f"No comments in the previous period ({fmt_span(*data.trend_previous)}) to compare "
                   f"{fmt_span(*data.trend_current)} with: only one period of data so far")
        else:
            why = "No discussion data yet"
        section.nodata = _no_data(data, ("v_comment_threads", "v_post_discussion"), why)
        return section
    svg = chart_trends(data, trends)
    cur, prev = fmt_span(*data.trend_current), fmt_span(*data.trend_previous)
    header = ["model_run_id", "topic_id", "topic", f"comments_{prev}", f"comments_{cur}", "change", "change_share"]
    body = [[t.topic[0], t.topic[1], data.label(t.topic), t.previous, t.current, t.change, t.change_share]
            for t in trends]
    section.figures.append(FigureBlock(
        svg, f"bars to the right (blue) are topics that drew more comments in {cur} than in {prev}; bars to the "
             "left (orange) drew fewer. The numbers give the comments before → after.",
        csv_link("topic-trends", header, body)))
    rows = [[Cell(data.label(t.topic)), Cell(fmt_int(t.previous), True), Cell(fmt_int(t.current), True),
             Cell(f"{t.change:+,}", True), Cell(fmt_pct(t.change_share, signed=True) if t.previous else "new", True)]
            for t in trends]
    section.tables.append(Table([Column("topic"), Column(prev, True), Column(cur, True), Column("change", True),
                                 Column("change %", True)], rows,
                                caption=f"Comments written per topic, {cur} against {prev}."))
    return section


def report_sections(data: ReportData, posts: list[PostRow], trends: list[TrendRow]) -> list[Section]:
    """The sections in page order; ``posts`` are ranked most discussed first."""
    return [_section_over_time(data), _section_comments_per_post(data, posts), _section_tone(data),
            _section_most_discussed(data, posts), _section_late(data), _section_trends(data, trends)]
