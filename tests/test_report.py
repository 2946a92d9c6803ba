"""The editors' report: content, safety with hostile data, privacy, empty databases, CLI.

The report reads the analysts' views of a published database. The database here is built the
real way: a seeded psychiatry group blog (two sites, seven topics, threaded comments, late
comments, tone) written as a process stage's Parquet files, loaded by ``warehouse.load`` (real
migrations, views and integrity checks) and published by ``warehouse.publish``.

The browser tests (headless Chromium) are in ``test_report_browser.py`` and use the same builders.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main as blogscope_main
from warehouse.report import ReportError, build_report, csv_link, safe_href

# Hostile strings planted in titles, topic labels, URLs and pseudonyms of the "hostile" fixture.
PAYLOAD_IMG = "<img src=x onerror=alert(1)>"
PAYLOAD_SCRIPT = "<script>window.__pwned=1</script>"
PAYLOAD_URL = "javascript:alert(document.domain)"
HOSTILE_TITLE = f"{PAYLOAD_IMG} {PAYLOAD_SCRIPT} Lithium & \"levels\""
HOSTILE_LABEL = f"{PAYLOAD_SCRIPT} sleep"
HOSTILE_PSEUDONYM = "<img src=x onerror=window.__pwned=2>"
FORMULA_TITLE = '=HYPERLINK("http://evil.example/","click") costs $5 and $10 co-pays'
# Every synthetic comment text carries this marker: it must never reach a default report.
PRIVATE_MARKER = "PRIVATE-COMMENT-TEXT"

START = dt.datetime(2024, 1, 1)
END = dt.datetime(2025, 6, 30, 23, 0)
LATE_AFTER_DAYS = 30
RUN_ID = "20250701T030000Z-fixture"

TOPICS = [
    # topic_id, top terms, base comments per post, comments trend per year, mean tone
    (0, ["sleep", "insomnia", "melatonin", "night"], 6.0, 0.0, 0.05),
    (1, ["medication", "side", "effects", "dose"], 9.0, 0.2, -0.15),
    (2, ["therapy", "waiting", "list", "access"], 7.0, -0.1, -0.05),
    (3, ["burnout", "residency", "shifts", "colleagues"], 10.0, -0.6, -0.25),
    (4, ["adhd", "diagnosis", "adults", "stimulants"], 5.0, 0.5, 0.1),
    (5, ["lithium", "bipolar", "levels", "monitoring"], 4.0, 0.0, 0.0),
    (6, ["telepsychiatry", "video", "visits", "privacy"], 3.0, 1.8, 0.25),
]
TITLES = {
    0: ["Why melatonin is not a sleeping pill", "Insomnia after night shifts", "Sleep hygiene, revisited",
        "What patients ask about sleep trackers"],
    1: ["Side effects nobody warned you about", "Tapering an SSRI slowly", "When the dose is the problem",
        "Generic switches and what changes"],
    2: ["Six months on a waiting list", "Finding a therapist who takes insurance", "Group therapy works",
        "Is online CBT enough?"],
    3: ["Residents, burnout and the 28-hour shift", "Who cares for the carers?", "Burnout is not a weakness",
        "Night float, again"],
    4: ["ADHD diagnosed at forty", "Stimulant shortages", "Adult ADHD: overdiagnosed?",
        "Questions to ask before a stimulant trial"],
    5: ["Lithium levels explained", "Bipolar disorder and summer", "Monitoring kidneys on lithium",
        "The oldest mood stabiliser"],
    6: ["Telepsychiatry is here to stay", "Video visits and privacy at home", "Prescribing across state lines",
        "When the connection drops mid-session"],
}
SITES = [("shrink-notes", "https://shrink-notes.example.org/", "wordpress"),
         ("couch-talk", "https://couch-talk.blogspot.example/", "blogger")]


def _h(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    # Knuth's method is fine for the small means used here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass
class Dataset:
    """Rows for the warehouse tables (column names as in the migrations)."""

    sites: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    sentiment: list[dict[str, Any]] = field(default_factory=list)
    model_runs: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    doc_topics: list[dict[str, Any]] = field(default_factory=list)


def make_dataset(*, seed: int = 11, hostile: bool = False, start: dt.datetime = START, end: dt.datetime = END,
                 posts_per_month: int = 12, topics: bool = True) -> Dataset:
    """A seeded psychiatry group blog on two sites: posts, threaded comments, tone, topics."""
    rng = random.Random(seed)
    run_id = RUN_ID
    model_run_id = "m-" + _h("model", seed)
    data = Dataset()
    for site_id, url, platform in SITES:
        data.sites.append({"site_id": site_id, "url": url, "platform": platform, "comment_system": "native",
                           "notes": None, "run_id": run_id, "first_seen_run_id": run_id})
    if topics:
        data.model_runs.append({"model_run_id": model_run_id, "created_at": end, "model": "nmf", "k": len(TOPICS),
                                "seed": 42, "c_v": 0.541, "npmi": 0.07, "diversity": 0.86, "n_docs": 0,
                                "run_id": run_id})
        for tid, terms, *_ in TOPICS:
            label = HOSTILE_LABEL if hostile and tid == 0 else " ".join(terms[:3])
            data.topics.append({"model_run_id": model_run_id, "topic_id": tid, "label": label,
                                "top_terms": terms, "run_id": run_id})
    readers = {site: [f"reader-{_h('reader', site, i)[:12]}" for i in range(60)] for site, _, _ in SITES}
    month = dt.datetime(start.year, start.month, 1)
    n_post = 0
    while month <= end:
        years = (month - START).days / 365.0
        for _ in range(posts_per_month):
            tid, terms, base, trend, tone = TOPICS[rng.randrange(len(TOPICS))]
            site_id, site_url, _ = SITES[n_post % 2]
            published = month + dt.timedelta(days=rng.randrange(28), hours=rng.randrange(7, 20))
            if published > end:
                continue
            n_post += 1
            title = f"{rng.choice(TITLES[tid])} ({published:%b %Y})"
            url = f"{site_url}{published:%Y/%m}/post-{n_post}/"
            post_id = _h("post", url)
            data.posts.append({
                "post_id": post_id, "site_id": site_id, "url": url, "title": title, "author": "Dr. Blogger",
                "published_at": published, "language": "en", "text": f"Post about {' '.join(terms)}.",
                "word_count": 600, "content_hash": _h("content", post_id), "run_id": run_id,
                "first_seen_run_id": run_id, "updated_run_id": run_id})
            if topics:
                data.doc_topics.append({"model_run_id": model_run_id, "target_kind": "post", "target_id": post_id,
                                        "topic_id": tid, "weight": 0.7, "is_dominant": True, "run_id": run_id})
            lam = max(0.2, base * (1.0 + trend * years))
            made: list[dict[str, Any]] = []
            for i in range(_poisson(rng, lam)):
                late = rng.random() < 0.12
                delay = dt.timedelta(days=rng.uniform(LATE_AFTER_DAYS + 1, 300)) if late else \
                    dt.timedelta(hours=rng.expovariate(1 / 30.0))
                when = published + delay
                if when > end:
                    continue
                parent = rng.choice(made) if made and rng.random() < 0.35 else None
                comment_id = _h("comment", post_id, i)
                made.append({
                    "comment_id": comment_id, "post_id": post_id,
                    "parent_id": parent["comment_id"] if parent else None,
                    "author_pseudonym": rng.choice(readers[site_id]) if rng.random() > 0.08 else None,
                    "published_at": when, "language": "en",
                    "text": f"{PRIVATE_MARKER} {i}: reply about {terms[0]}.",
                    "depth": min(5, parent["depth"] + 1) if parent else 0, "position": i,
                    "run_id": run_id, "first_seen_run_id": run_id, "updated_run_id": run_id})
                compound = max(-1.0, min(1.0, rng.gauss(tone, 0.45)))
                label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
                data.sentiment.append({
                    "target_kind": "comment", "target_id": comment_id, "scorer": "vader-sentences",
                    "scorer_version": "3.3.2-1", "compound": round(compound, 4), "label": label,
                    "share_positive": max(0.0, compound), "share_negative": max(0.0, -compound), "sentences": 2,
                    "run_id": run_id})
            data.comments.extend(made)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    if data.model_runs:
        data.model_runs[0]["n_docs"] = len(data.posts)
    if hostile:
        _plant_hostile(data)
    return data


def _plant_hostile(data: Dataset) -> None:
    """Hostile strings where editors will see them: top post, a late comment, a topic label."""
    counts: dict[str, int] = {}
    for c in data.comments:
        counts[c["post_id"]] = counts.get(c["post_id"], 0) + 1
    posts = sorted(data.posts, key=lambda p: -counts.get(p["post_id"], 0))
    posts[0]["title"] = HOSTILE_TITLE
    posts[0]["url"] = PAYLOAD_URL
    posts[1]["title"] = FORMULA_TITLE
    by_id = {p["post_id"]: p for p in data.posts}
    late = [c for c in data.comments
            if (c["published_at"] - by_id[c["post_id"]]["published_at"]).days > LATE_AFTER_DAYS]
    latest = max(late, key=lambda c: c["published_at"])
    latest["author_pseudonym"] = HOSTILE_PSEUDONYM


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=dt.timezone.utc).isoformat(timespec="seconds")


def write_processed_run(folder: Path, data: Dataset) -> None:
    """The dataset as a process stage would leave it: ``processed/*.parquet`` of pipeline records."""
    from pipeline.io import write_records, write_rows
    from pipeline.records import Comment, Post, SentimentScore

    posts = [Post(post_id=p["post_id"], site_id=p["site_id"], url=p["url"], title=p["title"],
                  author=p.get("author"), published_at=_iso(p["published_at"]), language=p.get("language", "en"),
                  text=p["text"], run_id=RUN_ID, word_count=p.get("word_count", 0),
                  content_hash=p["content_hash"], source="wp-rest", fetched_at=_iso(END))
             for p in data.posts]
    comments = [Comment(comment_id=c["comment_id"], post_id=c["post_id"], parent_id=c["parent_id"],
                        author_pseudonym=c["author_pseudonym"], published_at=_iso(c["published_at"]),
                        language=c.get("language", "en"), text=c["text"], run_id=RUN_ID, depth=c["depth"],
                        source="wp-rest", first_seen_at=_iso(c["published_at"]), position=c.get("position", 0))
                for c in data.comments]
    scores = [SentimentScore(s["target_kind"], s["target_id"], s["scorer"], s["scorer_version"], s["compound"],
                             s["label"], s["share_positive"], s["share_negative"], s["sentences"], RUN_ID)
              for s in data.sentiment]
    if posts:
        write_records(folder / "posts.parquet", posts, Post)
    if comments:
        write_records(folder / "comments.parquet", comments, Comment)
    if scores:
        write_records(folder / "sentiment.parquet", scores, SentimentScore)
    write_rows(folder / "sites.parquet", [{"site_id": s["site_id"], "url": s["url"], "platform": s["platform"],
                                           "comment_system": "native", "run_id": RUN_ID} for s in data.sites])
    if data.model_runs:
        write_rows(folder / "model_runs.parquet", [
            {**m, "created_at": _iso(m["created_at"]), "params_json": "{}", "corpus_digest": "fixture",
             "library_versions_json": "{}", "previous_model_run_id": None, "run_id": RUN_ID}
            for m in data.model_runs])
        write_rows(folder / "topics.parquet", [
            {**t, "term_weights": [0.4, 0.3, 0.2, 0.1][: len(t["top_terms"])], "representative_post_ids": [],
             "run_id": RUN_ID} for t in data.topics])
        write_rows(folder / "doc_topics.parquet", [{**d, "run_id": RUN_ID} for d in data.doc_topics])


def build_database(path: Path, data: Dataset | None, *, migrate: bool = True,
                   pseudonym_overrides: dict[str, str] | None = None) -> Path:
    """A published database: real migrations, ``data`` loaded by the real loader, then published.

    ``pseudonym_overrides`` (comment id -> string) writes strings the loader's integrity checks
    would refuse straight into the published copy: the report must stay safe even if a bad
    value ever got past the warehouse.
    """
    import duckdb

    from warehouse import db as warehouse_db
    from warehouse.load import load_run
    from warehouse.publish import publish

    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        home = path.parent / f"{path.stem}-home"
        processed = home / "runs" / RUN_ID / "processed"
        write_processed_run(processed, data)
        working = home / "work" / "warehouse.duckdb"
        load_run(working, home / "runs" / RUN_ID, RUN_ID, search_index=False)
        publish(working, path)
    con = duckdb.connect(str(path))
    try:
        con.execute("set TimeZone = 'UTC'")
        if migrate and data is None:
            warehouse_db.migrate(con)
        for comment, value in (pseudonym_overrides or {}).items():
            con.execute("update comments set author_pseudonym = ? where comment_id = ?", [value, comment])
        con.execute("checkpoint")
    finally:
        con.close()
    return path


def build_hostile_database(path: Path) -> Path:
    data = make_dataset(hostile=True)
    planted = {c["comment_id"]: c["author_pseudonym"] for c in data.comments
               if c["author_pseudonym"] == HOSTILE_PSEUDONYM}
    for c in data.comments:  # what the loader accepts; the payload is planted after the load
        if c["comment_id"] in planted:
            c["author_pseudonym"] = "reader-0123456789ab"
    return build_database(path, data, pseudonym_overrides=planted)


# Session scope: test_report_browser.py imports these fixtures, so each database is built once.
@pytest.fixture(scope="session")
def realistic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("report-db") / "blogscope.duckdb", make_dataset())


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hostile_database(tmp_path_factory.mktemp("report-hostile") / "blogscope.duckdb")


@pytest.fixture(scope="module")
def realistic_report(realistic_db: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report-out") / "report.html"
    summary = build_report(realistic_db, out)
    return summary, out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_report(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report-hostile-out") / "report.html"
    summary = build_report(hostile_db, out)
    return summary, out.read_text(encoding="utf-8")


def _query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _csv_links(html: str) -> dict[str, list[list[str]]]:
    """download name -> parsed CSV rows, for every data: CSV link of the report."""
    out = {}
    for name, href in re.findall(r'<a class="csv" download="([^"]+)" href="([^"]+)"', html):
        prefix = "data:text/csv;charset=utf-8;base64,"
        assert href.startswith(prefix), href[:60]
        text = base64.b64decode(href[len(prefix):]).decode("utf-8")
        assert text.startswith("\ufeff")
        out[name] = list(csv.reader(io.StringIO(text[1:])))
    return out


OWN_SCRIPTS = re.compile(r'<script type="application/json" id="report-data">(?P<data>.*?)</script>\s*'
                         r'<script>(?P<bundle>.*?)</script>\s*<script>(?P<app>.*?)</script>', re.S)


def own_scripts(html: str) -> tuple[str, dict[str, str]]:
    """The page without its three own script elements, and those elements' contents.

    The interactive part is the report's data (JSON, never run), the chart library and the page's
    script, the two runnable ones listed by SHA-256 in the CSP. Checks that the page is otherwise
    inert run on the rest; the data block must hold no markup at all (no '<', '>' or '&').
    """
    import base64 as b64
    import hashlib

    found = OWN_SCRIPTS.search(html)
    assert found, "the report's scripts are missing or not where expected"
    parts = found.groupdict()
    assert not re.search(r"[<>&]", parts["data"]), "raw markup characters in the report's JSON"
    import html as html_lib

    csp = html_lib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    for name in ("bundle", "app"):
        digest = b64.b64encode(hashlib.sha256(parts[name].encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp, name
    rest = html[:found.start()] + html[found.end():]
    assert "<script" not in rest.lower().replace("&lt;script", "")
    return rest, parts


def _parse(html: str):  # lxml element
    import lxml.html

    return lxml.html.document_fromstring(html)


# --------------------------------------------------------------------------- content


EXPECTED_SECTIONS = ("discussion-over-time", "comments-per-post", "tone", "most-discussed", "late-comments",
                     "trends")


def test_realistic_report_shows_every_section_with_data(realistic_report, realistic_db: Path) -> None:
    summary, html = realistic_report
    assert [s.anchor for s in summary.sections] == list(EXPECTED_SECTIONS)
    assert summary.empty_sections == ()
    assert summary.missing_views == ()
    doc = _parse(html)
    for anchor in EXPECTED_SECTIONS:
        section = doc.get_element_by_id(anchor)
        assert section.findall(".//svg"), f"section {anchor} has no chart"
        assert "How to read:" in section.text_content()
        assert not section.find_class("nodata"), anchor
    # Every chart is followed by its reading guide and the download of its data.
    for figure in doc.findall(".//figure"):
        guide = figure.getnext()
        assert guide.get("class") == "how" and guide.text_content().startswith("How to read: ")
        link = guide.getnext()
        assert link.tag == "a" and link.get("download", "").endswith(".csv"), figure.getparent().get("id")
    posts, comments = _query(realistic_db, "select (select count(*) from posts), (select count(*) from comments)")[0]
    assert summary.posts == posts
    assert summary.comments == comments
    assert summary.sites == ("couch-talk", "shrink-notes")
    assert summary.commenters == _query(realistic_db, "select count(distinct author_pseudonym) from comments")[0][0]


def test_header_names_period_sites_counts_model_and_coherence(realistic_report, realistic_db: Path) -> None:
    summary, html = realistic_report
    head = _parse(html).find(".//header")
    text = " ".join(head.text_content().split())
    model_run_id = _query(realistic_db, "select model_run_id from model_runs")[0][0]
    assert summary.model_run_id == model_run_id and model_run_id in text
    # Model quality in words in the header; the number in its tooltip and in the footnote, not as jargon.
    assert "topics are reasonably coherent" in text and "c_v" not in text
    assert head.find_class("quality")[0].get("title").startswith("coherence c_v 0.541")
    footer = " ".join(_parse(html).find(".//footer").text_content().split())
    assert "coherence c_v 0.541" in footer
    assert "2024-01-01 to 2025-06-30" in text
    assert "couch-talk, shrink-notes" in text
    assert f"{summary.comments:,} comments written" in text
    assert summary.period_start == dt.date(2024, 1, 1) and summary.period_end == dt.date(2025, 6, 30)


def test_csv_downloads_hold_the_chart_data(realistic_report, realistic_db: Path) -> None:
    _, html = realistic_report
    links = _csv_links(html)
    assert set(links) >= {"comments-per-month-by-topic.csv", "comments-per-post.csv", "sentiment-by-topic.csv",
                          "sentiment-per-month.csv", "most-discussed-posts.csv", "late-comments.csv",
                          "topic-trends.csv"}
    monthly = links["comments-per-month-by-topic.csv"]
    header, rows = monthly[0], monthly[1:]
    total = sum(int(r[header.index("comments")]) for r in rows)
    assert total == _query(realistic_db, "select count(*) from comments")[0][0]
    late = links["late-comments.csv"]
    expected_late = _query(realistic_db, f"select count(*) from comments c join posts p using (post_id) "
                                         f"where c.published_at > p.published_at + interval {LATE_AFTER_DAYS} day")
    assert len(late) - 1 == expected_late[0][0] > 0
    top = links["most-discussed-posts.csv"]
    best = _query(realistic_db, "select p.url, count(*) n from comments c join posts p using (post_id) "
                                "group by 1 order by n desc limit 1")[0]
    assert top[1][top[0].index("url")] == best[0]
    assert int(top[1][top[0].index("comments")]) == best[1]


def test_monthly_numbers_equal_the_warehouse_aggregate_views(realistic_report, realistic_db: Path) -> None:
    """Over the whole database the report's per-comment counts equal v_topic_trends and v_sentiment_by_topic."""
    _, html = realistic_report
    links = _csv_links(html)
    monthly = links["comments-per-month-by-topic.csv"]
    h = monthly[0]
    ours = {(r[h.index("month")], int(r[h.index("topic_id")])): int(r[h.index("comments")])
            for r in monthly[1:] if r[h.index("topic_id")]}
    theirs = {(m.isoformat(), t): n for m, t, n in _query(
        realistic_db, "select month, topic_id, comments from v_topic_trends where comments > 0")}
    assert ours == theirs and len(ours) > 50
    tone = links["sentiment-by-topic.csv"]
    h = tone[0]
    ours_tone = {int(r[h.index("topic_id")]): (int(r[h.index("scored_comments")]), float(r[h.index("share_negative")]),
                                               float(r[h.index("mean_compound")])) for r in tone[1:]}
    for topic, scored, share_negative, mean in _query(realistic_db, """
            select topic_id, scored, share_negative, mean_compound from v_sentiment_by_topic
            where target_kind = 'comment'"""):
        assert ours_tone[topic][0] == scored
        assert math.isclose(ours_tone[topic][1], share_negative, abs_tol=1e-3)
        assert math.isclose(ours_tone[topic][2], mean, abs_tol=1e-3)
    cohort = links["topic-discussion-by-month.csv"]
    assert len(cohort) - 1 == _query(realistic_db, "select count(*) from v_topic_discussion_month")[0][0]


def test_most_discussed_table_links_to_the_posts(realistic_report) -> None:
    _, html = realistic_report
    section = _parse(html).get_element_by_id("most-discussed")
    links = [a.get("href") for a in section.iter("a") if a.get("class") != "csv"]
    assert len(links) == 20
    assert all(h.startswith("https://") for h in links)
    assert all(a.get("rel") == "noopener noreferrer nofollow" for a in section.iter("a") if a.get("class") != "csv")


def test_trends_compare_the_last_months_with_the_months_before(realistic_report, realistic_db: Path) -> None:
    summary, html = realistic_report
    links = _csv_links(html)["topic-trends.csv"]
    header = links[0]
    assert header[3:5] == ["comments_Jan–Mar 2025", "comments_Apr–Jun 2025"]
    telepsych = next(r for r in links[1:] if r[1] == "6")
    cur, prev = _query(realistic_db, """
        select count(*) filter (where c.published_at >= '2025-04-01'),
               count(*) filter (where c.published_at >= '2025-01-01' and c.published_at < '2025-04-01')
        from comments c join doc_topics d on d.target_id = c.post_id and d.is_dominant where d.topic_id = 6""")[0]
    assert (int(telepsych[3]), int(telepsych[4])) == (prev, cur)
    assert any(line.startswith("Comments: ") for line in summary.changes)
    assert any(line.startswith("Rising most: ") for line in summary.changes)
    assert any(line.startswith("Tone: ") for line in summary.changes)


def test_period_and_site_filters(realistic_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    summary = build_report(realistic_db, out, since="2024-07-01", until="2024-12-31", site="shrink-notes")
    expected = _query(realistic_db, """
        select count(*) from comments c join posts p using (post_id)
        where p.site_id = 'shrink-notes' and c.published_at >= '2024-07-01' and c.published_at < '2025-01-01'""")
    assert summary.comments == expected[0][0] > 0
    posts = _query(realistic_db, "select count(*) from posts where site_id = 'shrink-notes' "
                                 "and published_at >= '2024-07-01' and published_at < '2025-01-01'")
    assert summary.posts == posts[0][0]
    assert summary.sites == ("shrink-notes",)
    html = out.read_text(encoding="utf-8")
    assert "2024-07-01 to 2024-12-31" in html
    # The explicit period is compared with the six months before it.
    assert "Jul–Dec 2024" in html and "Jan–Jun 2024" in html
    links = _csv_links(html)
    months = {r[0] for r in links["comments-per-month-by-topic.csv"][1:]}
    assert months == {f"2024-{m:02d}-01" for m in range(7, 13)}
    assert "couch-talk" not in "".join(r[1] for r in links["most-discussed-posts.csv"][1:])


# --------------------------------------------------------------------------- safety


def test_hostile_strings_are_escaped_everywhere(hostile_report) -> None:
    _, page = hostile_report
    html, scripts = own_scripts(page)
    doc = _parse(html)
    # Not a single script element, event handler, embedded object or external resource.
    assert doc.findall(".//script") == []
    for tag in ("iframe", "object", "embed", "img", "link", "base", "form", "foreignObject"):
        assert doc.findall(f".//{tag}") == [], tag
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name, value)
            assert "javascript:" not in value.lower(), (el.tag, name)
        if el.tag == "a":
            href = el.get("href", "")
            assert href.startswith(("https://", "http://", "#", "data:text/csv;")), href
    assert "<script" not in html.lower().replace("&lt;script", "")
    # The payloads are visible as text: in the title of the top post, the topic label and the pseudonym.
    text = doc.text_content()
    assert HOSTILE_TITLE in text
    assert HOSTILE_LABEL in text
    assert HOSTILE_PSEUDONYM in text
    # The javascript: URL is shown as text next to its title, never as a link.
    assert PAYLOAD_URL in text
    # In the interactive part's data the payloads are JSON strings (markup escaped), and the
    # javascript: URL is not offered as a link there either.
    data = json.loads(scripts["data"])
    assert HOSTILE_TITLE in {p["t"] for p in data["posts"]}
    assert all(p["u"] is None or p["u"].startswith(("https://", "http://")) for p in data["posts"])
    assert any(HOSTILE_LABEL in t["name"] for t in data["topics"])


def test_hostile_strings_in_charts_are_escaped_svg_text(hostile_report) -> None:
    _, page = hostile_report
    html, _ = own_scripts(page)
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 7
    joined = "\n".join(svgs)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in joined  # the topic label, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in joined  # the post title, escaped (truncated after it)
    assert "<script" not in joined.lower() and "<img" not in joined.lower()
    # A '$' in a title is text, not matplotlib mathtext.
    assert "costs $5 and $10" in joined or "=HYPERLINK" in joined


def test_svg_ids_are_unique_across_charts(hostile_report) -> None:
    _, page = hostile_report
    html, _ = own_scripts(page)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r'url\(#([^)]+)\)', html))
    assert refs and refs <= set(ids)


def test_content_security_policy_is_strict_and_first(hostile_report) -> None:
    _, page = hostile_report
    html, _ = own_scripts(page)  # (which also checks the scripts' hashes are the CSP's)
    head = _parse(html).find("head")
    metas = [m for m in head.iter("meta")]
    assert metas[0].get("charset") == "utf-8"
    assert metas[1].get("http-equiv") == "Content-Security-Policy"
    csp = metas[1].get("content")
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+';", csp), csp
    assert "img-src data:" in csp and re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+';", csp), csp
    assert ' style="' not in html  # no inline style attribute (the CSP would blank it)
    # No external resource of any kind: no src attribute, no CSS url() other than SVG-internal references.
    assert " src=" not in html.replace("&lt;img src=x", "")
    assert re.findall(r"url\((?!#)", html) == []
    assert "@import" not in html and "@font-face" not in html


def test_csv_cells_cannot_become_spreadsheet_formulas(hostile_report) -> None:
    _, html = hostile_report
    rows = _csv_links(html)["most-discussed-posts.csv"]
    titles = [r[rows[0].index("title")] for r in rows[1:]]
    assert "'" + FORMULA_TITLE in titles
    assert not any(t.startswith(("=", "+", "@")) for t in titles)
    link = csv_link("x", ["a", "b"], [["-1 risky", -0.5], ["@cmd", 2]])
    text = base64.b64decode(link.href.split(",", 1)[1]).decode("utf-8")
    assert text == "\ufeffa,b\r\n'-1 risky,-0.5\r\n'@cmd,2\r\n"


def test_large_csv_links_are_cut_below_the_browser_url_limit() -> None:
    rows = [[i, "x" * 200] for i in range(20_000)]
    link = csv_link("big", ["i", "text"], rows, max_bytes=200_000)
    assert link.truncated and 0 < link.rows < len(rows)
    assert len(link.href) < 210_000


@pytest.mark.parametrize("url, ok", [
    ("https://blog.example.org/a/?b=1#c", True),
    ("http://blog.example.org/", True),
    ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False),
    (" javascript:alert(1)", False),
    ("java\tscript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("file:///etc/passwd", False),
    ("//evil.example/x", False),
    ("https://", False),
    ("https://exa mple.org/", False),
    (None, False),
])
def test_only_plain_http_links_become_links(url: str | None, ok: bool) -> None:
    assert safe_href(url) == (url if ok else None)


# --------------------------------------------------------------------------- privacy


def test_no_comment_text_unless_allowed(hostile_db: Path, hostile_report, tmp_path: Path) -> None:
    _, html = hostile_report
    assert PRIVATE_MARKER not in html
    assert PRIVATE_MARKER not in "".join(str(r) for rows in _csv_links(html).values() for r in rows)
    out = tmp_path / "with-text.html"
    build_report(hostile_db, out, allow_comment_text=True)
    with_text = out.read_text(encoding="utf-8")
    assert f"{PRIVATE_MARKER} " in _parse(with_text).get_element_by_id("late-comments").text_content()
    assert "verbatim comment text is included" in with_text.lower()


def test_raw_name_columns_are_never_read(tmp_path: Path) -> None:
    """Even a view that (wrongly) carried commenter names would only ever show pseudonyms."""
    import duckdb

    db = build_database(tmp_path / "names.duckdb", make_dataset(posts_per_month=3, end=dt.datetime(2024, 8, 31)))
    con = duckdb.connect(str(db))
    sql = con.execute("select sql from duckdb_views() where view_name = 'v_late_comments'").fetchone()[0]
    body = sql.split(" AS ", 1)[1].rstrip().rstrip(";")
    con.execute("create or replace view v_late_comments as select *, 'Jane Realname' as author, "
                f"'jane@example.org' as author_email from ({body})")
    con.close()
    out = tmp_path / "r.html"
    summary = build_report(db, out)
    html = out.read_text(encoding="utf-8")
    assert "late-comments" not in summary.empty_sections
    assert "reader-" in html
    assert "Jane Realname" not in html and "jane@example.org" not in html
    assert "Jane Realname" not in "".join(str(r) for rows in _csv_links(html).values() for r in rows)


# --------------------------------------------------------------------------- empty and partial databases


def _no_crash_report(db: Path, tmp_path: Path, **kw: Any):
    out = tmp_path / "r.html"
    summary = build_report(db, out, **kw)
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    return summary, html


def test_empty_database_gives_a_clear_report(tmp_path: Path) -> None:
    db = build_database(tmp_path / "empty.duckdb", None)
    summary, html = _no_crash_report(db, tmp_path)
    assert summary.posts == summary.comments == 0
    assert set(summary.empty_sections) == set(EXPECTED_SECTIONS)
    assert html.count('class="nodata"') >= len(EXPECTED_SECTIONS)
    assert "Period: <strong>no data yet</strong>" in html
    assert "Topic model: none yet" in html


def test_database_without_views_names_what_to_run(tmp_path: Path) -> None:
    db = build_database(tmp_path / "bare.duckdb", None, migrate=False)
    summary, html = _no_crash_report(db, tmp_path)
    assert set(summary.missing_views) >= {"v_comment_threads", "v_post_discussion", "v_current_topics",
                                          "v_late_comments"}
    assert "run `blogscope migrate`" in html


def test_no_topics_yet(tmp_path: Path) -> None:
    db = build_database(tmp_path / "notopics.duckdb", make_dataset(topics=False, posts_per_month=3))
    summary, html = _no_crash_report(db, tmp_path)
    assert summary.model_run_id is None and summary.comments > 0
    assert "Topic model: none yet" in html
    assert "(no topic)" in html
    assert "discussion-over-time" not in summary.empty_sections


def test_one_period_only(tmp_path: Path) -> None:
    data = make_dataset(start=dt.datetime(2025, 6, 1), end=dt.datetime(2025, 6, 30, 23), posts_per_month=12)
    db = build_database(tmp_path / "one.duckdb", data)
    summary, html = _no_crash_report(db, tmp_path)
    assert summary.comments > 0
    assert "trends" in summary.empty_sections
    assert "only one period of data so far" in html
    assert "Only one month of data so far" in html


def test_period_without_data(realistic_db: Path, tmp_path: Path) -> None:
    summary, html = _no_crash_report(realistic_db, tmp_path, since="2030-01-01", until="2030-03-31")
    assert summary.posts == summary.comments == 0
    assert "2030-01-01 to 2030-03-31" in html
    assert "trends" in summary.empty_sections


def test_missing_database_and_bad_dates_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="blogscope run"):
        build_report(tmp_path / "nope.duckdb", tmp_path / "r.html")
    db = build_database(tmp_path / "e.duckdb", None)
    with pytest.raises(ReportError, match="YYYY-MM-DD"):
        build_report(db, tmp_path / "r.html", since="last week")
    with pytest.raises(ReportError, match="swap"):
        build_report(db, tmp_path / "r.html", since="2025-02-01", until="2025-01-01")


# --------------------------------------------------------------------------- command line


def test_cli_writes_the_report_into_home(realistic_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "blogscope.duckdb").write_bytes(realistic_db.read_bytes())
    assert blogscope_main(["report", "--home", str(home), "--since", "2025-01-01"]) == 0
    assert (home / "report.html").exists()
    assert "wrote" in capsys.readouterr().out
    out = tmp_path / "elsewhere" / "r.html"
    assert blogscope_main(["report", "--home", str(home), "--out", str(out), "--site", "couch-talk"]) == 0
    assert "couch-talk" in out.read_text(encoding="utf-8")


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert blogscope_main(["report", "--home", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no database at" in err and "blogscope run" in err and "Traceback" not in err


# --------------------------------------------------------------------------- real data


def _wxr_dataset(path: Path) -> Dataset:
    """The WordPress theme unit test export: real edge-case titles (markup, empty, very long) and threads."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    # The export names its namespace http:// or https:// depending on the WordPress version.
    wp_ns = next(el.tag[1:].split("}")[0] for el in root.iter() if el.tag.endswith("}post_type"))
    ns = {"wp": wp_ns}

    def when(el: ET.Element, field: str) -> dt.datetime:
        for name in (f"wp:{field}_gmt", f"wp:{field}"):
            value = (el.findtext(name, namespaces=ns) or "").strip()
            if value and not value.startswith("0000"):
                return dt.datetime.fromisoformat(value)
        return dt.datetime(2013, 1, 1)

    data = Dataset()
    run_id = "wxr"
    data.sites.append({"site_id": "wpthemetestdata", "url": "https://wpthemetestdata.wordpress.com/",
                       "platform": "wordpress", "run_id": run_id, "first_seen_run_id": run_id})
    for item in root.iter("item"):
        if item.findtext("wp:post_type", namespaces=ns) not in ("post", "page"):
            continue
        if item.findtext("wp:status", namespaces=ns) != "publish":
            continue
        url = item.findtext("link") or ""
        post_id = _h("post", url)
        published = when(item, "post_date")
        data.posts.append({"post_id": post_id, "site_id": "wpthemetestdata", "url": url,
                           "title": item.findtext("title"), "published_at": published, "text": "x",
                           "content_hash": post_id, "run_id": run_id, "first_seen_run_id": run_id,
                           "updated_run_id": run_id})
        native = {}
        for c in item.findall("wp:comment", ns):
            if c.findtext("wp:comment_approved", namespaces=ns) != "1":
                continue
            native[c.findtext("wp:comment_id", namespaces=ns)] = c
        for cid, c in native.items():
            parent = c.findtext("wp:comment_parent", namespaces=ns)
            depth, p = 0, parent
            while p and p != "0" and p in native:
                depth += 1
                p = native[p].findtext("wp:comment_parent", namespaces=ns)
            author = c.findtext("wp:comment_author", namespaces=ns) or ""
            data.comments.append({
                "comment_id": _h("comment", post_id, cid), "post_id": post_id,
                "parent_id": _h("comment", post_id, parent) if parent and parent in native else None,
                "author_pseudonym": "reader-" + _h("name", author)[:12] if author else None,
                "published_at": when(c, "comment_date"), "text": c.findtext("wp:comment_content", namespaces=ns) or "",
                "depth": depth, "run_id": run_id, "first_seen_run_id": run_id, "updated_run_id": run_id})
    return data


def _wxr_commenter_names(path: Path) -> set[str]:
    import xml.etree.ElementTree as ET

    return {el.text.strip() for el in ET.parse(path).getroot().iter()
            if el.tag.endswith("}comment_author") and el.text and el.text.strip()}


def test_real_wordpress_export_renders_edge_case_titles(shared_data: Path, tmp_path: Path) -> None:
    wxr = shared_data / "wp-theme-unit-test" / "themeunittestdata.wordpress.xml"
    if not wxr.exists():
        pytest.skip(f"{wxr} missing")
    data = _wxr_dataset(wxr)
    assert len(data.posts) > 40 and len(data.comments) >= 25
    db = build_database(tmp_path / "wxr.duckdb", data)
    summary, html = _no_crash_report(db, tmp_path)
    assert summary.comments == len(data.comments)
    doc = _parse(html)
    most = doc.get_element_by_id("most-discussed").text_content()
    commented = sorted(data.posts, key=lambda p: -sum(1 for c in data.comments if c["post_id"] == p["post_id"]))
    assert commented[0]["title"] in most  # "Template: Comments" leads
    # Titles with markup characters stay text; untitled posts get a placeholder, not an empty link.
    raw_names = _wxr_commenter_names(wxr)
    visible = doc.text_content()
    assert not [n for n in raw_names if n and len(n) > 6 and n in visible], "commenter names leaked"
    rest, scripts = own_scripts(html)
    assert _parse(rest).findall(".//script") == []
    assert not [n for n in raw_names if n and len(n) > 6 and n in scripts["data"]], "commenter names in the data"
    for a in doc.iter("a"):
        assert a.text_content().strip(), "empty link text"


def test_report_reads_the_warehouse_synthetic_world(tmp_path: Path) -> None:
    """Data from another generator (the warehouse's own: unscored non-English comments, author
    replies, several runs) renders too: the report holds no assumption of this file's fixture."""
    from warehouse.load import load_run
    from warehouse.publish import publish
    from tests.support.warehouse_world import World, world_totals

    world = World(seed=3, sites=2, posts_per_site=25, days=200)
    working = tmp_path / "work" / "warehouse.duckdb"
    for run_id, day in (("r1", 90.0), ("r2", 1e9)):
        run = world.write_run(tmp_path / "runs" / run_id / "processed", run_id, as_of_day=day)
        load_run(working, tmp_path / "runs" / run_id, run.run_id, search_index=False)
    db = publish(working, tmp_path / "blogscope.duckdb")
    summary, html = _no_crash_report(db, tmp_path)
    totals = world_totals(world)
    assert summary.posts == totals["posts"]
    assert summary.comments == totals["comments"]
    assert summary.model_run_id == world.model_run_id and summary.coherence == 0.5
    assert summary.empty_sections == ()
    rest, _ = own_scripts(html)
    assert "javascript:" not in rest and "<script" not in rest



def test_importing_the_report_module_stays_light() -> None:
    """`blogscope --help` must stay instant: the heavy libraries load only when a report is built."""
    import subprocess
    import sys

    code = ("import sys, warehouse.report; "
            "print(sorted(m for m in ('duckdb', 'matplotlib', 'jinja2', 'numpy', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_open_ended_period_is_compared_with_as_many_months_before(realistic_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    summary = build_report(realistic_db, out, since="2025-01-01")
    assert summary.period_end == dt.date(2025, 6, 30)
    rows = _csv_links(out.read_text(encoding="utf-8"))["topic-trends.csv"]
    assert rows[0][3:5] == ["comments_Jul–Dec 2024", "comments_Jan–Jun 2025"]
    before, after = _query(realistic_db, """
        select count(*) filter (where published_at >= '2024-07-01' and published_at < '2025-01-01'),
               count(*) filter (where published_at >= '2025-01-01') from comments""")[0]
    assert sum(int(r[3]) for r in rows[1:]) == before
    assert sum(int(r[4]) for r in rows[1:]) == after == summary.comments
