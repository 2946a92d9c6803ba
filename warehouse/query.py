"""Safe SQL for analysts on the published database (``blogscope query``).

Defence in depth:

1. a parse-level gate: one statement, of type SELECT or EXPLAIN (DuckDB's own parser,
   ``duckdb.extract_statements``), starting with SELECT / WITH / FROM / VALUES / TABLE /
   DESCRIBE / SHOW / SUMMARIZE / EXPLAIN (PRAGMA parses as SELECT, so the first word counts), and
   no file-reading or secret functions, no ``FROM 'some/file'`` (token scan outside strings);
2. a locked-down connection: read-only, ``enable_external_access = false`` (no file or network
   access, no extension loading), extension auto-install/auto-load off, a memory limit, then
   ``lock_configuration = true`` so the query cannot undo any of it;
3. a time limit: a timer thread interrupts the query.

Parameters (e.g. a topic name) are always bound (``$name``), never interpolated.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from warehouse.db import BASE_CONFIG, load_fts, sql_text
from warehouse.errors import WarehouseError

if TYPE_CHECKING:
    from warehouse.lake import LakeTarget
    import duckdb

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MEMORY_LIMIT = "1GB"

ALLOWED_FIRST_WORDS = {"select", "with", "from", "values", "table", "describe", "desc", "show", "summarize",
                       "explain", "("}
# Functions that read files, the network or secrets, or run SQL from a string.
FORBIDDEN_NAMES = {
    "read_csv", "read_csv_auto", "sniff_csv", "read_parquet", "parquet_scan", "parquet_metadata",
    "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "parquet_bloom_probe",
    "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson",
    "read_ndjson_auto", "read_ndjson_objects", "read_text", "read_blob", "read_xlsx", "glob",
    "duckdb_secrets", "which_secret", "getenv", "query", "query_table", "iceberg_scan", "delta_scan",
    "sqlite_scan", "sqlite_attach", "postgres_scan", "postgres_attach", "mysql_scan", "read_ipc",
    "arrow_scan", "duckdb_extensions", "load_extension",
}


class QueryRefused(WarehouseError):
    """The query was refused or stopped; the message says why and what is allowed."""


class QueryTimeout(QueryRefused):
    """The query ran past its time limit and was interrupted."""


class QueryFailed(QueryRefused):
    """DuckDB could not run the query (syntax, unknown column, memory limit, ...)."""


class _Result(NamedTuple):
    columns: list[str]
    rows: list[tuple]


class QueryResult(_Result):
    """``columns, rows = query(...)``; ``.truncated`` is True when more than ``max_rows`` rows existed."""

    truncated: bool

    def __new__(cls, columns: list[str], rows: list[tuple], truncated: bool = False) -> "QueryResult":
        self = super().__new__(cls, columns, rows)
        self.truncated = truncated
        return self


def _tokens(sql: str) -> list[tuple[str, str]]:
    """(kind, text) of each token, comments dropped; text lower-cased except string constants."""
    import duckdb

    raw = duckdb.tokenize(sql)
    out = []
    for i, (pos, kind) in enumerate(raw):
        end = raw[i + 1][0] if i + 1 < len(raw) else len(sql)
        text = sql[pos:end].strip()
        name = kind.name if hasattr(kind, "name") else str(kind)
        if name == "comment":
            continue
        out.append((name, text if name == "string_const" else text.lower()))
    return out


def check_sql(sql: str) -> None:
    """Raise ``QueryRefused`` unless ``sql`` is one read-only statement without file access."""
    import duckdb

    if not sql or not sql.strip():
        raise QueryRefused("empty query: give one SELECT statement")
    if len(sql) > 100_000:
        raise QueryRefused("query longer than 100,000 characters")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryFailed(f"the query does not parse: {exc}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"one statement at a time, please ({len(statements)} given)")
    kind = statements[0].type.name
    if kind not in ("SELECT", "EXPLAIN"):
        raise QueryRefused(f"{kind} statements are not allowed: only SELECT, WITH, DESCRIBE, SHOW, "
                           "SUMMARIZE and EXPLAIN run here (the analysts' database is read-only)")
    tokens = _tokens(sql)
    first = tokens[0][1] if tokens else ""
    if first not in ALLOWED_FIRST_WORDS:
        raise QueryRefused(f"statements starting with {first.upper()!r} are not allowed: only SELECT, WITH, "
                           "DESCRIBE, SHOW, SUMMARIZE and EXPLAIN")
    for i, (kind_name, text) in enumerate(tokens):
        if kind_name == "string_const":
            prev = tokens[i - 1][1] if i else ""
            if prev in ("from", "join"):
                raise QueryRefused("reading files is not allowed (a quoted name after FROM/JOIN reads a file); "
                                   "query the tables and views (SHOW TABLES lists them)")
            continue
        name = text.strip('"')
        if kind_name in ("identifier", "keyword") and name in FORBIDDEN_NAMES:
            raise QueryRefused(f"{name}() is not allowed: it reads files, secrets or SQL text. Query the tables "
                               "and views (SHOW TABLES lists them)")


def connect_readonly(db: "Path | str | LakeTarget", *, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int = 2,
                     fts: bool = False) -> "duckdb.DuckDBPyConnection":
    """Read-only, no external access, configuration locked (``fts`` loads the search extension first)."""
    import duckdb

    from warehouse.lake import LakeTarget

    if isinstance(db, LakeTarget):
        return _connect_lake_readonly(db, memory_limit=memory_limit, threads=threads)
    db = Path(db)
    if not db.is_file():
        raise QueryRefused(f"no database at {db}; run a load first (blogscope run / blogscope demo)")
    config = dict(BASE_CONFIG)
    if not fts:  # the extension must be loaded before external access goes off
        config.update({"enable_external_access": False})
    try:
        conn = duckdb.connect(str(db), read_only=True, config=config)
    except duckdb.Error as exc:
        raise QueryRefused(f"cannot open {db} read-only: {exc}") from exc
    try:
        if fts:
            load_fts(conn)
            conn.execute("SET enable_external_access = false")
        conn.execute(f"SET memory_limit = '{memory_limit}'")
        conn.execute(f"SET threads = {int(threads)}")
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_lake_readonly(target: "LakeTarget", *, memory_limit: str, threads: int) -> Any:
    """The same locked-down reader on a DuckLake: the lake's latest snapshot, read-only.

    File access stays off except for the lake's own data files (``allowed_directories``), so a
    query can no more read other files here than on the single file. No fts: ``search`` needs
    the single-file warehouse.
    """
    import duckdb

    from warehouse.errors import WarehouseError
    from warehouse.lake import connect_lake, is_remote

    try:
        lake = connect_lake(target, read_only=True)
    except WarehouseError as exc:
        raise QueryRefused(str(exc)) from exc
    try:
        folder = target.data_path if is_remote(target.data_path) else target.data_path.rstrip("/") + "/"
        lake.execute("SET allowed_directories = ['" + folder.replace("'", "''") + "']")
        lake.execute("SET enable_external_access = false")
        lake.execute(f"SET memory_limit = '{memory_limit}'")
        lake.execute(f"SET threads = {int(threads)}")
        lake.execute("SET lock_configuration = true")
    except duckdb.Error:
        lake.close()
        raise
    return lake


def run_with_timeout(conn: "duckdb.DuckDBPyConnection", sql: str, params: Any, timeout_s: float,
                     max_rows: int | None) -> QueryResult:
    """Execute and fetch, interrupting from a timer thread after ``timeout_s``."""
    import duckdb

    timer = threading.Timer(timeout_s, conn.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cur = conn.execute(sql, params) if params else conn.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        if max_rows is None:
            rows = cur.fetchall()
            truncated = False
        else:
            rows = cur.fetchmany(max_rows + 1)
            truncated = len(rows) > max_rows
            rows = rows[:max_rows]
    except duckdb.InterruptException as exc:
        raise QueryTimeout(f"query stopped after the {timeout_s:g} s time limit; narrow it (WHERE, LIMIT, "
                           "fewer joins) or allow more time (--timeout)") from exc
    except duckdb.OutOfMemoryException as exc:
        raise QueryFailed(f"query needed more memory than the limit allows; narrow it: {exc}") from exc
    except duckdb.PermissionException as exc:
        raise QueryRefused(f"refused by the read-only, no-file-access connection: {exc}") from exc
    except duckdb.Error as exc:
        raise QueryFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        timer.cancel()
    return QueryResult(columns, rows, truncated)


def query(db: "Path | str | LakeTarget", sql: str, *, params: Sequence[Any] | Mapping[str, Any] | None = None,
          timeout_s: float = DEFAULT_TIMEOUT_S, max_rows: int | None = DEFAULT_MAX_ROWS,
          memory_limit: str = DEFAULT_MEMORY_LIMIT) -> QueryResult:
    """Run one read-only analyst query on the published database: ``(columns, rows[, truncated])``.

    ``params`` are bound (``?`` or ``$name``), never pasted into the SQL.
    """
    check_sql(sql)
    conn = connect_readonly(db, memory_limit=memory_limit)
    try:
        return run_with_timeout(conn, sql, params, timeout_s, max_rows)
    finally:
        conn.close()


def query_file(db: "Path | str | LakeTarget", name: str, params: Mapping[str, Any] | None = None, *,
               timeout_s: float = DEFAULT_TIMEOUT_S, max_rows: int | None = DEFAULT_MAX_ROWS) -> QueryResult:
    """Run a named query of ``warehouse/sql/queries/NAME.sql`` with bound ``$params``."""
    sql = sql_text("queries", name)
    # Named queries may use only some of the parameters callers pass.
    params = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    return query(db, sql, params=params or None, timeout_s=timeout_s, max_rows=max_rows)


# ------------------------------------------------------------------------------ output


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_result(result: QueryResult, fmt: str = "table", *, max_width: int = 80) -> str:
    """Text for the terminal: ``table`` (aligned), ``csv`` or ``json`` (one array of objects)."""
    columns, rows = result.columns, result.rows
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])
        return buf.getvalue()
    if fmt == "json":
        objects = [dict(zip(columns, row)) for row in rows]
        return "[\n" + ",\n".join(json.dumps(o, ensure_ascii=False, default=str) for o in objects) + "\n]\n"
    if fmt != "table":
        raise ValueError(f"format must be table, csv or json, not {fmt!r}")

    def clip(value: Any) -> str:
        text = _cell(value).replace("\n", " ").replace("\r", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[clip(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    footer += ", more were cut: add a LIMIT or use --format csv)" if result.truncated else ")"
    return "\n".join(lines + [footer]) + "\n"
