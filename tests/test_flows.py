"""Flows and the CLI: Prefect runs, schedules, crashed runs, and every command's --help.

The flow tests run real Prefect flows against the small demo blog served on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from demoblog.generate import generate, truth_dict
from demoblog.server import serve
from flows.cli import build_parser, main

BIN = Path(sys.executable).parent
COMMANDS = ["demo", "run", "crawl", "process", "query", "search", "shell", "export", "report", "status", "extract",
            "sentiment", "topics", "schedule", "migrate", "deploy", "worker"]


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(home / "prefect")
    return env


# ------------------------------------------------------------------------------------ CLI


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage:" in out and "blogscope" in out
    assert "example" in out.lower(), f"'blogscope {command} --help' shows no example"


def test_help_lists_every_command_and_is_instant() -> None:
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "blogscope"), "--help"], capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - start
    assert proc.returncode == 0
    for command in COMMANDS:
        assert command in proc.stdout
    # Not a timing test: a generous bound that only fails if heavy libraries load at import.
    assert took < 20


def test_user_errors_are_one_clear_line(tmp_path: Path) -> None:
    proc = subprocess.run([str(BIN / "blogscope"), "query", "select 1", "--home", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no database at" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([str(BIN / "blogscope"), "run", "ftp://example.org/", "--home", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not an http(s) URL" in proc.stderr
    typo = tmp_path / "sites.toml"
    typo.write_text('[[site]]\nid = "x"\nurl = "https://blog.example.org/"\n', encoding="utf-8")
    proc = subprocess.run([str(BIN / "blogscope"), "run", "--sites", str(typo), "--home", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "[[sites]]" in proc.stderr and "['site']" in proc.stderr, proc.stderr


def test_a_failing_flow_ends_in_one_line_that_says_what_to_do(tmp_path: Path, small_blog) -> None:
    """A damaged working database fails the Prefect run: no traceback from Prefect or the CLI."""
    _blog, server = small_blog
    work = tmp_path / "work"
    work.mkdir()
    (work / "warehouse.duckdb").write_bytes(os.urandom(5000))
    proc = subprocess.run([str(BIN / "blogscope"), "run", server.base_url, "--home", str(tmp_path), "--allow-private"],
                          env=_clean_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "is not a DuckDB database" in proc.stderr and ".damaged" in proc.stderr


def test_every_command_a_message_or_doc_names_exists() -> None:
    """Errors and docs tell users what to run; each `blogscope CMD` they name must be a command."""
    import re

    root = Path(__file__).resolve().parent.parent
    files = [p for d in ("crawl", "pipeline", "flows", "warehouse", "demoblog", "bench") for p in (root / d).rglob("*.py")]
    files += [root / "README.md", *root.glob("docs/*.md"), *root.glob("*/README.md")]
    named = re.compile(r"""[`'"](?:\.venv/bin/)?blogscope ([a-z][a-z-]*)(?=[`'"]| -| https?:| [~/A-Z"'.])""")
    unknown = {(m.group(1), str(f.relative_to(root))) for f in files
               for m in named.finditer(f.read_text(encoding="utf-8", errors="replace")) if m.group(1) not in COMMANDS}
    assert not unknown, f"messages or docs name commands that do not exist: {sorted(unknown)}"


def test_parser_knows_the_documented_contract() -> None:
    args = build_parser().parse_args(["run", "http://a.example/", "http://b.example/", "--home", "h", "--allow-private"])
    assert args.urls == ["http://a.example/", "http://b.example/"] and args.allow_private


# ---------------------------------------------------------------------------------- flows


@pytest.fixture(scope="module")
def small_blog():
    blog = generate("wordpress", seed=3, n_posts=8)
    with serve(blog) as server:
        yield blog, server


@pytest.mark.slow
def test_a_killed_run_is_recorded_as_crashed_and_the_next_run_succeeds(tmp_path: Path, small_blog) -> None:
    blog, server = small_blog
    home = tmp_path / "home"
    cmd = [str(BIN / "blogscope"), "run", server.base_url, "--home", str(home), "--allow-private", "--no-report"]
    proc = subprocess.Popen(cmd, env=_clean_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not list((home / "runs").glob("*/crawl/raw.jsonl")):
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    done = subprocess.run(cmd, env=_clean_env(home), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        statuses = sorted(r[0] for r in con.execute("select status from runs").fetchall())
        visible = sum(1 for c in truth_dict(blog, server.base_url)["comments"] if c["visible"])
        assert con.execute("select count(*), count(distinct comment_id) from comments").fetchone() == (visible, visible)
    assert statuses == ["completed", "crashed"]
    status = subprocess.run([str(BIN / "blogscope"), "status", "--home", str(home)], capture_output=True, text=True,
                            timeout=60)
    assert status.returncode == 0 and "crashed" in status.stdout and "completed" in status.stdout


@pytest.mark.slow
def test_flow_under_the_prefect_harness_with_schedules_and_a_failing_run(tmp_path: Path, small_blog) -> None:
    """Schedules register; a run that fails is recorded as failed; the next run succeeds.

    Run in a subprocess: Prefect reads its settings at import, and the harness needs its own home.
    """
    blog, server = small_blog
    home = tmp_path / "home"
    script = f"""
