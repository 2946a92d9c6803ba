"""The whole page: its header, the "what changed" lines and the HTML rendered from the template."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from warehouse.report.blocks import Section
from warehouse.report.data import NO_TOPIC, PostRow, ReportData, TopicKey, TrendRow, trend_rows
from warehouse.report.format import fmt_float, fmt_int, fmt_span, month_end, truncate, weighted
from warehouse.report.sections import report_sections

VERSION = "0.1.0"

# Nothing may load. Scripts and the one <style> run only by their SHA-256 hash (no 'unsafe-inline',
# no 'unsafe-eval': Vega evaluates expressions with its interpreter, see vega.py); the static
# charts' SVG carries presentation attributes, not style attributes (svg.py), so they need no
# inline-style exception either. Images only as data: URIs. frame-ancestors and sandbox are
# ignored in a <meta> CSP (Chromium logs an error for them), so they are not set.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
CSP_TEMPLATE = ("default-src 'none'; img-src data:; script-src {scripts}; style-src {styles}; base-uri 'none'; "
                "form-action 'none'")

# "What changed" numbers below these get a small-numbers caution. Comment counts behave roughly like
# Poisson counts: the difference of two has a standard deviation of about sqrt(before + after), so a
# change under two of those (|after - before| < 2 * sqrt(before + after)) is within chance; and under
# 30 comments in both periods together a percentage swings wildly (0 -> 10 is "+inf %", 5 -> 10
# "+100 %") even when the change clears that bar.
SMALL_TOTAL = 30


def is_small_change(before: int, after: int) -> bool:
    """True when a change from ``before`` to ``after`` comments is too small to read much into."""
    total = before + after
    return total < SMALL_TOTAL or abs(after - before) < 2 * total ** 0.5


SMALL_CAUTION = " Small numbers: too few comments to read much into this change."
CHANCE_CAUTION = " Within chance: a change this size is common between two periods."


def change_caution(before: int, after: int) -> str:
    """The caution a "what changed" line gets, or "" when the change is clear."""
    if before + after < SMALL_TOTAL:
        return SMALL_CAUTION
    return CHANCE_CAUTION if is_small_change(before, after) else ""

# Topic coherence (c_v, Röder et al. 2015) in words. Published topic models on blog and news text
# mostly score 0.35-0.65; the cut-offs below split that range into what an editor can act on.
QUALITY_WORDS = ((0.55, "topics are clearly distinct and hang together well"),
                 (0.45, "topics are reasonably coherent"),
                 (0.35, "topics are loose: read them as rough themes"),
                 (float("-inf"), "topics are weak: treat them as a rough sorting only"))


def quality_in_words(coherence: float | None) -> str | None:
    if coherence is None:
        return None
    return next(words for floor, words in QUALITY_WORDS if coherence >= floor)


def sha256_source(text: str) -> str:
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"

TEMPLATES_DIR = Path(__file__).with_name("templates")


def _what_changed(data: ReportData, trends: list[TrendRow], posts: list[PostRow]) -> list[str]:
    lines: list[str] = []
    if trends and data.trend_current and data.trend_previous:
        cur_span, prev_span = fmt_span(*data.trend_current), fmt_span(*data.trend_previous)
        cur, prev = sum(t.current for t in trends), sum(t.previous for t in trends)
        share = f" ({(cur - prev) / prev * 100:+.0f} %)" if prev else ""
        lines.append(f"Comments: {cur:,} in {cur_span} against {prev:,} in {prev_span}{share}."
                     + change_caution(prev, cur))
        up = [t for t in trends if t.change > 0 and t.topic != NO_TOPIC]
        down = [t for t in trends if t.change < 0 and t.topic != NO_TOPIC]
        if up:
            best = max(up, key=lambda t: t.change)
            lines.append(f"Rising most: {data.label(best.topic)} ({best.previous:,} → {best.current:,} comments)."
                         + change_caution(best.previous, best.current))
        if down:
            worst = min(down, key=lambda t: t.change)
            lines.append(f"Falling most: {data.label(worst.topic)} ({worst.previous:,} → {worst.current:,} "
                         "comments)." + change_caution(worst.previous, worst.current))

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


def _explore(data: ReportData, allow_comment_text: bool) -> dict[str, Any] | None:
    """The interactive part: its data, the inlined chart library and the page's script (None without vl-convert)."""
    from markupsafe import Markup

    from warehouse.report.explore import payload_json
    from warehouse.report.vega import vega_bundle

    bundle = vega_bundle()
    if bundle is None:
        return None
    # Inside <script>, only "</script" and "<!--" could end or confuse the element; the bundle has
    # neither today (checked here, so a future one cannot break the page silently).
    app = (TEMPLATES_DIR / "explore.js").read_text(encoding="utf-8")
    for name, code in (("chart library", bundle), ("explore.js", app)):
        if "</script" in code.lower() or "<!--" in code:
            raise RuntimeError(f"the {name} contains '</script' or '<!--'; it cannot be inlined safely")
    import vl_convert as vlc

    versions = getattr(vlc, "get_vegalite_versions", None)
    return {"data": Markup(payload_json(data, allow_comment_text=allow_comment_text)), "bundle": Markup(bundle),
            "app": Markup(app), "vl_version": (versions()[-1] if callable(versions) and versions() else "6")}


def render_html(data: ReportData, *, title: str, db_name: str, allow_comment_text: bool,
                generated_at: dt.datetime | None = None,
                interactive: bool = True) -> tuple[str, list[Section], list[str]]:
    """The report's HTML, the sections it shows and its "what changed" lines.

    ``interactive`` adds the Explore part (Vega-Lite charts, filter, drill-down) when vl-convert
    is installed; the static sections stay in the page for print and for browsers without script.
    """
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
                 "quality": quality_in_words(data.model.coherence),
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
    explore = _explore(data, allow_comment_text) if interactive else None
    scripts = " ".join(sha256_source(str(explore[k])) for k in ("bundle", "app")) if explore else "'none'"
    csp = CSP_TEMPLATE.format(scripts=scripts, styles=sha256_source(str(css)))
    html = env.get_template("report.html.j2").render(
        title=title, csp=csp, version=VERSION, css=css, header=header, changes=changes, sections=sections,
        generated_at=now.strftime("%Y-%m-%d %H:%M UTC"), db_name=db_name, privacy_note=privacy, explore=explore)
    return html, sections, changes
