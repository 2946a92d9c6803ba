"""A clean process tree: ``kill -9`` of the main ``blogscope run`` process (only that one) at
three seeded moments ends its Prefect server, crawl subprocess, writer and extraction workers
within seconds, and the rerun is exact. Beside
``tests/test_flows.py::test_blogscope_run_killed_at_seeded_moments_then_rerun_is_exact``, which
kills the whole process group instead."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from demoblog.generate import generate, truth_dict
from demoblog.server import serve
from test_flows import assert_rerun_is_exact

BIN = Path(sys.executable).parent


def session_members(sid: int) -> list[tuple[int, str]]:
    """(pid, command) of every live process in session ``sid`` (the run was started as its leader)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            fields = stat[stat.rfind(")") + 2:].split()
            if fields[0] == "Z" or int(fields[3]) != sid:  # state, session
                continue
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
        except (OSError, IndexError, ValueError):
            continue  # gone while we looked
        members.append((int(entry.name), cmd))
    return members


def _wait_for_moment(moment: str, rng: random.Random, home: Path, known: set[Path], proc: subprocess.Popen) -> str:
    """Block until the seeded moment; returns what was seen when it came."""
    def new_runs() -> list[Path]:
        return [p for p in (home / "runs").glob("*") if p not in known] if (home / "runs").exists() else []

    start = time.monotonic()
    deadline = start + 240
    if moment == "startup":  # Prefect server starting, nothing crawled yet
        time.sleep(rng.uniform(0.5, 3.0))
        return "start-up"
    target = rng.randint(5, 150)
    while proc.poll() is None and time.monotonic() < deadline:
        runs = new_runs()
        raw = [r / "crawl" / "raw.jsonl" for r in runs if (r / "crawl" / "raw.jsonl").exists()]
        if moment == "crawl" and raw and raw[0].read_bytes().count(b"\n") >= target:
            return f"crawl, {target}+ records written"
        if moment == "process" and any((r / "processed").exists() for r in runs):
            time.sleep(rng.uniform(0.0, 1.0))
            return "process stage (extraction workers)"
        time.sleep(0.01)
    return "finished before the moment"


@pytest.mark.slow
@pytest.mark.acceptance
def test_kill_9_of_the_main_process_leaves_no_process_of_the_run(tmp_path: Path) -> None:
    blog = generate("blogger", seed=11)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}  # the run starts its own server
    survivors: dict[str, list] = {}
    with serve(blog) as server:
        cmd = [str(BIN / "blogscope"), "run", server.base_url, "--home", str(home), "--allow-private", "--no-report"]
        for seed, moment in ((101, "startup"), (202, "crawl"), (303, "process")):
            rng = random.Random(seed)
            known = set((home / "runs").glob("*")) if (home / "runs").exists() else set()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            seen = _wait_for_moment(moment, rng, home, known, proc)
            before = session_members(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)  # the main process only, as a crash or the OOM killer would
            proc.wait(timeout=30)
            killed_at = time.monotonic()
            while session_members(proc.pid) and time.monotonic() - killed_at < 10:
                time.sleep(0.1)
            left = session_members(proc.pid)
            print(f"seed {seed} ({moment}): killed at {seen} with {len(before)} processes; "
                  f"{len(left)} left after {time.monotonic() - killed_at:.1f} s")
            survivors[f"{seed} {moment}"] = left
            for pid, _cmd in left:  # clean up for the next round whatever the verdict
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        truth = truth_dict(blog, server.base_url)
    assert all(not left for left in survivors.values()), survivors
    assert final.returncode == 0, final.stderr[-3000:]
    assert_rerun_is_exact(home, truth)

@pytest.mark.slow
@pytest.mark.acceptance
def test_first_ctrl_c_of_run_stops_cleanly_in_one_line(tmp_path: Path) -> None:
    """SIGINT to the run's process group (what a terminal's Ctrl-C does) during the crawl: exit
    130, one line, no traceback, the run recorded as ended, and nothing of it left running."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    with serve(generate("blogger", seed=11)) as server:
        proc = subprocess.Popen([str(BIN / "blogscope"), "run", server.base_url, "--home", str(home), "--allow-private",
                                 "--no-report"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.monotonic() + 240
        while not list(home.glob("runs/*/crawl/raw.jsonl")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "ERROR" not in err, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("blogscope run: interrupted")
    assert session_members(proc.pid) == []
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        assert con.execute("select status from runs").fetchall() == [("failed",)]
