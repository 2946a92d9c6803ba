"""``blogscope schedule``: cron schedules from the config, served by Prefect.

``[schedule] crawl_cron`` runs the whole pipeline (crawl -> ... -> report) for the site list;
``topics_cron`` refits the topic model on the whole warehouse, aligned to the last model.
Runs are serialised by the writer's OS file lock, so an overlapping schedule waits instead of
writing at the same time, and a killed run never holds it (the kernel releases it).
"""

from __future__ import annotations

import logging
from typing import Any

from flows.prefect_env import configure_prefect_env
from pipeline.settings import Settings, SiteConfig

log = logging.getLogger(__name__)


def deployments(settings: Settings, sites: tuple[SiteConfig, ...], *, config: str | None,
                allow_private: bool) -> list[Any]:
    """The deployments to serve (Prefect ``RunnerDeployment`` objects)."""
    configure_prefect_env(settings.home)
    from flows.prefect_flows import run_flow, topics_refresh_flow

    tz = settings.schedule.timezone
    site_dicts = [dict(s.__dict__) for s in sites]
    crawl = run_flow.to_deployment(
        name="nightly-crawl", cron=settings.schedule.crawl_cron,
        parameters={"home": str(settings.home), "config": config, "sites": site_dicts,
                    "allow_private": allow_private},
        description="Crawl the site list, process, load, publish and report.",
    )
    refresh = topics_refresh_flow.to_deployment(
        name="weekly-topic-refresh", cron=settings.schedule.topics_cron,
        parameters={"home": str(settings.home), "config": config},
        description="Refit the topic model on the whole warehouse, aligned to the last model.",
    )
    for dep in (crawl, refresh):
        for sched in dep.schedules or []:
            try:
                sched.schedule.timezone = tz
            except (AttributeError, ValueError):  # pragma: no cover - older schedule objects
                pass
    return [crawl, refresh]


def serve_schedules(settings: Settings, sites: tuple[SiteConfig, ...], *, config: str | None,
                    allow_private: bool, once: bool = False) -> int:
    if not sites:
        from flows.jobs import JobError

        raise JobError("no sites to schedule: add [[sites]] to the config or pass --sites sites.toml")
    deps = deployments(settings, sites, config=config, allow_private=allow_private)
    if once:
        for dep in deps:
            dep_id = dep.apply()
            print(f"registered {dep.name} ({dep_id})")
        return 0
    from prefect import serve

    print(f"serving {len(deps)} schedules: crawl '{settings.schedule.crawl_cron}', "
          f"topics '{settings.schedule.topics_cron}' ({settings.schedule.timezone}); Ctrl-C to stop")
    serve(*deps)
    return 0
