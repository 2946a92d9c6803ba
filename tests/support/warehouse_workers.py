"""Subprocess workers for the warehouse's crash, lock and concurrency tests.

Crash, lock and concurrency tests need real separate processes (DuckDB and flock behave per
process). ``python -m tests.support.warehouse_workers COMMAND ...`` (from the project root) runs
one; each prints ``ready`` once its imports are done, so a test can time a kill from that moment.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _worker_load(args) -> int:
    import json
    import resource
    import time

    from warehouse.errors import WarehouseError
    from warehouse.load import load_run
    from warehouse.lock import writer_lock
    from warehouse.publish import publish

    home = Path(args.home)
    work = home / "work"
    runs = Path(args.runs) if args.runs else home / "runs"
    if args.fsize:
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize, args.fsize))
    print("ready", flush=True)
    try:
        for run_id in args.run_ids:
            with writer_lock(work, timeout_s=args.lock_timeout):
                acquired = time.time()
                result = load_run(work / "warehouse.duckdb", runs / run_id, run_id)
                if args.publish:
                    publish(work / "warehouse.duckdb", home / "blogscope.duckdb")
                released = time.time()
            print(json.dumps({"run_id": run_id, "acquired": acquired, "released": released,
                              "totals": result.totals}), flush=True)
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


def _worker_hold_lock(args) -> int:
    import time

    from warehouse.lock import writer_lock

    with writer_lock(Path(args.home) / "work", timeout_s=5):
        print("locked", flush=True)
        time.sleep(args.seconds)
    return 0


def _worker_start_run(args) -> int:
    import time

    from warehouse.runs import record_run_start

    record_run_start(Path(args.db), args.run_id, kind="run", config={"test": True})
    print("started", flush=True)
    time.sleep(args.seconds)
    return 0


def _worker_read(args) -> int:
    """Open the published database read-only again and again; print every state seen as JSON."""
    import json
    import time

    import duckdb

    db = Path(args.db)
    stop = Path(args.stop_file)
    seen: list[list[int]] = []
    errors: list[str] = []
    print("ready", flush=True)
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        done = stop.exists()  # one more full pass after the writer is done
        try:
            conn = duckdb.connect(str(db), read_only=True, config={"autoinstall_known_extensions": False,
                                                                   "autoload_known_extensions": False})
            try:
                for _ in range(3):  # the connection stays open while the writer may replace the file
                    row = conn.execute("SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), "
                                       "(SELECT count(*) FROM sentiment)").fetchone()
                    seen.append(list(row))
                    time.sleep(0.01)
            finally:
                conn.close()
        except duckdb.Error as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        if done:
            break
    print(json.dumps({"seen": seen, "errors": errors}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.support.warehouse_workers", description="test workers")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load", help="load runs (each under the write lock), optionally publish")
    p.add_argument("home")
    p.add_argument("run_ids", nargs="+")
    p.add_argument("--runs", help="folder holding RUN_ID/processed (default HOME/runs)")
    p.add_argument("--publish", action="store_true")
    p.add_argument("--fsize", type=int, default=0, help="RLIMIT_FSIZE in bytes (simulates a full disk)")
    p.add_argument("--lock-timeout", type=float, default=120.0)
    p.set_defaults(fn=_worker_load)
    p = sub.add_parser("hold-lock")
    p.add_argument("home")
    p.add_argument("seconds", type=float)
    p.set_defaults(fn=_worker_hold_lock)
    p = sub.add_parser("start-run")
    p.add_argument("db")
    p.add_argument("run_id")
    p.add_argument("seconds", type=float)
    p.set_defaults(fn=_worker_start_run)
    p = sub.add_parser("read")
    p.add_argument("db")
    p.add_argument("stop_file")
    p.add_argument("--max-seconds", type=float, default=60.0)
    p.set_defaults(fn=_worker_read)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
