"""``blogscope run`` end to end: exit codes and messages a script can trust, a topic model that
cannot be fitted, and reuse of a running Prefect server.

All runs share one API-only Prefect server that the module starts on 127.0.0.1 (as ``run``
would start for itself), named by ``PREFECT_API_URL``: the start-up is paid once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from demoblog.generate import generate
from demoblog.server import serve

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory):
    from flows.server import start_server

    server = start_server(tmp_path_factory.mktemp("prefect-server"), full=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def good_blog():
    with serve(generate("wordpress", seed=3, n_posts=6)) as server:
        yield server


def _env(api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _run(home: Path, *args: str, api_url: str | None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "blogscope"), "run", *args, "--home", str(home), "--no-report"],
                          env=_env(api_url), capture_output=True, text=True, timeout=600)


def _dead_url() -> str:
    """A loopback port with nobody listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def _last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_exit_codes_and_messages_of_run(tmp_path: Path, prefect_api, good_blog) -> None:
    api = prefect_api.url
    # A loopback blog without --allow-private: nothing collected (4), and the fix is named.
    refused = _run(tmp_path / "a", good_blog.base_url, api_url=api)
    assert refused.returncode == 4, refused.stderr[-3000:]
    assert "--allow-private" in _last_line(refused.stderr) and "nothing collected" in _last_line(refused.stderr)
    assert "--allow-private" in refused.stdout and "failed" in refused.stdout
    assert "Traceback" not in refused.stderr
    # A dead port: nothing collected (4), said to be unreachable.
    dead = _run(tmp_path / "b", _dead_url(), "--allow-private", api_url=api)
    assert dead.returncode == 4, dead.stderr[-3000:]
    assert "unreachable" in _last_line(dead.stderr) and "connection refused" in _last_line(dead.stderr)
    # A good and a dead site: partial (3); the good one is loaded, the summary says which failed.
    mixed = _run(tmp_path / "c", good_blog.base_url, _dead_url(), "--allow-private", api_url=api)
    assert mixed.returncode == 3, mixed.stderr[-3000:]
    assert "partly done" in _last_line(mixed.stderr) and "unreachable" in _last_line(mixed.stderr)
    site_lines = [line for line in mixed.stdout.splitlines() if "new:" in line]
    assert len(site_lines) == 2 and any(" ok " in line and "new: 6 posts" in line for line in site_lines), mixed.stdout
    with duckdb.connect(str(tmp_path / "c" / "blogscope.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from posts").fetchone()[0] == 6
        status, error = con.execute("select status, error from runs").fetchone()
    assert status == "completed_with_errors" and "unreachable" in error
    # Every site good: 0, nothing on stderr about failures.
    good = _run(tmp_path / "d", good_blog.base_url, "--allow-private", api_url=api)
    assert good.returncode == 0, good.stderr[-3000:]
    assert "partly done" not in good.stderr and "nothing collected" not in good.stderr
    # The server named by PREFECT_API_URL was used: no server of the run's own was started.
    assert not (tmp_path / "d" / "prefect" / "api-server.log").exists()


@pytest.mark.slow
def test_a_topic_model_that_cannot_be_fitted_does_not_fail_the_run(tmp_path: Path, prefect_api) -> None:
    """Issue #18 defect 7: five posts with one body text. The data are loaded and published, the
    report is written, the reason is recorded, and the run ends partial (3)."""
    blog = generate("wordpress", seed=5, n_posts=5)
    first = blog.posts[0]
    for post in blog.posts:  # one text, title, author and date: pages differ only in their URLs
        post.paragraphs = ["Same words in every post."]
        post.title, post.author, post.published, post.modified = first.title, first.author, first.published, first.published
    home = tmp_path / "home"
    with serve(blog) as server:
        proc = subprocess.run([str(BIN / "blogscope"), "run", server.base_url, "--home", str(home), "--allow-private"],
                              env=_env(prefect_api.url), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "stage topics failed" in _last_line(proc.stderr)
    assert (home / "report.html").exists() and "stage topics failed" in proc.stdout
    assert not (home / "models" / "LATEST").exists()  # no model, and none pretended
    with duckdb.connect(str(home / "blogscope.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from posts").fetchone()[0] == 5
        status, error = con.execute("select status, error from runs").fetchone()
    assert status == "completed_with_errors" and error.startswith("stage topics: ")


@pytest.mark.slow
def test_run_reuses_the_server_that_schedule_started(tmp_path: Path, prefect_api, good_blog) -> None:
    """``HOME/prefect/server.json`` (written by ``schedule``) names a healthy server: ``run`` uses it
    instead of starting one; a stale file (dead pid) is ignored."""
    from flows.server import running_server_url, server_file

    home = tmp_path / "home"
    server_file(home).parent.mkdir(parents=True)
    server_file(home).write_text(json.dumps({"url": "http://127.0.0.1:9/api", "pid": 2 ** 22 + 7}), encoding="utf-8")
    assert running_server_url(home) is None
    server_file(home).write_text(json.dumps({"url": prefect_api.url, "pid": prefect_api.process.pid}),
                                 encoding="utf-8")
    assert running_server_url(home) == prefect_api.url
    proc = _run(home, good_blog.base_url, "--allow-private", api_url=None)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (home / "prefect" / "api-server.log").exists()
