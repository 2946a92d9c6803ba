"""Publishing the analysts' copy: ``HOME/blogscope.duckdb``.

DuckDB lets no other process open a file a writer holds (not even read-only), and a read-only
holder blocks the writer. So analysts never open the working database: the writer checkpoints
it, copies it to a temp file beside the published one, fsyncs, and ``os.replace``s it into
place. The rename is atomic: a new reader gets the old or the new file, never a mix, and a
reader that has the old file open keeps a consistent snapshot (its inode lives on until closed).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from warehouse.errors import PublishError
from warehouse.lock import DEFAULT_TIMEOUT_S, writer_lock

log = logging.getLogger(__name__)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refresh_search(conn) -> None:  # a DuckDB connection
    """Bring stale search indexes up to date (a load killed after its commit leaves them stale)."""
    from warehouse.search import refresh_search_indexes

    has_tables = conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'search_index_state'").fetchone()[0]
    if not has_tables:
        return
    last = conn.execute("SELECT run_id FROM runs ORDER BY loaded_at DESC NULLS LAST, started_at DESC LIMIT 1").fetchone()
    rebuilt = refresh_search_indexes(conn, last[0] if last else "publish")
    if rebuilt:
        log.info("publish: rebuilt stale search index(es) %s", ", ".join(rebuilt))


def publish(working_db: Path | str, published_db: Path | str, *,
            lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> Path:
    """Copy the checkpointed working database onto ``published_db`` atomically.

    Takes the write lock (re-entrant), rebuilds a stale search index (cheap check when fresh),
    checkpoints so the file holds every commit and no WAL is needed, then copy + fsync + rename.
    On failure (disk full, ...) the temp file is removed and
    the previous published copy is untouched.
    """
    import duckdb

    from warehouse.db import connect_writer

    working_db, published_db = Path(working_db), Path(published_db)
    with writer_lock(working_db.parent, timeout_s=lock_timeout_s):
        if not working_db.exists():
            raise PublishError(f"no working database at {working_db}; run 'blogscope run' or 'blogscope migrate' first")
        try:
            conn = connect_writer(working_db, migrate_schema=False)
            try:
                _refresh_search(conn)
                conn.execute("CHECKPOINT")
            finally:
                conn.close()
        except duckdb.Error as exc:
            raise PublishError(f"cannot checkpoint {working_db} before publishing: {exc}") from exc
        wal = working_db.with_name(working_db.name + ".wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise PublishError(f"{wal} still holds commits after a checkpoint; another process may have "
                               "the working database open. Stop it and publish again")
        published_db.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{published_db.name}.", suffix=".tmp", dir=published_db.parent)
        tmp = Path(tmp_name)
        try:
            with open(working_db, "rb") as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, length=4 * 1024 * 1024)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, published_db)
            _fsync_dir(published_db.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise PublishError(
                f"could not publish {published_db}: {exc}. The previous copy is intact; "
                "free disk space and run 'blogscope migrate' (it publishes again)") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    log.info("published %s (%.1f MB)", published_db, published_db.stat().st_size / 1e6)
    return published_db
