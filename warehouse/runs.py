"""The ``runs`` table: start, finish, and crashed runs.

A run row is written when a run starts (status ``running``, with the pid, host and process start
time of the process running it) and updated when it ends. A process killed with ``kill -9``
cannot write its end: the next run calls ``mark_stale_runs_crashed``, which marks ``crashed``
every running run whose process is gone (same host: the pid is dead, or reused by a process that
started later). Runs of other hosts are left alone unless older than ``max_age_s``.

Each function opens the working database under the write lock (re-entrant), writes, checkpoints
and closes; publishing is the caller's next step.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from warehouse.lock import DEFAULT_TIMEOUT_S, writer_lock

log = logging.getLogger(__name__)

STATUSES = ("running", "completed", "completed_with_errors", "failed", "crashed")
FINAL_STATUSES = STATUSES[1:]


def config_digest(config: dict[str, Any] | None) -> str | None:
    """sha256 (16 hex) of the canonical JSON of a run configuration."""
    if config is None:
        return None
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def code_version() -> str:
    """The installed blogscope version, plus the git commit of this checkout when there is one."""
    from importlib import metadata

    try:
        version = metadata.version("blogscope")
    except metadata.PackageNotFoundError:
        version = "unknown"
    head = Path(__file__).resolve().parent.parent / ".git" / "HEAD"
    try:
        ref = head.read_text(encoding="utf-8").strip()
        if ref.startswith("ref: "):
            ref_file = head.parent / ref[5:]
            ref = ref_file.read_text(encoding="utf-8").strip() if ref_file.exists() else ""
        if ref:
            version += f"+g{ref[:10]}"
    except OSError:
        pass
    return version


def process_start_time(pid: int) -> float | None:
    """Start time of a process in seconds since boot (Linux ``/proc``), None when gone/unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # Field 22 (starttime, clock ticks) follows the command name, which may hold spaces: split after ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Is a process with this pid alive (on this host)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


TRIGGERS = ("manual", "scheduled")


def record_run_start(db_path: Path | str, run_id: str, *, kind: str, config: dict[str, Any] | None = None,
                     code_version_text: str | None = None, lock_timeout_s: float = DEFAULT_TIMEOUT_S,
                     trigger: str = "manual") -> None:
    """Insert (or restart) the row of ``run_id`` as ``running`` by this process.

    ``trigger`` says what started it: ``manual`` or ``scheduled`` (a cron of ``blogscope schedule``).
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}, not {trigger!r}")
    from warehouse.db import connect_writer

    db_path = Path(db_path)
    pid = os.getpid()
    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        conn = connect_writer(db_path)
        try:
            conn.execute("""
                INSERT INTO runs (run_id, kind, started_at, status, config_digest, config, code_version,
                                  pid, host, process_started, trigger)
                VALUES ($run_id, $kind, CAST(now() AS TIMESTAMP), 'running', $digest, $config, $code,
                        $pid, $host, $pstart, $trigger)
                ON CONFLICT (run_id) DO UPDATE SET
                    status = 'running', finished_at = NULL, error = NULL, kind = excluded.kind,
                    config_digest = excluded.config_digest, config = excluded.config,
                    code_version = excluded.code_version, pid = excluded.pid, host = excluded.host,
                    process_started = excluded.process_started, trigger = excluded.trigger,
                    attempts = runs.attempts + 1""",
                {"run_id": run_id, "kind": kind, "digest": config_digest(config),
                 "config": json.dumps(config, sort_keys=True, default=str) if config is not None else None,
                 "code": code_version_text or code_version(), "pid": pid, "host": socket.gethostname(),
                 "pstart": process_start_time(pid), "trigger": trigger})
            conn.execute("CHECKPOINT")
        finally:
            conn.close()


def record_run_finish(db_path: Path | str, run_id: str, *, status: str, counts: dict[str, Any] | None = None,
                      error: str | None = None, lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Set the final status, counts and error of ``run_id`` (the row is created if missing)."""
    from warehouse.db import connect_writer

    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {FINAL_STATUSES}, not {status!r}")
    db_path = Path(db_path)
    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        conn = connect_writer(db_path)
        try:
            conn.execute("""
                INSERT INTO runs (run_id, kind, started_at, finished_at, status, counts, error)
                VALUES ($run_id, 'unknown', CAST(now() AS TIMESTAMP), CAST(now() AS TIMESTAMP), $status, $counts, $error)
                ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
                    counts = excluded.counts, error = excluded.error""",
                {"run_id": run_id, "status": status,
                 "counts": json.dumps(counts, sort_keys=True, default=str) if counts is not None else None,
                 "error": error})
            conn.execute("CHECKPOINT")
        finally:
            conn.close()


def _is_stale(pid: int | None, host: str | None, process_started: float | None, age_s: float,
              max_age_s: float | None) -> bool:
    if host != socket.gethostname() or pid is None:
        return max_age_s is not None and age_s > max_age_s
    if pid == os.getpid():
        return False  # this very process: its run is alive
    if not pid_alive(pid):
        return True
    started = process_start_time(pid)
    # The pid is alive but belongs to a newer process: the run's process is gone.
    return process_started is not None and started is not None and abs(started - process_started) > 1.0


def mark_stale_runs_crashed(db_path: Path | str, *, max_age_s: float | None = 7 * 24 * 3600,
                            lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """Mark ``crashed`` every ``running`` run whose process is gone; returns their run ids."""
    from warehouse.db import connect_writer

    db_path = Path(db_path)
    with writer_lock(db_path.parent, timeout_s=lock_timeout_s):
        conn = connect_writer(db_path)
        try:
            rows = conn.execute("""
                SELECT run_id, pid, host, process_started, epoch(CAST(now() AS TIMESTAMP)) - epoch(started_at)
                FROM runs WHERE status = 'running'""").fetchall()
            stale = [r[0] for r in rows if _is_stale(r[1], r[2], r[3], r[4], max_age_s)]
            for run_id in stale:
                conn.execute("""
                    UPDATE runs SET status = 'crashed', finished_at = CAST(now() AS TIMESTAMP),
                        error = coalesce(error, 'the process running it (pid ' || coalesce(pid::VARCHAR, '?') ||
                                ' on ' || coalesce(host, '?') || ') ended without recording an end; '
                                || 'marked crashed by the next run')
                    WHERE run_id = $run_id AND status = 'running'""", {"run_id": run_id})
            if stale:
                log.warning("marked crashed: %s", ", ".join(stale))
            conn.execute("CHECKPOINT")
            return stale
        finally:
            conn.close()
