"""Near-duplicate detection across URL variants of one post (``pipeline.dedup``).

The realistic test takes 50 real English pages from ``../shared/data/trafilatura-eval`` (read at
test time, never copied), extracts their main text as the post bodies, wraps each body in four
variants a crawler meets (desktop page with sidebar, comments and footer; Blogger ``?m=1``
mobile page; AMP page with different markup; feed item, half of them truncated to a 55-word
excerpt), extracts text from every variant with trafilatura as the process stage does, and
expects exactly 50 groups with nothing merged across posts.
"""

from __future__ import annotations

import csv
import gzip
import html
import random
from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.dedup import desktop_identity, duplicate_groups, find_duplicates, is_desktop_url, normalize_words
from pipeline.ids import canonical_url
from pipeline.language import detect

SITE = "https://www.mindful-minutes.example"


# --------------------------------------------------------------------------- real post bodies


@lru_cache(maxsize=1)
def real_posts(shared_data: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """50 (title, paragraphs) from English trafilatura-eval pages, 120..2500 words each.

    ``pages_index.csv``'s ``lang`` column is a heuristic (some "en" pages are German), so the
    extracted text must also be English to our own detector.
    """
    import trafilatura

    folder = shared_data / "trafilatura-eval"
    with open(folder / "pages_index.csv", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["lang"].lower().startswith("en")]
    posts: list[tuple[str, tuple[str, ...]]] = []
    seen_titles: set[str] = set()
    for row in sorted(rows, key=lambda r: r["file"]):
        page = gzip.decompress((folder / row["file"]).read_bytes()).decode("utf-8", "replace")
        text = trafilatura.extract(page, include_comments=False, include_tables=False) or ""
        paragraphs = tuple(p.strip() for p in text.splitlines() if len(p.split()) >= 4)
        words = sum(len(p.split()) for p in paragraphs)
        if not 120 <= words <= 2500 or detect("\n".join(paragraphs)) != "en":
            continue
        title = " ".join(paragraphs[0].split()[:8]).rstrip(".,:;")
        if title.lower() in seen_titles:
            continue
        seen_titles.add(title.lower())
        posts.append((title, paragraphs))
        if len(posts) == 50:
            break
    assert len(posts) == 50, "trafilatura-eval should hold 50 English pages of 120..2500 words"
    return tuple(posts)


# --------------------------------------------------------------------------- variant pages

SIDEBAR_ABOUT = (
    "Mindful Minutes is a group blog by psychiatrists, psychologists and peer workers. We write "
    "about therapy, medication, research and life with mental illness."
)
DISCLAIMER = (
    "This blog does not give medical advice. If you are in crisis, call your local emergency "
    "number or a crisis line now. Comments are moderated and may take a day to appear."
)


def _paragraphs_html(paragraphs: tuple[str, ...]) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def desktop_body(i: int, paragraphs: tuple[str, ...]) -> tuple[str, ...]:
    """The live page: an image caption, and on every third post an update added after the AMP
    cache and the feed were taken."""
    body = list(paragraphs[:1]) + [f"Image: a quiet corner of our clinic garden (photo {i})."] + list(paragraphs[1:])
    if i % 3 == 0:
        body.append("Update, June 2019: several readers asked for resources, so we added a list on our Resources page.")
    return tuple(body)


def amp_body(i: int, paragraphs: tuple[str, ...]) -> tuple[str, ...]:
    """The AMP plugin drops an embedded element (here one paragraph out of the middle) and shows a
    placeholder instead."""
    body = list(paragraphs)
    if len(body) >= 6:
        body[len(body) // 2] = "View this content on the original page."
    return tuple(body)


def desktop_page(i: int, title: str, paragraphs: tuple[str, ...], others: list[str]) -> str:
    recent = "".join(f'<li><a href="{SITE}/p/{n}.html">{html.escape(t)}</a></li>' for n, t in enumerate(others[:5]))
    related = "".join(f"<li>{html.escape(t)}</li>" for t in others[5:8])
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | Mindful Minutes</title>
<link rel="canonical" href="{SITE}/2019/{i % 12 + 1:02d}/post-{i}.html"></head><body>
<header><div class="site-title">Mindful Minutes</div>
<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/resources">Resources</a> <a href="/contact">Contact</a></nav></header>
<div id="main"><article class="post hentry"><h1 class="entry-title">{html.escape(title)}</h1>
<p class="byline">Posted by Dr. Ellen Marsh on March {i % 28 + 1}, 2019</p>
<div class="entry-content">{_paragraphs_html(paragraphs)}</div>
<div class="sharedaddy"><h3>Share this:</h3><a>Twitter</a> <a>Facebook</a> <a>Email</a></div>
<div class="related-posts"><h3>Related posts</h3><ul>{related}</ul></div>
</article>
<section id="comments"><h2>3 comments</h2>
<div class="comment" id="comment-{i}1"><p class="comment-author">Sam</p><p>Thank you for writing this, it helped me a lot.</p></div>
<div class="comment" id="comment-{i}2"><p class="comment-author">Ria</p><p>I shared this with my support group. We talked about it for an hour.</p></div>
<div class="comment" id="comment-{i}3"><p class="comment-author">Dr. Ellen Marsh</p><p>Thanks both, glad it was useful.</p></div>
<h3>Leave a Reply</h3><form><textarea></textarea><button>Post Comment</button></form></section></div>
<aside id="sidebar"><h3>About</h3><p>{SIDEBAR_ABOUT}</p><h3>Recent posts</h3><ul>{recent}</ul>
<h3>Archives</h3><ul><li>March 2019</li><li>February 2019</li></ul></aside>
<footer><p>{DISCLAIMER}</p><p>© 2019 Mindful Minutes. Powered by WordPress.</p></footer></body></html>"""


def mobile_page(i: int, title: str, paragraphs: tuple[str, ...]) -> str:
    return f"""<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">
<title>Mindful Minutes: {html.escape(title)}</title></head><body class="mobile">
<div class="mobile-header"><a href="{SITE}/?m=1">Mindful Minutes</a></div>
<div class="mobile-post-outer"><h3 class="post-title">{html.escape(title)}</h3>
<div class="post-body entry-content">{_paragraphs_html(paragraphs)}</div>
<div class="post-footer">Posted by Dr. Ellen Marsh at 9:{i % 60:02d} AM</div></div>
<div class="mobile-desktop-link"><a href="{SITE}/2019/post-{i}.html?m=0">View web version</a></div>
<div class="blogger">Powered by Blogger.</div></body></html>"""


def amp_page(i: int, title: str, paragraphs: tuple[str, ...]) -> str:
    body = []
    for n, paragraph in enumerate(paragraphs):
        body.append(f"<p>{html.escape(paragraph)}</p>")
        if n == 1:
            body.append(f'<figure><amp-img src="/img/{i}.jpg" width="600" height="400" layout="responsive"></amp-img>'
                        f"<figcaption>Photo: stock image {i}</figcaption></figure>")
    return f"""<!doctype html><html amp lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><script async src="https://cdn.ampproject.org/v0.js"></script>
<style amp-custom>body{{font-family:serif}}</style></head><body>
<header class="amp-wp-header"><div><a href="{SITE}/">Mindful Minutes</a></div></header>
<article class="amp-wp-article"><header class="amp-wp-article-header"><h1 class="amp-wp-title">{html.escape(title)}</h1></header>
<div class="amp-wp-article-content">{"".join(body)}</div>
<footer class="amp-wp-article-footer"><amp-social-share type="twitter"></amp-social-share></footer></article>
<footer class="amp-wp-footer"><p>© 2019 Mindful Minutes</p><a href="#top" class="back-to-top">Back to top</a></footer></body></html>"""


def feed_text(i: int, paragraphs: tuple[str, ...]) -> str:
    """What the feed source yields: full content for even posts (with the "appeared first on"
    line feed plugins add), a WordPress excerpt for odd ones."""
    if i % 2 == 0:
        return "\n".join(paragraphs) + "\nThe post appeared first on Mindful Minutes."
    words = " ".join(paragraphs).split()[:55]
    return " ".join(words) + " [\u2026]"


def extract(page: str) -> str:
    import trafilatura

    return trafilatura.extract(page, include_comments=False) or ""


@lru_cache(maxsize=1)
def variant_items(shared_data: Path) -> tuple[tuple[str, str, str, str | None, int], ...]:
    """(key, url, text, published_at, post number) for the four variants of the 50 posts."""
    posts = real_posts(shared_data)
    titles = [title for title, _ in posts]
    rnd = random.Random(7)
    items = []
    for i, (title, paragraphs) in enumerate(posts):
        others = rnd.sample([t for n, t in enumerate(titles) if n != i], 8)
        desktop = f"{SITE}/2019/{i % 12 + 1:02d}/post-{i}.html"
        published = f"2019-{i % 12 + 1:02d}-{i % 28 + 1:02d}T09:00:00+00:00"
        items.append((f"desktop-{i}", desktop, extract(desktop_page(i, title, desktop_body(i, paragraphs), others)), published, i))
        items.append((f"mobile-{i}", desktop + "?m=1", extract(mobile_page(i, title, paragraphs)), published, i))
        amp = f"https://www-mindful-minutes-example.cdn.ampproject.org/c/s/www.mindful-minutes.example/2019/{i % 12 + 1:02d}/post-{i}.html"
        items.append((f"amp-{i}", amp, extract(amp_page(i, title, amp_body(i, paragraphs))), None, i))
        items.append((f"feed-{i}", f"{SITE}/?p={1000 + i}", feed_text(i, paragraphs), published, i))
    return tuple(items)


def _assert_one_group_per_post(mapping: dict, items) -> None:
    post_of = {key: post for key, _url, _text, _published, post in items}
    groups: dict[object, set[int]] = {}
    for key, representative in mapping.items():
        groups.setdefault(representative, set()).add(post_of[key])
    merged_across = {rep: posts for rep, posts in groups.items() if len(posts) > 1}
    assert not merged_across, f"distinct posts merged: {merged_across}"
    assert len(groups) == 50, f"expected 50 posts, got {len(groups)} groups"


def test_variants_have_real_text(shared_data: Path) -> None:
    items = variant_items(shared_data)
    assert len(items) == 200
    for key, _url, text, _published, _post in items:
        assert len(text.split()) >= 40, f"{key}: extraction gave too little text to test with"


def test_fifty_posts_in_four_variants_make_fifty_groups(shared_data: Path) -> None:
    items = variant_items(shared_data)
    mapping = find_duplicates([(key, url, text, published) for key, url, text, published, _ in items])
    assert set(mapping) == {item[0] for item in items}
    _assert_one_group_per_post(mapping, items)
    for i in range(50):  # the desktop page represents its post
        for variant in ("desktop", "mobile", "amp", "feed"):
            assert mapping[f"{variant}-{i}"] == f"desktop-{i}"


def test_text_alone_finds_the_groups_when_urls_say_nothing(shared_data: Path) -> None:
    """Every variant under an unrelated URL: only the text can group them (syndication-like)."""
    items = variant_items(shared_data)
    scrambled = [(key, f"https://mirror-{n}.example/{n}", text, published) for n, (key, _u, text, published, _) in enumerate(items)]
    mapping = find_duplicates(scrambled)
    _assert_one_group_per_post(mapping, items)


def test_input_order_does_not_change_the_answer(shared_data: Path) -> None:
    items = [(key, url, text, published) for key, url, text, published, _ in variant_items(shared_data)]
    shuffled = list(items)
    random.Random(11).shuffle(shuffled)
    assert find_duplicates(shuffled) == find_duplicates(items)


# --------------------------------------------------------------------------- must not merge


def _sentences(seed: int, count: int) -> list[str]:
    """Plausible, distinct filler sentences from a seeded generator (no shared data needed)."""
    rnd = random.Random(seed)
    subjects = ["My therapist", "The new clinic", "Our peer group", "A reader", "The research team", "My sister",
                "The ward nurse", "Our editor", "The study", "A colleague"]
    verbs = ["suggested", "described", "questioned", "reported", "noticed", "argued", "remembered", "explained"]
    objects = ["a sleep diary", "the waiting list", "group therapy", "lithium levels", "panic at night",
               "the discharge plan", "exercise and mood", "the crisis line", "a relapse plan", "weekly check-ins",
               "medication side effects", "the first appointment", "grief after loss", "school refusal"]
    tails = ["last winter", "after the holidays", "during the pilot", "in the second week", "before the review",
             "at the open day", "over the phone", "without any warning"]
    return [f"{rnd.choice(subjects)} {rnd.choice(verbs)} {rnd.choice(objects)} {rnd.choice(tails)} (note {seed}-{n})."
            for n in range(count)]


COMMENT_POLICY = (
    "About our comment policy: we welcome your stories and questions, but we remove comments that "
    "give individual medical advice, name clinicians or patients, or advertise products. We cannot "
    "answer questions about your own treatment here; please ask the team that knows you. Opinions "
    "are the authors' own and not those of their employers. Network member blogs share this policy."
)


def test_short_posts_sharing_boilerplate_stay_apart_in_a_big_run() -> None:
    """40 member blogs of one network (different hosts, so only the text can tell): ~30 words of
    their own under ~140 words of the network's shared blocks, each with a syndicated copy."""
    items = []
    for i in range(40):
        own = " ".join(_sentences(i, 3))
        text = f"{own}\n{DISCLAIMER}\nShare this: Twitter Facebook Email\n{SIDEBAR_ABOUT}\n{COMMENT_POLICY}"
        items.append((f"p{i}", f"https://clinic-{i}.example/news/update.html", text, None))
        items.append((f"s{i}", f"https://network-mirror.example/?p={i}", text, None))
    mapping = find_duplicates(items)
    for i in range(40):
        assert mapping[f"p{i}"] == f"p{i}", "posts sharing only boilerplate must stay apart"
        assert mapping[f"s{i}"] == f"p{i}", "a verbatim syndicated copy is the same post"


def test_short_posts_sharing_boilerplate_stay_apart_in_a_small_run() -> None:
    """Too few posts for the boilerplate count: the shared block looks like content."""
    items = []
    for i in range(3):
        own = " ".join(_sentences(100 + i, 1))  # one sentence of its own
        items.append((f"p{i}", f"{SITE}/2020/notice-{i}.html", f"{own}\n{DISCLAIMER}\n{SIDEBAR_ABOUT}", None))
    mapping = find_duplicates(items)
    assert mapping == {"p0": "p0", "p1": "p1", "p2": "p2"}


def test_identical_short_texts_on_different_blogs_are_not_merged() -> None:
    text = "Happy holidays from all of us! See you in January."
    items = [(f"b{i}", f"https://blog{i}.example/2020/12/holidays.html", text, None) for i in range(4)]
    assert find_duplicates(items) == {f"b{i}": f"b{i}" for i in range(4)}


def test_series_posts_sharing_an_introduction_are_distinct() -> None:
    intro = " ".join(_sentences(500, 5))
    items = [(f"part{n}", f"{SITE}/2021/series-part-{n}.html", f"{intro}\n" + " ".join(_sentences(600 + n, 20)), None)
             for n in range(1, 5)]
    excerpt = " ".join((intro + " " + " ".join(_sentences(602, 20))).split()[:55]) + " [\u2026]"
    items.append(("feed-part2", f"{SITE}/?p=77", excerpt, None))
    mapping = find_duplicates(items)
    assert [mapping[f"part{n}"] for n in range(1, 5)] == ["part1", "part2", "part3", "part4"]
    # The 55-word excerpt is all introduction: it may join one of the parts but never two of them.
    assert len(set(mapping.values())) == 4


def test_different_permalinks_of_one_site_are_never_merged() -> None:
    body = " ".join(_sentences(900, 30))
    items = [
        ("old", f"{SITE}/2018/01/coping.html", body, "2018-01-01"),
        ("new", f"{SITE}/2020/05/coping-revisited.html", body, "2020-05-01"),
        ("copy", "https://aggregator.example/coping", body, "2018-01-02"),
    ]
    mapping = find_duplicates(items)
    assert mapping["old"] == "old" and mapping["new"] == "new"
    assert mapping["copy"] == "old", "the earlier post takes the syndicated copy"


# --------------------------------------------------------------------------- representative


def test_representative_prefers_desktop_then_earliest_then_longest() -> None:
    body = " ".join(_sentences(42, 25))
    items = [
        ("amp", "https://amp.example.org/2019/05/sleep/", body, "2019-05-01"),
        ("mobile", "https://m.example.org/2019/05/sleep/", body + " Extra mobile line here today.", "2019-05-01"),
        ("feed", "https://example.org/feed/", body, "2019-04-30"),
        ("desktop", "https://example.org/2019/05/sleep/", body, "2019-05-01T08:00:00Z"),
    ]
    assert set(find_duplicates(items).values()) == {"desktop"}
    copies = [
        ("late", "https://b.example/x", body, "2019-06-01T00:00:00+00:00"),
        ("early", "https://c.example/y", body, "2019-05-31T23:00:00-02:00"),  # 2019-06-01T01:00Z: later
        ("undated", "https://d.example/z", body, None),
    ]
    assert set(find_duplicates(copies).values()) == {"late"}
    longest = [("short", "https://b.example/x", body, None), ("long", "https://c.example/y", body + " Thanks for reading.", None)]
    assert set(find_duplicates(longest).values()) == {"long"}
    tie = [("b", "https://b.example/x", body, None), ("a", "https://c.example/y", body, None)]
    assert set(find_duplicates(tie).values()) == {"a"}


def test_same_canonical_url_is_one_post_even_with_different_text() -> None:
    items = [
        ("v1", "https://example.org/2019/05/sleep/", "First version of the post.", None),
        ("v2", "https://example.org/2019/05/sleep/?utm_source=rss&m=1", "Edited version, quite different now.", None),
    ]
    assert find_duplicates(items) == {"v1": "v1", "v2": "v1"}
    assert duplicate_groups(find_duplicates(items)) == {"v1": ["v2"]}


def test_repeated_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unique keys"):
        find_duplicates([("k", "https://a.example/1", "x", None), ("k", "https://a.example/2", "y", None)])


def test_url_forms() -> None:
    assert is_desktop_url("https://example.org/2019/05/sleep/")
    for url in ("https://m.example.org/x", "https://example.org/x/amp/", "https://example.org/feed/",
                "https://example.org/?p=12", "https://blog.example/x.html?m=1",
                "https://www-blog-example.cdn.ampproject.org/c/s/www.blog.example/x.html"):
        assert not is_desktop_url(url), url
    assert desktop_identity("https://www.Example.org/a?utm_source=x") == desktop_identity("http://example.org/a")
    assert desktop_identity("http://127.0.0.1:8001/a") != desktop_identity("http://127.0.0.1:8002/a")
    assert desktop_identity("https://example.org/feed/") is None
    assert canonical_url("https://blog.example/x.html?m=1") == "https://blog.example/x.html"
    assert normalize_words("It’s GREAT — see https://x.example/a.") == ["it's", "great", "see"]
