"""Many machines (issue 15): the parts of the cluster that run without a whole cluster.

The whole thing (PostgreSQL, Prefect server, two workers, a SIGKILL, the comparison with a
single machine) is ``make cluster-demo``, which CI runs after the acceptance tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows import site_job
from flows.postgres import find_bin_dir, start_postgres
from flows.server import free_port
from pipeline.settings import SiteConfig

ROOT = Path(__file__).resolve().parent.parent


def test_worker_without_a_prefect_server_is_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "worker", "--pool", "blogs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "PREFECT_API_URL" in lines[0] and "Traceback" not in proc.stderr


def test_worker_limit_must_be_positive() -> None:
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "worker", "--pool", "blogs", "--limit", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--limit" in proc.stderr and "Traceback" not in proc.stderr


def test_sites_share_the_warehouse_and_its_pseudonym_key(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    wh = site_job.prepare_shared(shared)
    assert wh.working_db.exists()
    a = site_job.site_settings(shared, SiteConfig(id="a", url="http://127.0.0.1:1/"), None)
    b = site_job.site_settings(shared, SiteConfig(id="b", url="http://127.0.0.1:2/"), None)
    assert a.home == shared / "sites" / "a" and a.state_dir == shared / "sites" / "a" / "state"
    assert b.archive_dir == shared / "sites" / "b" / "archive"
    key = (shared / "warehouse" / "secret.key").read_text(encoding="utf-8").strip()
    assert a.privacy.pseudonym_key == b.privacy.pseudonym_key == key


def test_flow_runs_are_counted_per_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site_job.prepare_shared(tmp_path)
    for worker, runs in (("worker-1", ["r1", "r2"]), ("worker-2", ["r3"])):
        monkeypatch.setenv(site_job.WORKER_NAME_ENV, worker)
        for run in runs:
            site_job.note_flow_run(tmp_path, run, "demo-1", "running")
            site_job.note_flow_run(tmp_path, run, "demo-1", "completed")  # replaced, not added
    assert site_job.flow_runs_by_worker(tmp_path) == {"worker-1": 2, "worker-2": 1}


@pytest.mark.skipif(find_bin_dir() is None,
                    reason="PostgreSQL binaries not installed (make cluster-demo installs them)")
def test_postgres_listens_on_loopback_only_and_stops(tmp_path: Path) -> None:
    port = free_port()
    cluster = start_postgres(tmp_path / "pg", port)
    try:
        assert cluster.sqlalchemy_url == f"postgresql+asyncpg://blogscope@127.0.0.1:{port}/prefect"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        psql = [str(cluster.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "blogscope", "-d", "prefect",
                "-tAc", "SHOW listen_addresses"]
        conf = subprocess.run(cluster.as_owner(psql),
                              capture_output=True, text=True, check=True)
        assert conf.stdout.strip() == "127.0.0.1"
    finally:
        cluster.stop()
    assert not (tmp_path / "pg" / "postmaster.pid").exists()


def test_deploy_without_a_prefect_server_is_one_line(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text('[[sites]]\nid = "a"\nurl = "https://blog.example.org/"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "deploy", "--pool", "blogs", "--shared",
                           str(tmp_path / "shared"), "--sites", str(sites)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "PREFECT_API_URL" in lines[0], proc.stderr
    assert not (tmp_path / "shared").exists()  # nothing written before the server is known
