"""One site's crawl -> process -> load on whichever worker pulled its flow run (plain functions).

Layout of the shared storage path (a local folder standing for NFS; every worker mounts it at the
same path):

- ``SHARED/warehouse/``: the warehouse home (``work/warehouse.duckdb`` behind the writer's OS
  file lock, the published ``blogscope.duckdb``, ``secret.key``: one pseudonym key for all sites)
- ``SHARED/sites/SITE_ID/``: that site's crawl home: ``state/`` (the crawl state, sqlite),
  ``archive/`` (WARC), ``runs/RUN_ID/`` (crawl output and Parquet). It moves with the site's flow
  run: whichever worker crawls the site next finds the state a killed worker left, so the rerun
  is exact as on one machine (``crawl/state.py``: append, flush, then record).
- ``SHARED/flow-runs/FLOW_RUN_ID.json``: which worker ran which site's flow run (the demo's count).

The crawl state is sqlite on the shared folder: sqlite on NFS is safe with ONE writer at a time,
and the per-site exclusivity (a Prefect concurrency limit per site, ``flows/cluster.py``) gives
exactly that. Only the load is serialised across sites (the warehouse's writer lock).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from pathlib import Path
from typing import Any

from flows import jobs, outcomes
from pipeline.settings import Settings, SiteConfig, load_settings

# Set by `blogscope worker` for the flow runs it starts; not BLOGSCOPE_<SECTION>_<KEY>: no config override.
WORKER_NAME_ENV = "_BLOGSCOPE_WORKER_NAME"
WORKER_PID_ENV = "_BLOGSCOPE_WORKER_PID"


def warehouse_settings(shared: Path, config: str | None) -> Settings:
    return load_settings(home=shared / "warehouse", config=config)


def site_settings(shared: Path, site: SiteConfig, config: str | None) -> Settings:
    """The site's crawl home on the shared path, with the warehouse's pseudonym key (so a
    commenter's pseudonym does not depend on the worker or the site folder)."""
    from pipeline.privacy import load_or_create_key

    base = warehouse_settings(shared, config)
    key = load_or_create_key(base.home, base.privacy.pseudonym_key).decode("utf-8")
    return dataclasses.replace(base, home=shared / "sites" / site.id, sites=(site,),
                               privacy=dataclasses.replace(base.privacy, pseudonym_key=key))


def prepare_shared(shared: Path, config: str | None = None) -> Settings:
    """Once per deployment, before any worker runs: folders, the pseudonym key, the migrated
    warehouse (two workers creating either at once would race)."""
    from pipeline.privacy import load_or_create_key

    wh = warehouse_settings(shared, config)
    for folder in (wh.home / "work", shared / "sites", shared / "flow-runs"):
        folder.mkdir(parents=True, exist_ok=True)
    load_or_create_key(wh.home, wh.privacy.pseudonym_key)
    with jobs.writer_lock(wh):
        jobs.migrate(wh)
    return wh


def note_flow_run(shared: Path, flow_run_id: str, site_id: str, state: str) -> None:
    """Which worker ran this flow run, atomically replaced (a worker killed mid-run leaves 'running')."""
    path = shared / "flow-runs" / f"{flow_run_id}.json"
    info = {"flow_run_id": flow_run_id, "site": site_id, "state": state, "host": socket.gethostname(),
            "worker": os.environ.get(WORKER_NAME_ENV, "unknown"), "pid": os.getpid()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info), encoding="utf-8")
    os.replace(tmp, path)


def flow_runs_by_worker(shared: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted((shared / "flow-runs").glob("*.json")):
        worker = json.loads(path.read_text(encoding="utf-8"))["worker"]
        counts[worker] = counts.get(worker, 0) + 1
    return counts


def crawl_site(shared: Path, site: SiteConfig, config: str | None, run_id: str, *,
               allow_private: bool = False) -> dict[str, Any]:
    """Crawl one site into its folder on the shared path (a subprocess that dies with us)."""
    settings = site_settings(shared, site, config)
    summary = jobs.crawl(settings, run_id, (site,), allow_private=allow_private)
    site_outcomes = outcomes.classify_crawl(summary.stats, [site.id])
    return {"sites": outcomes.as_dicts(site_outcomes),
            **{k: v for k, v in summary.stats.items() if isinstance(v, (int, float))}}


def process_site(shared: Path, site: SiteConfig, config: str | None, run_id: str) -> dict[str, Any]:
    """This run's crawl output plus the site's earlier runs that never reached the warehouse
    (a killed worker's) -> Parquet; earlier posts and commenters are looked up in the warehouse."""
    from pipeline.process import process_crawl

    settings = site_settings(shared, site, config)
    wh = warehouse_settings(shared, config)
    included = jobs.pending_runs(settings, run_id)
    files = [settings.run_dir(r) / "crawl" / "raw.jsonl" for r in included]
    result = process_crawl(files, settings.run_dir(run_id) / "processed", run_id, home=settings.home,
                           pseudonym_key=settings.privacy.pseudonym_key.encode("utf-8"), settings=settings.process,
                           progress=False, earlier_posts=jobs._earlier_posts(wh),
                           earlier_names=jobs._earlier_names(wh), known_post_urls=jobs._known_post_urls(wh))
    return {"posts": result.posts, "comments": result.comments, "quarantined": result.quarantined,
            "included_runs": included}


def load_site(shared: Path, site: SiteConfig, config: str | None, run_id: str, included_runs: list[str],
              run_config: dict[str, Any]) -> dict[str, int]:
    """Load the site's run into the warehouse and publish: ONE warehouse call under the writer
    lock (``load_and_publish``; the DuckLake backend replaces it), with the run's row around it.
    Then the included runs are marked loaded and their raw crawl output deleted."""
    from warehouse.lake import lake_target
    from warehouse.load import load_and_publish

    settings = site_settings(shared, site, config)
    wh = warehouse_settings(shared, config)
    if lake_target(wh) is not None:
        # DuckLake: workers load at once (optimistic concurrency, retried on conflict: exactly once);
        # the lake's runs table records the load, and there is no file to lock or publish.
        result = load_and_publish(wh.home, run_id, run_dir=settings.run_dir(run_id))
        jobs.mark_loaded(settings, included_runs)
        return dict(result.counts)
    with jobs.writer_lock(wh):
        jobs.record_run_start(wh, run_id, "run", run_config)
        result = load_and_publish(wh.home, run_id, run_dir=settings.run_dir(run_id))
        jobs.record_run_finish(wh, run_id, "completed", {"load": dict(result.counts)})
    jobs.mark_loaded(settings, included_runs)
    return dict(result.counts)
