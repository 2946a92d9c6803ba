"""The process stage: crawl records -> posts, comments, sentiment (Parquet), then a real load."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline import ids
from pipeline.process import fold, process_crawl
from pipeline.records import RawComment, RawPost, to_dict
from pipeline.settings import ProcessSettings

KEY = b"test-key"
URL = "http://127.0.0.1:9/2024/01/02/sleep-and-shifts/"
PAGE = """<!doctype html><html lang="en"><head><title>Sleep and night shifts</title></head><body>
<nav>Home About Contact</nav><article><h1>Sleep and night shifts</h1>
<p>Night shifts disturb sleep for many of our patients, and melatonin is often the first thing they try.</p>
<p>We talk about circadian rhythm, light exposure in the morning, and how insomnia feeds on worry.</p>
<p>Cognitive behavioural therapy for insomnia helps more people than sleeping pills do in the long run.</p>
</article><footer>Copyright</footer></body></html>"""


def _post(url: str = URL, fetched: str = "2024-01-03T00:00:00+00:00", html: str = PAGE) -> dict:
    return {"type": "post", **to_dict(RawPost("site", url, "wordpress", "wp-rest", fetched, html=html,
                                              title="Sleep and night shifts", author="Dr. Ann",
                                              published_at="2024-01-02T10:00:00+00:00"))}


def _comment(cid: str, parent: str | None = None, author: str = "Reader", text: str = "Thanks, this helped me a lot.",
             post_url: str = URL, minute: int = 0) -> dict:
    return {"type": "comment", **to_dict(RawComment("site", post_url, "wp-rest", "2024-01-03T00:00:00+00:00",
                                                    platform_comment_id=cid, parent_platform_comment_id=parent,
                                                    author=author, published_at=f"2024-01-02T11:{minute % 60:02d}:00+00:00",
                                                    text=text, position=int(cid)))}


def _run(tmp_path: Path, records: list[dict], run_id: str = "r1"):
    crawl = tmp_path / run_id / "crawl" / "raw.jsonl"
    crawl.parent.mkdir(parents=True, exist_ok=True)
    crawl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / run_id / "processed"
    result = process_crawl([crawl], out, run_id, home=tmp_path, pseudonym_key=KEY,
                           settings=ProcessSettings(workers=1, timeout_s=60))
    return result, out


def test_repeats_from_a_resumed_crawl_fold_to_one_record() -> None:
    batch = fold([_post(), _post(fetched="2024-01-04T00:00:00+00:00"), _comment("1"), _comment("1")])
    assert len(batch.posts) == 1 and len(batch.comments) == 1


def test_threads_get_derived_ids_parents_depths_and_pseudonyms(tmp_path: Path) -> None:
    records = [_post(), _comment("1"), _comment("2", "1", author="Dr. Ann"), _comment("3", "2", minute=5),
               _comment("4", "99", text="A reply to a comment that is not public.")]
    result, out = _run(tmp_path, records)
    assert result.posts == 1 and result.comments == 4
    comments = {r["platform_comment_id"]: r for r in pq.read_table(out / "comments.parquet").to_pylist()}
    pid = ids.post_id(URL)
    assert comments["2"]["parent_id"] == ids.comment_id(pid, "1")
    assert [comments[c]["depth"] for c in "1234"] == [1, 2, 3, 1]
    assert comments["4"]["parent_id"] is None  # its parent is hidden: kept as a thread root
    assert comments["2"]["is_post_author"] and not comments["1"]["is_post_author"]
    assert all(c["author_pseudonym"].startswith("reader-") for c in comments.values())
    assert "Reader" not in json.dumps(list(comments.values()))
    sentiment = pq.read_table(out / "sentiment.parquet").to_pylist()
    assert {(s["target_kind"]) for s in sentiment} == {"post", "comment"} and len(sentiment) == 5


def test_a_late_comment_on_a_post_of_an_earlier_run_is_kept(tmp_path: Path) -> None:
    result, out = _run(tmp_path, [_comment("7")])
    assert result.comments == 1
    row = pq.read_table(out / "comments.parquet").to_pylist()[0]
    assert row["post_id"] == ids.post_id(URL)


def test_a_late_author_reply_on_a_post_an_earlier_run_loaded_is_an_author_reply(tmp_path: Path) -> None:
    """Run 1 loads the post; run 2 brings only new comments, one by the post's author, and finds
    the post's byline and language in the warehouse (the lookup flows passes to the process stage)."""
    from warehouse.corpus import earlier_posts
    from warehouse.load import load_run

    db = tmp_path / "work" / "warehouse.duckdb"
    _, out1 = _run(tmp_path, [_post(), _comment("1")], run_id="r1")
    load_run(db, out1, "r1")
    crawl = tmp_path / "r2" / "crawl" / "raw.jsonl"
    crawl.parent.mkdir(parents=True)
    crawl.write_text(json.dumps(_comment("2", "1", author="Dr. Ann", text="Glad it helped.")) + "\n"
                     + json.dumps(_comment("3", "1", text="Merci!")) + "\n", encoding="utf-8")
    looked_up: list[list[str]] = []

    def lookup(post_ids: list[str]) -> dict:
        looked_up.append(post_ids)
        return earlier_posts(db, post_ids)

    result = process_crawl([crawl], tmp_path / "r2" / "processed", "r2", home=tmp_path, pseudonym_key=KEY,
                           settings=ProcessSettings(workers=1, timeout_s=60), earlier_posts=lookup)
    assert result.comments == 2 and looked_up == [[ids.post_id(URL)]]
    rows = {r["platform_comment_id"]: r for r in pq.read_table(tmp_path / "r2" / "processed" / "comments.parquet")
            .to_pylist()}
    assert rows["2"]["is_post_author"] and not rows["3"]["is_post_author"]
    load_run(db, tmp_path / "r2" / "processed", "r2")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) filter (where is_post_author) from comments").fetchone()[0] == 1
    assert earlier_posts(tmp_path / "nowhere.duckdb", ["x"]) == {}  # before the first load


