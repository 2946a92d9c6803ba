"""``kill -9`` the crawler at seeded random moments, run it again: nothing is lost."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.testsite import crawl_command, read_raw
from demoblog.generate import generate, truth_dict
from demoblog.server import serve

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (101, 202, 303)


def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def _assert_gone(pids: list[int], timeout_s: float = 10.0) -> None:
    """Every pid has exited (a zombie waiting for its reaper counts as exited)."""
    deadline = time.monotonic() + timeout_s
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _running(p)]
        time.sleep(0.05)
    assert not alive, f"still running after the crawler was killed: {alive}"


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["wordpress", "blogger"])
def test_kill9_at_random_moments_then_rerun_loses_nothing(flavour: str, tmp_path: Path) -> None:
    blog = generate(flavour)
    with serve(blog) as server:
        sites = [{"id": flavour, "url": server.base_url}]
        for i, seed in enumerate(SEEDS):
            # A seeded random moment, measured in progress rather than wall time (so it lands
            # mid-crawl on a fast or a slow machine): kill when this run's raw.jsonl has
            # ``target`` records.
            target = random.Random(seed).randint(5, 120)
            out = tmp_path / f"killed{i}" / "raw.jsonl"
            proc = subprocess.Popen(crawl_command(sites, tmp_path, out=f"killed{i}"), cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                if out.exists() and out.read_bytes().count(b"\n") >= target:
                    break
                time.sleep(0.005)
            finished = proc.poll() is not None
            writers = _children(proc.pid)  # the crawl's writer process (crawl.sink) and multiprocessing's helper
            proc.kill()  # SIGKILL: no cleanup, no flush, no close
            proc.wait(timeout=30)
            assert finished or writers, "the crawler runs a writer process"
            _assert_gone(writers)  # it dies with the crawler: nothing writes behind a rerun's back
            print(f"{flavour}: seed {seed}: kill -9 after {target} records "
                  f"(wrote {len(read_raw(out))}, finished before the kill: {finished})")
            assert not finished, "the crawl ended before the kill; lower the targets"
        final = subprocess.run(crawl_command(sites, tmp_path, out="final"), cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
        truth = truth_dict(blog, server.base_url)

    records = []
    for raw in sorted(tmp_path.glob("*/raw.jsonl")):
        records += read_raw(raw)
    posts = {r["url"] for r in records if r["type"] == "post"}
    comments = {(r["post_url"], r["platform_comment_id"], r["parent_platform_comment_id"])
                for r in records if r["type"] == "comment"}
    assert posts == {p["url"] for p in truth["posts"] if p["public"]}
    assert comments == {(c["post_url"], c["platform_comment_id"], c["parent_platform_comment_id"])
                        for c in truth["comments"] if c["visible"]}


@pytest.mark.slow
def test_a_killed_writer_stops_the_crawl_with_a_reason_and_the_rerun_is_exact(tmp_path: Path) -> None:
    """``kill -9`` of the writer process alone: the crawler stops (exit 1, says why); a rerun completes."""
    blog = generate("wordpress")
    with serve(blog) as server:
        sites = [{"id": "wp", "url": server.base_url}]
        out = tmp_path / "killed" / "raw.jsonl"
        proc = subprocess.Popen(crawl_command(sites, tmp_path, out="killed"), cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and out.read_bytes().count(b"\n") >= 30:
                break
            time.sleep(0.005)
        # The writer (spawn_main) besides multiprocessing's resource tracker.
        writers = [p for p in _children(proc.pid) if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert proc.poll() is None and len(writers) == 1, "the crawl ended before the writer could be killed"
        os.kill(writers[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 1, stderr[-2000:]
        assert "writer process stopped" in stderr and "run the crawl again" in stderr, stderr[-2000:]
        stats = json.loads((tmp_path / "killed" / "stats.json").read_text())
        assert stats["writer_failed"] and stats["accounting_adds_up"]

        final = subprocess.run(crawl_command(sites, tmp_path, out="final"), cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
        truth = truth_dict(blog, server.base_url)
    records = read_raw(out) + read_raw(tmp_path / "final" / "raw.jsonl")
    assert {r["url"] for r in records if r["type"] == "post"} == {p["url"] for p in truth["posts"] if p["public"]}
    assert {(r["post_url"], r["platform_comment_id"]) for r in records if r["type"] == "comment"} == \
        {(c["post_url"], c["platform_comment_id"]) for c in truth["comments"] if c["visible"]}
