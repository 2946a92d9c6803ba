"""Handlers of the CLI's commands (``flows/cli.py`` parses, these act)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.jobs import JobError
from pipeline.settings import (
    ConfigError,
    Settings,
    SiteConfig,
    check_unique_ids,
    load_settings,
    load_sites,
    read_toml,
    url_problem,
    with_sites,
)

if TYPE_CHECKING:
    from warehouse.query import QueryResult


class UserError(Exception):
    """Something the user can fix; printed as one line without a traceback."""


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(home=Path(args.home).expanduser().resolve(), config=getattr(args, "config", None))
    except ConfigError as exc:
        raise UserError(str(exc)) from exc


def _sites_from_args(settings: Settings, args: argparse.Namespace) -> tuple[SiteConfig, ...]:
    from pipeline.ids import site_id_for

    sites = list(settings.sites)
    if getattr(args, "sites", None):
        path = Path(args.sites)
        if not path.exists():
            raise UserError(f"site list {path} does not exist")
        try:
            data = read_toml(path)
        except ConfigError as exc:
            raise UserError(str(exc)) from exc
        if not data.get("sites"):
            found = sorted(data)
            raise UserError(f"{path}: a site list is [[sites]] tables (id, url, platform, ...); "
                            + (f"found only {found}" if found else "the file is empty")
                            + " (see README: Site list and configuration)")
        try:
            sites.extend(load_sites(data["sites"], str(path)))
        except ConfigError as exc:
            raise UserError(str(exc)) from exc
    listed = {s.id for s in sites}
    for url in getattr(args, "urls", []) or []:
        problem = url_problem(url)  # checked before any flow starts: one line, not three tracebacks
        if problem:
            raise UserError(problem)
        site = SiteConfig(id=site_id_for(url), url=url)
        if site.id not in listed:  # a URL also in the site list is that site, not a second one
            listed.add(site.id)
            sites.append(site)
    if getattr(args, "allow_private", False):
        sites = [SiteConfig(**{**s.__dict__, "allow_private": True}) for s in sites]
    try:
        check_unique_ids(sites, "site list")
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    return tuple(sites)


_HOME_PROBE_BYTES = 1 << 20  # the Prefect server and DuckDB need a few MB to start at all


def ensure_writable_home(home: Path) -> None:
    """Fail at once, in one line, when the home cannot be written (before Prefect, DuckDB or
    the crawler try, each in its own way: a retry loop, a traceback)."""
    import tempfile

    if home.exists() and not home.is_dir():
        raise UserError(f"the home {home} is a file, not a folder; choose a folder with --home")
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-test-") as probe:
            # Real bytes, flushed to the disk: an empty file still fits on a full disk, where the
            # Prefect server and DuckDB would then fail without saying why.
            probe.write(b"\0" * _HOME_PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UserError(f"the disk holding the home {home} is full ({exc.strerror}); "
                            "free some space or choose another folder with --home") from exc
        raise UserError(f"cannot write to the home {home} ({exc.strerror or exc}); "
                        "choose a writable folder with --home") from exc


def _flows(settings: Settings) -> dict[str, Any]:
    """The Prefect flows, talking to a server that dies with this process (``flows/server.py``)."""
    from flows.prefect_env import configure_prefect_env
    from flows.server import use_server_for_run

    configure_prefect_env(settings.home)
    use_server_for_run(settings.home)
    from flows.prefect_flows import FLOWS

    return FLOWS


def _wrap_job_errors(fn):  # noqa: ANN001, ANN202
    def inner(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (JobError, ConfigError) as exc:
            raise UserError(str(exc)) from exc
    inner.__name__ = fn.__name__
    return inner


# ------------------------------------------------------------------------------ run & co


@_wrap_job_errors
def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    sites = _sites_from_args(settings, args)
    if not sites:
        raise UserError("no sites: give blog URLs, e.g. 'blogscope run https://blog.example.org/ --home DIR', "
                        "or a site list with --sites sites.toml")
    ensure_writable_home(settings.home)
    flows = _flows(settings)
    start = time.perf_counter()
    summary = flows["run"](home=str(settings.home), config=args.config, sites=[s.__dict__ for s in sites],
                           allow_private=args.allow_private, refit_topics=args.refit_topics,
                           write_report=not args.no_report)
    print_run_summary(settings, summary, time.perf_counter() - start)
    return report_exit(summary, "run")


def report_exit(summary: dict[str, Any], command: str) -> int:
    """The run's exit code (``flows/outcomes.py``); when not 0, one line on stderr says why."""
    from flows.outcomes import from_dicts

    code = int(summary.get("exit_code", 0))
    if code:
        failed = [o for o in from_dicts(summary.get("crawl", {}).get("sites", [])) if o.outcome != "ok"]
        parts = [f"{o.site} {o.outcome}: {o.reason}" for o in failed]
        parts += [f"stage {name} failed: {why}" for name, why in summary.get("stage_errors", {}).items()]
        what = "nothing collected" if code == 4 else "partly done"
        print(f"blogscope {command}: {what}: " + " | ".join(parts), file=sys.stderr)
    return code


