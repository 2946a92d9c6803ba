"""The report's matplotlib charts, each returned as checked inline SVG (or None when there is no data)."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from warehouse.report.colours import MAX_TOPICS_IN_CHARTS, NEGATIVE, NEUTRAL, OTHER_COLOUR, POSITIVE
from warehouse.report.data import NO_TOPIC, MonthTopic, PostRow, ReportData, TopicKey, TopicMood, TrendRow
from warehouse.report.format import month_of, months_between, truncate, weighted
from warehouse.report.svg import svg_markup

MAX_DOTS_PER_TOPIC = 200


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


def _short(label: str, limit: int = 42) -> str:
    return truncate(label, limit)


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
    months = months_between(data.period_first, data.period_last)
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
        return svg_markup(fig, "fig-time", "Small charts, one per topic: comments per month")


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
        return svg_markup(fig, "fig-cpp", "Box plot: comments per post for each topic")


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
        return svg_markup(fig, "fig-tone", "Stacked bars: share of negative, neutral and positive comments per topic")


def chart_tone_over_time(data: ReportData) -> Any | None:
    import matplotlib

    rows = [m for m in data.in_period() if m.scored > 0]
    months = sorted({m.month for m in rows})
    if len(months) < 2:
        return None
    overall = {month: weighted([(m.mean_sentiment, m.scored) for m in rows if m.month == month])
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
        return svg_markup(fig, "fig-tone-time", "Line chart: mean comment sentiment per month")


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
        sites_of: dict[str, set[str | None]] = defaultdict(set)
        for p in posts:
            sites_of[p.title.casefold()].add(p.site_id)
        # Two sites, one title: the site tells the bars apart.
        ax.set_yticks(y, [_short(f"{p.title} ({p.site_id})" if len(sites_of[p.title.casefold()]) > 1 else p.title, 48)
                          for p in posts])
        ax.invert_yaxis()
        ax.set_xlabel("comments")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", color="#e5e8ec")
        ax.set_title("The posts with the most comments (colour: topic)")
        return svg_markup(fig, "fig-posts", "Bar chart: the most commented posts")


def chart_late_comments(data: ReportData) -> Any | None:
    import matplotlib
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    rows = [r for r in data.late if r.commented is not None]
    if not rows:
        return None
    first = min(data.period_first or month_of(rows[-1].commented), month_of(min(r.commented for r in rows)))
    last = max(data.period_last or month_of(rows[0].commented), month_of(max(r.commented for r in rows)))
    months = months_between(first, last)
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
            stacks[r.topic if r.topic in top else "other"][position[month_of(r.commented)]] += 1
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
        return svg_markup(fig, "fig-late", "Stacked bars: late comments per month for each topic")


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
        return svg_markup(fig, "fig-trends", "Bar chart: change in comments per topic against the previous period")
