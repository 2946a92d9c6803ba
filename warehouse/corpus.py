"""What later stages read back from the working database: the topic corpus, earlier posts.

``flows.jobs.topics`` fits or infers topics over every post (and infers over every comment) of the
configured languages; texts in other languages, or without a detected language, stay out of the
English topic model.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.lock import DEFAULT_TIMEOUT_S, writer_lock

if TYPE_CHECKING:
    from warehouse.lake import LakeTarget


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    text: str
    site_id: str | None = None


@dataclass(frozen=True)
class TopicCorpus:
    posts: list[CorpusDoc]
    comments: list[CorpusDoc]


def read_topic_corpus(db_path: "Path | str | LakeTarget", *, languages: tuple[str, ...] | list[str] = ("en",),
                      include_comments: bool = True, min_words: int = 1,
                      lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> TopicCorpus:
    """Posts (title + text) and comments in ``languages``, ordered by id (deterministic fits)."""
    from warehouse.db import connect_writer
    from warehouse.lake import LakeTarget, connect_lake

    langs = list(languages)
    lake = db_path if isinstance(db_path, LakeTarget) else None
    db_path = Path(db_path) if lake is None else Path(".")
    # DuckLake: a snapshot is consistent without the writer lock (warehouse/lake.py).
    with (contextlib.nullcontext() if lake else writer_lock(db_path.parent, timeout_s=lock_timeout_s)):
        conn = connect_lake(lake) if lake else connect_writer(db_path)
        try:
            posts = [CorpusDoc(i, t, s) for i, t, s in conn.execute("""
                SELECT post_id, trim(coalesce(title, '') || '\n' || text), site_id FROM posts
                WHERE language IN (SELECT unnest($langs::VARCHAR[])) AND len(string_split(text, ' ')) >= $min_words
                ORDER BY post_id""", {"langs": langs, "min_words": min_words}).fetchall()]
            comments: list[CorpusDoc] = []
            if include_comments:
                comments = [CorpusDoc(i, t, s) for i, t, s in conn.execute("""
                    SELECT c.comment_id, c.text, p.site_id FROM comments c JOIN posts p USING (post_id)
                    WHERE c.language IN (SELECT unnest($langs::VARCHAR[])) AND len(string_split(c.text, ' ')) >= $min_words
                    ORDER BY c.comment_id""", {"langs": langs, "min_words": min_words}).fetchall()]
        finally:
            conn.close()
    return TopicCorpus(posts, comments)


def _query_under_writer_lock(db_path: "Path | LakeTarget", query: str, params: dict[str, Any],
                             lock_timeout_s: float) -> list[tuple[Any, ...]]:
    """Rows of ``sql/queries/<query>.sql`` from the working database, read under the writer lock
    (the working database has one writer and no readers beside it), or from the DuckLake."""
    from warehouse.db import connect_writer, sql_text
    from warehouse.lake import LakeTarget, connect_lake

    if isinstance(db_path, LakeTarget):  # other workers' loads are visible here: the lake is shared
        conn = connect_lake(db_path)
        try:
            return conn.execute(sql_text("queries", query), params).fetchall()
        finally:
            conn.close()

    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        conn = connect_writer(db_path)
        try:
            return conn.execute(sql_text("queries", query), params).fetchall()
        finally:
            conn.close()


def earlier_posts(db_path: "Path | str | LakeTarget", post_ids: list[str], *,
                  lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, dict[str, str | None]]:
    """``post_id -> {"author", "language"}`` of the given posts already in the warehouse.

    Empty before the first load (no database yet). Read under the writer lock, like the corpus.
    """
    from warehouse.lake import LakeTarget

    if not isinstance(db_path, LakeTarget):
        db_path = Path(db_path)
    if not post_ids or (isinstance(db_path, Path) and not db_path.exists()):
        return {}
    rows = _query_under_writer_lock(db_path, "earlier_posts", {"post_ids": list(post_ids)}, lock_timeout_s)
    return {pid: {"author": author, "language": language} for pid, author, language in rows}


def earlier_commenter_names(db_path: "Path | str | LakeTarget", site_ids: list[str], *,
                            lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict[str, str | int]]:
    """Known commenters of ``site_ids`` as keyed name hashes (``commenter_names``), for the process stage.

    Empty before the first load. Read under the writer lock, like ``earlier_posts``.
    """
    from warehouse.lake import LakeTarget

    if not isinstance(db_path, LakeTarget):
        db_path = Path(db_path)
    if not site_ids or (isinstance(db_path, Path) and not db_path.exists()):
        return []
    rows = _query_under_writer_lock(db_path, "earlier_commenter_names", {"site_ids": list(site_ids)}, lock_timeout_s)
    return [{"site_id": s, "name_hash": h, "pseudonym": a, "role": r, "tokens": n} for s, h, a, r, n in rows]


def known_post_urls(db_path: "Path | str | LakeTarget", site_ids: list[str], *,
                    lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> list[tuple[str, str, str]]:
    """``(site_id, url, post_id)`` of every URL form of the posts of ``site_ids`` (posts and aliases).

    The process stage keeps a re-crawled post's id when its URL form changed (``pipeline.process.
    resolve_post_ids``). Empty before the first load. Read under the writer lock, like ``earlier_posts``
    (on a DuckLake: its latest snapshot, which other workers' loads reach too).
    """
    from warehouse.lake import LakeTarget

    if not isinstance(db_path, LakeTarget):
        db_path = Path(db_path)
    if not site_ids or (isinstance(db_path, Path) and not db_path.exists()):
        return []
    rows = _query_under_writer_lock(db_path, "known_post_urls", {"site_ids": list(site_ids)}, lock_timeout_s)
    return [(s, u, p) for s, u, p in rows]


def stored_vectors(db_path: Path | str, kind: str, ids: list[str], *, encoder: str = "all-MiniLM-L6-v2",
                   lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, list[float]]:
    """``target_id -> vector`` of the given posts or comments stored in ``embeddings`` (migration 0012)."""
    db_path = Path(db_path)
    if not ids or not db_path.exists():
        return {}
    rows = _query_under_writer_lock(db_path, "topic_vectors", {"kind": kind, "encoder": encoder, "ids": list(ids)},
                                    lock_timeout_s)
    return {target_id: vector for target_id, vector in rows}
