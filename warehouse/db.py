"""Connections and schema migrations.

Two kinds of connection exist:

* the writer's, on ``HOME/work/warehouse.duckdb`` (only under the write lock, see
  ``warehouse.lock``), which applies migrations and re-creates the views;
* the analysts' locked-down read-only one on the published copy (``warehouse.query``).

Every connection here disables extension auto-install and auto-load: offline machines must never
try to download anything, and a query must not be able to pull in an extension by naming it.

Migrations are ``warehouse/sql/migrations/NNNN_name.sql`` (package data, read with
``importlib.resources``), applied in order, each in its own transaction, and recorded in
``schema_migrations`` with a checksum, so an edited applied migration is detected. Views are
``warehouse/sql/views/v_*.sql``, dropped and re-created on every migrate.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.errors import MigrationError, WarehouseError

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

# Never reach the network for an extension, never load one implicitly.
BASE_CONFIG: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_VIEW_NAME = re.compile(r"^(v_[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class SqlFile:
    name: str  # file name without folder
    text: str


def sql_files(kind: str) -> list[SqlFile]:
    """The ``.sql`` files of ``warehouse/sql/<kind>/`` in name order (package data)."""
    folder = resources.files("warehouse").joinpath("sql", kind)
    if not folder.is_dir():
        return []
    out = [SqlFile(entry.name, entry.read_text(encoding="utf-8"))
           for entry in folder.iterdir() if entry.name.endswith(".sql")]
    return sorted(out, key=lambda f: f.name)


def sql_text(kind: str, name: str) -> str:
    """One named SQL file, e.g. ``sql_text("queries", "run_status")``."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"not a SQL file name: {name!r}")
    entry = resources.files("warehouse").joinpath("sql", kind, f"{name}.sql")
    if not entry.is_file():
        known = ", ".join(f.name[:-4] for f in sql_files(kind))
        raise ValueError(f"no SQL file {kind}/{name}.sql (known: {known})")
    return entry.read_text(encoding="utf-8")


def fts_extension_path() -> Path:
    """The full-text-search extension shipped by the ``duckdb-extension-fts`` pip package.

    ``LOAD fts`` by name would look in ~/.duckdb and try to download: offline it fails.
    """
    import duckdb
    import duckdb_extension_fts  # the pip package that ships the binary

    version = duckdb.__version__
    base = Path(duckdb_extension_fts.__file__).resolve().parent / "extensions"
    path = base / f"v{version}" / "fts.duckdb_extension"
    if not path.is_file():
        found = sorted(str(p) for p in base.glob("*/fts.duckdb_extension"))
        raise FileNotFoundError(
            f"no fts extension for DuckDB {version} at {path} (found: {found or 'none'}); "
            f"install duckdb-extension-fts=={version} to match duckdb=={version}")
    return path


def fts_load_statement() -> str:
    """``LOAD '/path/fts.duckdb_extension'``: the installed extension, for any DuckDB client."""
    path = str(fts_extension_path()).replace("'", "''")
    return f"LOAD '{path}'"


def load_fts(conn: "duckdb.DuckDBPyConnection") -> None:
    conn.execute(fts_load_statement())


def connect_writer(path: Path | str, *, migrate_schema: bool = True) -> "duckdb.DuckDBPyConnection":
    """Open the working database read-write (caller holds the write lock) and migrate it."""
    import duckdb

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = duckdb.connect(str(path), config=dict(BASE_CONFIG))
    except duckdb.IOException as exc:
        if "not a valid DuckDB database" not in str(exc):
            raise
        from warehouse.errors import DamagedDatabase

        published = path.parent.parent / "blogscope.duckdb"  # HOME/work/warehouse.duckdb -> HOME/blogscope.duckdb
        restore = (f", copy the analysts' last published copy in its place (cp {published} {path})"
                   if published.is_file() else "")
        raise DamagedDatabase(
            f"{path} is not a DuckDB database (damaged, or another program wrote it). Move it aside "
            f"(mv {path} {path}.damaged){restore} and run again") from exc
    try:
        # Strings without an offset are read as UTC; stored TIMESTAMPs are UTC.
        conn.execute("SET TimeZone = 'UTC'")
        if migrate_schema:
            migrate(conn)
    except duckdb.Error as exc:
        conn.close()
        raise disk_full_error(exc, path) or exc  # noqa: B904 - exc itself, or the one-line full-disk error
    except BaseException:
        conn.close()
        raise
    return conn


