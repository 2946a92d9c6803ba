"""The DuckLake warehouse backend: catalog in PostgreSQL, Parquet data files on shared storage.

The single DuckDB file (``HOME/work/warehouse.duckdb`` + its published copy) stays the default
on one machine. With ``[warehouse] catalog = "postgresql://..."`` and ``data_path = "..."`` in
``blogscope.toml`` (or ``BLOGSCOPE_WAREHOUSE_CATALOG`` / ``BLOGSCOPE_WAREHOUSE_DATA_PATH``) the
same schema, views and SQL files run on a DuckLake instead, so several workers load at once and
analysts read consistent snapshots while they do.

One set of SQL serves both. DuckLake lacks some of what the single file has; the differences are
translated HERE, in one place, by ``LakeConnection`` (a thin wrapper over a DuckDB connection
that the loader, the migrations and the readers use unchanged):

* constraints: DuckLake supports NOT NULL only. ``translate_ddl`` strips ``PRIMARY KEY``,
  ``UNIQUE`` and ``CHECK`` from ``CREATE TABLE``. Keys are still guarded: the integrity check
  ``sql/checks/duplicate_keys.sql`` runs before every load's commit on both backends.
* upserts: ``INSERT ... ON CONFLICT`` needs a primary key. ``on_conflict_to_merge`` rewrites it
  to ``MERGE INTO ... USING (source) AS excluded ON (keys)``, keyed on the conflict columns (or,
  for a bare ``ON CONFLICT DO NOTHING``, on the table's primary key as the migrations declare it).
  ``excluded.col`` and ``table.col`` keep their meaning, so the update clauses are shared text.
* view column comments: DuckLake refuses ``COMMENT ON COLUMN`` of a view (tables are fine); they
  are skipped, the view files' headers document the columns.
* ``CHECKPOINT``: on DuckLake it would merge and rewrite data files (maintenance that conflicts
  with concurrent loads); it is a no-op here. Run ``CALL ducklake_merge_adjacent_files(...)`` /
  ``ducklake_expire_snapshots`` as scheduled maintenance instead.
* full-text indexes: the fts extension creates macros, which DuckLake cannot store; a DuckLake
  load does not build them (``blogscope search`` needs the single-file warehouse).

Concurrency: DuckLake commits optimistically and retries a commit whose changes do not conflict
with the snapshots committed meanwhile; two inserts into one table never conflict, so two loads
of the same rows could both insert them. Every load therefore also rewrites the one row of
``lake_state`` (a DuckLake-only table): two loads at once always conflict on it, the loser
gets a conflict error and ``load_run`` runs it again on the new snapshot, where its MERGE finds
the winner's rows. Loads land exactly once; readers see whole snapshots.

Extensions come from the ``duckdb-extension-ducklake`` and ``duckdb-extension-postgres-scanner``
pip packages and are LOADed by path: DuckDB never downloads anything (see ``warehouse.db``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.errors import WarehouseError

if TYPE_CHECKING:
    import duckdb

    from pipeline.settings import Settings

# The name the lake is attached under (and USEd), in blogscope and in the analysts' one-liner.
LAKE_ALIAS = "blogscope"


@dataclass(frozen=True)
class LakeTarget:
    """Where a DuckLake warehouse lives: its PostgreSQL catalog and its data files."""

    catalog: str  # postgresql://user@host:port/database (libpq URI or key=value string)
    data_path: str  # folder (NFS) or s3://bucket/prefix/

    def describe(self) -> str:
        return f"DuckLake (catalog {redact_password(self.catalog)}, data {self.data_path})"


def redact_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def lake_target(settings: "Settings") -> LakeTarget | None:
    """The DuckLake of the settings, or None for the single DuckDB file (the default)."""
    catalog = settings.warehouse.catalog.strip()
    if not catalog:
        return None
    if not re.match(r"^(postgres|postgresql)://", catalog) and "dbname=" not in catalog:
        raise WarehouseError(f"[warehouse] catalog = {catalog!r} is not a PostgreSQL URL; give "
                             "postgresql://user@host:port/database, or leave it empty for the single DuckDB file")
    data_path = settings.warehouse.data_path.strip()
    if not data_path:
        raise WarehouseError("[warehouse] catalog is set but data_path is empty: give the shared folder "
                             "(or s3://bucket/prefix/) where DuckLake writes its Parquet files")
    if "://" not in data_path:
        data_path = str(Path(data_path).expanduser().resolve())
    return LakeTarget(catalog, data_path)


# --------------------------------------------------------------------------- extensions


def _pip_extension_path(module_name: str, extension: str) -> Path:
    import importlib

    import duckdb

    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise WarehouseError(f"the DuckLake backend needs the pip package {module_name.replace('_', '-')}"
                             f"=={duckdb.__version__}; install it (pip install -c constraints.txt -e .)") from exc
    base = Path(module.__file__).resolve().parent / "extensions"
    path = base / f"v{duckdb.__version__}" / f"{extension}.duckdb_extension"
    if not path.is_file():
        raise WarehouseError(f"no {extension} extension for DuckDB {duckdb.__version__} at {path}; install "
                             f"{module_name.replace('_', '-')}=={duckdb.__version__} to match duckdb")
    return path


_REMOTE = ("s3://", "s3a://", "gs://", "gcs://", "r2://", "https://", "http://")


def is_remote(data_path: str) -> bool:
    return data_path.startswith(_REMOTE)


def load_statements(target: LakeTarget | None = None, *, secrets: bool = True) -> list[str]:
    """``LOAD '/path/...'`` of the extensions shipped by their pip packages (httpfs for remote data)."""
    paths = [_pip_extension_path("duckdb_extension_postgres_scanner", "postgres_scanner"),
             _pip_extension_path("duckdb_extension_ducklake", "ducklake")]
    if target is not None and is_remote(target.data_path):
        paths.insert(0, _pip_extension_path("duckdb_extension_httpfs", "httpfs"))
    return ["LOAD " + _sql_string(str(p)) for p in paths] + (s3_secret_statements(target) if secrets else [])


def s3_secret_statements(target: LakeTarget | None, env: dict[str, str] | None = None) -> list[str]:
    """A temporary S3 secret from the usual AWS_* variables, for an s3:// data path (else nothing).

    Only the variable names travel in blogscope.toml's world: the keys come from the environment
    of each worker and never reach the catalog or the warehouse.
    """
    import os

    env = dict(os.environ if env is None else env)
    if target is None or not target.data_path.startswith(("s3://", "s3a://")) or "AWS_ACCESS_KEY_ID" not in env:
        return []
    fields = [("KEY_ID", env["AWS_ACCESS_KEY_ID"]), ("SECRET", env.get("AWS_SECRET_ACCESS_KEY", ""))]
    if env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"):
        fields.append(("REGION", env.get("AWS_REGION") or env["AWS_DEFAULT_REGION"]))
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:  # S3-compatible storage (MinIO, Ceph, ...): host[:port] and scheme, path-style URLs
        fields.append(("ENDPOINT", re.sub(r"^https?://", "", endpoint).rstrip("/")))
        fields.append(("URL_STYLE", "path"))
        if endpoint.startswith("http://"):
            fields.append(("USE_SSL", "false"))
    body = ", ".join(f"{k} {v if v == 'false' else _sql_string(v)}" for k, v in fields)
    return [f"CREATE OR REPLACE TEMPORARY SECRET blogscope_lake_s3 (TYPE s3, {body})"]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attach_statements(target: LakeTarget, *, read_only: bool = False, secrets: bool = True) -> list[str]:
    """Statements that load the extensions, attach the lake as ``blogscope`` and USE it.

    ``secrets=False`` leaves out the S3 secret: for a command line (shell history, ``ps``), where
    the analyst's own DuckDB secret configuration supplies the keys instead.
    """
    # The catalog remembers its data path: a reader need not (and must not wrongly) name it.
    options = ["READ_ONLY"] if read_only else [f"DATA_PATH {_sql_string(target.data_path)}"]
    return load_statements(target, secrets=secrets) + [
        f"ATTACH {_sql_string('ducklake:postgres:' + target.catalog)} AS {LAKE_ALIAS} ({', '.join(options)})",
        f"USE {LAKE_ALIAS}",
    ]


def analyst_command(target: LakeTarget, duckdb_cli: str = "duckdb") -> str:
    """The one-liner an analyst runs to open the lake in the stock ``duckdb`` shell (offline, read-only)."""
    script = "; ".join(attach_statements(target, read_only=True, secrets=False)) + ";"
    if not re.search(r'["$`\\]', script):
        return f'{duckdb_cli} -cmd "{script}"'
    return f"{duckdb_cli} -cmd {shlex.quote(script)}"


# --------------------------------------------------------------------------- SQL translation


def _matching_paren(text: str, start: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``start`` (quotes respected)."""
    depth, i, quote = 0, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced parentheses in: {text[start:start + 80]!r}")


