"""What a run achieved per site, and the exit code a script can trust.

Plain functions over the crawl's ``stats.json`` (``sites.<id>``, written by ``crawl/output.py``):
no Prefect, no database, so the rules are tested directly (``tests/test_ops_outcomes.py``).

Exit codes of ``run``, ``demo`` and ``schedule --once`` (documented in the README):
0 every site collected and every stage ok; 1 a bug; 2 a usage or user error; 3 partial (some
sites, posts, comments or a stage failed, the rest was loaded); 4 nothing collected (every site
failed); 130 interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER_ERROR = 2
EXIT_PARTIAL = 3
EXIT_NOTHING_COLLECTED = 4
EXIT_INTERRUPTED = 130

Outcome = Literal["ok", "partial", "failed"]

# Failure reasons (``accounting.failures_by_reason``) that mean the site could not be reached at all.
UNREACHABLE_REASONS = {
    "connection_refused": "connection refused",
    "dns_or_blocked": "name not resolved (DNS)",
    "timeout": "timed out",
    "connection_lost": "connection lost",
}


@dataclass(frozen=True)
class SiteOutcome:
    site: str
    outcome: Outcome
    reason: str  # one line; empty when ok
    new_posts: int = 0
    new_comments: int = 0
    failed_items: int = 0
    problems: dict[str, int] = field(default_factory=dict)  # every failure/refusal/rejection reason seen


def _count(mapping: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (mapping or {}).items() if v}


def site_problems(site_stats: dict[str, Any]) -> dict[str, int]:
    """Every reason a request, page or record of this site did not count, with how often."""
    accounting = site_stats.get("accounting") or {}
    problems: dict[str, int] = {}
    for source in (accounting.get("failures_by_reason"), accounting.get("refused_by_reason"),
                   site_stats.get("rejected_by_reason")):
        for reason, n in _count(source).items():
            problems[reason] = max(problems.get(reason, 0), n)  # a refusal is often also a rejection
    return problems


def _answered_ok(site_stats: dict[str, Any]) -> bool:
    """Did the site answer any request with a usable status (2xx or 304)?"""
    statuses = site_stats.get("responses_by_status")
    if statuses is None:  # older stats without the breakdown: any answer counts
        return bool((site_stats.get("accounting") or {}).get("responses", site_stats.get("responses", 0)))
    return any(str(code).startswith("2") or str(code) == "304" for code, n in statuses.items() if n)


def _failure_reason(problems: dict[str, int], site_stats: dict[str, Any]) -> str:
    """One line saying why a site gave nothing, and what to do about it."""
    if problems.get("blocked_address"):
        return ("refused: the site is on a private or loopback address; add --allow-private "
                "(or allow_private = true in the site list) if you mean to crawl it")
    unreachable = [label for key, label in UNREACHABLE_REASONS.items() if problems.get(key)]
    if unreachable:
        return f"unreachable: {', '.join(dict.fromkeys(unreachable))}; check the URL and that the site is up"
    statuses = {str(k): v for k, v in (site_stats.get("responses_by_status") or {}).items() if v}
    if statuses:
        shown = ", ".join(f"HTTP {code} x{n}" for code, n in sorted(statuses.items()))
        return f"no usable answer ({shown}); check the URL"
    if problems:
        return "nothing collected: " + ", ".join(f"{r} x{n}" for r, n in sorted(problems.items()))
    return "nothing collected: no request was sent; check the URL and robots.txt"


def classify_site(site: str, site_stats: dict[str, Any]) -> SiteOutcome:
    """ok / partial / failed for one site of one crawl, with a one-line reason.

    - failed: the site gave nothing usable this run (refused, unreachable, only errors);
    - partial: some post or comment pages were recorded as crawl failures (``failed_items``);
    - ok: otherwise. Retried requests that later succeeded are listed, not counted as failures;
      an incremental run that finds nothing new is ok.
    """
    posts = int(site_stats.get("posts") or 0)
    comments = int(site_stats.get("comments") or 0)
    # Post or comment pages recorded as crawl failures (absent in older stats: 0), else the post
    # pages that ended rejected (an HTTP error or no answer after the retries).
    failed_items = int(site_stats.get("failed_items") or 0) or int(
        (site_stats.get("accounting") or {}).get("post_pages_rejected") or 0)
    problems = site_problems(site_stats)
    common = {"new_posts": posts, "new_comments": comments, "failed_items": failed_items, "problems": problems}
    if not posts and not comments and not _answered_ok(site_stats):
        return SiteOutcome(site, "failed", _failure_reason(problems, site_stats), **common)
    if failed_items:
        return SiteOutcome(site, "partial", f"{failed_items} post or comment pages could not be collected "
                                            "(the next run retries them)", **common)
    return SiteOutcome(site, "ok", "", **common)


def classify_crawl(stats: dict[str, Any], site_ids: list[str]) -> list[SiteOutcome]:
    """One outcome per configured site; a site absent from the stats was never crawled (failed)."""
    per_site = stats.get("sites") or {}
    outcomes = []
    for site in site_ids:
        if site in per_site:
            outcomes.append(classify_site(site, per_site[site]))
        else:
            outcomes.append(SiteOutcome(site, "failed", "nothing collected: the crawl never reached this site"))
    return outcomes


def exit_code(outcomes: list[SiteOutcome], stage_errors: dict[str, str] | None = None) -> int:
    """The run's exit code from its sites' outcomes and failed stages (see the module docstring)."""
    if outcomes and all(o.outcome == "failed" for o in outcomes):
        return EXIT_NOTHING_COLLECTED
    if stage_errors or any(o.outcome != "ok" for o in outcomes):
        return EXIT_PARTIAL
    return EXIT_OK


def outcome_lines(outcomes: list[SiteOutcome]) -> list[str]:
    """The per-site block of the run summary."""
    width = max((len(o.site) for o in outcomes), default=0)
    lines = []
    for o in outcomes:
        line = f"{o.site:<{width}}  {o.outcome:<7}  new: {o.new_posts} posts, {o.new_comments} comments"
        if o.failed_items:
            line += f", {o.failed_items} failed pages"
        if o.reason:
            line += f"; {o.reason}"
        elif o.problems:
            line += "; seen: " + ", ".join(f"{r} x{n}" for r, n in sorted(o.problems.items()))
        lines.append(line)
    return lines


def as_dicts(outcomes: list[SiteOutcome]) -> list[dict[str, Any]]:
    """JSON-friendly outcomes (the run summary that a Prefect flow returns, the run row's counts)."""
    return [dict(o.__dict__) for o in outcomes]


def from_dicts(rows: list[dict[str, Any]]) -> list[SiteOutcome]:
    return [SiteOutcome(**row) for row in rows]
