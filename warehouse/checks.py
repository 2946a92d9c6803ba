"""Integrity checks: ``warehouse/sql/checks/*.sql``, each a query that must return zero rows.

They run inside every load's transaction before the commit (a failure rolls the load back) and
can be run on any database with ``run_checks``. Each file starts with a comment saying what a
returned row means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.db import sql_files

if TYPE_CHECKING:
    import duckdb

SAMPLE_ROWS = 20


def checks() -> dict[str, str]:
    """Check name (file stem) -> SQL."""
    return {f.name[:-4]: f.text for f in sql_files("checks")}


def run_checks(conn: "duckdb.DuckDBPyConnection") -> dict[str, list[tuple]]:
    """Failed checks only: name -> up to ``SAMPLE_ROWS`` offending rows."""
    failures = {}
    for name, sql in checks().items():
        rows = conn.execute(f"SELECT * FROM ({sql.rstrip().rstrip(';')}) LIMIT {SAMPLE_ROWS}").fetchall()
        if rows:
            failures[name] = rows
    return failures
