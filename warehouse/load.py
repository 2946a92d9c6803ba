"""Loading one run's processed Parquet files into the working database.

``load_run(db_path, run_dir, run_id)``:

* bulk SQL only: ``INSERT ... SELECT ... FROM read_parquet(?) ON CONFLICT DO UPDATE`` (row by row
  ``executemany`` loaded 600 rows/s here, bulk ~870,000);
* idempotent: keys are the derived ids, so loading the same run twice gives identical tables;
* one transaction for the whole load, integrity checks (``sql/checks``) before the commit: a
  failed check, an error or a ``kill -9`` leaves the previous state (DuckDB commits are atomic);
* ``CHECKPOINT`` after the commit (a truncated WAL tail silently drops the last commits);
* then the full-text indexes are rebuilt when posts or comments changed (a second
  transaction, so the bulk load is not held up by it; ``search_index_state`` records what each
  index covers and a load that finds it stale rebuilds it).

Lineage: every loaded row gets ``run_id`` = the run being loaded (the ``run_id`` column inside
the files is not trusted). Entity tables keep ``first_seen_run_id`` and ``updated_run_id``.

Edited posts: one current row per post, upserted. The newest fetch wins (a row is never replaced
by an older ``fetched_at``, so reloading an old run cannot undo an edit); ``first_seen_*`` are
kept; each distinct version (title + text) is kept in ``post_versions`` and ``posts.version``
counts them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.errors import IntegrityError, LoadError
from warehouse.lake import LakeTarget
from warehouse.lock import DEFAULT_TIMEOUT_S, writer_lock

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableSpec:
    """How one processed file loads into one table."""

    table: str
    file: str  # parquet file stem in processed/
    key: tuple[str, ...]
    # Columns whose first value is kept on update (lineage of first sight).
    keep: tuple[str, ...] = ()
    # Incoming duplicates of a key: keep the row that sorts first by this.
    newest_first: str = ""


# Load order: entities before what refers to them (checks run at the end anyway).
TABLES: tuple[TableSpec, ...] = (
    TableSpec("sites", "sites", ("site_id",), keep=("first_seen_run_id",)),
    TableSpec("posts", "posts", ("post_id",), keep=("first_seen_run_id", "first_seen_at"),
              newest_first="fetched_at DESC NULLS LAST"),
    TableSpec("post_aliases", "aliases", ("url",), keep=("first_seen_run_id",)),
    TableSpec("comments", "comments", ("comment_id",), keep=("first_seen_run_id", "first_seen_at")),
    TableSpec("sentiment", "sentiment", ("target_kind", "target_id", "scorer", "scorer_version")),
    TableSpec("model_runs", "model_runs", ("model_run_id",)),
    TableSpec("topics", "topics", ("model_run_id", "topic_id")),
    TableSpec("doc_topics", "doc_topics", ("model_run_id", "target_kind", "target_id", "topic_id"),
              newest_first="weight DESC NULLS LAST"),
    TableSpec("topic_alignment", "topic_alignment", ("model_run_id", "previous_model_run_id", "topic_id",
                                                     "previous_topic_id")),
    TableSpec("quarantine", "quarantine", ("run_id", "stage", "key", "reason")),
    # A snapshot per site (see _Loader.replace_crawl_failures), not an accumulation.
    TableSpec("crawl_failures", "crawl_failures", ("url",)),
    TableSpec("privacy_replacements", "privacy", ("run_id", "site_id", "kind")),
    TableSpec("commenter_names", "commenter_names", ("site_id", "name_hash", "pseudonym", "role"),
              keep=("first_seen_run_id",)),
    TableSpec("embeddings", "embeddings", ("target_kind", "target_id", "encoder")),
)
SPECS = {spec.table: spec for spec in TABLES}
# Names accepted in ``only=``: table names and file stems.
_ALIASES = {spec.file: spec.table for spec in TABLES} | {spec.table: spec.table for spec in TABLES}

_LINEAGE = ("run_id", "first_seen_run_id", "updated_run_id")


@dataclass
class LoadResult:
    """What one load did.

    ``counts``: rows read per table from the run's files (the same for a repeated load);
    ``new_rows``: rows the table gained; ``totals``: rows in the table after the load.
    """

    run_id: str
    counts: dict[str, int] = field(default_factory=dict)
    new_rows: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    index_seconds: float = 0.0
    indexes_rebuilt: tuple[str, ...] = ()
    attempts: int = 1  # DuckLake: commits tried (a lost commit race is retried)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def processed_dir(run_dir: Path | str) -> Path:
    """``runs/RUN_ID/processed`` given the run folder or the processed folder itself."""
    run_dir = Path(run_dir)
    return run_dir / "processed" if (run_dir / "processed").is_dir() else run_dir


def _columns(conn: "duckdb.DuckDBPyConnection", relation_sql: str, params: Any = None) -> dict[str, str]:
    return {row[0]: row[1] for row in conn.execute(f"DESCRIBE {relation_sql}", params or []).fetchall()}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source_expr(col: str, target_type: str, source_type: str) -> str:
    """Cast a file column to the table's type, tolerating what writers produce."""
    src = _ident(col)
    if target_type == "TIMESTAMP":
        # ISO strings with offsets are converted to UTC (the connection's TimeZone is UTC). The
        # TIMESTAMPTZ parse costs 3x a plain one, so UTC strings (the pipeline writes "+00:00")
        # and strings without an offset take the plain cast; only other offsets need the slow one.
        if source_type != "VARCHAR":
            return f"CAST(TRY_CAST({src} AS TIMESTAMPTZ) AS TIMESTAMP)"
        return (f"CASE WHEN ends_with({src}, '+00:00') OR ends_with({src}, 'Z') OR length({src}) IN (10, 19) "
                f"THEN TRY_CAST({src} AS TIMESTAMP) ELSE CAST(TRY_CAST({src} AS TIMESTAMPTZ) AS TIMESTAMP) END")
    if target_type == "JSON":
        if source_type == "VARCHAR":
            return f"CASE WHEN json_valid({src}) THEN CAST({src} AS JSON) ELSE to_json({src}) END"
        return f"to_json({src})"
    if target_type.endswith("[]") and not source_type.endswith("[]"):
        return f"CAST(NULL AS {target_type})"  # an all-null column written without a list type
    if target_type == source_type:
        return src
    return f"CAST({src} AS {target_type})"


