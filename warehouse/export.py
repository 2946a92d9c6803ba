"""Exports of tables and views for sharing: pseudonyms only, personal data in comment text redacted.

* Commenters appear only as keyed-hash pseudonyms: the export refuses to run if the comments
  table has a raw-name column or a value that is not a pseudonym (the same rule as the
  integrity check ``comments_raw_author_names``).
* Free text that commenters wrote (``comments.text``, ``quarantine.detail``, any ``text`` column
  of a view) passes through ``warehouse.redact`` (e-mails, phone numbers, URL paths, handles).
* File names come from validated table names and are checked to stay inside the output folder
  (no ``../``, no absolute paths, no following a planted symlink out of it).

Files are written to a temp name in the output folder and renamed, so a failed export leaves no
half file under the final name.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

DEFAULT_TABLES = ("sites", "runs", "posts", "post_versions", "post_aliases", "comments", "sentiment",
                  "model_runs", "topics", "doc_topics", "topic_alignment", "quarantine")
# Columns holding text written by commenters or carrying URLs of theirs: redacted on export.
REDACTED_COLUMNS = {"comments": ("text",), "quarantine": ("detail",)}
REDACTED_VIEW_COLUMNS = ("text", "comment_text", "snippet")
RAW_NAME_COLUMNS = {"author", "author_name", "author_email", "author_url", "email", "name", "commenter"}
FORMATS = {"parquet": "parquet", "csv": "csv"}


class ExportError(WarehouseError):
    """The export was refused or failed; the message says why."""


def safe_filename(name: str, *, default: str = "file", max_len: int = 120) -> str:
    """A file name safe to create in a folder: no separators, no ``..``, no hidden or empty name.

    Use it for anything derived from data (titles, URLs, ids) before it becomes a path.
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"[^\w.-]+", "-", text).strip(".-_")  # letters of any script stay; separators go
    text = re.sub(r"\.{2,}", ".", text)[:max_len].strip(".-_")
    return text or default


def path_inside(folder: Path | str, name: str) -> Path:
    """``folder/safe_filename(name)``, guaranteed to be a direct child of ``folder``."""
    folder = Path(folder).resolve()
    path = folder / safe_filename(name)
    if path.parent != folder or path.name in ("", ".", ".."):
        raise ExportError(f"refusing to write {name!r} outside {folder}")
    return path


def _relations(conn) -> dict[str, str]:  # a DuckDB connection
    rows = conn.execute("""
        SELECT table_name, 'table' FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal
        UNION ALL
        SELECT view_name, 'view' FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal""").fetchall()
    return {name: kind for name, kind in rows}


def _check_pseudonyms(conn) -> None:
    from warehouse.checks import checks

    columns = {r[0] for r in conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'comments' AND schema_name = 'main'").fetchall()}
    raw = sorted(columns & RAW_NAME_COLUMNS)
    if raw:
        raise ExportError(f"comments has raw-name column(s) {raw}: refusing to export; only pseudonyms may leave")
    bad = conn.execute(f"SELECT count(*) FROM ({checks()['comments_raw_author_names']})").fetchone()[0]
    if bad:
        raise ExportError(f"{bad} comment(s) carry an author value that is not a pseudonym: refusing to export. "
                          "Re-process the run so authors are pseudonymised")


def _output_folder(out_dir: Path | str) -> Path:
    """The export folder, created when missing; one-line ``ExportError`` when it cannot be one."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} is a file, not a folder: give a folder for the exported files")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out}: {exc.strerror or exc}") from exc
    return out


def export(published_db: Path | str, out_dir: Path | str, fmt: str = "parquet",
           tables: Iterable[str] | None = None, *, redact: bool = True, raw_cells: bool = False) -> list[Path]:
    """Write each table or view to ``out_dir/NAME.parquet`` (or ``.csv``); returns the files.

    CSV text cells that a spreadsheet would run as a formula get a leading ``'``, as in the
    report's CSVs, unless ``raw_cells`` (for tools that read the CSV as data, not as a sheet).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from warehouse.query import connect_readonly
    from warehouse.redact import redact_array

    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {sorted(FORMATS)}, not {fmt!r}")
    out = _output_folder(out_dir)
    conn = connect_readonly(published_db, memory_limit="2GB")
    written: list[Path] = []
    try:
        relations = _relations(conn)
        names = list(tables) if tables else [t for t in DEFAULT_TABLES if t in relations]
        unknown = [n for n in names if n not in relations or not re.fullmatch(r"[a-z_][a-z0-9_]*", n)]
        if unknown:
            known = ", ".join(sorted(n for n in relations if not n.startswith("fts_")))
            raise ExportError(f"no such table or view: {', '.join(map(repr, unknown))}. Known: {known}")
        _check_pseudonyms(conn)
        for name in names:
            target = path_inside(out, f"{name}.{FORMATS[fmt]}")
            cols = [r[0] for r in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
                "ORDER BY column_index", [name]).fetchall()]
            to_redact = set(REDACTED_COLUMNS.get(name, ())) if relations[name] == "table" else \
                {c for c in cols if c in REDACTED_VIEW_COLUMNS}
            reader = conn.execute(f'SELECT * FROM "{name}"').to_arrow_reader(64_000)
            tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
            rows = 0
            try:
                writer = None
                for batch in reader:
                    if redact and to_redact:
                        arrays = [redact_array(batch.column(i)) if batch.schema.field(i).name in to_redact
                                  and pa.types.is_string(batch.schema.field(i).type) else batch.column(i)
                                  for i in range(batch.num_columns)]
                        batch = pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
                    if writer is None:
                        writer = (pq.ParquetWriter(tmp, batch.schema, compression="zstd") if fmt == "parquet"
                                  else pacsv.CSVWriter(str(tmp), _csv_schema(batch.schema)))
                    if fmt == "csv":
                        batch = _csv_batch(batch, neutralise=not raw_cells)
                    writer.write_batch(batch)
                    rows += batch.num_rows
                if writer is None:  # empty relation: still write a file with the header / schema
                    schema = reader.schema
                    writer = (pq.ParquetWriter(tmp, schema) if fmt == "parquet"
                              else pacsv.CSVWriter(str(tmp), _csv_schema(schema)))
                writer.close()
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            log.info("exported %s: %d rows -> %s", name, rows, target)
            written.append(target)
    finally:
        conn.close()
    return written


def _csv_schema(schema):  # CSV has no lists: they are written as JSON text
    import pyarrow as pa

    return pa.schema([pa.field(f.name, pa.string()) if _is_nested(f.type) else f for f in schema])


def _is_nested(t) -> bool:
    import pyarrow as pa

    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_struct(t) or pa.types.is_map(t)


def _csv_batch(batch, *, neutralise: bool = True):
    import json

    import pyarrow as pa

    from warehouse.report.links import neutralise_formula

    arrays = []
    for i, f in enumerate(batch.schema):
        col = batch.column(i)
        if _is_nested(f.type):
            col = pa.array([None if v is None else json.dumps(v, default=str) for v in col.to_pylist()], pa.string())
        if neutralise and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            col = pa.array([None if v is None else neutralise_formula(v) for v in col.to_pylist()], col.type)
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, schema=_csv_schema(batch.schema))
