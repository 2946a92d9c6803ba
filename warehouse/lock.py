"""The writer's OS file lock: ``HOME/work/write.lock``.

DuckDB allows one writer process per file, with no busy timeout: a second process fails at
once. Every writer therefore takes this lock first. It is an ``flock`` on an open file, so the
kernel releases it the moment the holder dies (``kill -9`` included): no stale lock files.

The lock is re-entrant within a process (a flow holds it for a whole run while ``load_run`` and
``publish`` take it again). It is a process-wide lock, not a thread lock: threads of the holding
process pass through. The holder writes ``pid host time`` into the file so a waiting writer can
say who is in the way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warehouse.errors import WarehouseBusy

log = logging.getLogger(__name__)

LOCK_NAME = "write.lock"
DEFAULT_TIMEOUT_S = 600.0


@dataclass
class _Held:
    fd: int
    depth: int


_held: dict[str, _Held] = {}
_mutex = threading.Lock()


def lock_path(work_dir_or_lock: Path | str) -> Path:
    """``HOME/work/write.lock`` from ``HOME/work`` (or the lock file path itself)."""
    path = Path(work_dir_or_lock)
    return path if path.name.endswith(".lock") else path / LOCK_NAME


def _owner(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "unknown holder"


def _try_acquire(path: Path) -> bool:
    """Take the lock without waiting; True when this process now holds it."""
    key = str(path.resolve())
    with _mutex:
        held = _held.get(key)
        if held is not None:
            held.depth += 1
            return True
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # no O_TRUNC: the holder's note stays
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        note = f"pid {os.getpid()} on {socket.gethostname()} since {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode("utf-8"), 0)
        _held[key] = _Held(fd, 1)
        return True


def _release(path: Path) -> None:
    key = str(path.resolve())
    with _mutex:
        held = _held[key]
        held.depth -= 1
        if held.depth == 0:
            del _held[key]
            try:
                os.ftruncate(held.fd, 0)
            finally:
                fcntl.flock(held.fd, fcntl.LOCK_UN)
                os.close(held.fd)


@contextlib.contextmanager
def writer_lock(work_dir_or_lock: Path | str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[Path]:
    """Hold ``HOME/work/write.lock`` for the block; wait up to ``timeout_s`` for another writer.

    Raises ``WarehouseBusy`` naming the holder when the wait runs out.
    """
    path = lock_path(work_dir_or_lock)
    deadline = time.monotonic() + max(0.0, timeout_s)
    delay = 0.02
    announced = False
    while not _try_acquire(path):
        if time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"another blogscope writer holds {path} ({_owner(path)}); waited {timeout_s:g} s. "
                "Wait for that run to finish (blogscope status), or raise the lock timeout")
        if not announced:
            log.info("waiting for the write lock %s (%s)", path, _owner(path))
            announced = True
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
    try:
        yield path
    finally:
        _release(path)