def test_comments_of_a_post_that_failed_extraction_go_to_quarantine(tmp_path: Path) -> None:
    result, out = _run(tmp_path, [_post(html="<html><body><script>var x = 1;</script></body></html>"), _comment("1")])
    assert result.posts == 0 and result.comments == 0
    reasons = sorted(r["reason"] for r in pq.read_table(out / "quarantine.parquet").to_pylist())
    assert reasons == ["empty", "post_quarantined"]


def test_processing_is_deterministic(tmp_path: Path) -> None:
    records = [_post(), _comment("1"), _comment("2", "1")]
    _, a = _run(tmp_path / "a", records)
    _, b = _run(tmp_path / "b", records)
    for name in ("posts", "comments", "sentiment"):
        assert pq.read_table(a / f"{name}.parquet").to_pylist() == pq.read_table(b / f"{name}.parquet").to_pylist()


@pytest.mark.slow
def test_five_thousand_comments_on_one_post_are_stored_once(tmp_path: Path) -> None:
    from warehouse.load import load_run

    records = [_post()]
    for i in range(1, 5001):
        parent = str(i - 1) if i % 3 == 0 else None
        records.append(_comment(str(i), parent, author=f"Reader {i % 250}", text=f"Comment number {i} on sleep.",
                                minute=i))
    records += records[-100:]  # a resumed crawl repeats some
    result, out = _run(tmp_path, records)
    assert result.comments == 5000
    db = tmp_path / "work" / "warehouse.duckdb"
    for _ in range(2):  # loaded twice: still once
        load_run(db, out, "r1")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*), count(distinct comment_id) from comments").fetchone() == (5000, 5000)
        assert con.execute("select max(depth) from comments").fetchone()[0] == 2


def test_a_syndicated_copy_is_folded_into_one_post_with_an_alias(tmp_path: Path) -> None:
    copy_url = "http://127.0.0.2:9/syndicated/sleep-and-shifts/"
    copy_page = PAGE.replace("<nav>Home About Contact</nav>", "<nav>Another site's menu</nav>")
    # The aggregator republished it a day later: the earliest publication is the original.
    copy = {**_post(url=copy_url, html=copy_page), "site_id": "aggregator", "published_at": "2024-01-03T10:00:00+00:00"}
    records = [_post(), copy, _comment("1")]
    result, out = _run(tmp_path, records)
    assert result.posts == 1
    posts = pq.read_table(out / "posts.parquet").to_pylist()
    assert [p["url"] for p in posts] == [URL]
    aliases = pq.read_table(out / "aliases.parquet").to_pylist()
    assert {(a["post_id"], a["url"]) for a in aliases} == {(ids.post_id(URL), copy_url)}
