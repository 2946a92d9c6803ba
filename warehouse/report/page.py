"""The whole page: its header, the "what changed" lines and the HTML rendered from the template."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from warehouse.report.blocks import Section
from warehouse.report.data import NO_TOPIC, PostRow, ReportData, TopicKey, TrendRow, trend_rows
from warehouse.report.format import fmt_float, fmt_int, fmt_span, month_end, truncate, weighted
from warehouse.report.sections import report_sections

VERSION = "0.1.0"

# Nothing may load, nothing may run. 'unsafe-inline' styles are needed by the inlined <style>
# and by matplotlib's SVG style attributes; images only as data: URIs. frame-ancestors and
# sandbox are ignored in a <meta> CSP (Chromium logs an error for them), so they are not set.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

TEMPLATES_DIR = Path(__file__).with_name("templates")


def _what_changed(data: ReportData, trends: list[TrendRow], posts: list[PostRow]) -> list[str]:
    lines: list[str] = []
    if trends and data.trend_current and data.trend_previous:
        cur_span, prev_span = fmt_span(*data.trend_current), fmt_span(*data.trend_previous)
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
            return weighted([(m.mean_sentiment, m.scored) for m in data.activity
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
        lines.append(f"Liveliest thread: “{truncate(best.title, 90)}” with {best.comments:,} comments.")
    return lines


def _period_label(data: ReportData) -> str:
    first = data.since or data.period_first
    last = data.until or (month_end(data.period_last) if data.period_last else None)
    if first is None and last is None:
        return "no data yet"
    return f"{first.isoformat() if first else 'start'} to {last.isoformat() if last else 'today'}"


def render_html(data: ReportData, *, title: str, db_name: str, allow_comment_text: bool,
                generated_at: dt.datetime | None = None) -> tuple[str, list[Section], list[str]]:
    """The report's HTML, the sections it shows and its "what changed" lines."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    posts = sorted(data.posts, key=lambda p: (-p.comments, -(p.commenters or 0), p.title, p.post_id))
    trends = trend_rows(data)
    sections = report_sections(data, posts, trends)
    changes = _what_changed(data, trends, posts)
    cards = [{"value": fmt_int(len(data.posts)), "label": "posts published"},
             {"value": fmt_int(sum(m.comments for m in data.in_period())), "label": "comments written"}]
    if data.commenters is not None:
        cards.append({"value": fmt_int(data.commenters), "label": "commenters"})
    cards.append({"value": fmt_int(len([k for k in data.topics if k != NO_TOPIC])), "label": "topics"})
    cards.append({"value": fmt_int(len(data.late)), "label": "late comments"})
    model = None
    if data.model:
        model = {"run_id": data.model.run_id, "model": data.model.model, "k": data.model.k,
                 "scope": data.model.scope,
                 "coherence": fmt_float(data.model.coherence, 3) if data.model.coherence is not None else "n/a",
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
