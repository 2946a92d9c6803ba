"""One extraction path (issue 18): ``blogscope run`` and ``blogscope extract`` read hostile pages alike.

The hostile content blog (``tests.support.testsite.hostile_content_blog``, 127.0.0.1) serves a comment
without a body element, Windows-1252 bytes labelled UTF-8, UTF-8 labelled ISO-8859-1, a page
nested 100,000 elements deep and an empty page. The same URLs go through the whole run (crawl ->
process -> load, real DuckDB) and through ``blogscope extract``; both must find the same text,
comment authors and statuses, decode correctly, keep the raw commenter name out of every output,
and quarantine every page without content.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.testsite import CONTENT_PAGES, RAW_COMMENTER_NAME, hostile_content_blog
from pipeline.privacy import load_or_create_key, pseudonym

ROOT = Path(__file__).resolve().parent.parent
BLOGSCOPE = [sys.executable, "-m", "flows.cli"]

pytestmark = pytest.mark.slow  # one whole run with Prefect and a replay: ~40-60 s on 2 shared cores


def _blogscope(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BLOGSCOPE, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def both_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    site, _log = hostile_content_blog()
    work = tmp_path_factory.mktemp("one-path")
    home = work / "home"
    try:
        run = _blogscope("run", site.base_url, "--home", str(home), "--allow-private", "--no-report")
        urls = {path: site.base_url + path.lstrip("/") for path in CONTENT_PAGES}
        extract = _blogscope("extract", *urls.values(), "--workers", "1")
    finally:
        site.stop()
    replay = _blogscope("process", "--from-archive", "--run", "replay", "--home", str(home))
    exports = {}
    for fmt in ("csv", "parquet"):
        out = work / f"export-{fmt}"
        exports[fmt] = _blogscope("export", "--format", fmt, "--out", str(out), "--home", str(home))
    extracted = {record["url"]: record for record in map(json.loads, extract.stdout.splitlines())}
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as db:
        posts = {url: text for url, text in db.execute("SELECT url, text FROM posts").fetchall()}
        comments = db.execute("SELECT p.url, c.author_pseudonym, c.text FROM comments c "
                              "JOIN posts p USING (post_id)").fetchall()
        quarantine = {key: (stage, reason) for stage, key, reason in
                      db.execute("SELECT stage, key, reason FROM quarantine").fetchall()}
        site_id = db.execute("SELECT site_id FROM sites").fetchone()[0]
    return {"run": run, "extract": extract, "replay": replay, "exports": exports, "urls": urls, "extracted": extracted,
            "posts": posts, "comments": comments, "quarantine": quarantine, "home": home, "work": work,
            "key": load_or_create_key(home), "site_id": site_id}


def test_both_commands_finish(both_paths: dict[str, Any]) -> None:
    assert both_paths["run"].returncode == 0, both_paths["run"].stderr[-3000:]
    # Two of five inputs have no content: partial, by the shared exit-code contract.
    assert both_paths["extract"].returncode == 3, both_paths["extract"].stderr[-2000:]
    for fmt, proc in both_paths["exports"].items():
        assert proc.returncode == 0, (fmt, proc.stderr[-2000:])


def test_same_statuses_and_a_quarantine_row_for_every_page_without_content(both_paths: dict[str, Any]) -> None:
    statuses = {path: both_paths["extracted"][url]["status"] for path, url in both_paths["urls"].items()}
    assert statuses == {"/bodyless/": "ok", "/cp1252-as-utf8/": "ok", "/utf8-as-latin1/": "ok",
                        "/deep/": "empty", "/empty/": "empty"}
    for path, url in both_paths["urls"].items():
        if statuses[path] == "ok":
            assert url in both_paths["posts"] and url not in both_paths["quarantine"], path
        else:
            assert url not in both_paths["posts"], path
            assert both_paths["quarantine"][url] == ("extract", statuses[path]), path


def test_same_text_and_comments(both_paths: dict[str, Any]) -> None:
    key, site_id = both_paths["key"], both_paths["site_id"]
    for url, record in both_paths["extracted"].items():
        if record["status"] != "ok":
            continue
        assert both_paths["posts"][url] == record["text"], url
        from_extract = sorted((pseudonym(c["author"], key, site_id), c["text"]) for c in record["comments"])
        from_run = sorted((author, text) for post_url, author, text in both_paths["comments"] if post_url == url)
        assert from_run == from_extract, url
        assert from_extract, url  # every readable page here has a comment


def test_mislabelled_charsets_are_decoded(both_paths: dict[str, Any]) -> None:
    texts = list(both_paths["posts"].values()) + [text for _, _, text in both_paths["comments"]]
    for path in ("/cp1252-as-utf8/", "/utf8-as-latin1/"):
        url = both_paths["urls"][path]
        assert "herzliche Grüße aus München" in both_paths["posts"][url], path
        assert both_paths["extracted"][url]["comments"][0]["text"].startswith("Schöne Grüße zurück"), path
    assert not [t for t in texts if "\ufffd" in t or "Ã" in t or "Ã¼" in t]


def test_body_less_comment_keeps_the_name_out_of_the_text(both_paths: dict[str, Any]) -> None:
    url = both_paths["urls"]["/bodyless/"]
    (comment,) = both_paths["extracted"][url]["comments"]
    assert comment["author"] == RAW_COMMENTER_NAME
    assert comment["text"].startswith("Therapy helped me")
    (stored,) = [text for post_url, _, text in both_paths["comments"] if post_url == url]
    assert stored.startswith("Therapy helped me")


def test_no_raw_name_in_any_output(both_paths: dict[str, Any]) -> None:
    home, work = both_paths["home"], both_paths["work"]
    needle = RAW_COMMENTER_NAME.split()[-1]  # the surname alone is enough to identify
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as db:
        tables = [t for (t,) in db.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            hits = db.execute(f'SELECT count(*) FROM "{table}" t WHERE CAST(t AS VARCHAR) ILIKE ?',
                              [f"%{needle}%"]).fetchone()[0]
            assert hits == 0, table
    parquet = sorted((home / "runs").rglob("*.parquet")) + sorted((work / "export-parquet").rglob("*.parquet"))
    assert parquet
    with duckdb.connect() as db:
        for path in parquet:
            hits = db.execute("SELECT count(*) FROM read_parquet(?) t WHERE CAST(t AS VARCHAR) ILIKE ?",
                              [str(path), f"%{needle}%"]).fetchone()[0]
            assert hits == 0, path
    csvs = sorted((work / "export-csv").rglob("*.csv"))
    assert csvs
    for path in csvs:
        assert needle.lower() not in path.read_text(encoding="utf-8").lower(), path


def test_replay_from_the_archive_gives_the_same_records(both_paths: dict[str, Any]) -> None:
    """The third reader of the same bytes: ``process --from-archive`` decodes and parses as the crawl did."""
    assert both_paths["replay"].returncode == 0, both_paths["replay"].stderr[-2000:]
    runs = both_paths["home"] / "runs"
    (crawled,) = [p for p in runs.iterdir() if p.name != "replay"]
    with duckdb.connect() as db:
        for table in ("posts", "comments", "quarantine"):
            differ = db.execute(
                "SELECT count(*) FROM ((SELECT * EXCLUDE (run_id) FROM read_parquet($a) EXCEPT "
                "SELECT * EXCLUDE (run_id) FROM read_parquet($b)) UNION ALL (SELECT * EXCLUDE (run_id) "
                "FROM read_parquet($b) EXCEPT SELECT * EXCLUDE (run_id) FROM read_parquet($a)))",
                {"a": str(runs / "replay" / "processed" / f"{table}.parquet"),
                 "b": str(crawled / "processed" / f"{table}.parquet")}).fetchone()[0]
            assert differ == 0, table