_DISK_FULL = ("No space left on device", "Disk quota exceeded")


def disk_full_error(exc: BaseException, path: Path) -> WarehouseError | None:
    """A one-line ``WarehouseError`` for a DuckDB error caused by a full disk, else None.

    DuckDB reports a full disk during a checkpoint as a ``FatalException`` with its own stack;
    the user can act on it (free space), so it is said in one line like other user errors.
    """

    if not any(marker in str(exc) for marker in _DISK_FULL):
        return None
    return WarehouseError(f"the disk holding {path} is full (DuckDB: {type(exc).__name__}); free some space "
                          "and run again (the previous database state is intact)")


# --------------------------------------------------------------------------- migrations


def checksum(text: str) -> str:
    """Checksum of a migration's text; line endings folded so a checkout's CRLF is no edit."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return checksum(self.text)


def migrations() -> list[Migration]:
    out = []
    for f in sql_files("migrations"):
        m = _MIGRATION_NAME.match(f.name)
        if not m:
            raise MigrationError(f"migration file {f.name!r} is not named NNNN_name.sql; rename it")
        if re.search(r"^\s*(BEGIN|COMMIT|ROLLBACK)\b", f.text, re.IGNORECASE | re.MULTILINE):
            raise MigrationError(f"migration {f.name} has its own BEGIN/COMMIT; remove them "
                                 "(each migration already runs in one transaction)")
        out.append(Migration(int(m.group(1)), f.name, f.text))
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number: {sorted(f.name for f in out)}")
    return out


_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE schema_migrations IS 'Schema migrations applied to this database, with the checksum of each file as applied.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number (NNNN of warehouse/sql/migrations/NNNN_name.sql).';
COMMENT ON COLUMN schema_migrations.name IS 'Migration file name.';
COMMENT ON COLUMN schema_migrations.checksum IS 'sha256 of the file text when it was applied; an edited applied migration is refused.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied (UTC).';
"""


def migrate(db: "Path | str | duckdb.DuckDBPyConnection") -> list[str]:
    """Apply pending migrations (each in a transaction) and re-create all views.

    ``db`` is an open connection, or the path of the working database (then the write lock is
    taken, re-entrant, and the database is checkpointed and closed afterwards).

    Returns the names of the migrations applied now. Raises ``MigrationError`` when an applied
    migration was edited, when the database knows a migration this code does not (a newer
    blogscope wrote it), or when a migration fails (that migration is rolled back).
    """
    import duckdb

    if isinstance(db, duckdb.DuckDBPyConnection):
        return _migrate(db)
    from warehouse.lock import writer_lock

    path = Path(db)
    with writer_lock(path.parent):
        conn = connect_writer(path, migrate_schema=False)
        try:
            done = _migrate(conn)
            conn.execute("CHECKPOINT")
            return done
        except duckdb.Error as exc:
            raise disk_full_error(exc, path) or exc  # noqa: B904 - exc itself, or the one-line full-disk error
        finally:
            conn.close()


