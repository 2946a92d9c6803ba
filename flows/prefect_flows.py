"""Prefect flows: thin wrappers over ``flows.jobs``; the only module that imports Prefect.

- Tasks work on whole stages (never one task per document: ~9 ms overhead per task run).
- Network tasks retry; side-effecting tasks never use Prefect's result cache (a cached "load"
  task was skipped across processes in a measurement here), so every task has ``NO_CACHE``.
- Tasks pass small values: run ids, paths, counts.
- Without a server everything runs in-process (Prefect's ephemeral mode), with PREFECT_HOME
  under the blogscope home unless it is set.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flows.prefect_env import configure_prefect_defaults

configure_prefect_defaults()  # before Prefect is imported: it reads its settings at import

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows import jobs, outcomes  # noqa: E402

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
        from pipeline.settings import ConfigError
        from warehouse.errors import WarehouseError

        if record.exc_info and isinstance(record.exc_info[1], (jobs.JobError, ConfigError, WarehouseError)):
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


def _settings(home: str, config: str | None, sites: list[dict[str, Any]] | None = None):
    from pipeline.settings import SiteConfig, load_settings, with_sites

    settings = load_settings(home=home, config=config)
    if sites is not None:
        settings = with_sites(settings, tuple(SiteConfig(**s) for s in sites))
    return settings


# No Prefect retries around the crawl: one subprocess crawls every site, and its errors are
# already handled per request and per site (retries, back-off, failures recorded). Retrying the
# task would crawl every site again because one of them failed.
@task(name="crawl", cache_policy=NO_CACHE)
def crawl_task(home: str, config: str | None, run_id: str, sites: list[dict[str, Any]],
               allow_private: bool) -> dict[str, Any]:
    settings = _settings(home, config, sites)
    summary = jobs.crawl(settings, run_id, settings.sites, allow_private=allow_private)
    site_outcomes = outcomes.classify_crawl(summary.stats, [s.id for s in settings.sites])
    return {"out_dir": summary.out_dir, "sites": outcomes.as_dicts(site_outcomes),
            **{k: v for k, v in summary.stats.items() if isinstance(v, (int, float))}}


@task(name="process", cache_policy=NO_CACHE)
def process_task(home: str, config: str | None, run_id: str, from_archive: bool = False) -> dict[str, Any]:
    return jobs.process(_settings(home, config), run_id, from_archive=from_archive)


@task(name="load", cache_policy=NO_CACHE)
def load_task(home: str, config: str | None, run_id: str, only: tuple[str, ...] | None = None) -> dict[str, int]:
    return jobs.load(_settings(home, config), run_id, only=only)


@task(name="topics", cache_policy=NO_CACHE)
def topics_task(home: str, config: str | None, run_id: str, refit: bool) -> dict[str, Any]:
    return jobs.topics(_settings(home, config), run_id, refit=refit)


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(home: str, config: str | None) -> str:
    return jobs.publish(_settings(home, config))


@task(name="report", cache_policy=NO_CACHE)
def report_task(home: str, config: str | None) -> str:
    return jobs.report(_settings(home, config))


def run_trigger() -> str:
    """``scheduled`` when Prefect's scheduler created this flow run (a cron), else ``manual``."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    flow_run = ctx.flow_run if ctx is not None else None
    return "scheduled" if flow_run is not None and getattr(flow_run, "auto_scheduled", False) else "manual"


def _topics_stage(home: str, config: str | None, run_id: str, refit: bool,
                  stage_errors: dict[str, str]) -> dict[str, Any] | None:
    """Topics are a stage like the others: when the model cannot be fitted (e.g. too little
    distinct text) the reason is recorded, the previous model (or none) stays, and the run goes
    on to publish and report; the run ends partial (exit 3)."""
    try:
        return topics_task(home, config, run_id, refit)
    except Exception as exc:  # noqa: BLE001 - any failure of the stage is the stage's
        message = str(exc).splitlines()[0] if str(exc) else ""
        stage_errors["topics"] = (message if isinstance(exc, jobs.TopicsNotFitted)
                                  else f"{type(exc).__name__}: {message}")[:300]
        logging.getLogger("flows").warning("topics: no model this run (%s); the previous model stays",
                                           stage_errors["topics"])
        return None


def run_problems(summary: dict[str, Any]) -> str | None:
    """The run row's ``error``: failed sites and stages, one line each; None when all went well."""
    lines = [f"site {o['site']}: {o['outcome']}: {o['reason']}" for o in summary.get("crawl", {}).get("sites", [])
             if o["outcome"] != "ok"]
    lines += [f"stage {name}: {why}" for name, why in summary.get("stage_errors", {}).items()]
    return "\n".join(lines) or None


