"""The per-site flow that workers pull from a work pool (thin over ``flows/site_job.py``).

Exclusivity: each site has a Prefect global concurrency limit of 1 (``blogscope-site-SITE_ID``,
created with the deployments, ``strict=True`` so a misspelt limit fails instead of limiting
nothing). The slot is held with a lease that the flow run renews while it lives; when its worker
dies (``kill -9``, a machine lost), the lease runs out after ``SITE_LEASE_S`` and the server's
repossessor frees the slot, so the site's next run, on any worker, goes ahead. Renewal failure
stops the run (``raise_on_lease_renewal_failure``): a run that lost its slot must not go on
crawling beside the next holder.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flows.prefect_env import configure_prefect_defaults

configure_prefect_defaults()  # before Prefect is imported

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.concurrency.sync import concurrency  # noqa: E402

from flows import jobs, site_job  # noqa: E402
from pipeline.settings import SiteConfig  # noqa: E402

log = logging.getLogger("flows")

# Renewed by a thread of the flow run; a dead worker's site is free again after
# at most this plus the repossessor's loop (5 s in the cluster's server, flows/cluster.py).
SITE_LEASE_S = 60.0  # the server refuses leases under 60 s


def _die_with_worker() -> None:
    """A flow run started by ``blogscope worker`` (a ``python -m prefect.engine`` child of the
    worker) dies with it, even by ``kill -9``: a lost machine takes its runs with it."""
    if os.environ.get(site_job.WORKER_PID_ENV) == str(os.getppid()):
        from pipeline.proc import die_with_parent

        die_with_parent()


_die_with_worker()


def site_limit_name(site_id: str) -> str:
    return f"blogscope-site-{site_id}"


@task(name="crawl-site", cache_policy=NO_CACHE)
def crawl_site_task(shared: str, site: dict[str, Any], config: str | None, run_id: str,
                    allow_private: bool) -> dict[str, Any]:
    return site_job.crawl_site(Path(shared), SiteConfig(**site), config, run_id, allow_private=allow_private)


@task(name="process-site", cache_policy=NO_CACHE)
def process_site_task(shared: str, site: dict[str, Any], config: str | None, run_id: str) -> dict[str, Any]:
    return site_job.process_site(Path(shared), SiteConfig(**site), config, run_id)


@task(name="load-site", cache_policy=NO_CACHE)
def load_site_task(shared: str, site: dict[str, Any], config: str | None, run_id: str,
                   included_runs: list[str]) -> dict[str, int]:
    return site_job.load_site(Path(shared), SiteConfig(**site), config, run_id, included_runs,
                              {"sites": [site], "cluster": True})


def crash_lost_runs() -> list[str]:
    """Other runs of this site's deployment still shown Running are lost: we hold the site's only
    slot, so their lease ran out (their worker died). Mark them Crashed, as Prefect's zombie
    detection would, so the UI and ``status`` tell the truth. Returns their ids."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterDeploymentId, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.context import FlowRunContext
    from prefect.states import Crashed

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or ctx.flow_run.deployment_id is None:
        return []
    me = ctx.flow_run
    lost = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[me.deployment_id]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))))
        for run in runs:
            if run.id != me.id:
                client.set_flow_run_state(run.id, Crashed(message=f"its worker was lost; the site's lease ran out "
                                                                  f"and flow run {me.name} took the site over"),
                                          force=True)
                lost.append(str(run.id))
    if lost:
        log.warning("marked %d lost flow run(s) of this site Crashed: %s", len(lost), ", ".join(lost))
    return lost


def _flow_run_id() -> str:
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx is not None and ctx.flow_run is not None else jobs.new_run_id()


@flow(name="blogscope-site")
def site_flow(shared: str, site: dict[str, Any], config: str | None = None,
              allow_private: bool = False) -> dict[str, Any]:
    """Crawl -> process -> load one site, holding the site's slot (one worker at a time)."""
    site_id = site["id"]
    flow_run_id = _flow_run_id()
    shared_path = Path(shared)
    site_job.note_flow_run(shared_path, flow_run_id, site_id, "waiting")
    try:
        with concurrency(site_limit_name(site_id), occupy=1, lease_duration=SITE_LEASE_S, strict=True,
                         raise_on_lease_renewal_failure=True):
            site_job.note_flow_run(shared_path, flow_run_id, site_id, "running")
            crash_lost_runs()
            run_id = jobs.new_run_id()
            crawl = crawl_site_task(shared, site, config, run_id, allow_private)
            processed = process_site_task(shared, site, config, run_id)
            loaded = load_site_task(shared, site, config, run_id, processed["included_runs"])
    except BaseException:
        site_job.note_flow_run(shared_path, flow_run_id, site_id, "failed")
        raise
    site_job.note_flow_run(shared_path, flow_run_id, site_id, "completed")
    return {"site": site_id, "run_id": run_id, "crawl": crawl, "process": processed, "load": loaded}
