"""What ``run``, ``demo``, ``process --load`` and ``status`` print about a run: the summary block
and the one stderr line that explains an exit code other than 0."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pipeline.settings import Settings


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


def print_crawl_failures(count: int | None) -> None:
    """One line when pages are still uncollected (they are retried by every run)."""
    if count:
        print(f"  pages not collected yet: {count} (retried next run; see the v_crawl_failures view)")


def _print_site_outcomes(summary: dict[str, Any]) -> None:
    from flows.outcomes import from_dicts, outcome_lines

    site_rows = summary.get("crawl", {}).get("sites", [])
    if site_rows:
        print("  this run, per site:")
        for line in outcome_lines(from_dicts(site_rows)):
            print(f"    {line}")
    for name, why in summary.get("stage_errors", {}).items():
        print(f"  stage {name} failed: {why} (the rest was loaded and published)")


def _expected_public_comments(truth_dir: Path) -> int:
    expected = 0
    for f in sorted(truth_dir.glob("*.json")):
        truth = json.loads(f.read_text(encoding="utf-8"))
        expected += sum(1 for cm in truth["comments"] if cm.get("visible", cm["approved"]))
    return expected


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
    print_crawl_failures(c.get("crawl_failures"))
    if truth_dir is not None:
        expected = _expected_public_comments(truth_dir)
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