@flow(name="blogscope-run", log_prints=True)
def run_flow(home: str, config: str | None = None, sites: list[dict[str, Any]] | None = None,
             allow_private: bool = False, refit_topics: bool = False, write_report: bool = True,
             run_id: str | None = None) -> dict[str, Any]:
    """Crawl -> process -> load -> topics -> load topics -> publish -> report.

    The summary holds per-site outcomes (``crawl.sites``), failed stages (``stage_errors``) and
    the ``exit_code`` of the contract in ``flows/outcomes.py``.
    """
    settings = _settings(home, config, sites)
    site_dicts = [s.__dict__ for s in settings.sites]
    run_id = run_id or jobs.new_run_id()
    trigger = run_trigger()
    with jobs.writer_lock(settings):
        jobs.record_run_start(settings, run_id, "run", {"sites": site_dicts, "allow_private": allow_private},
                              trigger=trigger)
        summary: dict[str, Any] = {"run_id": run_id, "trigger": trigger, "stage_errors": {}}
        try:
            summary["crawl"] = crawl_task(home, config, run_id, site_dicts, allow_private)
            summary["process"] = process_task(home, config, run_id)
            summary["load"] = load_task(home, config, run_id)
            jobs.mark_loaded(settings, summary["process"].get("included_runs", [run_id]))
            topics = _topics_stage(home, config, run_id, refit_topics, summary["stage_errors"])
            if topics is not None:
                summary["topics"] = topics
                summary["load_topics"] = load_task(home, config, run_id,
                                                   ("model_runs", "topics", "doc_topics", "topic_alignment"))
            summary["exit_code"] = outcomes.exit_code(outcomes.from_dicts(summary["crawl"]["sites"]),
                                                      summary["stage_errors"])
            problems = run_problems(summary)
            status = "completed_with_errors" if summary["process"].get("quarantined") or problems else "completed"
            jobs.record_run_finish(settings, run_id, status, _counts(summary), error=problems)
            summary["published"] = publish_task(home, config)
        except BaseException as exc:
            jobs.record_run_finish(settings, run_id, "failed", _counts(summary), error=f"{type(exc).__name__}: {exc}")
            jobs.publish(settings)  # analysts see the failed run recorded
            raise
    if write_report:
        summary["report"] = report_task(home, config)
    summary["status"] = status
    return summary


@flow(name="blogscope-crawl")
def crawl_flow(home: str, config: str | None, sites: list[dict[str, Any]], allow_private: bool = False,
               run_id: str | None = None) -> dict[str, Any]:
    run_id = run_id or jobs.new_run_id()
    return {"run_id": run_id, **crawl_task(home, config, run_id, sites, allow_private)}


@flow(name="blogscope-process")
def process_flow(home: str, config: str | None, run_id: str, from_archive: bool = False) -> dict[str, Any]:
    return process_task(home, config, run_id, from_archive)


@flow(name="blogscope-load")
def load_flow(home: str, config: str | None, run_id: str) -> dict[str, Any]:
    settings = _settings(home, config)
    with jobs.writer_lock(settings):
        jobs.record_run_start(settings, run_id, "load", {})
        counts = load_task(home, config, run_id)
        topics = topics_task(home, config, run_id, False)
        counts.update(load_task(home, config, run_id, ("model_runs", "topics", "doc_topics", "topic_alignment")))
        jobs.record_run_finish(settings, run_id, "completed", counts)
        published = publish_task(home, config)
    return {"run_id": run_id, "load": counts, "topics": topics, "published": published}


@flow(name="blogscope-publish")
def publish_flow(home: str, config: str | None) -> str:
    settings = _settings(home, config)
    with jobs.writer_lock(settings):
        return publish_task(home, config)


@flow(name="blogscope-report")
def report_flow(home: str, config: str | None) -> str:
    return report_task(home, config)


@flow(name="blogscope-topics-refresh")
def topics_refresh_flow(home: str, config: str | None = None) -> dict[str, Any]:
    """Weekly model refresh: refit on the whole warehouse, align to the last model."""
    settings = _settings(home, config)
    run_id = jobs.new_run_id()
    with jobs.writer_lock(settings):
        jobs.record_run_start(settings, run_id, "topics", {}, trigger=run_trigger())
        stage_errors: dict[str, str] = {}
        out = _topics_stage(home, config, run_id, True, stage_errors)
        counts = load_task(home, config, run_id, ("model_runs", "topics", "doc_topics", "topic_alignment")) \
            if out is not None else {}
        jobs.record_run_finish(settings, run_id, "completed_with_errors" if stage_errors else "completed", counts,
                               error="\n".join(f"stage {k}: {v}" for k, v in stage_errors.items()) or None)
        publish_task(home, config)
    return {"run_id": run_id, "stage_errors": stage_errors, **(out or {})}


FLOWS = {
    "run": run_flow, "crawl": crawl_flow, "process": process_flow, "load": load_flow,
    "publish": publish_flow, "report": report_flow, "topics_refresh": topics_refresh_flow,
}


def _counts(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, dict)}
