"""Many machines: a Prefect server on PostgreSQL, a process work pool, one deployment per site.

- ``start_cluster_server``: ``prefect server start`` (``flows/server.py``) with its database in
  PostgreSQL (``PREFECT_API_DATABASE_CONNECTION_URL``), so workers on other machines share it.
- ``register_sites``: the work pool (type ``process``), per site a global concurrency limit of 1
  and a deployment ``site-SITE_ID`` of ``blogscope-site`` (``flows/cluster_flows.py``) whose
  entrypoint is a module path: every machine with blogscope installed can run it, no code
  storage or image needed.
- ``trigger_round`` / ``wait_for_runs``: one flow run per site (what a schedule firing does), and
  waiting for them to end.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.jobs import JobError
from flows.prefect_env import configure_prefect_defaults
from pipeline.settings import SiteConfig

FINAL_STATES = frozenset(("COMPLETED", "FAILED", "CRASHED", "CANCELLED"))
# The repossessor frees slots whose lease ran out; Prefect's default loop is 15 s. A shorter loop
# frees a killed worker's site sooner (measured cost: one small query every 5 s).
REPOSSESSOR_LOOP_S = "5"


def server_env(database_url: str) -> dict[str, str]:
    return {"PREFECT_API_DATABASE_CONNECTION_URL": database_url,
            "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": REPOSSESSOR_LOOP_S}


def start_cluster_server(control_dir: Path, database_url: str):
    """A full Prefect server on 127.0.0.1 (a free port) with its database in PostgreSQL."""
    from flows.server import start_server

    return start_server(control_dir, full=True, extra_env=server_env(database_url))


def deployment_name(site_id: str) -> str:
    return f"site-{site_id}"


def register_sites(pool: str, shared: Path, sites: tuple[SiteConfig, ...], *, config: str | None = None,
                   allow_private: bool = False, cron: str | None = None) -> list[str]:
    """Work pool, per-site concurrency limits and deployments (idempotent); returns the
    deployments' full names. ``cron``: a schedule for every site (None: runs only when triggered)."""
    configure_prefect_defaults()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
    from prefect.deployments.runner import EntrypointType
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    from flows.cluster_flows import site_flow, site_limit_name

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        except ObjectAlreadyExists:
            pass
        for site in sites:
            try:
                client.read_global_concurrency_limit_by_name(site_limit_name(site.id))
            except ObjectNotFound:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=site_limit_name(site.id),
                                                                                    limit=1))
    names = []
    for site in sites:
        timing: dict[str, Any] = {"cron": cron} if cron else {}
        dep = site_flow.to_deployment(
            name=deployment_name(site.id), entrypoint_type=EntrypointType.MODULE_PATH, work_pool_name=pool,
            parameters={"shared": str(shared), "site": dict(site.__dict__), "config": config,
                        "allow_private": allow_private},
            tags=[f"site:{site.id}"], description=f"Crawl, process and load {site.url}", **timing)
        dep.apply(work_pool_name=pool)
        names.append(f"{site_flow.name}/{dep.name}")
    return names


def trigger_round(deployment_names: list[str]) -> list[str]:
    """One flow run per deployment, scheduled now; returns their ids."""
    configure_prefect_defaults()
    from prefect.deployments import run_deployment

    return [str(run_deployment(name, timeout=0).id) for name in deployment_names]


@dataclass
class RunState:
    flow_run_id: str
    name: str
    state: str


def run_states(flow_run_ids: list[str]) -> list[RunState]:
    configure_prefect_defaults()
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        out = []
        for fid in flow_run_ids:
            run = client.read_flow_run(fid)
            out.append(RunState(fid, run.name, run.state.type.value if run.state else "PENDING"))
        return out


def wait_for_runs(flow_run_ids: list[str], *, timeout_s: float, poll_s: float = 1.0) -> list[RunState]:
    """Until every run is in a final state; JobError naming the stragglers after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        states = run_states(flow_run_ids)
        if all(s.state in FINAL_STATES for s in states):
            return states
        if time.monotonic() > deadline:
            waiting = ", ".join(f"{s.name} {s.state}" for s in states if s.state not in FINAL_STATES)
            raise JobError(f"flow runs still not finished after {timeout_s:.0f} s: {waiting}")
        time.sleep(poll_s)


def use_api(url: str) -> None:
    """This process's Prefect client talks to ``url`` (call before Prefect is imported)."""
    os.environ["PREFECT_API_URL"] = url


def deploy(pool: str, shared: Path, sites: tuple[SiteConfig, ...], *, config: str | None = None,
           allow_private: bool = False, cron: str | None = None) -> list[str]:
    """``blogscope deploy``: prepare the shared path and register every site (idempotent)."""
    from flows.site_job import prepare_shared

    if not sites:
        raise JobError("no sites to deploy: pass --sites sites.toml or add [[sites]] to the config")
    if not os.environ.get("PREFECT_API_URL"):
        raise JobError("no Prefect server: set PREFECT_API_URL (e.g. http://prefect-host:4200/api)")
    prepare_shared(shared, config)
    return register_sites(pool, shared, sites, config=config, allow_private=allow_private, cron=cron)