import json, sys
from pathlib import Path
from prefect.testing.utilities import prefect_test_harness
from prefect.client.orchestration import get_client
from pipeline.settings import SiteConfig, load_settings
from flows import jobs
from flows.schedule import deployments
import flows.prefect_flows as pf

home = Path({str(home)!r})
site = SiteConfig(id="small", url={server.base_url!r}, allow_private=True)
out = {{}}
with prefect_test_harness():
    settings = load_settings(home=home)
    deps = deployments(settings, (site,), config=None, allow_private=True)
    out["deployments"] = sorted(d.name for d in deps)
    for d in deps:
        d.apply()
    with get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name("blogscope-run/nightly-crawl")
        out["crons"] = [s.schedule.cron for s in dep.schedules]
    # A run whose processing fails: recorded as failed, the lock released.
    original = jobs.process
    def broken(*a, **k):
        raise RuntimeError("simulated crash in process")
    jobs.process = broken
    try:
        pf.run_flow(home=str(home), sites=[site.__dict__], allow_private=True, write_report=False)
        out["failed_run_raised"] = False
    except RuntimeError:
        out["failed_run_raised"] = True
    jobs.process = original
    summary = pf.run_flow(home=str(home), sites=[site.__dict__], allow_private=True, write_report=False)
    out["second_status"] = summary["status"]
print("RESULT " + json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", script], env=_clean_env(home), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert result["deployments"] == ["nightly-crawl", "weekly-topic-refresh"]
    assert result["crons"] == ["0 3 * * *"]
    assert result["failed_run_raised"] is True
    assert result["second_status"] in ("completed", "completed_with_errors")
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        rows = con.execute("select status, error from runs order by started_at").fetchall()
    assert [r[0] for r in rows][0] == "failed" and "simulated crash" in rows[0][1]
    assert rows[-1][0] in ("completed", "completed_with_errors")


@pytest.mark.slow
def test_process_from_archive_rebuilds_the_warehouse_without_the_network(tmp_path: Path, small_blog) -> None:
    import shutil

    blog, server = small_blog
    home = tmp_path / "home"
    env = _clean_env(home)
    run = subprocess.run([str(BIN / "blogscope"), "run", server.base_url, "--home", str(home), "--allow-private",
                          "--no-report"], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]

    def snapshot() -> tuple[set, set]:
        with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
            posts = set(con.execute("select post_id, url, title, text from posts").fetchall())
            comments = set(con.execute("select comment_id, post_id, parent_id, author_pseudonym, text from comments").fetchall())
        return posts, comments

    before = snapshot()
    # Lose everything but the raw archive (and the pseudonym key), then rebuild offline.
    for name in ("work", "runs", "state", "models", "blogscope.duckdb"):
        target = home / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    rebuilt = subprocess.run([str(BIN / "blogscope"), "process", "--from-archive", "--load", "--home", str(home)],
                             env=env, capture_output=True, text=True, timeout=600)
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert snapshot() == before
    truth = truth_dict(blog, server.base_url)
    assert len(before[0]) == sum(1 for p in truth["posts"] if p["public"])
    assert len(before[1]) == sum(1 for c in truth["comments"] if c["visible"])


@pytest.mark.slow
def test_side_effecting_tasks_are_never_answered_from_prefects_cache(tmp_path: Path) -> None:
    """Two processes, one Prefect home, the same load: the second load really runs.

    Between the two, the working database is deleted; a cached "load" task would leave it empty.
    """
    import shutil

    from tests.support.warehouse_world import World

    home = tmp_path / "home"
    run_id = "20260101T000000Z-0001"
    World(seed=5).write_run(home / "runs" / run_id / "processed", run_id)
    script = (
        "import sys; from flows.prefect_flows import load_flow; "
        f"print('RESULT', load_flow(home={str(home)!r}, config=None, run_id={run_id!r})['load']['posts'])"
    )
    env = _clean_env(home)
    outputs = []
    for attempt in range(2):
        if attempt:
            shutil.rmtree(home / "work")
            (home / "blogscope.duckdb").unlink()
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout.split("RESULT", 1)[1].strip())
        with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from posts").fetchone()[0] > 0
    assert outputs[0] == outputs[1]