class _Loader:
    def __init__(self, conn: "duckdb.DuckDBPyConnection", folder: Path, run_id: str) -> None:
        self.conn = conn
        self.folder = folder
        self.run_id = run_id
        self.counts: dict[str, int] = {}

    def file(self, stem: str) -> Path | None:
        path = self.folder / f"{stem}.parquet"
        return path if path.is_file() else None

    def select_list(self, spec: TableSpec, target: dict[str, str], source: dict[str, str]) -> tuple[list[str], list[str]]:
        """Target columns and matching expressions over the file (missing columns get defaults)."""
        cols, exprs = [], []
        for col, ttype in target.items():
            if col in _LINEAGE:
                cols.append(col)
                exprs.append("$run_id")
            elif spec.table == "posts" and col == "first_seen_at":
                cols.append(col)
                exprs.append(_source_expr("fetched_at", "TIMESTAMP", source["fetched_at"])
                             if "fetched_at" in source else "CAST(now() AS TIMESTAMP)")
            elif spec.table == "posts" and col == "content_hash":
                cols.append(col)
                computed = "md5(coalesce(title, '') || chr(31) || coalesce(text, ''))"
                exprs.append(f"coalesce(nullif(content_hash, ''), {computed})" if "content_hash" in source else computed)
            elif spec.table == "posts" and col == "version":
                continue  # default 1; recomputed from post_versions
            elif col in source:
                cols.append(col)
                exprs.append(_source_expr(col, ttype, source[col]))
        if spec.table == "posts" and "aliases" in source:
            cols.append("_aliases")  # staged only: becomes post_aliases rows
            exprs.append(_source_expr("aliases", "VARCHAR[]", source["aliases"]))
        missing = [c for c in spec.key if c not in cols]
        if missing:
            raise LoadError(f"{spec.file}.parquet in {self.folder} lacks key column(s) {missing}; "
                            "it was not written by this blogscope's process stage: re-run 'blogscope process'")
        return cols, exprs

    def update_clause(self, spec: TableSpec, cols: list[str]) -> str:
        t = spec.table
        sets = []
        for col in cols:
            if col in spec.key or col in ("first_seen_run_id",):
                continue
            if col == "first_seen_at":
                sets.append(f"first_seen_at = least({t}.first_seen_at, excluded.first_seen_at)")
            elif col == "updated_run_id":
                changed = {
                    "posts": "posts.content_hash IS DISTINCT FROM excluded.content_hash",
                    "comments": "(comments.text IS DISTINCT FROM excluded.text OR comments.parent_id IS DISTINCT "
                                "FROM excluded.parent_id OR comments.published_at IS DISTINCT FROM excluded.published_at)",
                }.get(t, "true")
                sets.append(f"updated_run_id = CASE WHEN {changed} THEN excluded.updated_run_id "
                            f"ELSE {t}.updated_run_id END")
            else:
                sets.append(f"{_ident(col)} = excluded.{_ident(col)}")
        if not sets:
            return "DO NOTHING"
        clause = "DO UPDATE SET " + ", ".join(sets)
        if t == "posts" and "fetched_at" in cols:
            # The newest fetch wins: reloading an older run never undoes an edit.
            clause += " WHERE posts.fetched_at IS NULL OR excluded.fetched_at IS NULL OR excluded.fetched_at >= posts.fetched_at"
        return clause

    def source_sql(self, spec: TableSpec, path: Path) -> tuple[str, list[str], dict[str, str]]:
        source = _columns(self.conn, "SELECT * FROM read_parquet($path)", {"path": str(path)})
        target = _columns(self.conn, spec.table)
        cols, exprs = self.select_list(spec, target, source)
        select = ", ".join(f"{e} AS {_ident(c)}" for c, e in zip(cols, exprs))
        key = ", ".join(_ident(k) for k in spec.key)
        order = f" ORDER BY {spec.newest_first}" if spec.newest_first else ""
        sql = (f"SELECT * FROM (SELECT {select} FROM read_parquet($path)) "
               f"QUALIFY row_number() OVER (PARTITION BY {key}{order}) = 1")
        return sql, cols, target

    def params(self, path: Path) -> dict[str, str]:
        return {"path": str(path), "run_id": self.run_id}

    def upsert(self, spec: TableSpec, path: Path) -> None:
        sql, cols, _ = self.source_sql(spec, path)
        n = self.conn.execute("SELECT count(*) FROM read_parquet($path)", {"path": str(path)}).fetchone()[0]
        self.counts[spec.table] = n
        if spec.table == "posts":
            self.load_posts(spec, sql, cols, path)
            return
        if spec.table == "crawl_failures":
            self.replace_crawl_failures(path)
        if spec.table == "doc_topics":
            # A document's topic set is replaced as a whole: stale topics of a re-inferred document
            # (and a second "dominant" row) must not survive.
            self.conn.execute(
                f"DELETE FROM doc_topics USING (SELECT DISTINCT model_run_id, target_kind, target_id FROM ({sql})) s "
                "WHERE doc_topics.model_run_id = s.model_run_id AND doc_topics.target_kind = s.target_kind "
                "AND doc_topics.target_id = s.target_id", self.params(path))
        col_list = ", ".join(_ident(c) for c in cols)
        key = ", ".join(_ident(k) for k in spec.key)
        self.conn.execute(f"INSERT INTO {spec.table} ({col_list}) {sql} "
                          f"ON CONFLICT ({key}) {self.update_clause(spec, cols)}", self.params(path))

    def replace_crawl_failures(self, path: Path) -> None:
        """Drop the failures of every site this run crawled: its snapshot (inserted next) is their whole open set.

        The sites are those of the run's site rows and of the snapshot, so a site whose last
        failure was fixed loses its rows although the snapshot has none for it.
        """
        sites = "SELECT site_id FROM read_parquet($path)"
        site_file = self.file("sites")
        if site_file is not None:
            sites += " UNION SELECT site_id FROM read_parquet($sites)"
        params = {"path": str(path)} | ({"sites": str(site_file)} if site_file is not None else {})
        self.conn.execute(f"DELETE FROM crawl_failures WHERE site_id IN ({sites})", params)

    def load_posts(self, spec: TableSpec, sql: str, cols: list[str], path: Path) -> None:
        """Posts, their versions and their aliases (from ``Post.aliases``)."""
        c = self.conn
        c.execute(f"CREATE OR REPLACE TEMP TABLE _stage_posts AS {sql}", self.params(path))
        has_aliases = "_aliases" in cols
        cols = [col for col in cols if col != "_aliases"]
        col_list = ", ".join(_ident(col) for col in cols)
        # A post that comes under another URL form (https, no www, a new host: the process stage
        # kept its id) keeps its earlier URL findable as an alias.
        c.execute("""
            CREATE OR REPLACE TEMP TABLE _moved_urls AS
            SELECT p.post_id, p.url FROM posts p JOIN _stage_posts s USING (post_id) WHERE p.url <> s.url
            UNION SELECT s.post_id, s.url FROM posts p JOIN _stage_posts s USING (post_id) WHERE p.url <> s.url""")
        c.execute(f"INSERT INTO posts ({col_list}) SELECT {col_list} FROM _stage_posts "
                  f"ON CONFLICT (post_id) {self.update_clause(spec, cols)}")
        c.execute("""
            INSERT INTO post_aliases (url, post_id, run_id, first_seen_run_id)
            SELECT m.url, m.post_id, $run_id, $run_id FROM _moved_urls m JOIN posts p USING (post_id)
            WHERE m.url <> p.url
            ON CONFLICT (url) DO NOTHING""", {"run_id": self.run_id})
        c.execute("DROP TABLE _moved_urls")
        # A site the process stage did not describe still gets a row (its id), so posts never dangle.
        c.execute("""
            INSERT INTO sites (site_id, run_id, first_seen_run_id)
            SELECT DISTINCT site_id, $run_id, $run_id FROM _stage_posts
            ON CONFLICT (site_id) DO NOTHING""", {"run_id": self.run_id})
        have = set(cols)
        pick = lambda name: name if name in have else "NULL"  # noqa: E731 - tiny local helper
        c.execute(f"""
            INSERT INTO post_versions (post_id, content_hash, title, text, modified_at, fetched_at, run_id)
            SELECT post_id, content_hash, {pick('title')}, {pick('text')}, {pick('modified_at')},
                   {pick('fetched_at')}, $run_id
            FROM _stage_posts ON CONFLICT DO NOTHING""", {"run_id": self.run_id})
        c.execute("""
            UPDATE posts SET version = v.n
            FROM (SELECT post_id, count(*)::INTEGER AS n FROM post_versions
                  WHERE post_id IN (SELECT post_id FROM _stage_posts) GROUP BY post_id) v
            WHERE posts.post_id = v.post_id AND posts.version <> v.n""")
        if has_aliases:
            c.execute("""
                INSERT INTO post_aliases (url, post_id, run_id, first_seen_run_id)
                SELECT url, post_id, $run_id, $run_id FROM (
                    SELECT unnest(_aliases) AS url, post_id FROM _stage_posts)
                WHERE url IS NOT NULL AND url <> ''
                QUALIFY row_number() OVER (PARTITION BY url ORDER BY post_id) = 1
                ON CONFLICT (url) DO UPDATE SET post_id = excluded.post_id, run_id = excluded.run_id""",
                      {"run_id": self.run_id})
        c.execute("DROP TABLE _stage_posts")


