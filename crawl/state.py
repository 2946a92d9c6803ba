"""Crash-safe crawl state in one small sqlite file under ``STATE_DIR``.

What a rerun needs to know, and nothing it could not rebuild:

- ``posts``: every post ever discovered (url, platform id, metadata for re-emission, comment
  source), whether it is *complete* (page and every comment page processed), the signature of
  the version last emitted, and when it was last visited (the revisit schedule).
- ``comments``: the key and content hash of every comment already written to a ``raw.jsonl``,
  so an unchanged re-crawl emits nothing and a rerun after a kill only adds what is missing.
- ``validators``: ETag / Last-Modified / body hash per URL, committed only when what depended on
  the response is durable (a post's validators when the post is complete, a listing's when the
  site finished), so a ``304`` never hides work that a killed run did not finish.
- ``robots``: the last robots.txt body and validators per host (so robots can be asked
  conditionally too).
- ``crawl_failures``: every post or comment page that could not be collected (url, site, the
  post it belongs to, kind, reason, attempts = runs that failed on it, first and last seen); the
  post stays incomplete, so the next run retries it, and the row goes when the post is read in
  full. Each run writes the open rows to ``failures.jsonl`` for the warehouse.

Every write commits at once (WAL, ``synchronous=NORMAL``): a ``kill -9`` loses at most the
statement in flight, and the ordering "append to raw.jsonl, flush, then record here" means a kill
between the two re-emits (allowed: the process stage dedupes) but never loses.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sites (
    site_id TEXT PRIMARY KEY,
    info_json TEXT NOT NULL,
    last_complete_at TEXT
);
CREATE TABLE IF NOT EXISTS posts (
    url TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    platform_post_id TEXT,
    page_url TEXT,
    meta_json TEXT NOT NULL DEFAULT '{}',
    published_at TEXT,
    modified_at TEXT,
    lastmod TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    emitted_signature TEXT,
    last_visit TEXT,
    first_seen TEXT
);
CREATE INDEX IF NOT EXISTS posts_site ON posts(site_id);
CREATE TABLE IF NOT EXISTS comments (
    post_url TEXT NOT NULL,
    comment_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (post_url, comment_key)
);
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS crawl_failures (
    url TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    post_url TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crawl_failures_post ON crawl_failures(post_url);
CREATE TABLE IF NOT EXISTS robots (
    netloc TEXT PRIMARY KEY,
    status INTEGER,
    body BLOB,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT
);
"""


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class PostState:
    url: str
    site_id: str
    platform_post_id: str | None
    page_url: str | None
    meta: dict[str, Any]
    published_at: str | None
    modified_at: str | None
    lastmod: str | None
    complete: bool
    emitted_signature: str | None
    last_visit: str | None


# Columns of a failure as failures.jsonl and the warehouse's crawl_failures table name them.
FAILURE_FIELDS = ("url", "site_id", "post_url", "kind", "reason", "attempts", "first_seen", "last_seen")


class _FailureLog:
    """The ``crawl_failures`` rows (mixed into :class:`CrawlState`)."""

    db: sqlite3.Connection

    def record_failure(self, site_id: str, url: str, *, post_url: str, kind: str, reason: str, now: str) -> None:
        """``url`` could not be read in the run at ``now`` (once per run: a second call only updates it)."""
        self.db.execute(
            "INSERT INTO crawl_failures(url, site_id, post_url, kind, reason, attempts, first_seen, last_seen) "
            "VALUES(?,?,?,?,?,1,?,?) ON CONFLICT(url) DO UPDATE SET kind=excluded.kind, reason=excluded.reason, "
            "post_url=excluded.post_url, "
            "attempts=crawl_failures.attempts + (crawl_failures.last_seen <> excluded.last_seen), "
            "last_seen=excluded.last_seen", (url, site_id, post_url, kind, reason, now, now))

    def clear_failures(self, post_url: str) -> None:
        """The post was read in full: its recorded failures are over."""
        self.db.execute("DELETE FROM crawl_failures WHERE post_url=?", (post_url,))

    def failed_posts(self, site_id: str) -> set[str]:
        """Posts of the site with open failures (their next complete read clears them)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT post_url FROM crawl_failures WHERE site_id=?",
                                              (site_id,))}

    def open_failures(self, site_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The open failures of these sites, oldest first (the run's ``failures.jsonl`` snapshot)."""
        ids = list(site_ids)
        if not ids:
            return []
        rows = self.db.execute(
            f"SELECT {', '.join(FAILURE_FIELDS)} FROM crawl_failures WHERE site_id IN ({','.join('?' * len(ids))}) "
            "ORDER BY site_id, first_seen, url", ids)
        return [dict(zip(FAILURE_FIELDS, r)) for r in rows]


