"""Crashes, full disks, locks and concurrent readers, with real processes and real DuckDB files.

Each test runs ``python -m tests.support.warehouse_workers WORKER ...`` subprocesses (see
tests/support/warehouse_workers.py) and checks "nothing lost, nothing doubled" in SQL: count(*) = count(DISTINCT key) = expected.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.errors import WarehouseBusy
from warehouse.load import load_run
from warehouse.lock import writer_lock
from warehouse.publish import publish
from tests.support.warehouse_world import World

ROOT = Path(__file__).resolve().parent.parent
KILL_SEEDS = (1, 2, 3, 4, 5, 6)
STATE_SQL = ("SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), (SELECT count(*) FROM sentiment), "
             "(SELECT count(DISTINCT post_id) FROM posts), (SELECT count(DISTINCT comment_id) FROM comments), "
             "(SELECT count(DISTINCT (target_kind, target_id, scorer, scorer_version)) FROM sentiment)")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, int, int]]]:
    """Three cumulative runs (r1 < r2 < r3, r3 with edited posts); expected (posts, comments, sentiment)."""
    folder = tmp_path_factory.mktemp("runs")
    world = World(seed=21, sites=3, posts_per_site=150, max_comments=40)
    states = {}
    for run_id, day, edited in (("r1", 40, ()), ("r2", 80, ()), ("r3", 1e9, (0, 1))):
        run = world.write_run(folder / run_id / "processed", run_id, as_of_day=day, edited=edited)
        states[run_id] = (run.expected["posts"], run.expected["comments"], run.expected["sentiment"])
    assert states["r1"] < states["r2"] < states["r3"]
    return folder, states


def state(db: Path) -> tuple[int, int, int]:
    """(posts, comments, sentiment) after checking keys are unique; (0, 0, 0) for no data yet."""
    if not db.exists():
        return (0, 0, 0)
    conn = duckdb.connect(str(db), read_only=True)
    try:
        if not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'comments'").fetchone()[0]:
            return (0, 0, 0)
        row = conn.execute(STATE_SQL).fetchone()
    finally:
        conn.close()
    assert row[:3] == row[3:], f"duplicate keys: {row}"
    return row[:3]


def worker(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.support.warehouse_workers", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def wait_line(proc: subprocess.Popen, expected: str) -> None:
    line = proc.stdout.readline().strip()
    assert line == expected, f"worker said {line!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"


@pytest.mark.slow
def test_kill_9_at_random_moments_leaves_old_or_new_state_and_a_rerun_is_exact(
        runs: tuple[Path, dict], tmp_path: Path) -> None:
    folder, states = runs
    valid = {(0, 0, 0), *states.values()}
    # How long an undisturbed worker takes from "ready" to exit: the window the kills sample.
    home = tmp_path / "baseline"
    proc = worker("load", str(home), "r1", "r2", "r3", "--runs", str(folder), "--publish")
    wait_line(proc, "ready")
    start = time.monotonic()
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    window = time.monotonic() - start
    assert state(home / "work" / "warehouse.duckdb") == states["r3"]
    seen = []
    for seed in KILL_SEEDS:
        delay = random.Random(seed).uniform(0.0, window)
        home = tmp_path / f"seed-{seed}"
        proc = worker("load", str(home), "r1", "r2", "r3", "--runs", str(folder), "--publish")
        wait_line(proc, "ready")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        working, published = home / "work" / "warehouse.duckdb", home / "blogscope.duckdb"
        after_kill = state(working)
        print(f"kill seed {seed}: after {delay:.2f} s of {window:.2f} s -> working state {after_kill}")
        assert after_kill in valid, f"seed {seed}: a half load is visible: {after_kill}"
        assert state(published) in valid, f"seed {seed}: the published copy is torn"
        seen.append(after_kill)
        # The rerun: every run again (loads are idempotent); the lock was released by the kill.
        for run_id in ("r1", "r2", "r3"):
            load_run(working, folder / run_id, run_id, lock_timeout_s=5)
        publish(working, published, lock_timeout_s=5)
        assert state(working) == state(published) == states["r3"], f"seed {seed}: rerun not exact"
        conn = duckdb.connect(str(working), read_only=True)
        runs_rows = conn.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone()
        conn.close()
        assert runs_rows == (3, 3)
    print(f"states found after the kills: {seen}")


def test_disk_full_during_a_load_gives_a_clear_error_and_keeps_the_previous_state(
        runs: tuple[Path, dict], tmp_path: Path) -> None:
    folder, states = runs
    working, published = tmp_path / "work" / "warehouse.duckdb", tmp_path / "blogscope.duckdb"
    load_run(working, folder / "r1", "r1")
    publish(working, published)
    before = published.read_bytes()
    # RLIMIT_FSIZE in the loading process: writes past 1 MB fail like a full disk (EFBIG).
    proc = worker("load", str(tmp_path), "r2", "--runs", str(folder), "--publish", "--fsize", str(1_000_000))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "disk is full or a file size limit was hit" in err and "Free space" in err
    assert "Traceback" not in err
    assert state(working) == states["r1"]
    assert published.read_bytes() == before
    assert not list(tmp_path.glob(".blogscope.duckdb.*.tmp"))
    load_run(working, folder / "r2", "r2")  # space is back: the same load now goes through
    assert state(working) == states["r2"]


def test_a_killed_lock_holder_releases_the_lock_at_once(tmp_path: Path) -> None:
    proc = worker("hold-lock", str(tmp_path), "120")
    try:
        wait_line(proc, "locked")
        with pytest.raises(WarehouseBusy, match=rf"write.lock \(pid {proc.pid} on .*waited 0.3 s"):
            with writer_lock(tmp_path / "work", timeout_s=0.3):
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with writer_lock(tmp_path / "work", timeout_s=5) as path:  # no stale lock file to clean up
        assert path == tmp_path / "work" / "write.lock"
        with writer_lock(tmp_path / "work", timeout_s=0):  # re-entrant in the holding process
            pass


def test_two_overlapping_writers_are_serialised(runs: tuple[Path, dict], tmp_path: Path) -> None:
    folder, states = runs
    procs = [worker("load", str(tmp_path), run_id, "--runs", str(folder), "--publish") for run_id in ("r2", "r1")]
    intervals = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        report = json.loads(out.splitlines()[-1])
        intervals.append((report["acquired"], report["released"]))
    (a0, a1), (b0, b1) = sorted(intervals)
    assert a1 <= b0, f"the writers overlapped: {intervals}"
    assert state(tmp_path / "work" / "warehouse.duckdb") == states["r2"]
    assert state(tmp_path / "blogscope.duckdb") == states["r2"]


def test_a_reader_holding_the_published_file_sees_only_complete_runs(runs: tuple[Path, dict], tmp_path: Path) -> None:
    folder, states = runs
    working, published = tmp_path / "work" / "warehouse.duckdb", tmp_path / "blogscope.duckdb"
    load_run(working, folder / "r1", "r1")
    publish(working, published)
    stop = tmp_path / "writer-done"
    reader = worker("read", str(published), str(stop), "--max-seconds", "240")
    try:
        wait_line(reader, "ready")
        time.sleep(0.3)  # let the reader open the old file before the first publish
        writer = worker("load", str(tmp_path), "r2", "r3", "r3", "--runs", str(folder), "--publish")
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        stop.touch()
        result = json.loads(reader.communicate(timeout=120)[0].splitlines()[-1])
    finally:
        for proc in (reader,):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
    assert result["errors"] == []
    seen = [tuple(s) for s in result["seen"]]
    valid = set(states.values())
    assert seen and set(seen) <= valid, f"a reader saw a state that is no complete run: {set(seen) - valid}"
    assert seen[0] == states["r1"] and seen[-1] == states["r3"]
    assert sum(line.startswith("{") for line in out.splitlines()) == 3  # three loads, each published
