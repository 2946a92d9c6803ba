"""``blogscope schedule``: cron schedules from the config that fire with nobody triggering them.

``[schedule] crawl_cron`` runs the whole pipeline (crawl -> ... -> report) for the site list;
``topics_cron`` refits the topic model on the whole warehouse, aligned to the last model.

Prefect's temporary (ephemeral) server runs no scheduler, so a schedule served against it never
fires. ``schedule`` therefore starts a real Prefect server (API, UI, scheduler services) on
127.0.0.1 with its database under ``HOME/prefect`` (``flows/server.py``), or uses the one named by
``PREFECT_API_URL``, and serves the deployments against it.

Overlap policy: **wait**. The runner executes one flow run at a time (``limit=1``): a run that
comes due while another runs waits until it ends, then starts (late). Writes are serialised by
the writer's OS file lock as well, so also a manual ``run`` at the same time waits, and a killed
run never holds the lock (the kernel releases it).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from typing import Any

from flows.prefect_env import configure_prefect_env
from pipeline.settings import Settings, SiteConfig

log = logging.getLogger(__name__)

OVERLAP_POLICY = "wait"
OVERLAP_NOTE = ("overlapping scheduled runs wait: one run at a time (the runner's limit of 1 and the "
                "writer lock); a run that comes due while another runs starts when it ends")


def deployments(settings: Settings, sites: tuple[SiteConfig, ...], *, config: str | None,
                allow_private: bool, crawl_every_s: float | None = None) -> list[Any]:
    """The deployments to serve (Prefect ``RunnerDeployment`` objects).

    ``crawl_every_s`` replaces ``crawl_cron`` by a fixed interval (tests, short demos).
    """
    configure_prefect_env(settings.home)
    from prefect.deployments.runner import EntrypointType

    from flows.prefect_flows import run_flow, topics_refresh_flow

    tz = settings.schedule.timezone
    site_dicts = [dict(s.__dict__) for s in sites]
    # A module path, not a file path: the runner imports the flow wherever `schedule` was started.
    common = {"entrypoint_type": EntrypointType.MODULE_PATH}
    crawl_timing: dict[str, Any] = ({"interval": timedelta(seconds=crawl_every_s)} if crawl_every_s
                                    else {"cron": settings.schedule.crawl_cron})
    crawl = run_flow.to_deployment(
        name="nightly-crawl", **crawl_timing, **common,
        parameters={"home": str(settings.home), "config": config, "sites": site_dicts,
                    "allow_private": allow_private},
        description="Crawl the site list, process, load, publish and report.",
    )
    refresh = topics_refresh_flow.to_deployment(
        name="weekly-topic-refresh", cron=settings.schedule.topics_cron, **common,
        parameters={"home": str(settings.home), "config": config},
        description="Refit the topic model on the whole warehouse, aligned to the last model.",
    )
    for dep in (crawl, refresh):
        for sched in dep.schedules or []:
            if getattr(sched.schedule, "cron", None) is None:
                continue  # an interval has no time zone to set
            try:
                sched.schedule.timezone = tz
            except (AttributeError, ValueError):  # pragma: no cover - older schedule objects
                pass
    return [crawl, refresh]


def serve_schedules(settings: Settings, sites: tuple[SiteConfig, ...], *, config: str | None,
                    allow_private: bool, once: bool = False, port: int | None = None,
                    crawl_every_s: float | None = None) -> int:
    from flows.errors import JobError
    from flows.server import start_server, use_server_for_run

    if not sites:
        raise JobError("no sites to schedule: add [[sites]] to the config or pass --sites sites.toml")
    if crawl_every_s is not None and not 1 <= crawl_every_s < float("inf"):
        raise JobError(f"--crawl-every {crawl_every_s:g}: give a number of seconds, at least 1")
    if port is not None and not 1 <= port <= 65535:
        raise JobError(f"--port {port}: give a port between 1 and 65535")
    configure_prefect_env(settings.home)
    if once:
        # Register the deployments (kept in HOME/prefect's database) and exit; nothing is served.
        use_server_for_run(settings.home)
        deps = deployments(settings, sites, config=config, allow_private=allow_private, crawl_every_s=crawl_every_s)
        for dep in deps:
            dep_id = dep.apply()
            print(f"registered {dep.name} ({dep_id})")
        return 0
    server = None
    if os.environ.get("PREFECT_API_URL"):
        api_url = os.environ["PREFECT_API_URL"]
        print(f"using the Prefect server at {api_url}", flush=True)
    else:
        print("starting a Prefect server on 127.0.0.1 (database in "
              f"{settings.home / 'prefect'}) ...", flush=True)
        server = start_server(settings.home, full=True, port=port)
        os.environ["PREFECT_API_URL"] = api_url = server.url
        print(f"Prefect UI: {server.ui_url}  (API {server.url}; log {settings.home / 'prefect' / 'server.log'})",
              flush=True)
    deps = deployments(settings, sites, config=config, allow_private=allow_private, crawl_every_s=crawl_every_s)
    from flows.prefect_flows import SCHEDULE_PID_ENV

    os.environ[SCHEDULE_PID_ENV] = str(os.getpid())  # the runner's flow runs die with us
    timing = f"every {crawl_every_s:g} s" if crawl_every_s else f"'{settings.schedule.crawl_cron}'"
    print(f"serving 2 schedules: crawl {timing}, topics '{settings.schedule.topics_cron}' "
          f"({settings.schedule.timezone}); {OVERLAP_NOTE}; Ctrl-C to stop", flush=True)
    return _serve_until_interrupted(deps, server)


def _serve_until_interrupted(deps: list[Any], server: Any) -> int:
    """Serve until Ctrl-C or SIGTERM; then one line and exit 130 (no websocket tracebacks).

    Prefect's runner catches the first interrupt itself and then tears down its event clients,
    which print tracebacks when the server goes first. So the first signal is ours: the server
    is stopped and the process ends at once, without Prefect's teardown.
    """
    import signal

    from prefect import serve

    def stop(signum: int, _frame: Any) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(f"blogscope schedule: stopped ({name}); runs in progress end with it and are marked "
              "crashed by the next run", file=sys.stderr, flush=True)
        if server is not None:
            server.stop()
        sys.stdout.flush()
        os._exit(130)  # skip Prefect's teardown (see above)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    serve(*deps, limit=1, print_starting_message=False)
    return 0