def _ensure_run_row(conn: "duckdb.DuckDBPyConnection", run_id: str) -> None:
    """A load of files no flow announced still names a run (kind 'import')."""
    conn.execute("""
        INSERT INTO runs (run_id, kind, started_at, finished_at, status)
        VALUES ($run_id, 'import', CAST(now() AS TIMESTAMP), CAST(now() AS TIMESTAMP), 'completed')
        ON CONFLICT (run_id) DO NOTHING""", {"run_id": run_id})


def _quarantine_dangling_replies(conn: "duckdb.DuckDBPyConnection", run_id: str) -> None:
    """Replies whose parent is not in the warehouse are kept (nothing lost) and listed in quarantine.

    A crawl can miss a parent (a comment page not fetched, a deleted comment). Refusing the whole
    run for that would lose every other row; the reply keeps its parent_id (a later run may bring
    the parent) and v_comment_threads shows its chain as broken (thread_depth NULL).
    """
    conn.execute("""
        INSERT INTO quarantine (run_id, stage, key, reason, detail, site_id)
        SELECT $run_id, 'load', c.comment_id, 'parent_missing',
               'parent ' || c.parent_id || ' is not in the warehouse; the reply is kept', p.site_id
        FROM comments c LEFT JOIN posts p USING (post_id)
        WHERE c.run_id = $run_id AND c.parent_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM comments pc WHERE pc.comment_id = c.parent_id)
        ON CONFLICT DO NOTHING""", {"run_id": run_id})