KILL_SEEDS = (11, 22, 33, 44, 55)


@pytest.mark.slow
@pytest.mark.acceptance
def test_blogscope_run_killed_at_seeded_moments_then_rerun_is_exact(tmp_path: Path) -> None:
    """``kill -9`` of the whole run (flow, crawl subprocess, loader) at 5 seeded moments, then a
    clean run: every public post and comment in the warehouse exactly once."""
    import random

    blog = generate("blogger", seed=11)
    home = tmp_path / "home"
    env = _clean_env(home)
    with serve(blog) as server:
        cmd = [str(BIN / "blogscope"), "run", server.base_url, "--home", str(home), "--allow-private", "--no-report"]
        for seed in KILL_SEEDS:
            rng = random.Random(seed)
            target, cap = rng.randint(5, 300), rng.uniform(3, 30)
            known = set((home / "runs").glob("*")) if (home / "runs").exists() else set()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            start = time.monotonic()
            while proc.poll() is None and time.monotonic() - start < cap:
                new = [p for p in (home / "runs").glob("*/crawl/raw.jsonl") if p.parent.parent not in known] \
                    if (home / "runs").exists() else []
                if new and new[0].read_bytes().count(b"\n") >= target:
                    break
                time.sleep(0.01)
            finished = proc.poll() is not None
            if not finished:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            stages = sorted({p.name for p in (home / "runs").glob("*/*")}) if (home / "runs").exists() else []
            print(f"seed {seed}: target {target} records or {cap:.1f} s; killed after "
                  f"{time.monotonic() - start:.1f} s; finished first: {finished}; stages seen: {stages}")
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr[-3000:]
        truth = truth_dict(blog, server.base_url)
    assert_rerun_is_exact(home, truth)


def assert_rerun_is_exact(home: Path, truth: dict) -> None:
    """Every public post and visible comment of the demo truth in the warehouse exactly once, and
    the last run ended (killed runs marked, none left running)."""
    expected_posts = {p["url"] for p in truth["posts"] if p["public"]}
    expected_comments = {(c["post_url"], str(c["platform_comment_id"])) for c in truth["comments"] if c["visible"]}
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        urls = [r[0] for r in con.execute("select url from posts").fetchall()]
        comments = con.execute("select p.url, c.platform_comment_id from comments c join posts p using (post_id)").fetchall()
        statuses = [r[0] for r in con.execute("select status from runs order by started_at").fetchall()]
    assert len(urls) == len(set(urls)) and set(urls) == expected_posts
    assert len(comments) == len(set(comments)) and set(comments) == expected_comments
    assert statuses[-1] in ("completed", "completed_with_errors")
    assert "running" not in statuses
