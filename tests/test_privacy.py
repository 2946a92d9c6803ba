"""Ingest redaction of commenters' names and identifiers (issue #13): the labelled set and the rules."""

from __future__ import annotations

import os
import time
from pathlib import Path

from support.privacy_eval import blogscope_redactor, load_labelled, score

from pipeline.privacy import drop_expired_archives
from pipeline.redaction import NameIndex, Redactor, build_indexes

KEY = b"test-key"


def test_labelled_set_recall_and_ordinary_words() -> None:
    meta, rows = load_labelled()
    names = [r for r in rows if r["must_remove"] and r["category"].startswith("name")]
    ordinary = [r for r in rows if r["category"] == "ordinary"]
    assert len(names) + sum(r["category"] in ("email", "phone", "profile_url") for r in rows) >= 300
    assert len(ordinary) >= 100
    for kind in ("salutation", "sign_off", "quote", "possessive", "lower", "earlier_run", "handle"):
        assert any(kind in r["category"] for r in names), kind
    result = score(blogscope_redactor(meta), rows)
    assert result.recall >= 0.99, result.missed[:10]
    assert result.ordinary_rate <= 0.01, result.over[:10]


def _redactor(readers: list[str], bloggers: list[str] = (), earlier: list[str] = ()) -> Redactor:
    stored = NameIndex(KEY, "s")
    for name in earlier:
        stored.add_commenter(name)
    rows = stored.hash_rows()
    indexes = build_indexes(KEY, [("s", n, None) for n in readers], [("s", b) for b in bloggers],
                            earlier_names=lambda _sites: rows, sites=["s"])
    return Redactor(indexes["s"])


def test_names_become_the_commenters_pseudonym_consistently() -> None:
    from pipeline.privacy import pseudonym

    r = _redactor(["Margaret Ellison", "anxious_in_ohio"])
    margaret = pseudonym("Margaret Ellison", KEY, "s")
    out = r.redact("Margaret, that is so encouraging. MARGARET'S point stands, ask @anxious_in_ohio!").text
    assert out == f"{margaret}, that is so encouraging. {margaret}'S point stands, ask {pseudonym('anxious_in_ohio', KEY, 's')}!"


def test_earlier_commenters_are_known_by_hash_only() -> None:
    stored = NameIndex(KEY, "s")
    stored.add_commenter("Theodora Quist", "https://theodora.example.org/")
    rows = stored.hash_rows()
    assert rows and not any("theodora" in str(v).casefold() or "quist" in str(v).casefold() for row in rows for v in row.values())
    out = _redactor([], earlier=["Theodora Quist"]).redact("Has anyone heard from theodora lately? Quist's blog is gone").text
    assert "theodora" not in out.casefold() and "quist" not in out.casefold()


def test_bloggers_bylines_stay_but_a_reader_sharing_a_first_name_is_replaced() -> None:
    r = _redactor(["Rosa P."], bloggers=["Rosa Delgado", "Dr. Leo Marsh"])
    out = r.redact("Rosa Delgado wrote this, and Rosa, you are right. Dr. Leo Marsh agrees.").text
    assert out.startswith("Rosa Delgado wrote this, and reader-") and out.endswith("Dr. Leo Marsh agrees.")


def test_ordinary_words_need_name_position_evidence() -> None:
    r = _redactor(["Grace Kim", "Will Turner", "Hope Reyes", "Mark D.", "May Lin"])
    kept = ["I hope so. Will it help?", "Hope you feel better!", "there is a grace period", "I will try",
            "Faith, hope and a good psychiatrist."]
    for text in kept:
        assert r.redact(text).text == text
    kept += ["I read Mark Twain in the waiting room.", "The Grace Hospital has a good clinic.", "In May I start."]
    for text in kept:
        assert r.redact(text).text == text
    for text in ["Will, try the clinic.", "Thanks, Grace!", "I agree with Grace.", "Take care,\nHope", "@will yes",
                 "Sorry to hear that, Will.", "What did Hope mean by that?"]:
        assert "reader-" in r.redact(text).text, text


def test_identifiers_replaced_and_counted_by_kind() -> None:
    index = NameIndex(KEY, "s")
    index.add_commenter("Ivy Chen", "https://ivychen.example.net/")
    result = Redactor(index).redact("Mail ivy.chen@example.org, call (555) 123-4567, see https://ivychen.example.net/about "
                                    "and https://twitter.com/ivy_c")
    assert result.text == "Mail [email], call [phone], see [url] and [url:twitter.com]"
    assert dict(result.counts) == {"email": 1, "phone": 1, "url": 2}