class CrawlState(_FailureLog):
    """The sqlite state of one ``STATE_DIR`` (one crawler process at a time)."""

    def __init__(self, state_dir: Path | str):
        self.path = Path(state_dir) / "crawl-state.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several writes in one commit (one listing page's posts): all or none survive a kill.

        Inside an open transaction it joins that one (the writer process commits a whole batch).
        """
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- sites -----------------------------------------------------------------------------
    def site_info(self, site_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT info_json FROM sites WHERE site_id=?", (site_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def save_site_info(self, site_id: str, info: dict[str, Any], complete_at: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO sites(site_id, info_json, last_complete_at) VALUES(?,?,?) "
            "ON CONFLICT(site_id) DO UPDATE SET info_json=excluded.info_json, "
            "last_complete_at=COALESCE(excluded.last_complete_at, sites.last_complete_at)",
            (site_id, json.dumps(info, sort_keys=True), complete_at))

    # -- validators ------------------------------------------------------------------------
    def validators(self, url: str) -> Validators | None:
        row = self.db.execute("SELECT etag, last_modified, content_hash FROM validators WHERE url=?",
                              (url,)).fetchone()
        return Validators(*row) if row else None

    def _upsert_validators(self, items: dict[str, Validators], now: str) -> None:
        """Inside the caller's transaction: one statement for every URL's validators."""
        self.db.executemany(
                "INSERT INTO validators(url, etag, last_modified, content_hash, updated_at) VALUES(?,?,?,?,?) "
                "ON CONFLICT(url) DO UPDATE SET etag=excluded.etag, last_modified=excluded.last_modified, "
                "content_hash=excluded.content_hash, updated_at=excluded.updated_at",
            [(u, v.etag, v.last_modified, v.content_hash, now) for u, v in items.items()])

    def save_validators(self, items: dict[str, Validators], now: str) -> None:
        if not items:
            return
        with self.transaction():
            self._upsert_validators(items, now)

    # -- robots ----------------------------------------------------------------------------
    def robots(self, netloc: str) -> tuple[int, bytes, Validators] | None:
        row = self.db.execute("SELECT status, body, etag, last_modified FROM robots WHERE netloc=?",
                              (netloc,)).fetchone()
        return (row[0], bytes(row[1] or b""), Validators(row[2], row[3])) if row else None

    def save_robots(self, netloc: str, status: int, body: bytes, validators: Validators, now: str) -> None:
        self.db.execute(
            "INSERT INTO robots(netloc, status, body, etag, last_modified, fetched_at) VALUES(?,?,?,?,?,?) "
            "ON CONFLICT(netloc) DO UPDATE SET status=excluded.status, body=excluded.body, etag=excluded.etag, "
            "last_modified=excluded.last_modified, fetched_at=excluded.fetched_at",
            (netloc, status, body, validators.etag, validators.last_modified, now))

    # -- posts -----------------------------------------------------------------------------
    def post(self, url: str) -> PostState | None:
        row = self.db.execute(
            "SELECT url, site_id, platform_post_id, page_url, meta_json, published_at, modified_at, lastmod, "
            "complete, emitted_signature, last_visit FROM posts WHERE url=?", (url,)).fetchone()
        return _post(row) if row else None

    def posts(self, site_id: str) -> list[PostState]:
        rows = self.db.execute(
            "SELECT url, site_id, platform_post_id, page_url, meta_json, published_at, modified_at, lastmod, "
            "complete, emitted_signature, last_visit FROM posts WHERE site_id=? ORDER BY url", (site_id,))
        return [_post(r) for r in rows]

    def upsert_discovered(self, site_id: str, url: str, *, platform_post_id: str | None, page_url: str | None,
                          meta: dict[str, Any], published_at: str | None, now: str) -> None:
        """Record a post as soon as a listing names it, so a killed run's rerun still knows it.

        ``modified_at`` / ``lastmod`` are *not* touched here: they describe the version the last
        complete visit saw and are updated by :meth:`complete_post`.
        """
        self.db.execute(
            "INSERT INTO posts(url, site_id, platform_post_id, page_url, meta_json, published_at, first_seen) "
            "VALUES(?,?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET "
            "platform_post_id=COALESCE(excluded.platform_post_id, posts.platform_post_id), "
            "page_url=COALESCE(excluded.page_url, posts.page_url), meta_json=excluded.meta_json, "
            "published_at=COALESCE(excluded.published_at, posts.published_at)",
            (url, site_id, platform_post_id, page_url, json.dumps(meta, sort_keys=True), published_at, now))

    def set_emitted(self, url: str, signature: str) -> None:
        self.db.execute("UPDATE posts SET emitted_signature=? WHERE url=?", (signature, url))

    def complete_post(self, url: str, *, validators: dict[str, Validators], now: str,
                      modified_at: str | None, lastmod: str | None) -> None:
        """The post's page and every comment page are processed and their records written."""
        with self.transaction():
            self._upsert_validators(validators, now)
            self.db.execute(
                "UPDATE posts SET complete=1, last_visit=?, modified_at=COALESCE(?, modified_at), "
                "lastmod=COALESCE(?, lastmod) WHERE url=?", (now, modified_at, lastmod, url))

    # -- comments --------------------------------------------------------------------------
    def comment_hashes(self, post_url: str) -> dict[str, str]:
        """Key -> content hash of every comment of a post already written (one query per post)."""
        return dict(self.db.execute("SELECT comment_key, content_hash FROM comments WHERE post_url=?", (post_url,)))

    def comment_keys(self, post_url: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT comment_key FROM comments WHERE post_url=?", (post_url,))}

    def record_comments(self, post_url: str, items: Iterable[tuple[str, str]]) -> None:
        """Note comments (key, content hash) as written, in one commit."""
        rows = [(post_url, key, content_hash) for key, content_hash in items]
        if not rows:
            return
        with self.transaction():
            self.db.executemany(
                "INSERT INTO comments(post_url, comment_key, content_hash) VALUES(?,?,?) "
                "ON CONFLICT(post_url, comment_key) DO UPDATE SET content_hash=excluded.content_hash", rows)


def _post(row: tuple) -> PostState:
    return PostState(row[0], row[1], row[2], row[3], json.loads(row[4] or "{}"), row[5], row[6], row[7],
                     bool(row[8]), row[9], row[10])