def _migrate(conn: "duckdb.DuckDBPyConnection") -> list[str]:
    """Migrations and views on an open connection (see ``migrate``)."""
    conn.execute("BEGIN")
    conn.execute(_BOOTSTRAP)
    conn.execute("COMMIT")
    applied = {v: (n, c) for v, n, c in conn.execute(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version").fetchall()}
    known = {m.version: m for m in migrations()}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        names = ", ".join(applied[v][0] for v in unknown)
        raise MigrationError(f"the database has migrations this blogscope does not know ({names}): "
                             "it was written by a newer version; upgrade blogscope")
    for version, (name, digest) in applied.items():
        m = known[version]
        if m.checksum != digest:
            raise MigrationError(
                f"migration {m.name} was edited after it was applied to this database "
                f"(checksum {digest[:12]} when applied as {name}, {m.checksum[:12]} now). "
                "Never edit an applied migration: restore the file and put the change in a new "
                "NNNN_name.sql migration")
    done = []
    for version in sorted(set(known) - set(applied)):
        m = known[version]
        log.info("applying migration %s", m.name)
        conn.execute("BEGIN")
        try:
            conn.execute(m.text)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, now()::TIMESTAMP)",
                         [m.version, m.name, m.checksum])
            conn.execute("COMMIT")
        except Exception as exc:
            conn.execute("ROLLBACK")
            raise MigrationError(f"migration {m.name} failed and was rolled back: {exc}") from exc
        done.append(m.name)
    recreate_views(conn)
    return done


@dataclass(frozen=True)
class ViewHeader:
    """The documentation comment that opens every view file."""

    answers: str
    grain: str
    columns: dict[str, str]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_header(sql: str) -> ViewHeader:
    """Parse the header: ``-- Answers: ...``, ``-- Grain: ...``, ``-- Columns:`` then ``--   name: text``.

    Continuation lines (indented further) join the entry above. The column descriptions become
    ``COMMENT ON COLUMN`` of the view, so the header is the one place a column is documented.
    """
    sections: dict[str, str] = {}
    columns: dict[str, str] = {}
    current: str | None = None
    column: str | None = None
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:]
        m = re.match(r"^ (Answers|Grain|Columns):\s*(.*)$", body)
        if m:
            current, column = m.group(1).lower(), None
            sections[current] = m.group(2).strip()
            continue
        if current == "columns":
            cm = re.match(r"^   ([a-z_][a-z0-9_]*): (.+)$", body)
            if cm:
                column = cm.group(1)
                columns[column] = cm.group(2).strip()
            elif column and body.strip():
                columns[column] += " " + body.strip()
        elif current and body.strip():
            sections[current] += " " + body.strip()
    return ViewHeader(sections.get("answers", ""), sections.get("grain", ""), columns)


def views() -> list[SqlFile]:
    out = []
    for f in sql_files("views"):
        if not _VIEW_NAME.match(f.name):
            raise MigrationError(f"view file {f.name!r} is not named v_name.sql; rename it")
        out.append(f)
    return out


def _in_dependency_order(files: list[SqlFile]) -> list[SqlFile]:
    """Views that use other views come after them (found by name in the SQL text)."""
    by_name = {f.name[:-4]: f for f in files}
    uses = {name: {other for other in by_name if other != name
                   and re.search(rf"\b{other}\b", _strip_comments(f.text))}
            for name, f in by_name.items()}
    ordered: list[SqlFile] = []
    done: set[str] = set()
    while len(done) < len(by_name):
        ready = sorted(n for n in by_name if n not in done and uses[n] <= done)
        if not ready:
            cycle = sorted(n for n in by_name if n not in done)
            raise MigrationError(f"views use each other in a cycle: {cycle}")
        for name in ready:
            ordered.append(by_name[name])
            done.add(name)
    return ordered


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def recreate_views(conn: "duckdb.DuckDBPyConnection") -> None:
    """Drop every ``v_*`` view and create them from the files, in one transaction.

    Views may use other views: they are created in dependency order. A view that cannot be
    created rolls the whole set back and names the file.
    """
    files = _in_dependency_order(views())
    conn.execute("BEGIN")
    try:
        existing = [r[0] for r in conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
            "AND view_name LIKE 'v\\_%' ESCAPE '\\'").fetchall()]
        for name in existing:
            conn.execute(f'DROP VIEW IF EXISTS "{name}"')
        for f in files:
            try:
                conn.execute(f.text)
                for column, text in view_header(f.text).columns.items():
                    conn.execute(f'COMMENT ON COLUMN "{f.name[:-4]}"."{column}" IS ' + _sql_string(text))
            except Exception as exc:
                raise MigrationError(f"view {f.name} cannot be created: {exc}") from exc
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
