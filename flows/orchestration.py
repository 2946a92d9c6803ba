"""The one sequence of a recorded run: [crawl ->] [process ->] load -> topics -> load topic tables
-> finish -> publish [-> report].

Every path that writes the warehouse goes through ``execute``: ``blogscope run``, ``demo`` and the
scheduled nightly crawl (via the Prefect flow), the weekly topic refresh, ``process --load``, and
the load flow. So every one of them holds the writer lock, records its run row, records a failed
run as ``failed`` (then publishes, so analysts see it) and ends with the same exit-code rules
(``flows/outcomes.py``).

Plain Python, no Prefect: the Prefect flow passes its tasks as ``Stages`` (so each stage shows in
the UI with its retries), the CLI passes ``plain_stages()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows import jobs, outcomes
from pipeline.settings import Settings

log = logging.getLogger(__name__)

TOPIC_TABLES = ("model_runs", "topics", "doc_topics", "topic_alignment")


@dataclass(frozen=True)
class Stages:
    """The stage functions a run calls, each taking the one ``Settings`` read at the start."""

    crawl: Callable[[Settings, str, bool], dict[str, Any]]  # (settings, run_id, allow_private)
    process: Callable[[Settings, str, bool], dict[str, Any]]  # (settings, run_id, from_archive)
    load: Callable[[Settings, str, tuple[str, ...] | None], dict[str, int]]  # (settings, run_id, only)
    topics: Callable[[Settings, str, bool], dict[str, Any]]  # (settings, run_id, refit)
    publish: Callable[[Settings], str]
    report: Callable[[Settings], str]


def crawl_stage(settings: Settings, run_id: str, allow_private: bool) -> dict[str, Any]:
    """Crawl the settings' sites; the per-site outcomes and the numeric crawl stats."""
    summary = jobs.crawl(settings, run_id, settings.sites, allow_private=allow_private)
    site_outcomes = outcomes.classify_crawl(summary.stats, [s.id for s in settings.sites])
    return {"out_dir": summary.out_dir, "sites": outcomes.as_dicts(site_outcomes),
            **{k: v for k, v in summary.stats.items() if isinstance(v, (int, float))}}


def plain_stages() -> Stages:
    """The jobs called directly (looked up at call time, so a test may replace one)."""
    return Stages(
        crawl=crawl_stage,
        process=lambda settings, run_id, from_archive: jobs.process(settings, run_id, from_archive=from_archive),
        load=lambda settings, run_id, only: jobs.load(settings, run_id, only=only),
        topics=lambda settings, run_id, refit: jobs.topics(settings, run_id, refit=refit),
        publish=lambda settings: jobs.publish(settings),
        report=lambda settings: jobs.report(settings),
    )


@dataclass(frozen=True)
class RunPlan:
    """Which stages a run does; ``kind``, ``trigger`` and ``config`` go into its run row."""

    kind: str  # runs.kind: run, process, load, topics
    crawl: bool = False
    process: bool = False
    from_archive: bool = False
    load: bool = True
    refit_topics: bool = False
    write_report: bool = False
    allow_private: bool = False
    trigger: str = "manual"
    config: dict[str, Any] = field(default_factory=dict)


def execute(settings: Settings, run_id: str, plan: RunPlan, stages: Stages) -> dict[str, Any]:
    """Run ``plan`` under the writer lock and record it; returns the run summary.

    The summary holds per-site outcomes (``crawl.sites``), failed stages (``stage_errors``),
    ``status`` and the ``exit_code`` of the contract in ``flows/outcomes.py``. Any exception
    records the run as failed, publishes (analysts see the failed run) and is raised again.
    """
    with jobs.writer_lock(settings):
        jobs.record_run_start(settings, run_id, plan.kind, plan.config, trigger=plan.trigger)
        summary: dict[str, Any] = {"run_id": run_id, "trigger": plan.trigger, "stage_errors": {}}
        try:
            _stages_until_finish(settings, run_id, plan, stages, summary)
            summary["published"] = stages.publish(settings)
        except BaseException as exc:
            jobs.record_run_finish(settings, run_id, "failed", _counts(summary), error=f"{type(exc).__name__}: {exc}")
            jobs.publish(settings)
            raise
    if plan.write_report:
        summary["report"] = stages.report(settings)
    return summary


def _stages_until_finish(settings: Settings, run_id: str, plan: RunPlan, stages: Stages,
                         summary: dict[str, Any]) -> None:
    if plan.crawl:
        summary["crawl"] = stages.crawl(settings, run_id, plan.allow_private)
    if plan.process:
        summary["process"] = stages.process(settings, run_id, plan.from_archive)
    if plan.load:
        summary["load"] = stages.load(settings, run_id, None)
        jobs.mark_loaded(settings, summary.get("process", {}).get("included_runs", [run_id]))
    topics = _topics_stage(settings, run_id, plan.refit_topics, stages, summary["stage_errors"])
    if topics is not None:
        summary["topics"] = topics
        summary["load_topics"] = stages.load(settings, run_id, TOPIC_TABLES)
    site_outcomes = outcomes.from_dicts(summary.get("crawl", {}).get("sites", []))
    summary["exit_code"] = outcomes.exit_code(site_outcomes, summary["stage_errors"])
    problems = run_problems(summary)
    quarantined = summary.get("process", {}).get("quarantined")
    summary["status"] = "completed_with_errors" if quarantined or problems else "completed"
    jobs.record_run_finish(settings, run_id, summary["status"], _counts(summary), error=problems)


def _topics_stage(settings: Settings, run_id: str, refit: bool, stages: Stages,
                  stage_errors: dict[str, str]) -> dict[str, Any] | None:
    """Topics are a stage like the others: when the model cannot be fitted (e.g. too little
    distinct text) the reason is recorded, the previous model (or none) stays, and the run goes
    on to publish and report; the run ends partial (exit 3)."""
    try:
        return stages.topics(settings, run_id, refit)
    except Exception as exc:  # noqa: BLE001 - any failure of the stage is the stage's
        message = str(exc).splitlines()[0] if str(exc) else ""
        stage_errors["topics"] = (message if isinstance(exc, jobs.TopicsNotFitted)
                                  else f"{type(exc).__name__}: {message}")[:300]
        log.warning("topics: no model this run (%s); the previous model stays", stage_errors["topics"])
        return None


def run_problems(summary: dict[str, Any]) -> str | None:
    """The run row's ``error``: failed sites and stages, one line each; None when all went well."""
    lines = [f"site {o['site']}: {o['outcome']}: {o['reason']}" for o in summary.get("crawl", {}).get("sites", [])
             if o["outcome"] != "ok"]
    lines += [f"stage {name}: {why}" for name, why in summary.get("stage_errors", {}).items()]
    return "\n".join(lines) or None


def _counts(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, dict)}
