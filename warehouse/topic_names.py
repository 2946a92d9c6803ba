"""Editors' topic names ([topics.names]) into the working database, so v_current_topics.topic_name has them.

The config is the source: before each publish the table ``topic_names`` is replaced by its names
(a name removed from the config disappears from the database too). Keyed by the stable topic id
alignment keeps across refits, so a name stays on its topic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path


def sync_topic_names(working_db: Path | str, names: Mapping[int, str]) -> int:
    """Replace ``topic_names`` in the working database by ``names``; returns how many are set."""
    from warehouse.db import connect_writer
    from warehouse.lock import writer_lock

    path = Path(working_db)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with writer_lock(path.parent):
        conn = connect_writer(path)
        try:
            stored = dict(conn.execute("SELECT topic_id, name FROM topic_names").fetchall())
            if stored == {int(k): str(v) for k, v in names.items()}:
                return len(names)  # nothing changed: no write, no checkpoint
            conn.execute("BEGIN")
            conn.execute("DELETE FROM topic_names")
            if names:
                conn.executemany("INSERT INTO topic_names (topic_id, name, updated_at) VALUES (?, ?, ?)",
                                 [[int(k), str(v), now] for k, v in sorted(names.items())])
            conn.execute("COMMIT")
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
    return len(names)
