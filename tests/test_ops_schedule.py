"""Schedules that fire: a real Prefect server on 127.0.0.1 started by ``blogscope schedule``, a
short interval schedule, and nobody triggering anything. Two scheduled runs complete; the second
loads the post and comments the demo blog gained in between; ``status`` shows both as scheduled;
Ctrl-C stops everything with one line and exit 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from demoblog.generate import generate, truth_dict
from demoblog.server import serve

BIN = Path(sys.executable).parent


def _admin(base_url: str, endpoint: str, body: dict) -> dict:
    request = urllib.request.Request(base_url + "__admin/" + endpoint, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # the demo blog on 127.0.0.1
        return json.loads(response.read())


def _scheduled_runs(db: Path) -> list[tuple[str, str, str]]:
    """(run_id, status, trigger) of the finished scheduled runs in the published database."""
    if not db.exists():
        return []
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("select run_id, status, trigger from runs where trigger = 'scheduled' "
                               "and status <> 'running' order by started_at").fetchall()
    except duckdb.Error:  # replaced while we opened it: ask again
        return []


def _wait_for(predicate, timeout_s: float, what: str, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert proc.poll() is None, f"schedule exited with {proc.returncode}: {log.read_text()[-3000:]}"
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; schedule log: {log.read_text()[-3000:]}")


def _schedule_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    # Prefect's scheduler service looks for due runs every 60 s and the runner polls every 10 s by
    # default; shortened so a test sees two runs in about two minutes.
    env.update({"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2", "PREFECT_RUNNER_POLL_FREQUENCY": "2"})
    return env


def _start_schedule(tmp_path: Path, home: Path, site_id: str, url: str) -> tuple[subprocess.Popen, Path]:
    """``blogscope schedule`` crawling one site every 30 s, in its own session; returns it and its log."""
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[sites]]\nid = "{site_id}"\nurl = "{url}"\nallow_private = true\n', encoding="utf-8")
    log = tmp_path / "schedule.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([str(BIN / "blogscope"), "schedule", "--home", str(home), "--sites", str(sites),
                                 "--crawl-every", "30"], env=_schedule_env(), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return proc, log


@pytest.mark.slow
@pytest.mark.acceptance
def test_scheduled_runs_fire_with_nobody_triggering_them(tmp_path: Path) -> None:
    blog = generate("wordpress", seed=3, n_posts=6)
    home = tmp_path / "home"
    env = _schedule_env()
    with serve(blog, admin=True) as server:
        proc, log = _start_schedule(tmp_path, home, "notes", server.base_url)
        try:
            db = home / "blogscope.duckdb"
            first = _wait_for(lambda: _scheduled_runs(db), 150, "the first scheduled run", proc, log)
            added_post = _admin(server.base_url, "add-post", {})
            post_index = len(blog.posts) - 1
            _admin(server.base_url, "add-comment", {"post_index": post_index})
            _admin(server.base_url, "add-comment", {"post_index": 0})
            runs = _wait_for(lambda: len(r := _scheduled_runs(db)) >= len(first) + 1 and r, 150,
                             "a second scheduled run", proc, log)
            server_info = json.loads((home / "prefect" / "server.json").read_text(encoding="utf-8"))
            with urllib.request.urlopen(server_info["url"].removesuffix("/api"), timeout=10) as ui:  # 127.0.0.1
                ui_page = ui.read().decode("utf-8", errors="replace")
            status = subprocess.run([str(BIN / "blogscope"), "status", "--home", str(home)], env=env,
                                    capture_output=True, text=True, timeout=60)
            proc.send_signal(signal.SIGINT)  # Ctrl-C
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        truth = truth_dict(blog, server.base_url)

    text = log.read_text(encoding="utf-8")
    assert "Prefect UI: http://127.0.0.1:" in text and "overlapping scheduled runs wait" in text
    assert "<html" in ui_page.lower()  # the UI answers at the printed address
    assert proc.returncode == 130, text[-3000:]
    assert "blogscope schedule: stopped (Ctrl-C)" in text and "Traceback" not in text, text[-3000:]
    # The server blogscope started is gone with it.
    time.sleep(1)
    assert not Path(f"/proc/{server_info['pid']}").exists()

    assert all(status_ == "completed" for _, status_, _ in runs), runs
    second = runs[len(first)][0]
    stats = json.loads((home / "runs" / second / "crawl" / "stats.json").read_text(encoding="utf-8"))
    assert stats["sites"]["notes"]["posts"] >= 1 and stats["sites"]["notes"]["comments"] >= 2, stats["sites"]
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        urls = {r[0] for r in con.execute("select url from posts").fetchall()}
        comments = con.execute("select count(*), count(distinct comment_id) from comments").fetchone()
    assert added_post["url"] in urls
    assert urls == {p["url"] for p in truth["posts"] if p["public"]}
    visible = sum(1 for c in truth["comments"] if c["visible"])
    assert comments == (visible, visible)
    assert status.returncode == 0 and status.stdout.count("scheduled") >= 2, status.stdout
    assert "overlapping scheduled runs wait" in status.stdout


@pytest.mark.slow
@pytest.mark.acceptance
def test_kill_9_of_schedule_during_a_run_leaves_no_process(tmp_path: Path) -> None:
    """``kill -9`` of ``schedule`` while a scheduled run crawls: the Prefect server it started and
    the flow-run process (with its crawler, writer and workers) end within seconds."""
    from test_ops_kill import session_members

    home = tmp_path / "home"
    with serve(generate("blogger", seed=11)) as server:
        proc, log = _start_schedule(tmp_path, home, "couch", server.base_url)
        try:
            _wait_for(lambda: list(home.glob("runs/*/crawl/raw.jsonl")), 150, "a scheduled run crawling", proc, log)
            members = session_members(proc.pid)
            assert any("prefect.engine" in cmd for _pid, cmd in members), members  # the flow-run process
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            killed_at = time.monotonic()
            while session_members(proc.pid) and time.monotonic() - killed_at < 10:
                time.sleep(0.1)
            left = session_members(proc.pid)
        finally:
            for pid, _cmd in session_members(proc.pid):
                os.kill(pid, signal.SIGKILL)
    assert left == [], left