def _table_counts(conn: "duckdb.DuckDBPyConnection", tables: Iterable[str]) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _resolve_only(only: Iterable[str] | None) -> list[TableSpec]:
    if only is None:
        return list(TABLES)
    wanted = set()
    for name in only:
        if name not in _ALIASES:
            raise LoadError(f"unknown table {name!r} in only=; known: {sorted(SPECS)}")
        wanted.add(_ALIASES[name])
    return [spec for spec in TABLES if spec.table in wanted]


def _is_disk_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("no space left", "file too large", "disk is full", "out of disk", "quota"))


def load_run(db_path: "Path | str | LakeTarget", run_dir: Path | str, run_id: str, *, only: Iterable[str] | None = None,
             search_index: bool = True, lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> LoadResult:
    """Load ``run_dir/processed/*.parquet`` (or ``run_dir/*.parquet``) of ``run_id`` into ``db_path``.

    Takes the write lock (re-entrant), migrates, upserts every file in one transaction, runs the
    integrity checks, commits, checkpoints, then refreshes the full-text indexes. ``only`` limits
    the load to some tables (names or file stems, e.g. ``("model_runs", "topics", "doc_topics",
    "topic_alignment")``). A missing file means nothing of that kind in this run.

    ``db_path`` may be a ``LakeTarget``: the same load into DuckLake (see ``_load_lake``).

    Raises ``IntegrityError`` (checks failed, rolled back), ``LoadError`` (bad input, disk full;
    previous state intact) or ``WarehouseBusy`` (another writer).
    """
    import duckdb

    from warehouse.checks import run_checks
    from warehouse.db import connect_writer

    folder = processed_dir(run_dir)
    if not folder.is_dir():
        raise LoadError(f"{folder} does not exist: run 'blogscope process --run {run_id}' first")
    specs = _resolve_only(only)
    if isinstance(db_path, LakeTarget):  # the DuckLake backend (warehouse/lake.py)
        return _load_lake(db_path, folder, run_id, specs)
    db_path = Path(db_path)
    start = time.perf_counter()
    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        try:
            conn = connect_writer(db_path)
        except duckdb.Error as exc:
            if _is_disk_error(exc):
                raise LoadError(f"cannot open {db_path}: the disk is full or a file size limit was hit ({exc}). "
                                "Free space and run the load again") from exc
            raise
        phase = ["loading"]  # _load moves it to "committing"; then "committed"
        try:
            result = _load(conn, folder, run_id, specs, run_checks, phase)
            phase[0] = "committed"
            result.seconds = time.perf_counter() - start
            if search_index and ({"posts", "comments"} & {s.table for s in specs}):
                from warehouse.search import refresh_search_indexes

                t0 = time.perf_counter()
                result.indexes_rebuilt = tuple(refresh_search_indexes(conn, run_id))
                result.index_seconds = time.perf_counter() - t0
            conn.execute("CHECKPOINT")
        except (IntegrityError, LoadError):
            raise
        except (duckdb.Error, OSError) as exc:
            state = {
                "loading": "nothing of this load was committed: the database keeps its previous state",
                "committing": "it failed while committing, so the database holds either its previous state or all "
                              "of this load, never a part (DuckDB commits are atomic)",
                "committed": "the data of this run was committed, but the search index or checkpoint after it "
                             "failed; the next load completes them",
            }[phase[0]]
            if _is_disk_error(exc):
                raise LoadError(f"loading run {run_id} into {db_path} stopped: the disk is full or a file size "
                                f"limit was hit ({exc}); {state}. Free space and run the load again") from exc
            raise LoadError(f"loading run {run_id} from {folder} into {db_path} failed: "
                            f"{type(exc).__name__}: {exc}; {state}") from exc
        finally:
            try:
                conn.close()
            except duckdb.Error:  # an invalidated database (disk full) may refuse even this
                pass
    log.info("loaded run %s: %s rows in %.2f s (+%.2f s search index)", run_id, result.rows, result.seconds,
             result.index_seconds)
    return result


def _load(conn: "duckdb.DuckDBPyConnection", folder: Path, run_id: str, specs: list[TableSpec],
          run_checks, phase: list[str]) -> LoadResult:
    import duckdb

    loader = _Loader(conn, folder, run_id)
    tables = [s.table for s in specs] + (["post_versions"] if any(s.table == "posts" for s in specs) else [])
    conn.execute("BEGIN")
    try:
        if getattr(conn, "is_lake", False):
            conn.mark_write(run_id)  # two loads at once conflict: the later retries (warehouse/lake.py)
        before = _table_counts(conn, tables)
        _ensure_run_row(conn, run_id)
        for spec in specs:
            path = loader.file(spec.file)
            if path is None:
                continue
            try:
                loader.upsert(spec, path)
            except duckdb.Error as exc:
                if _is_disk_error(exc):
                    raise
                raise LoadError(f"{path}: cannot load into {spec.table}: {type(exc).__name__}: {exc}. "
                                "The load was rolled back; fix the file (re-run the process stage) and load again") from exc
        if any(spec.table == "comments" for spec in specs):
            _quarantine_dangling_replies(conn, run_id)
        failures = run_checks(conn)
        if failures:
            lines = [f"  {name}: {len(rows)} row(s), e.g. {rows[:3]}" for name, rows in failures.items()]
            raise IntegrityError(
                f"integrity checks failed for run {run_id} ({folder}); the load was rolled back:\n"
                + "\n".join(lines) + "\nFix the process stage output (or the check) and load again", failures)
        after = _table_counts(conn, tables)
        conn.execute("""UPDATE runs SET loaded_at = CAST(now() AS TIMESTAMP), load_counts = $counts
                        WHERE run_id = $run_id""", {"counts": json.dumps(loader.counts, sort_keys=True), "run_id": run_id})
        phase[0] = "committing"
        conn.execute("COMMIT")
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    conn.execute("CHECKPOINT")
    return LoadResult(run_id=run_id, counts=dict(loader.counts),
                      new_rows={t: after[t] - before[t] for t in tables}, totals=after)


LAKE_ATTEMPTS = 8


def _load_lake(target: LakeTarget, folder: Path, run_id: str, specs: list[TableSpec]) -> LoadResult:
    """The load of ``load_run`` into DuckLake: no file lock (PostgreSQL orders the commits).

    Optimistic concurrency: a load that lost a commit race to another worker's conflicting load
    is rolled back whole and run again on the new snapshot, where its MERGEs find the other's
    rows; after ``LAKE_ATTEMPTS`` losses it gives up with a ``LoadError`` (nothing committed).
    No full-text index is built (DuckLake cannot store the fts macros) and CHECKPOINT is skipped.
    """
    import random

    import duckdb

    from warehouse.checks import run_checks
    from warehouse.lake import connect_lake, is_conflict

    start = time.perf_counter()
    for attempt in range(1, LAKE_ATTEMPTS + 1):
        conn = connect_lake(target)
        try:
            result = _load(conn, folder, run_id, specs, run_checks, ["loading"])  # type: ignore[arg-type]
            result.seconds = time.perf_counter() - start
            result.attempts = attempt
            log.info("loaded run %s into %s: %s rows in %.2f s (attempt %d)", run_id, target.describe(),
                     result.rows, result.seconds, attempt)
            return result
        except (IntegrityError, LoadError):
            raise
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == LAKE_ATTEMPTS:
                raise LoadError(f"loading run {run_id} from {folder} into {target.describe()} failed: "
                                f"{type(exc).__name__}: {exc}; nothing of this load was committed") from exc
            log.info("load of run %s lost a commit race (attempt %d): retrying on the new snapshot", run_id, attempt)
            time.sleep(random.uniform(0.05, 0.3) * attempt)
        finally:
            conn.close()
    raise AssertionError("unreachable")


def configured_lake(home: Path | str) -> LakeTarget | None:
    """The DuckLake of ``HOME/blogscope.toml`` (or BLOGSCOPE_WAREHOUSE_* in the environment), else None."""
    from pipeline.settings import load_settings
    from warehouse.lake import lake_target

    return lake_target(load_settings(home))


def load_and_publish(home: Path | str, run_id: str, *, run_dir: Path | str | None = None,
                     lock_timeout_s: float = DEFAULT_TIMEOUT_S, lake: LakeTarget | None = None,
                     **kwargs) -> LoadResult:
    """Load a run of ``HOME/runs/RUN_ID`` and publish, under one hold of the write lock.

    With a DuckLake (``lake``, else the home's ``[warehouse] catalog``) there is nothing to
    publish: readers see committed snapshots, so publishing is a no-op and no lock is taken.
    """
    from warehouse.publish import publish

    home = Path(home)
    lake = lake or configured_lake(home)
    if lake is not None:
        kwargs.pop("search_index", None)
        return load_run(lake, run_dir or home / "runs" / run_id, run_id, **kwargs)
    work = home / "work"
    with writer_lock(work, timeout_s=lock_timeout_s):
        result = load_run(work / "warehouse.duckdb", run_dir or home / "runs" / run_id, run_id,
                          lock_timeout_s=lock_timeout_s, **kwargs)
        publish(work / "warehouse.duckdb", home / "blogscope.duckdb", lock_timeout_s=lock_timeout_s)
    return result


__all__ = ["LoadResult", "TABLES", "configured_lake", "load_and_publish", "load_run", "processed_dir"]
