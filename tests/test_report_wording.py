"""The report's words: labels cut at word boundaries, model quality in plain language, cautions on
small numbers, same-titled posts told apart by their site. Pure functions, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from warehouse.report.data import PostRow, ReportData, Topic
from warehouse.report.explore import payload
from warehouse.report.format import truncate
from warehouse.report.page import change_caution, quality_in_words


@pytest.mark.parametrize("text, limit, expected", [
    ("T3 · discontinuation symptoms / protracted withdrawal", 34, "T3 · discontinuation symptoms…"),
    ("Why melatonin is not a sleeping pill", 20, "Why melatonin is…"),
    ("short label", 40, "short label"),
    ("Supercalifragilisticexpialidocious", 10, "Supercali…"),  # one word longer than the limit: cut
])
def test_labels_are_cut_at_a_word_boundary(text: str, limit: int, expected: str) -> None:
    out = truncate(text, limit)
    assert out == expected and len(out) <= limit
    if out != text and " " in text[:limit]:
        head = out.rstrip("…")
        assert text.startswith(head) and text[len(head)] in " /·"  # the cut falls between words


def test_model_quality_is_said_in_words() -> None:
    assert quality_in_words(0.986) == "topics are clearly distinct and hang together well"
    assert quality_in_words(0.5) == "topics are reasonably coherent"
    assert quality_in_words(0.4) == "topics are loose: read them as rough themes"
    assert quality_in_words(0.2) == "topics are weak: treat them as a rough sorting only"
    assert quality_in_words(None) is None


def test_small_numbers_get_a_caution() -> None:
    assert "Small numbers" in change_caution(0, 10)  # the example
    assert "Small numbers" in change_caution(14, 3)
    assert "Within chance" in change_caution(261, 237)  # |24| < 2 * sqrt(498)
    assert change_caution(90, 200) == ""  # 110 > 2 * sqrt(290): a clear change
    assert change_caution(40, 5) == ""


def _post(post_id: str, site: str, title: str) -> PostRow:
    return PostRow(post_id=post_id, site_id=site, url=f"https://{site}.example/{post_id}", title=title,
                   published=dt.date(2025, 1, 2), topic=("m", 1), comments=3, replies=1, commenters=2, max_depth=1,
                   hours_to_first_comment=2.0, mean_sentiment=0.1)


def test_same_titled_posts_on_two_sites_show_their_site() -> None:
    data = ReportData(since=None, until=None, site=None)
    data.topics[("m", 1)] = Topic(("m", 1), "Sleep and insomnia", terms="T1 · sleep / night", named=True)
    data.posts = [_post("a", "shrink-notes", "Open thread"), _post("b", "couch-talk", "Open thread"),
                  _post("c", "couch-talk", "Lithium levels explained")]
    out = payload(data, allow_comment_text=False)
    labels = {p["id"]: p["l"] for p in out["posts"]}
    assert labels == {"a": "Open thread (shrink-notes)", "b": "Open thread (couch-talk)",
                      "c": "Lithium levels explained"}
    named = out["topics"][0]
    assert named["name"] == "Sleep and insomnia" and named["terms"] == "T1 · sleep / night"