@_wrap_job_errors
def cmd_crawl(args: argparse.Namespace) -> int:
    from flows import jobs

    settings = _settings(args)
    sites = _sites_from_args(settings, args)
    ensure_writable_home(settings.home)
    run_id = jobs.new_run_id()
    summary = jobs.crawl(settings, run_id, sites, allow_private=args.allow_private)
    print(f"run {run_id}: crawl output in {summary.out_dir}")
    print(json.dumps(summary.stats, indent=1, default=str))
    print(f"next: blogscope process --run {run_id} --home {settings.home} --load")
    return 0


@_wrap_job_errors
def cmd_process(args: argparse.Namespace) -> int:
    from flows import jobs

    settings = _settings(args)
    ensure_writable_home(settings.home)
    if args.from_archive:
        run_id = args.run or jobs.new_run_id()
    else:
        run_id = args.run or jobs.latest_run_id(settings, "crawl")
    out = jobs.process(settings, run_id, from_archive=args.from_archive, workers=args.workers)
    print(f"run {run_id}: {out['posts']} posts, {out['comments']} comments, {out['quarantined']} quarantined")
    if args.load:
        with jobs.writer_lock(settings):
            jobs.record_run_start(settings, run_id, "process", {"from_archive": args.from_archive})
            counts = jobs.load(settings, run_id)
            jobs.mark_loaded(settings, out.get("included_runs", [run_id]))
            topics_error = None
            try:
                jobs.topics(settings, run_id)
                counts.update(jobs.load(settings, run_id, only=("model_runs", "topics", "doc_topics", "topic_alignment")))
            except jobs.TopicsNotFitted as exc:  # a stage like the others: recorded, the rest goes on
                topics_error = str(exc)
            jobs.record_run_finish(settings, run_id, "completed_with_errors" if topics_error else "completed", counts,
                                   error=f"stage topics: {topics_error}" if topics_error else None)
            jobs.publish(settings)
        jobs.report(settings)
        print(f"loaded and published {settings.published_db}")
        if topics_error:
            print(f"blogscope process: partly done: stage topics failed: {topics_error}", file=sys.stderr)
            return 3
    else:
        print(f"next: blogscope process --run {run_id} --load --home {settings.home}")
    return 0


@_wrap_job_errors
def cmd_migrate(args: argparse.Namespace) -> int:
    from flows import jobs

    settings = _settings(args)
    ensure_writable_home(settings.home)
    with jobs.writer_lock(settings):
        jobs.migrate(settings)
        jobs.publish(settings)
    print(f"schema up to date: {settings.published_db}")
    return 0


# ------------------------------------------------------------------------------- analysts


def _require_published(settings: Settings) -> Path:
    if not settings.published_db.exists():
        raise UserError(f"no database at {settings.published_db}; run 'blogscope run URL --home {settings.home}' "
                        "or 'blogscope demo' first")
    return settings.published_db


def cmd_query(args: argparse.Namespace) -> int:
    from warehouse.query import QueryRefused, format_result, query

    settings = _settings(args)
    db = _require_published(settings)
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UserError(f"--param {item!r}: use KEY=VALUE, e.g. --param topic=sleep")
        params[name] = value
    try:
        result = query(db, args.sql, params=params or None, timeout_s=args.timeout)
    except QueryRefused as exc:
        raise UserError(str(exc)) from exc
    sys.stdout.write(format_result(result, args.format))
    return 0


def _print_rows(result: QueryResult, json_lines: bool) -> None:
    """The query table, or one JSON object per row."""
    from warehouse.query import format_result

    if not json_lines:
        sys.stdout.write(format_result(result, "table"))
        return
    for row in result.rows:
        print(json.dumps(dict(zip(result.columns, row)), ensure_ascii=False, default=str))


