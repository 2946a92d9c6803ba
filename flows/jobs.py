"""The jobs, as plain functions: crawl, process, load, topics, publish, report.

``flows/orchestration.py`` sequences them into a recorded run; Prefect tasks
(``flows/prefect_flows.py``) wrap them in a line each. Everything here is testable without Prefect.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.errors import JobError, TopicsNotFitted
from pipeline.settings import Settings, SiteConfig

log = logging.getLogger(__name__)


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and readable: ``20260127T031500Z-3f9a``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def latest_run_id(settings: Settings, needs: str = "crawl") -> str:
    runs = sorted(p.name for p in settings.runs_dir.glob("*") if (p / needs).is_dir())
    if not runs:
        raise JobError(f"no run with a {needs}/ folder in {settings.runs_dir}; run 'blogscope crawl' first")
    return runs[-1]


# --------------------------------------------------------------------------------- crawl


@dataclass
class CrawlSummary:
    run_id: str
    returncode: int
    stats: dict[str, Any] = field(default_factory=dict)
    out_dir: str = ""


def crawl(settings: Settings, run_id: str, sites: tuple[SiteConfig, ...], *, allow_private: bool = False,
          timeout_s: float | None = None) -> CrawlSummary:
    """Crawl ``sites`` in a subprocess (the Twisted reactor cannot restart in one process)."""
    if not sites:
        raise JobError("no sites to crawl: give URLs on the command line or a site list with --sites")
    out_dir = settings.run_dir(run_id) / "crawl"
    out_dir.mkdir(parents=True, exist_ok=True)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    settings.archive_dir.mkdir(parents=True, exist_ok=True)
    sites_file = out_dir / "sites.json"
    sites_file.write_text(json.dumps([dataclasses.asdict(s) for s in sites], indent=1), encoding="utf-8")
    crawl_settings = out_dir / "crawl-settings.json"
    crawl_settings.write_text(json.dumps(dataclasses.asdict(settings.crawl), indent=1), encoding="utf-8")
    cmd = [sys.executable, "-m", "crawl.run", "--sites", str(sites_file), "--out", str(out_dir),
           "--state", str(settings.state_dir), "--archive", str(settings.archive_dir),
           "--settings-json", str(crawl_settings)]
    if allow_private:
        cmd.append("--allow-private")
    log.info("crawl: %s", " ".join(cmd))
    proc = run_child(cmd, timeout_s=timeout_s)
    stats_path = out_dir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    if proc.returncode != 0:
        raise JobError(f"the crawl subprocess exited with {proc.returncode}; see the messages above "
                       f"and {out_dir}")
    return CrawlSummary(run_id, proc.returncode, stats, str(out_dir))


def run_child(cmd: list[str], *, timeout_s: float | None = None) -> subprocess.CompletedProcess:
    """Run a child process that dies with this one, even on ``kill -9`` (``PR_SET_PDEATHSIG``).

    On Ctrl-C the child (same process group) gets the SIGINT too and stops cleanly; we wait for
    it so that its last records are written, then let the interrupt go on.
    """
    from pipeline.proc import die_with_parent

    with subprocess.Popen(cmd, preexec_fn=die_with_parent) as proc:  # noqa: PLW1509 - prctl only
        try:
            returncode = proc.wait(timeout=timeout_s)
        except KeyboardInterrupt:
            try:
                proc.wait(timeout=30)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                proc.kill()
            raise
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    return subprocess.CompletedProcess(cmd, returncode)


# ------------------------------------------------------------------------------- process


def process(settings: Settings, run_id: str, *, from_archive: bool = False, workers: int = 0,
            progress: bool = True) -> dict[str, Any]:
    """Crawl output (or the WARC archive) -> ``runs/RUN/processed/*.parquet``."""
    from pipeline.privacy import load_or_create_key
    from pipeline.process import process_crawl, process_records

    key = load_or_create_key(settings.home, settings.privacy.pseudonym_key)
    proc_settings = settings.process if not workers else dataclasses.replace(settings.process, workers=workers)
    out_dir = settings.run_dir(run_id) / "processed"
    embed = settings.topics.backend == "embeddings"  # vectors only where a topic refit will use them
    if from_archive:
        from pipeline.sources import rebuild_from_warc

        warcs = sorted(settings.archive_dir.rglob("*.warc.gz"))
        if not warcs:
            raise JobError(f"no WARC files under {settings.archive_dir}: nothing to rebuild from")
        records = _as_raw_dicts(rebuild_from_warc(warcs))
        result = process_records(records, out_dir, run_id, pseudonym_key=key, settings=proc_settings, progress=progress,
                                 earlier_posts=_earlier_posts(settings), earlier_names=_earlier_names(settings),
                                 known_post_urls=_known_post_urls(settings), embed=embed)
        included = [run_id]
    else:
        crawl_file = settings.run_dir(run_id) / "crawl" / "raw.jsonl"
        if not crawl_file.exists():
            raise JobError(f"{crawl_file} does not exist (a loaded run's crawl output is removed for privacy): "
                           "crawl this run first, or rebuild with 'blogscope process --from-archive'")
        included = pending_runs(settings, run_id)
        files = [settings.run_dir(r) / "crawl" / "raw.jsonl" for r in included]
        result = process_crawl(files, out_dir, run_id, home=settings.home, pseudonym_key=key,
                               settings=proc_settings, progress=progress, earlier_posts=_earlier_posts(settings),
                               earlier_names=_earlier_names(settings), known_post_urls=_known_post_urls(settings),
                               embed=embed)
    return {"posts": result.posts, "comments": result.comments, "sentiment": result.sentiment,
            "quarantined": result.quarantined, "stages": result.counts, "included_runs": included}


def _earlier_posts(settings: Settings) -> Any:
    """The warehouse lookup the process stage uses for comments whose post an earlier run loaded."""
    from warehouse.corpus import earlier_posts
    from warehouse.lake import lake_target

    db = lake_target(settings) or settings.working_db
    return lambda post_ids: earlier_posts(db, post_ids)


def _known_post_urls(settings: Settings) -> Any:
    """The warehouse lookup that keeps a post's id when its URL moved (https, no www, new host)."""
    from warehouse.corpus import known_post_urls
    from warehouse.lake import lake_target

    db = lake_target(settings) or settings.working_db
    return lambda site_ids: known_post_urls(db, site_ids)


def _earlier_names(settings: Settings) -> Any:
    """The warehouse lookup of earlier runs' commenters (keyed name hashes) for the redaction."""
    from warehouse.corpus import earlier_commenter_names
    from warehouse.lake import lake_target

    db = lake_target(settings) or settings.working_db
    return lambda site_ids: earlier_commenter_names(db, site_ids)


LOADED_MARKER = "LOADED"


def pending_runs(settings: Settings, run_id: str) -> list[str]:
    """``run_id`` plus every earlier run whose crawl output never reached the warehouse.

    The crawler notes a post as done only after writing its records, and a re-crawl of an
    unchanged post emits nothing. So the records of a run killed before its load would be lost
    unless a later run picks them up: it does, and the derived keys fold the repeats.
    """
    earlier = sorted(p.name for p in settings.runs_dir.glob("*")
                     if p.name < run_id and (p / "crawl" / "raw.jsonl").exists() and not (p / LOADED_MARKER).exists())
    return [*earlier, run_id]


def mark_loaded(settings: Settings, run_ids: list[str]) -> None:
    """Note that these runs' crawl output is in the warehouse (after a committed load)."""
    for rid in run_ids:
        marker = settings.run_dir(rid) / LOADED_MARKER
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(utcnow() + "\n", encoding="utf-8")
    forget_raw_after_load(settings, run_ids)


def forget_raw_after_load(settings: Settings, run_ids: list[str]) -> None:
    """Raw text stays only in the WARC archive: drop loaded runs' ``raw.jsonl`` and expired archives.

    ``raw.jsonl`` holds commenters' raw names, e-mails and the pages' HTML; once its run is in the
    warehouse it is needed no more (``process --from-archive`` rebuilds from the archive).
    """
    from pipeline.privacy import drop_expired_archives

    for rid in run_ids:
        (settings.run_dir(rid) / "crawl" / "raw.jsonl").unlink(missing_ok=True)
    dropped = drop_expired_archives(settings.archive_dir, settings.privacy.keep_raw_days)
    if dropped:
        log.info("privacy: dropped %d archive file(s) older than %d days", len(dropped), settings.privacy.keep_raw_days)


def _as_raw_dicts(records: Any) -> Any:
    """Records rebuilt from the archive, in the crawl output's JSON-lines shape."""
    from pipeline.records import RawComment, RawPost, Rejected, to_dict

    kinds = {RawPost: "post", RawComment: "comment", Rejected: "rejected"}
    for record in records:
        if isinstance(record, dict):
            yield record
        else:
            yield {"type": kinds[type(record)], **to_dict(record)}


# ------------------------------------------------------------------------------- topics


def topics(settings: Settings, run_id: str, *, refit: bool = False) -> dict[str, Any]:
    """Fit (or infer with the last) topic model over the warehouse's posts; writes Parquet.

    Fits when there is no model yet, when asked (``--refit-topics``, the weekly refresh), or when
    the corpus grew by 25 % since the last fit; otherwise documents are inferred with the last
    model (no retraining), so topic ids stay put between nightly runs. A refit is aligned to the
    previous model run (``topic_alignment``) so a topic keeps its id.
    """
    from pipeline import topics as tm
    from pipeline.io import write_rows
    from warehouse.corpus import read_topic_corpus
    from warehouse.lake import lake_target

    corpus = read_topic_corpus(lake_target(settings) or settings.working_db, languages=settings.process.languages)
    out_dir = settings.run_dir(run_id) / "processed"
    models_dir = settings.home / "models"
    latest = models_dir / "LATEST"
    previous = None
    if latest.exists():
        prev_dir = models_dir / latest.read_text(encoding="utf-8").strip()
        if (prev_dir / "model_run.json").exists():
            previous = tm.load_result(prev_dir)
    posts, comments = corpus.posts, corpus.comments
    if len(posts) < 5:
        log.warning("topics: only %d posts in the warehouse; no topic model fitted yet", len(posts))
        return {"fitted": False, "posts": len(posts)}
    can_infer = previous is not None and previous.topic_model is not None
    grew = can_infer and len(posts) >= 1.25 * previous.n_docs
    post_texts = [p.text for p in posts]
    t = settings.topics
    post_vectors = _topic_vectors(settings, "post", posts) if t.backend == "embeddings" else None
    if not can_infer or refit or grew or _backend_of(previous) != t.backend:
        try:
            model = tm.fit_corpus(post_texts, k=t.k, seed=t.seed, model=t.model, k_min=t.k_min, k_max=t.k_max,
                                  previous=previous, backend=t.backend, vectors=post_vectors)
        except ValueError as exc:  # the corpus cannot carry a model (too small, too uniform)
            raise TopicsNotFitted(f"no topic model fitted: {exc}") from exc
        tm.save_result(model, models_dir / model.model_run_id)
        tmp = latest.with_name("LATEST.tmp")
        tmp.write_text(model.model_run_id, encoding="utf-8")
        os.replace(tmp, latest)
        rows = tm.result_rows(model, run_id=run_id, target_ids=[p.id for p in posts], target_kinds="post")
        fitted = True
    else:
        model, fitted = previous, False
        rows = {"doc_topics": _inferred_rows(tm, model, post_texts, [p.id for p in posts], "post", run_id,
                                             post_vectors)}
    if comments:
        comment_vectors = _topic_vectors(settings, "comment", comments) if model.model == "embeddings" else None
        rows["doc_topics"] = rows["doc_topics"] + _inferred_rows(
            tm, model, [c.text for c in comments], [c.id for c in comments], "comment", run_id, comment_vectors)
    for name, table_rows in rows.items():
        if table_rows:
            write_rows(out_dir / f"{name}.parquet", table_rows)
    return {"fitted": fitted, "model_run_id": model.model_run_id, "model": model.model, "k": model.k,
            "posts": len(posts), "comments": len(comments), "c_v": model.c_v, "diversity": model.diversity}


def _inferred_rows(tm, model, texts: list[str], ids: list[str], kind: str, run_id: str,
                   vectors: Any = None) -> list[dict[str, Any]]:
    """doc_topics rows for documents inferred with a fitted model (no retraining; stored vectors
    when the model is an embeddings one)."""
    inferred = tm.infer(model, texts, vectors=vectors)
    return tm.result_rows(inferred, run_id=run_id, target_ids=ids, target_kinds=kind)["doc_topics"]


def _backend_of(result: Any) -> str | None:
    if result is None:
        return None
    return "embeddings" if result.model == "embeddings" else "classic"


def _topic_vectors(settings: Settings, kind: str, docs: list[Any]) -> Any:
    """Stored vectors of ``docs`` (warehouse ``embeddings``); the few without one are embedded now.

    Posts loaded before the extra was installed have no vector: they are embedded once here (and
    only here: the process stage stores vectors for every later post).
    """
    import numpy as np

    from pipeline.topics import embeddings
    from warehouse.corpus import stored_vectors

    try:
        embeddings.require()
    except embeddings.EmbeddingsNotInstalled as exc:
        raise TopicsNotFitted(f"[topics] backend = \"embeddings\": {exc}") from exc
    stored = stored_vectors(settings.working_db, kind, [d.id for d in docs])
    out = np.zeros((len(docs), embeddings.DIMENSIONS), dtype=np.float32)
    missing = []
    for row, doc in enumerate(docs):
        vector = stored.get(doc.id)
        if vector is None:
            missing.append(row)
        else:
            out[row] = vector
    if missing:
        log.info("topics: %d of %d %ss have no stored vector; embedding them now", len(missing), len(docs), kind)
        out[missing] = embeddings.embed_texts([docs[i].text for i in missing])
    return out


# --------------------------------------------------------------------------- warehouse


def migrate(settings: Settings) -> None:
    from warehouse.db import migrate as run_migrations
    from warehouse.lake import connect_lake, lake_target

    lake = lake_target(settings)
    if lake is not None:  # [warehouse] catalog: the DuckLake warehouse
        connect_lake(lake).close()
        return
    settings.working_db.parent.mkdir(parents=True, exist_ok=True)
    run_migrations(settings.working_db)


def load(settings: Settings, run_id: str, *, only: tuple[str, ...] | None = None) -> dict[str, int]:
    from warehouse.lake import lake_target
    from warehouse.load import load_run

    target = lake_target(settings) or settings.working_db
    result = load_run(target, settings.run_dir(run_id) / "processed", run_id, only=only)
    return dict(result.counts)


def publish(settings: Settings) -> str:
    from warehouse.lake import lake_target
    from warehouse.publish import publish as publish_db
    from warehouse.topic_names import sync_topic_names

    lake = lake_target(settings)
    if lake is not None:  # nothing to copy: DuckLake readers see committed snapshots
        return lake.describe()
    if settings.working_db.exists():  # [topics.names] -> v_current_topics.topic_name of the published copy
        sync_topic_names(settings.working_db, settings.topics.names_by_id)
    publish_db(settings.working_db, settings.published_db)
    return str(settings.published_db)


def report(settings: Settings, out: Path | None = None, *, since: str | None = None, until: str | None = None,
           site: str | None = None) -> str:
    from warehouse.report import build_report

    from warehouse.lake import lake_target

    out = out or settings.report_path
    build_report(lake_target(settings) or settings.published_db, out, since=since, until=until, site=site,
                 allow_comment_text=settings.privacy.report_comment_text, topic_names=settings.topics.names_by_id)
    return str(out)


# --------------------------------------------------------------------------- whole run


def writer_lock(settings: Settings, timeout_s: float = 3600):  # a context manager
    from warehouse.lock import writer_lock as lock

    return lock(settings.working_db.parent, timeout_s=timeout_s)


def record_run_start(settings: Settings, run_id: str, kind: str, config: dict[str, Any],
                     trigger: str = "manual") -> None:
    from warehouse.runs import mark_stale_runs_crashed, record_run_start as start

    migrate(settings)
    mark_stale_runs_crashed(settings.working_db)
    start(settings.working_db, run_id, kind=kind, config=config, trigger=trigger)


def record_run_finish(settings: Settings, run_id: str, status: str, counts: dict[str, Any],
                      error: str | None = None) -> None:
    from warehouse.runs import record_run_finish as finish

    finish(settings.working_db, run_id, status=status, counts=counts, error=error)


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 2)
