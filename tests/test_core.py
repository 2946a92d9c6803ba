"""Ids, canonical URLs, settings, pseudonyms and stage accounting."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import ids
from pipeline.privacy import load_or_create_key, pseudonym
from pipeline.records import RawComment, RawPost, from_dict, to_dict
from pipeline.settings import ConfigError, load_settings
from pipeline.stage import StageCounter


@pytest.mark.parametrize("variant", [
    "http://Blog.Example.org/2024/01/02/post/?m=1",
    "http://blog.example.org/2024/01/02/post/amp/",
    "http://blog.example.org/2024/01/02/post/?utm_source=x&utm_medium=feed",
    "http://blog.example.org/2024/01/02/post/#comments",
    "http://blog.example.org:80/2024/01/02/post/?replytocom=12",
    "http://blog.example.org/2024/01/02/post/comment-page-2/",
])
def test_url_variants_fold_to_one_canonical_url(variant: str) -> None:
    assert ids.canonical_url(variant) == "http://blog.example.org/2024/01/02/post/"


def test_meaningful_query_parameters_are_kept() -> None:
    assert ids.canonical_url("http://b.org/?p=12") == "http://b.org/?p=12"
    assert ids.canonical_url("http://b.org/?p=12") != ids.canonical_url("http://b.org/?p=13")


def test_ids_are_derived_and_stable() -> None:
    assert ids.post_id("http://b.org/a/") == ids.post_id("http://b.org/a/")
    assert ids.post_id("http://b.org/a/") != ids.post_id("http://b.org/b/")
    assert ids.comment_id("p", "12") == ids.comment_id("p", "12")
    # Without a native id the content decides, whitespace-insensitively.
    assert ids.comment_id("p", None, "ann", "2024", "a  b") == ids.comment_id("p", None, "ann", "2024", "a b")
    assert ids.digest(None) != ids.digest("")


def test_records_round_trip_through_dicts() -> None:
    post = RawPost("s", "http://b.org/a/", "wordpress", "wp-rest", "2024-01-01T00:00:00Z", tags=("x", "y"))
    assert from_dict(RawPost, to_dict(post) | {"unknown_future_field": 1}) == post
    comment = RawComment("s", "http://b.org/a/", "html", "t", platform_comment_id="3")
    assert from_dict(RawComment, to_dict(comment)) == comment


def test_settings_layers_file_then_environment(tmp_path: Path) -> None:
    (tmp_path / "blogscope.toml").write_text(
        '[crawl]\nuser_agent = "ua-file"\nmax_depth = 3\n[[sites]]\nurl = "http://b.org/"\n', encoding="utf-8")
    s = load_settings(home=tmp_path, env={"BLOGSCOPE_CRAWL_MAX_DEPTH": "5"})
    assert s.crawl.user_agent == "ua-file"
    assert s.crawl.max_depth == 5
    assert s.sites[0].id == "b-org"
    assert s.published_db == tmp_path / "blogscope.duckdb"


def test_settings_errors_name_the_problem(tmp_path: Path) -> None:
    (tmp_path / "blogscope.toml").write_text("[crawl]\nmax_dept = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'max_dept'"):
        load_settings(home=tmp_path, env={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(home=tmp_path, config=tmp_path / "nope.toml", env={})


def test_pseudonyms_are_keyed_stable_and_per_site(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    a = pseudonym("Jane Doe", key, "s1")
    assert a == pseudonym("  jane   DOE ", key, "s1")
    assert a != pseudonym("Jane Doe", key, "s2")
    assert a != pseudonym("Jane Doe", b"other key", "s1")
    assert "jane" not in a.lower() and pseudonym("", key) is None


def test_stage_counts_add_up() -> None:
    c = StageCounter("extract", "r1")
    c.ok()
    c.drop("u1", "empty")
    c.error("u2", ValueError("bad"))
    counts = c.as_dict()
    assert counts["seen"] == counts["forwarded"] + counts["dropped_empty"] + counts["error_ValueError"] == 3
    assert [q.reason for q in c.quarantine] == ["empty", "error_ValueError"]
