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
    r = _redactor(["Grace Kim", "Will Turner", "Hope Reyes"])
    kept = ["I hope so. Will it help?", "Hope you feel better!", "there is a grace period", "I will try",
            "Faith, hope and a good psychiatrist."]
    for text in kept:
        assert r.redact(text).text == text
    for text in ["Will, try the clinic.", "Thanks, Grace!", "I agree with Grace.", "Take care,\nHope", "@will yes"]:
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
