"""Reading crawl output and writing stage output files.

Stage outputs are Parquet files built column by column (turning Python tuples into a table costs
~2 s per million rows; columns are cheap), written to a temp name and renamed, so a killed
process never leaves a half file that a loader would trust.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _arrow_type(hint: Any):  # pyarrow types
    import pyarrow as pa

    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return _arrow_type(args[0])
    if origin in (tuple, list):
        return pa.list_(_arrow_type(args[0]))
    return {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}.get(hint, pa.string())


def arrow_schema(cls: type):
    import pyarrow as pa

    hints = typing.get_type_hints(cls)
    return pa.schema([(f.name, _arrow_type(hints[f.name])) for f in dataclasses.fields(cls)])


def write_records(path: Path, records: Iterable[Any], cls: type) -> int:
    """Write dataclass records of ``cls`` as Parquet atomically; returns the row count."""
    columns: dict[str, list[Any]] = {f.name: [] for f in dataclasses.fields(cls)}
    n = 0
    for record in records:
        for name, values in columns.items():
            value = getattr(record, name)
            values.append(list(value) if isinstance(value, tuple) else value)
        n += 1
    return write_columns(path, columns, arrow_schema(cls))


def write_rows(path: Path, rows: list[dict[str, Any]], schema=None) -> int:
    """Write plain dict rows (all with the same keys) as Parquet atomically."""
    import pyarrow as pa

    if not rows and schema is None:
        return 0
    names = list(schema.names) if schema is not None else list(rows[0])
    columns = {name: [row.get(name) for row in rows] for name in names}
    if schema is None:
        table = pa.table(columns)
        return _write_table(path, table)
    return write_columns(path, columns, schema)


def write_columns(path: Path, columns: dict[str, list[Any]], schema) -> int:
    import pyarrow as pa

    table = pa.table({name: pa.array(columns[name], type=schema.field(name).type) for name in schema.names})
    return _write_table(path, table)


def _write_table(path: Path, table) -> int:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return table.num_rows


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """JSON lines, tolerating a torn last line (a crawl killed mid-write)."""
    if not path.exists():
        return
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s:%d: skipping a torn or invalid line", path, lineno)