def translate_ddl(sql: str) -> str:
    """``CREATE TABLE`` text without what DuckLake refuses: constraints (PRIMARY KEY, UNIQUE, CHECK),
    and fixed-size arrays (``FLOAT[384]`` becomes the list ``FLOAT[]``: same values, length unchecked)."""
    out = re.sub(r"\b(FLOAT|DOUBLE|INTEGER|BIGINT|VARCHAR)\[\d+\]", r"\1[]", sql, flags=re.IGNORECASE)
    out = re.sub(r",\s*(PRIMARY KEY|UNIQUE)\s*\([^)]*\)", "", out, flags=re.IGNORECASE)
    out = re.sub(r"\s+(PRIMARY KEY|UNIQUE)\b(?!\s*\()", "", out, flags=re.IGNORECASE)
    while True:
        m = re.search(r"\s+CHECK\s*\(", out, flags=re.IGNORECASE)
        if not m:
            return out
        end = _matching_paren(out, m.end() - 1)
        out = out[:m.start()] + out[end + 1:]


def primary_keys(ddl_texts: list[str]) -> dict[str, tuple[str, ...]]:
    """Table -> primary key columns, as declared by ``CREATE TABLE`` statements."""
    keys: dict[str, tuple[str, ...]] = {}
    for text in ddl_texts:
        for m in re.finditer(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)\s*\(", text, flags=re.IGNORECASE):
            body = text[m.end():_matching_paren(text, m.end() - 1)]
            table_level = re.search(r"PRIMARY KEY\s*\(([^)]*)\)", body, flags=re.IGNORECASE)
            if table_level:
                keys[m.group(1)] = tuple(c.strip() for c in table_level.group(1).split(","))
                continue
            column = re.search(r"^\s*(\w+)\s+[^,\n]*\bPRIMARY KEY\b", body, flags=re.IGNORECASE | re.MULTILINE)
            if column:
                keys[m.group(1)] = (column.group(1),)
    return keys


_UPSERT = re.compile(
    r"^\s*INSERT INTO\s+(?P<table>\w+)\s*(?:\((?P<cols>[^)]*)\))?\s*(?P<source>.*?)\s+"
    r"ON CONFLICT\s*(?:\((?P<keys>[^)]*)\))?\s*DO\s+(?P<action>NOTHING|UPDATE SET\s+(?P<sets>.*?))\s*;?\s*$",
    re.IGNORECASE | re.DOTALL)


def _split_where(sets: str) -> tuple[str, str | None]:
    """``a = 1, b = 2 WHERE cond`` -> (sets, cond); WHERE inside parentheses is not the split."""
    depth = 0
    for m in re.finditer(r"[()]|\bWHERE\b", sets, flags=re.IGNORECASE):
        token = m.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            return sets[:m.start()].strip(), sets[m.end():].strip()
    return sets.strip(), None


def on_conflict_to_merge(sql: str, table_keys: dict[str, tuple[str, ...]],
                         table_columns: dict[str, list[str]]) -> str:
    """Rewrite ``INSERT INTO t (cols) <source> ON CONFLICT (keys) DO ...`` as ``MERGE INTO``.

    ``table_columns`` supplies the column list of an INSERT that names none.
    """
    m = _UPSERT.match(sql)
    if not m:
        raise WarehouseError(f"cannot translate this upsert for DuckLake (not INSERT ... ON CONFLICT): {sql[:120]!r}")
    table = m.group("table")
    cols = [c.strip() for c in m.group("cols").split(",")] if m.group("cols") else list(table_columns[table])
    keys = ([k.strip() for k in m.group("keys").split(",")] if m.group("keys") else list(table_keys.get(table, ())))
    if not keys:
        raise WarehouseError(f"cannot translate an upsert into {table} for DuckLake: no conflict key is named "
                             "and the migrations declare no primary key for it")
    source = m.group("source").strip()
    if not re.match(r"^(SELECT|WITH|VALUES|FROM|\()", source, flags=re.IGNORECASE):
        raise WarehouseError(f"cannot translate this upsert for DuckLake (unknown source): {source[:80]!r}")
    aliases = ", ".join(cols)
    using = f"SELECT * FROM ({source}) AS _source({aliases})"
    if m.group("action").upper() == "NOTHING":
        # Like ON CONFLICT DO NOTHING, a key repeated in the source lands once.
        using += f" QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)}) = 1"
    on = " AND ".join(f"{table}.{k} = excluded.{k}" for k in keys)
    merge = f"MERGE INTO {table} USING ({using}) AS excluded ON ({on})"
    if m.group("action").upper() != "NOTHING":
        sets, where = _split_where(m.group("sets"))
        merge += f" WHEN MATCHED{f' AND ({where})' if where else ''} THEN UPDATE SET {sets}"
    values = ", ".join(f"excluded.{c}" for c in cols)
    return merge + f" WHEN NOT MATCHED THEN INSERT ({aliases}) VALUES ({values})"


# --------------------------------------------------------------------------- connection


_LAKE_STATE = """
CREATE TABLE IF NOT EXISTS lake_state (writes BIGINT NOT NULL, last_run_id VARCHAR, written_at TIMESTAMP,
                                       views_digest VARCHAR);
COMMENT ON TABLE lake_state IS 'DuckLake only: one row every load rewrites, so two loads at once conflict '
    'and the later retries on the new snapshot (no row lands twice); views_digest says which view files the '
    'views were made from.';
"""


def views_digest() -> str:
    from warehouse.db import checksum, views

    return checksum("\n".join(f.name + "\n" + f.text for f in views()))


class LakeConnection:
    """A DuckDB connection with the lake attached; ``execute`` translates the SQL DuckLake lacks.

    Everything else is the wrapped ``duckdb.DuckDBPyConnection``'s.
    """

    is_lake = True

    def __init__(self, conn: "duckdb.DuckDBPyConnection", target: LakeTarget) -> None:
        self._conn = conn
        self.target = target
        self._keys: dict[str, tuple[str, ...]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    @property
    def raw(self) -> "duckdb.DuckDBPyConnection":
        return self._conn

    # ``with connect(...) as conn`` as with a plain DuckDB connection (dunders bypass __getattr__).
    def __enter__(self) -> "LakeConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

    def table_keys(self) -> dict[str, tuple[str, ...]]:
        if self._keys is None:
            from warehouse.db import _BOOTSTRAP, migrations

            self._keys = primary_keys([_BOOTSTRAP] + [m.text for m in migrations()])
        return self._keys

    def _columns(self, table: str) -> list[str]:
        return [r[0] for r in self._conn.execute(f"DESCRIBE {table}").fetchall()]

    def translate(self, sql: str) -> str | None:
        """The statement DuckLake runs for ``sql``; None to skip it."""
        head = sql.lstrip()[:40].upper()
        if re.fullmatch(r"\s*CHECKPOINT\s*;?\s*", sql, flags=re.IGNORECASE):
            return None
        if head.startswith('COMMENT ON COLUMN "V_') or head.startswith("COMMENT ON COLUMN V_"):
            return None
        if re.search(r"\bON CONFLICT\b", sql, flags=re.IGNORECASE):
            table = re.match(r"\s*INSERT INTO\s+(\w+)", sql, flags=re.IGNORECASE)
            columns = {table.group(1): self._columns(table.group(1))} if table else {}
            return on_conflict_to_merge(sql, self.table_keys(), columns)
        if re.search(r"\bCREATE TABLE\b", sql, flags=re.IGNORECASE) and not re.search(
                r"\bCREATE (OR REPLACE )?TEMP", sql, flags=re.IGNORECASE):
            return translate_ddl(sql)
        return sql

    def execute(self, sql: str, parameters: Any = None) -> Any:
        translated = self.translate(sql)
        if translated is None:
            return self
        if parameters is None:
            return self._conn.execute(translated)
        return self._conn.execute(translated, parameters)

    def mark_write(self, run_id: str) -> None:
        """Rewrite the token row inside the current transaction (see the module docstring)."""
        self._conn.execute("UPDATE lake_state SET writes = writes + 1, last_run_id = $run_id, "
                           "written_at = CAST(now() AS TIMESTAMP)", {"run_id": run_id})

    def close(self) -> None:
        self._conn.close()


def connect_lake(target: LakeTarget, *, migrate_schema: bool = True, read_only: bool = False) -> LakeConnection:
    """A connection with the lake attached and in use; migrated (schema and views) unless told not to."""
    import duckdb

    from warehouse.db import BASE_CONFIG

    if not is_remote(target.data_path) and not read_only:
        Path(target.data_path).mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(":memory:", config=dict(BASE_CONFIG))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for statement in attach_statements(target, read_only=read_only):
            conn.execute(statement)
    except duckdb.Error as exc:
        conn.close()
        why = " ".join(str(exc).split())  # libpq's message spans lines; the user gets one
        raise WarehouseError(f"cannot open the DuckLake warehouse {target.describe()}: {why}. Check that PostgreSQL "
                             "is running and the URL in [warehouse] catalog is right") from exc
    lake = LakeConnection(conn, target)
    if migrate_schema and not read_only:
        try:
            migrate_lake(lake)
        except BaseException:
            conn.close()
            raise
    return lake


def _up_to_date(lake: LakeConnection) -> bool:
    """Every migration applied (same checksums) and the views made from the current files?"""
    from warehouse.db import migrations

    import duckdb

    try:
        applied = dict(lake.raw.execute("SELECT version, checksum FROM schema_migrations").fetchall())
        state = lake.raw.execute("SELECT views_digest FROM lake_state").fetchall()
    except duckdb.CatalogException:
        return False
    return applied == {m.version: m.checksum for m in migrations()} and state == [(views_digest(),)]


def migrate_lake(lake: LakeConnection, *, attempts: int = 5) -> bool:
    """Migrate the lake's schema and views when they are not current; True when something changed.

    Re-creating the views on every connection (as the single file does) would commit a snapshot
    per connection (3.8 s here) and conflict with other workers' loads, so it happens only when
    a migration or a view file changed. Two workers migrating at once conflict; the loser retries.
    """
    import time

    import duckdb

    from warehouse.db import _migrate

    for attempt in range(attempts):
        if _up_to_date(lake):
            return False
        try:
            _migrate(lake)  # type: ignore[arg-type]  # duck-typed: execute() is all it uses
            lake.execute("BEGIN")
            lake.execute(_LAKE_STATE)
            if lake.execute("SELECT count(*) FROM lake_state").fetchone()[0] == 0:
                lake.execute("INSERT INTO lake_state VALUES (0, NULL, NULL, NULL)")
            lake.execute("UPDATE lake_state SET views_digest = $d", {"d": views_digest()})
            lake.execute("COMMIT")
            return True
        except (duckdb.Error, WarehouseError) as exc:
            try:
                lake.raw.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if attempt + 1 == attempts or not is_conflict(exc):
                raise
            time.sleep(0.2 * (attempt + 1))
    return False


def is_conflict(exc: BaseException) -> bool:
    """Did a DuckLake commit fail because another transaction changed the same data meanwhile?"""
    text = str(exc).lower()
    return "conflict" in text or "duplicate key value violates unique constraint" in text


__all__ = ["LAKE_ALIAS", "LakeConnection", "LakeTarget", "analyst_command", "attach_statements", "connect_lake",
           "is_conflict", "lake_target", "on_conflict_to_merge", "translate_ddl"]