def test_keep_raw_days_drops_only_expired_archive_files(tmp_path: Path) -> None:
    old, new = tmp_path / "a" / "old.warc.gz", tmp_path / "a" / "new.warc.gz"
    old.parent.mkdir()
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))
    assert drop_expired_archives(tmp_path / "a", 0) == []  # 0 keeps the archive forever
    assert drop_expired_archives(tmp_path / "a", 7) == [old]
    assert not old.exists() and new.exists()


def test_the_process_stage_redacts_comments_and_writes_the_summary(tmp_path: Path) -> None:
    import json

    import pyarrow.parquet as pq

    from pipeline.privacy import pseudonym
    from pipeline.process import process_crawl
    from pipeline.records import RawComment, RawPost, to_dict
    from pipeline.settings import ProcessSettings

    url = "http://127.0.0.1:9/2024/01/02/sleep/"
    page = ("<html><head><title>Sleep</title></head><body><article><h1>Sleep</h1><p>Night shifts disturb sleep for "
            "many of our patients, and melatonin is often the first thing they try.</p><p>Light in the morning and "
            "therapy for insomnia help more people than pills.</p></article></body></html>")

    def comment(cid: str, author: str, text: str) -> dict:
        return {"type": "comment", **to_dict(RawComment("site", url, "wp-rest", "2024-01-03T00:00:00+00:00",
                                                        platform_comment_id=cid, author=author, text=text,
                                                        published_at=f"2024-01-02T11:0{cid}:00+00:00"))}

    records = [{"type": "post", **to_dict(RawPost("site", url, "wordpress", "wp-rest", "2024-01-03T00:00:00+00:00",
                                                  html=page, title="Sleep", author="Dr. Ann Holt"))},
               comment("1", "Joe Castellano", "Margaret, that is so encouraging. Mail me: joe.c@example.org"),
               comment("2", "Margaret Ellison", "Thanks, Joe! Dr. Ann Holt said the same.")]
    crawl = tmp_path / "raw.jsonl"
    crawl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "processed"
    process_crawl([crawl], out, "r1", home=tmp_path, pseudonym_key=KEY, settings=ProcessSettings(workers=1))
    texts = sorted(r["text"] for r in pq.read_table(out / "comments.parquet").to_pylist())
    joe, margaret = pseudonym("Joe Castellano", KEY, "site"), pseudonym("Margaret Ellison", KEY, "site")
    assert texts == sorted([f"{margaret}, that is so encouraging. Mail me: [email]",
                            f"Thanks, {joe}! Dr. Ann Holt said the same."])
    summary = {r["kind"]: r["replacements"] for r in pq.read_table(out / "privacy.parquet").to_pylist()}
    assert summary == {"name": 2, "email": 1, "phone": 0, "url": 0}
    hashes = pq.read_table(out / "commenter_names.parquet").to_pylist()
    assert hashes and not any("joe" in str(v).casefold() or "margaret" in str(v).casefold()
                              for row in hashes for v in row.values() if v != row["pseudonym"])


def test_a_loaded_runs_raw_crawl_output_and_expired_archives_are_deleted(tmp_path: Path) -> None:
    import dataclasses

    from flows.jobs import mark_loaded
    from pipeline.settings import PrivacySettings, Settings

    settings = dataclasses.replace(Settings(home=tmp_path), privacy=PrivacySettings(keep_raw_days=30))
    old, recent = settings.archive_dir / "old.warc.gz", settings.archive_dir / "recent.warc.gz"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    long_ago = time.time() - 31 * 86400
    os.utime(old, (long_ago, long_ago))
    crawl = settings.run_dir("r1") / "crawl"
    crawl.mkdir(parents=True)
    (crawl / "raw.jsonl").write_text('{"type": "comment", "author": "Margaret Ellison"}\n', encoding="utf-8")
    (crawl / "stats.json").write_text("{}", encoding="utf-8")
    mark_loaded(settings, ["r1"])
    assert not (crawl / "raw.jsonl").exists() and (crawl / "stats.json").exists()
    assert (settings.run_dir("r1") / "LOADED").exists()
    assert not old.exists() and recent.exists()
