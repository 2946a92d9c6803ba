"""The source's UTC offset, kept beside the UTC time: from date strings, WordPress date/date_gmt pairs,
real feeds and a real WordPress export (shared data), and from a post page's ``datetime``."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.sources.assemble import build_post, page_fields
from pipeline.sources.feeds import parse_feed, to_utc_iso, utc_offset_minutes
from pipeline.sources.wordpress import parse_rest_comments, parse_rest_posts, parse_wxr


@pytest.mark.parametrize(("value", "minutes"), [
    ("2024-01-05T12:31:00+02:00", 120),
    ("2024-01-05T05:31:00.000-05:00", -300),
    ("2024-01-05T16:01:00+05:30", 330),
    ("2024-01-05T10:31:00Z", 0),
    ("2024-01-05T10:31:00+00:00", 0),
    ("Wed, 11 Jan 2023 08:53:01 +1100", 660),
    ("Wed, 11 Jan 2023 08:53:01 GMT", 0),
    ("Wed, 11 Jan 2023 08:53:01 -0000", None),  # RFC 5322: zone unknown
    ("2024-01-05T10:31:00", None),  # no zone written: none kept (the time is still read as UTC)
    ("2024-01-05", None),
    ("not a date", None),
    ("", None),
    (None, None),
])
def test_offsets_of_date_strings(value: str | None, minutes: int | None) -> None:
    assert utc_offset_minutes(value) == minutes


def test_wordpress_rest_offset_is_date_minus_date_gmt() -> None:
    post = {"id": 7, "link": "https://blog.example.org/a/", "status": "publish", "title": {"rendered": "A"},
            "content": {"rendered": "<p>x</p>"}, "date": "2024-07-01T14:30:00", "date_gmt": "2024-07-01T12:30:00",
            "modified": "2024-07-02T09:00:00", "modified_gmt": "2024-07-02T07:00:00"}
    winter = {**post, "id": 8, "date": "2024-01-01T13:30:00", "date_gmt": "2024-01-01T12:30:00"}
    no_gmt = {**post, "id": 9, "date_gmt": None}
    parsed = parse_rest_posts(json.dumps([post, winter, no_gmt]))
    assert [p.published_utc_offset_minutes for p in parsed] == [120, 60, None]
    assert parsed[0].published_at == "2024-07-01T12:30:00+00:00"  # the UTC time is unchanged
    comments = parse_rest_comments(json.dumps([{"id": 1, "post": 7, "parent": 0, "author_name": "R",
                                                "date": "2024-07-01T08:00:00", "date_gmt": "2024-07-01T13:00:00",
                                                "content": {"rendered": "<p>hi</p>"}}]))
    assert comments[0].published_utc_offset_minutes == -300


def test_a_post_page_datetime_gives_the_offset_with_the_date_it_belongs_to() -> None:
    html = ('<html><body><article class="post type-post"><h1 class="entry-title">T</h1>'
            '<time class="entry-date published" datetime="2024-03-05T09:15:00+01:00">March 5</time>'
            '<div class="entry-content"><p>text</p></div></article></body></html>')
    assert page_fields(html)["published_utc_offset_minutes"] == 60
    common = dict(site_id="s", url="https://b.example/t/", platform="wordpress", source="html",
                  fetched_at="2024-03-06T00:00:00+00:00", html=html, comment_system="native", http_status=200)
    assert build_post(meta={}, **common).published_utc_offset_minutes == 60
    # The listing gave the date (without an offset): the page's offset belongs to another string.
    listed = build_post(meta={"published_at": "2024-03-05T08:15:00+00:00"}, **common)
    assert listed.published_at == "2024-03-05T08:15:00+00:00" and listed.published_utc_offset_minutes is None


_DATE_ELEMENT = re.compile(r"<(?:pubDate|published)>([^<]+)</(?:pubDate|published)>")


@pytest.mark.parametrize("name", ["rsparser/rubenerd.rss", "rsparser/macworld.rss", "rsparser/DaringFireball.atom",
                                  "rsparser/russcox.atom", "rsparser/expertopinionent.atom"])
def test_real_feeds_keep_the_offset_they_write(shared_data: Path, name: str) -> None:
    data = (shared_data / "feeds-and-sitemaps" / name).read_bytes()
    entries = parse_feed(data).entries
    written = _DATE_ELEMENT.findall(data.decode("utf-8", "replace"))
    assert entries and len(written) >= len(entries)
    for entry in entries:
        raw = next(w for w in written if to_utc_iso(w) == to_utc_iso(entry.published))
        zone = re.search(r"(Z|GMT|[+-]\d\d:?\d\d)\s*$", raw.strip())
        assert zone, raw
        text = zone.group(1)
        want = 0 if text in ("Z", "GMT") else (1 if text[0] == "+" else -1) * (int(text[1:3]) * 60 + int(text[-2:]))
        assert entry.published_utc_offset_minutes == want, raw


def test_real_feeds_include_non_utc_offsets(shared_data: Path) -> None:
    offsets = {e.published_utc_offset_minutes for name in ("rubenerd.rss", "macworld.rss", "russcox.atom")
               for e in parse_feed((shared_data / "feeds-and-sitemaps" / "rsparser" / name).read_bytes()).entries}
    assert offsets - {0, None}, offsets


def test_a_real_wordpress_export_gives_comment_offsets(shared_data: Path) -> None:
    data = (shared_data / "wp-theme-unit-test" / "themeunittestdata.wordpress.xml").read_bytes()
    text = data.decode("utf-8")
    pairs = re.findall(r"<wp:comment_date><!\[CDATA\[([^\]]*)\]\]></wp:comment_date>\s*"
                       r"<wp:comment_date_gmt><!\[CDATA\[([^\]]*)\]\]></wp:comment_date_gmt>", text) or re.findall(
        r"<wp:comment_date>([^<]*)</wp:comment_date>\s*<wp:comment_date_gmt>([^<]*)</wp:comment_date_gmt>", text)
    comments = [c for item in parse_wxr(data) for c in item.comments]
    assert comments and len(pairs) == len(comments)
    for comment, (local, gmt) in zip(comments, pairs):
        want = round((datetime.fromisoformat(local) - datetime.fromisoformat(gmt)).total_seconds() / 60)
        assert comment.published_utc_offset_minutes == want
    assert {c.published_utc_offset_minutes for c in comments} - {0}, "the export's site is not on UTC"
