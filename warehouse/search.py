"""Full-text search over posts and comments, offline.

The indexes are DuckDB ``fts`` indexes (BM25, Porter stemming), built in the
WORKING database at load time so the published copy carries them. The extension comes from the
``duckdb-extension-fts`` pip package and is loaded by path (``LOAD fts`` by name would try to
download it).

``search(published_db, terms)``: any word may match (OR semantics, ``conjunctive := 0``); BM25
ranks documents with more of the words, and rarer ones, higher, so "sleep medication" finds
posts that speak of either and puts those with both first. Words in double quotes must also
appear as that exact phrase: BM25 picks the candidates, a regex on the text keeps those with the
phrase. No stop-word list: BM25's idf already weighs common words down, and a stop list would
drop words such as "not" from quoted phrases. Comment snippets are redacted (``warehouse.redact``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.db import load_fts, sql_text
from warehouse.redact import redact_text

if TYPE_CHECKING:
    import duckdb

    from warehouse.query import QueryResult

log = logging.getLogger(__name__)

# index name -> (table, id column, indexed fields, digest of the indexed rows)
INDEXES = {
    "posts": ("posts", "post_id", ("title", "text"),
              "SELECT count(*), coalesce(bit_xor(hash(post_id, content_hash)), 0)::VARCHAR FROM posts"),
    "comments": ("comments", "comment_id", ("text",),
                 "SELECT count(*), coalesce(bit_xor(hash(comment_id, text)), 0)::VARCHAR FROM comments"),
}
SNIPPET_CHARS = 160
# How the indexes are built; part of the recorded digest, so changing it rebuilds old indexes.
INDEX_OPTIONS = "stemmer = 'porter', stopwords = 'none', strip_accents = 1, lower = 1"


def _index_exists(conn: "duckdb.DuckDBPyConnection", table: str) -> bool:
    return bool(conn.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?",
                             [f"fts_main_{table}"]).fetchone()[0])


def refresh_search_indexes(conn: "duckdb.DuckDBPyConnection", run_id: str, *, force: bool = False) -> list[str]:
    """Rebuild each index whose rows changed since it was built; returns the rebuilt names.

    Each rebuild and its ``search_index_state`` row commit together, so a kill in the middle
    leaves the old index and the old state, and the next load rebuilds it.
    """
    load_fts(conn)
    rebuilt = []
    for name, (table, id_col, fields, digest_sql) in INDEXES.items():
        documents, digest = conn.execute(digest_sql).fetchone()
        digest = f"{digest}|{INDEX_OPTIONS}"
        state = conn.execute("SELECT documents, data_digest FROM search_index_state WHERE index_name = ?",
                             [name]).fetchone()
        exists = _index_exists(conn, table)
        if not force and state == (documents, digest) and (exists or documents == 0):
            continue
        conn.execute("BEGIN")
        try:
            if documents:
                field_list = ", ".join(f"'{f}'" for f in fields)
                conn.execute(f"PRAGMA create_fts_index('{table}', '{id_col}', {field_list}, {INDEX_OPTIONS}, "
                             "overwrite = 1)")
            elif exists:
                conn.execute(f"PRAGMA drop_fts_index('{table}')")
            conn.execute("""
                INSERT INTO search_index_state VALUES (?, CAST(now() AS TIMESTAMP), ?, ?, ?)
                ON CONFLICT (index_name) DO UPDATE SET built_at = excluded.built_at, run_id = excluded.run_id,
                    documents = excluded.documents, data_digest = excluded.data_digest""",
                         [name, run_id, documents, digest])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        rebuilt.append(name)
    return rebuilt


def parse_terms(terms: str) -> tuple[list[str], list[str]]:
    """(words, phrases): words of the whole query; phrases are the double-quoted parts."""
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', terms) if p.strip()]
    words = re.findall(r"\w+", terms.replace('"', " "))
    return words, phrases


def _phrase_regex(phrase: str) -> str:
    """A phrase as a regex (Python and RE2): its words with any run of non-word characters between."""
    return r"\W+".join(re.escape(w) for w in re.findall(r"\w+", phrase))


def _snippet(text: str, words: list[str], phrases: list[str]) -> str:
    text = " ".join((text or "").split())
    where = -1
    for needle in phrases + words:
        m = re.search(_phrase_regex(needle), text, re.IGNORECASE)
        if m:
            where = m.start()
            break
    if where < 0 or len(text) <= SNIPPET_CHARS:
        return text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")
    start = max(0, where - SNIPPET_CHARS // 3)
    out = text[start:start + SNIPPET_CHARS]
    return ("…" if start else "") + out + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _matching_documents(conn: "duckdb.DuckDBPyConnection", words: list[str],
                        phrases: list[str]) -> tuple[str, dict[str, Any]] | None:
    """SQL of the posts and comments that match (any word, every phrase), with their BM25 score.

    Columns: kind, id, post_id, title, url (of the post), text, site_id, written_at, score.
    None when the database has no search index (an empty warehouse).
    """
    parts = []
    if _index_exists(conn, "posts"):
        parts.append("""
            SELECT 'post' AS kind, post_id AS id, post_id, title, url, text, site_id,
                   coalesce(published_at, first_seen_at) AS written_at,
                   fts_main_posts.match_bm25(post_id, $q, conjunctive := 0) AS score
            FROM posts""")
    if _index_exists(conn, "comments"):
        parts.append("""
            SELECT 'comment' AS kind, c.comment_id AS id, c.post_id, p.title, p.url, c.text, p.site_id,
                   coalesce(c.published_at, c.first_seen_at) AS written_at,
                   fts_main_comments.match_bm25(c.comment_id, $q, conjunctive := 0) AS score
            FROM comments c LEFT JOIN posts p USING (post_id)""")
    if not parts:
        return None
    params: dict[str, Any] = {"q": " ".join(words)}
    phrase_filter = ""
    for i, phrase in enumerate(phrases):
        params[f"p{i}"] = "(?i)" + _phrase_regex(phrase)
        phrase_filter += f" AND regexp_matches(coalesce(title, '') || ' ' || text, $p{i})"
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) WHERE score IS NOT NULL{phrase_filter}", params


def _query_matches(published_db: Path | str, terms: str, outer_sql: str, params: dict[str, Any],
                   timeout_s: float) -> list[tuple]:
    """Rows of ``outer_sql`` (a SELECT reading the matching documents as ``matches``); [] without index or words."""
    from warehouse.query import connect_readonly, run_with_timeout

    words, phrases = parse_terms(terms)
    if not words:
        return []
    conn = connect_readonly(published_db, fts=True)
    try:
        matching = _matching_documents(conn, words, phrases)
        if matching is None:
            log.warning("no search index in %s (empty warehouse?)", published_db)
            return []
        sql, match_params = matching
        return run_with_timeout(conn, f"WITH matches AS ({sql}) {outer_sql}", {**match_params, **params},
                                timeout_s, None).rows
    finally:
        conn.close()


def search(published_db: Path | str, terms: str, limit: int = 20, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    """Posts and comments matching ``terms``, best first.

    Each hit: ``kind`` (post | comment), ``id``, ``post_id``, ``title``, ``url`` (of the post),
    ``snippet`` (comment snippets redacted), ``score`` (BM25; higher is better).
    """
    words, phrases = parse_terms(terms)
    rows = _query_matches(published_db, terms, """
        SELECT kind, id, post_id, title, url, text, score FROM matches
        ORDER BY score DESC, kind, id LIMIT $limit""", {"limit": max(1, min(int(limit), 1000))}, timeout_s)
    hits = []
    for kind, id_, post_id, title, url, text, score in rows:
        snippet = _snippet(text, words, phrases)
        hits.append({"kind": kind, "id": id_, "post_id": post_id, "title": title, "url": url,
                     "snippet": redact_text(snippet) if kind == "comment" else snippet,
                     "score": round(float(score), 4)})
    return hits


def mentions_by_month(published_db: Path | str, terms: str, *, timeout_s: float = 30.0) -> "QueryResult":
    """How often ``terms`` come up, month by site (attention over time, like Media Cloud's charts).

    Columns: month, site_id, posts, comments, share_of_posts, share_of_comments (see
    ``sql/queries/search_mentions_by_month.sql``).
    """
    from warehouse.query import QueryResult

    columns = ["month", "site_id", "posts", "comments", "share_of_posts", "share_of_comments"]
    rows = _query_matches(published_db, terms, sql_text("queries", "search_mentions_by_month"), {}, timeout_s)
    return QueryResult(columns, rows)