def cmd_search(args: argparse.Namespace) -> int:
    from warehouse.query import QueryResult
    from warehouse.search import mentions_by_month, search

    db = _require_published(_settings(args))
    if args.by_month:
        _print_rows(mentions_by_month(db, args.terms), args.json)
        return 0
    hits = search(db, args.terms, limit=args.limit)
    if not hits:
        print(f"no match for {args.terms!r}", file=sys.stderr)
    # JSON lines carry every field; the table leaves out post_id (the url names the post).
    columns = list(hits[0]) if args.json and hits else ["score", "kind", "title", "snippet", "url", "id"]
    _print_rows(QueryResult(columns, [tuple(h[c] for c in columns) for h in hits]), args.json)
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    """The bundled DuckDB shell on the published database: read-only, full-text search loaded offline."""
    from warehouse.db import fts_load_statement

    db = _require_published(_settings(args))
    shell = Path(sys.executable).parent / "duckdb"  # the duckdb-cli package, same release as the library
    if not shell.is_file():
        raise UserError(f"no DuckDB shell at {shell}; install it with 'make install' (package duckdb-cli)")
    # Without these, a query that needs fts before the LOAD would try to download it.
    setup = ("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; "
             f"{fts_load_statement()};")
    extra = args.duckdb_args[1:] if args.duckdb_args[:1] == ["--"] else args.duckdb_args
    sys.stdout.flush()
    os.execv(shell, [str(shell), "-readonly", str(db), "-cmd", setup, *extra])
    return 0  # not reached: the shell replaces this process


def cmd_export(args: argparse.Namespace) -> int:
    from warehouse.export import export

    settings = _settings(args)
    files = export(_require_published(settings), Path(args.out), fmt=args.format, tables=args.table,
                   raw_cells=args.raw_cells)
    for f in files:
        print(f)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from warehouse.query import format_result, query_file

    settings = _settings(args)
    db = _require_published(settings)
    result = query_file(db, "run_status", {"limit": args.limit})
    sys.stdout.write(format_result(result, "table"))
    if "scheduled" in (row[result.columns.index("trigger")] for row in result.rows):
        from flows.schedule import OVERLAP_NOTE

        print(OVERLAP_NOTE)
    counts = query_file(db, "summary_counts", {})
    _print_crawl_failures(dict(zip(counts.columns, counts.rows[0])).get("crawl_failures"))
    privacy = query_file(db, "privacy_summary", {"limit": args.limit})
    sys.stdout.write("\nprivacy: replacements in texts at ingest (v_privacy_summary)\n" + format_result(privacy, "table"))
    return 0


def _print_crawl_failures(count: int | None) -> None:
    """One line when pages are still uncollected (they are retried by every run)."""
    if count:
        print(f"  pages not collected yet: {count} (retried next run; see the v_crawl_failures view)")


# ----------------------------------------------------------------------------- utilities


def cmd_extract(args: argparse.Namespace) -> int:
    from pipeline import extract_cli

    counts = extract_cli.write_records(args.inputs, sys.stdout, workers=args.workers, timeout=args.timeout)
    summary = extract_cli.failure_summary(counts)
    if summary:
        print(f"blogscope extract: {summary}", file=sys.stderr)
    return extract_cli.exit_status(counts)


@_wrap_job_errors
def cmd_schedule(args: argparse.Namespace) -> int:
    from flows.schedule import serve_schedules

    settings = _settings(args)
    sites = _sites_from_args(settings, args)
    ensure_writable_home(settings.home)
    return serve_schedules(settings, sites, config=args.config, allow_private=args.allow_private, once=args.once,
                           port=args.port, crawl_every_s=args.crawl_every)


@_wrap_job_errors
def cmd_deploy(args: argparse.Namespace) -> int:
    from flows.cluster import deploy

    shared = Path(args.shared).expanduser().resolve()
    settings = _settings(argparse.Namespace(home=str(shared / "warehouse"), config=args.config))
    sites = _sites_from_args(settings, argparse.Namespace(urls=[], sites=args.sites, allow_private=args.allow_private))
    for name in deploy(args.pool, shared, sites, config=args.config, allow_private=args.allow_private,
                       cron=args.cron):
        print(f"deployed {name} (work pool {args.pool})")
    return 0


@_wrap_job_errors
def cmd_worker(args: argparse.Namespace) -> int:
    from flows.worker import run_worker

    return run_worker(args.pool, name=args.name, limit=args.limit, api_url=args.api)


# ----------------------------------------------------------------------------------- demo


