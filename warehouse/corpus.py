"""What later stages read back from the working database: the topic corpus, earlier posts.

``flows.jobs.topics`` fits or infers topics over every post (and infers over every comment) of the
configured languages; texts in other languages, or without a detected language, stay out of the
English topic model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.lock import DEFAULT_TIMEOUT_S, writer_lock


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    text: str
    site_id: str | None = None


@dataclass(frozen=True)
class TopicCorpus:
    posts: list[CorpusDoc]
    comments: list[CorpusDoc]


def read_topic_corpus(db_path: Path | str, *, languages: tuple[str, ...] | list[str] = ("en",),
                      include_comments: bool = True, min_words: int = 1,
                      lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> TopicCorpus:
    """Posts (title + text) and comments in ``languages``, ordered by id (deterministic fits)."""
    from warehouse.db import connect_writer

    db_path = Path(db_path)
    langs = list(languages)
    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        conn = connect_writer(db_path)
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


def _query_under_writer_lock(db_path: Path, query: str, params: dict[str, Any],
                             lock_timeout_s: float) -> list[tuple[Any, ...]]:
    """Rows of ``sql/queries/<query>.sql`` from the working database, read under the writer lock
    (the working database has one writer and no readers beside it)."""
    from warehouse.db import connect_writer, sql_text

    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        conn = connect_writer(db_path)
        try:
            return conn.execute(sql_text("queries", query), params).fetchall()
        finally:
            conn.close()


def earlier_posts(db_path: Path | str, post_ids: list[str], *,
                  lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, dict[str, str | None]]:
    """``post_id -> {"author", "language"}`` of the given posts already in the warehouse.

    Empty before the first load (no database yet). Read under the writer lock, like the corpus.
    """
    db_path = Path(db_path)
    if not post_ids or not db_path.exists():
        return {}
    rows = _query_under_writer_lock(db_path, "earlier_posts", {"post_ids": list(post_ids)}, lock_timeout_s)
    return {pid: {"author": author, "language": language} for pid, author, language in rows}


def earlier_commenter_names(db_path: Path | str, site_ids: list[str], *,
                            lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict[str, str | int]]:
    """Known commenters of ``site_ids`` as keyed name hashes (``commenter_names``), for the process stage.

    Empty before the first load. Read under the writer lock, like ``earlier_posts``.
    """
    db_path = Path(db_path)
    if not site_ids or not db_path.exists():
        return []
    rows = _query_under_writer_lock(db_path, "earlier_commenter_names", {"site_ids": list(site_ids)}, lock_timeout_s)
    return [{"site_id": s, "name_hash": h, "pseudonym": a, "role": r, "tokens": n} for s, h, a, r, n in rows]


def stored_vectors(db_path: Path | str, kind: str, ids: list[str], *, encoder: str = "all-MiniLM-L6-v2",
                   lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, list[float]]:
    """``target_id -> vector`` of the given posts or comments stored in ``embeddings`` (migration 0012)."""
    db_path = Path(db_path)
    if not ids or not db_path.exists():
        return {}
    rows = _query_under_writer_lock(db_path, "topic_vectors", {"kind": kind, "encoder": encoder, "ids": list(ids)},
                                    lock_timeout_s)
    return {target_id: vector for target_id, vector in rows}
