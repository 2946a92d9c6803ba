"""Prefect flows: thin wrappers over ``flows.orchestration``; with ``flows/schedule.py`` the
only modules that import Prefect.

- A flow reads the settings once (``load_settings``) and passes the typed ``Settings`` (a small
  frozen dataclass) to its tasks; flow parameters stay JSON (home, config path, site dicts) for
  the deployments. Tasks return small values: paths, counts, per-site outcomes.
- Tasks work on whole stages (never one task per document: ~9 ms overhead per task run).
- Side-effecting tasks never use Prefect's result cache (a cached "load" task was skipped across
  processes in a measurement here), so every task has ``NO_CACHE``.
- Without a server everything runs in-process (Prefect's ephemeral mode), with PREFECT_HOME
  under the blogscope home unless it is set.
- Three flows: ``run_flow`` (run, demo, the nightly schedule), ``topics_refresh_flow`` (the weekly
  schedule) and ``load_flow`` (an already processed run)."""

from __future__ import annotations

import logging
import os
from typing import Any

from flows.prefect_env import configure_prefect_defaults

configure_prefect_defaults()  # before Prefect is imported: it reads its settings at import

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows import jobs, orchestration  # noqa: E402
from flows.errors import ACTIONABLE_ERRORS  # noqa: E402
from flows.orchestration import RunPlan, Stages  # noqa: E402
from pipeline.settings import Settings, SiteConfig, load_settings, with_sites  # noqa: E402

SCHEDULE_PID_ENV = "_BLOGSCOPE_SCHEDULE_PID"  # not BLOGSCOPE_<SECTION>_<KEY>: no config override


def _die_with_schedule() -> None:
    """A flow run that ``blogscope schedule``'s runner started (a ``python -m prefect.engine``
    child, which imports this module) ends when ``schedule`` dies, even by ``kill -9``."""
    if os.environ.get(SCHEDULE_PID_ENV) == str(os.getppid()):
        from pipeline.proc import die_with_parent

        die_with_parent()


_die_with_schedule()


class _UserErrorsWithoutTraceback(logging.Filter):
    """Prefect logs a failed run's exception with its traceback before the CLI prints its one-line
    error. For errors the user can act on (bad config, a failed job, a warehouse problem) the
    message is the useful part; bugs keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ACTIONABLE_ERRORS):
            record.exc_info = None
            record.exc_text = None
        return True


class _InterruptsSaidOnce(logging.Filter):
    """A Ctrl-C makes Prefect log a "Crash detected" error per task and flow run; the CLI says it
    once, in one line (``blogscope run: interrupted; ...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "aborted by an interrupt signal" not in record.getMessage()


for _name in ("prefect.flow_runs", "prefect.task_runs"):
    logging.getLogger(_name).addFilter(_UserErrorsWithoutTraceback())
    logging.getLogger(_name).addFilter(_InterruptsSaidOnce())


def _settings(home: str, config: str | None, sites: list[dict[str, Any]] | None = None) -> Settings:
    """The flow's settings, read once; its tasks get this object, never the TOML again."""
    settings = load_settings(home=home, config=config)
    if sites is not None:
        settings = with_sites(settings, tuple(SiteConfig(**s) for s in sites))
    return settings


# No Prefect retries around the crawl: one subprocess crawls every site, and its errors are
# already handled per request and per site (retries, back-off, failures recorded). Retrying the
# task would crawl every site again because one of them failed.
@task(name="crawl", cache_policy=NO_CACHE)
def crawl_task(settings: Settings, run_id: str, allow_private: bool) -> dict[str, Any]:
    return orchestration.crawl_stage(settings, run_id, allow_private)


@task(name="process", cache_policy=NO_CACHE)
def process_task(settings: Settings, run_id: str, from_archive: bool = False) -> dict[str, Any]:
    return jobs.process(settings, run_id, from_archive=from_archive)


@task(name="load", cache_policy=NO_CACHE)
def load_task(settings: Settings, run_id: str, only: tuple[str, ...] | None = None) -> dict[str, int]:
    return jobs.load(settings, run_id, only=only)


@task(name="topics", cache_policy=NO_CACHE)
def topics_task(settings: Settings, run_id: str, refit: bool) -> dict[str, Any]:
    return jobs.topics(settings, run_id, refit=refit)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(settings: Settings) -> str:
    return jobs.publish(settings)


@task(name="report", cache_policy=NO_CACHE)
def report_task(settings: Settings) -> str:
    return jobs.report(settings)


TASKS = Stages(crawl=crawl_task, process=process_task, load=load_task, topics=topics_task, publish=publish_task,
               report=report_task)


def run_trigger() -> str:
    """``scheduled`` when Prefect's scheduler created this flow run (a cron), else ``manual``."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    flow_run = ctx.flow_run if ctx is not None else None
    return "scheduled" if flow_run is not None and getattr(flow_run, "auto_scheduled", False) else "manual"


@flow(name="blogscope-run", log_prints=True)
def run_flow(home: str, config: str | None = None, sites: list[dict[str, Any]] | None = None,
             allow_private: bool = False, refit_topics: bool = False, write_report: bool = True,
             run_id: str | None = None) -> dict[str, Any]:
    """Crawl -> process -> load -> topics -> load topics -> publish -> report (``run``, ``demo``,
    the nightly schedule); the summary of ``flows.orchestration.execute``."""
    settings = _settings(home, config, sites)
    plan = RunPlan(kind="run", crawl=True, process=True, refit_topics=refit_topics, write_report=write_report,
                   allow_private=allow_private, trigger=run_trigger(),
                   config={"sites": [s.__dict__ for s in settings.sites], "allow_private": allow_private})
    return orchestration.execute(settings, run_id or jobs.new_run_id(), plan, TASKS)


@flow(name="blogscope-load")
def load_flow(home: str, config: str | None, run_id: str) -> dict[str, Any]:
    """Load an already processed run (``runs/RUN/processed``), fit or infer topics, publish."""
    return orchestration.execute(_settings(home, config), run_id, RunPlan(kind="load"), TASKS)


@flow(name="blogscope-topics-refresh")
def topics_refresh_flow(home: str, config: str | None = None) -> dict[str, Any]:
    """Weekly model refresh: refit on the whole warehouse, align to the last model."""
    plan = RunPlan(kind="topics", load=False, refit_topics=True, trigger=run_trigger())
    return orchestration.execute(_settings(home, config), jobs.new_run_id(), plan, TASKS)