@_wrap_job_errors
def cmd_demo(args: argparse.Namespace) -> int:
    from demoblog.generate import generate, truth_dict
    from demoblog.server import serve

    home = Path(args.home).expanduser().resolve()
    prepare_demo_home(home, keep=args.keep)
    settings = _settings(argparse.Namespace(home=str(home), config=args.config))
    start = time.perf_counter()
    blogs = {flavour: generate(flavour, seed=args.seed) for flavour in ("wordpress", "blogger")}
    print("blogscope demo: serving the bundled demo blog on 127.0.0.1 ...", flush=True)
    with serve(blogs["wordpress"]) as wp, serve(blogs["blogger"]) as bl:
        sites = (
            SiteConfig(id="shrink-notes", url=wp.base_url, platform="auto", allow_private=True),
            SiteConfig(id="couch-report", url=bl.base_url, platform="auto", allow_private=True),
        )
        truth_dir = home / "truth"
        truth_dir.mkdir(exist_ok=True)
        for flavour, running in (("wordpress", wp), ("blogger", bl)):
            (truth_dir / f"{flavour}.json").write_text(json.dumps(truth_dict(blogs[flavour], running.base_url), indent=1),
                                                     encoding="utf-8")
        print(f"  WordPress-like: {wp.base_url}\n  Blogger-like:   {bl.base_url}", flush=True)
        settings = with_sites(settings, sites)
        flows = _flows(settings)
        summary = flows["run"](home=str(home), config=args.config, sites=[s.__dict__ for s in sites],
                               allow_private=True, refit_topics=False, write_report=True)
    print_run_summary(settings, summary, time.perf_counter() - start, truth_dir=home / "truth")
    return report_exit(summary, "demo")


DEMO_MARKER = ".blogscope-demo"
DEMO_OUTPUTS = ("runs", "work", "archive", "state", "models", "blogscope.duckdb", "report.html", "truth")


def prepare_demo_home(home: Path, *, keep: bool) -> None:
    """``demo`` writes only into a home it created (marked by ``.blogscope-demo``) or an empty
    folder, and refuses anything else, so pointing it at a real home can never delete data.
    Without ``--keep`` it starts afresh by removing only its own earlier outputs."""
    ensure_writable_home(home)
    marker = home / DEMO_MARKER
    # Demo homes made before the marker existed are known by the demo's truth files.
    made_by_demo = marker.exists() or all((home / "truth" / f"{f}.json").exists() for f in ("wordpress", "blogger"))
    if not made_by_demo and any(home.iterdir()):
        raise UserError(f"{home} is not empty and was not made by 'blogscope demo': it is left untouched; "
                        "use a new or empty folder, e.g. --home demo-home")
    marker.write_text("made by 'blogscope demo'; demo may replace its own files here\n", encoding="utf-8")
    if keep:
        return
    for name in DEMO_OUTPUTS:
        target = home / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def _print_site_outcomes(summary: dict[str, Any]) -> None:
    from flows.outcomes import from_dicts, outcome_lines

    site_rows = summary.get("crawl", {}).get("sites", [])
    if site_rows:
        print("  this run, per site:")
        for line in outcome_lines(from_dicts(site_rows)):
            print(f"    {line}")
    for name, why in summary.get("stage_errors", {}).items():
        print(f"  stage {name} failed: {why} (the rest was loaded and published)")


def print_run_summary(settings: Settings, summary: dict[str, Any], seconds: float, truth_dir: Path | None = None) -> None:
    from warehouse.query import query_file

    db = settings.published_db
    result = query_file(db, "summary_counts", {})
    c = dict(zip(result.columns, result.rows[0]))
    print()
    print(f"run {summary.get('run_id')} {summary.get('status', '')} in {seconds:.0f} s")
    print(f"  warehouse: sites {c['sites']}, posts {c['posts']}, comments {c['comments']} "
          f"({c['commenters']} commenters, {c['replies']} replies), quarantined {c['quarantined']}")
    _print_site_outcomes(summary)
    _print_crawl_failures(c.get("crawl_failures"))
    if truth_dir is not None:
        expected = 0
        for f in sorted(truth_dir.glob("*.json")):
            truth = json.loads(f.read_text(encoding="utf-8"))
            expected += sum(1 for cm in truth["comments"] if cm.get("visible", cm["approved"]))
        verdict = "matches" if expected == c["comments"] else "DOES NOT match"
        print(f"  public comments in the demo truth: {expected} ({verdict} the warehouse)")
    top = query_file(db, "top_topics", {"limit": 5})
    if top.rows:
        print("  topics drawing the most discussion:")
        for row in top.rows:
            r = dict(zip(top.columns, row))
            print(f"    {r['label']:<40} {r['comments']:>4} comments on {r['posts']:>3} posts, "
                  f"mean sentiment {r['mean_sentiment'] if r['mean_sentiment'] is not None else 'n/a'}")
    print("  files:")
    print(f"    analysts' database  {db}")
    if summary.get("report"):
        print(f"    report              {summary['report']}")
    print(f"    raw archive (WARC)  {settings.archive_dir}")
    print("  next, try:")
    print(f"    .venv/bin/blogscope query \"select * from v_topic_discussion_month limit 10\" --home {settings.home}")
    print(f"    .venv/bin/duckdb -readonly {db}")
