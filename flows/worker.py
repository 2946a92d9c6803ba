"""``blogscope worker --pool NAME``: this machine pulls per-site flow runs from a work pool.

It becomes Prefect's own process worker (``prefect worker start --type process``; exec, same
pid), with blogscope's Prefect environment (no telemetry) and two markers for the flow runs it
starts: its name (``flow-runs/*.json`` on the shared path say which worker ran what) and its pid
(a flow run dies with its worker, even by ``kill -9``: ``flows/cluster_flows.py``).
No Prefect import here.
"""

from __future__ import annotations

import os
import socket
import sys

from flows.jobs import JobError

DEFAULT_LIMIT = 1  # flow runs at a time per worker: one site crawl per machine, as a politeness budget


def worker_command(pool: str, name: str, limit: int) -> list[str]:
    return [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process",
            "--name", name, "--limit", str(limit)]


def run_worker(pool: str, *, name: str | None = None, limit: int = DEFAULT_LIMIT, api_url: str | None = None) -> int:
    """Replace this process by a Prefect process worker for ``pool``; returns only on errors."""
    from flows.site_job import WORKER_NAME_ENV, WORKER_PID_ENV
    from flows.prefect_env import configure_prefect_defaults

    if not pool.strip():
        raise JobError("--pool: give the work pool's name, e.g. --pool blogs")
    if limit < 1:
        raise JobError(f"--limit {limit}: give the number of flow runs at a time, at least 1")
    api_url = api_url or os.environ.get("PREFECT_API_URL")
    if not api_url:
        raise JobError("no Prefect server: set PREFECT_API_URL (e.g. http://prefect-host:4200/api) or pass --api URL")
    configure_prefect_defaults()
    os.environ["PREFECT_API_URL"] = api_url
    os.environ[WORKER_NAME_ENV] = name or socket.gethostname()
    os.environ[WORKER_PID_ENV] = str(os.getpid())
    cmd = worker_command(pool, os.environ[WORKER_NAME_ENV], limit)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)
    return 1  # pragma: no cover - execv does not return
