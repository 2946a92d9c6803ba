"""The interactive part's data: one JSON document the page's script filters, charts and drills into.

Compact on purpose (posts as objects, comments as short arrays): the realistic two-site fixture
(~2,600 comments) gives ~200 kB of JSON, the demo blog ~40 kB. Everything in it is also what
the static sections show (pseudonyms only; comment text only when allowed), plus the thread
outline of each post.
"""

from __future__ import annotations

import json
from typing import Any

from warehouse.report.data import NO_TOPIC, PostRow, ReportData, TopicKey
from warehouse.report.format import short_label
from warehouse.report.links import safe_href

AXIS_LABEL_CHARS = 38  # topic and title labels on chart axes, cut at a word boundary
EXCERPT_CHARS = 400


def _post_dict(p: PostRow, topic_index: dict[TopicKey, int], in_period: bool, duplicate_titles: set[str]) -> dict:
    label = p.title
    if p.title.casefold() in duplicate_titles and p.site_id:
        label = f"{p.title} ({p.site_id})"  # two sites, one title: the site tells them apart
    return {"id": p.post_id, "t": p.title, "l": short_label(label, AXIS_LABEL_CHARS + 12), "s": p.site_id,
            "d": p.published.isoformat() if p.published else None, "k": topic_index.get(p.topic, -1),
            "c": p.comments, "r": p.replies, "n": p.commenters,
            "m": None if p.mean_sentiment is None else round(p.mean_sentiment, 3),
            "u": safe_href(p.url), "p": in_period}


def payload(data: ReportData, *, allow_comment_text: bool) -> dict[str, Any]:
    """What the page's script needs, as plain JSON-able values."""
    keys = [k for k in data.topics if k != NO_TOPIC]
    keys.sort(key=lambda k: (k[1] is None, k[1] or 0, k[0] or ""))
    keys.append(NO_TOPIC)
    seen: dict[str, int] = {}
    topics = []
    for i, key in enumerate(keys):
        t = data.topic(key)
        name = t.label
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # chart legends key on the name: keep every topic distinct
            name = f"{name} (T{key[1]})"
        topics.append({"i": i, "id": key[1], "name": name, "short": short_label(name, AXIS_LABEL_CHARS),
                       "terms": t.terms if t.named else "", "colour": t.colour})
    topic_index = {key: i for i, key in enumerate(keys)}
    all_posts = [*data.posts, *data.older_posts]
    titles: dict[str, set[str | None]] = {}
    for p in all_posts:
        titles.setdefault(p.title.casefold(), set()).add(p.site_id)
    duplicates = {t for t, sites in titles.items() if len(sites) > 1}
    in_period = {p.post_id for p in data.posts}
    posts = [_post_dict(p, topic_index, p.post_id in in_period, duplicates) for p in all_posts]
    post_index = {p.post_id: i for i, p in enumerate(all_posts)}
    comment_index = {c.comment_id: i for i, c in enumerate(data.comments)}
    comments = []
    for c in data.comments:
        text = None
        if allow_comment_text and c.text:
            text = " ".join(c.text.split())[:EXCERPT_CHARS]
        comments.append([post_index.get(c.post_id, -1),
                         c.published.isoformat(timespec="minutes") if c.published else None,
                         c.depth, comment_index.get(c.parent_id, -1) if c.parent_id else -1,
                         c.pseudonym or "anonymous",
                         None if c.hours_after_post is None else round(c.hours_after_post, 1),
                         None if c.compound is None else round(c.compound, 3), text])
    period_from = data.since or data.period_first
    period_to = data.until
    return {"sites": data.sites, "topics": topics, "posts": posts, "comments": comments,
            "period": {"from": period_from.isoformat() if period_from else None,
                       "to": period_to.isoformat() if period_to else None},
            "lateDays": data.late_after_days, "textAllowed": bool(allow_comment_text)}


def payload_json(data: ReportData, *, allow_comment_text: bool) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` literally."""
    text = json.dumps(payload(data, allow_comment_text=allow_comment_text), ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
