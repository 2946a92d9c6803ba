"""Operations, fast part: per-site outcomes and exit codes as functions, safe demo homes,
unwritable homes, Prefect hygiene (commands that orchestrate nothing never import Prefect)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.outcomes import (EXIT_NOTHING_COLLECTED, EXIT_OK, EXIT_PARTIAL, SiteOutcome, classify_crawl,
                            classify_site, exit_code, outcome_lines)

BIN = Path(sys.executable).parent


def _site(posts: int = 0, comments: int = 0, statuses: dict[str, int] | None = None,
          failures: dict[str, int] | None = None, refused: dict[str, int] | None = None,
          rejected: dict[str, int] | None = None, **extra) -> dict:
    """One ``stats.json`` ``sites.<id>`` entry, shaped as ``crawl/output.py`` writes it."""
    statuses = statuses or {}
    return {"posts": posts, "comments": comments, "responses_by_status": statuses,
            "rejected_by_reason": rejected or {},
            "accounting": {"responses": sum(statuses.values()), "failures_by_reason": failures or {},
                           "refused_by_reason": refused or {}, "post_pages_rejected": 0}, **extra}


# ---------------------------------------------------------------------- outcomes as functions


def test_a_site_refused_as_loopback_fails_and_names_allow_private() -> None:
    out = classify_site("local", _site(refused={"blocked_address": 2}, rejected={"blocked_address": 2}))
    assert out.outcome == "failed" and "--allow-private" in out.reason


def test_a_dead_site_fails_as_unreachable() -> None:
    out = classify_site("dead", _site(failures={"connection_refused": 4}, refused={"robots_unavailable": 2}))
    assert out.outcome == "failed" and out.reason.startswith("unreachable") and "connection refused" in out.reason
    timeout = classify_site("slow", _site(failures={"timeout": 4}))
    assert timeout.outcome == "failed" and "timed out" in timeout.reason
    dns = classify_site("typo", _site(failures={"dns_or_blocked": 1}))
    assert dns.outcome == "failed" and "DNS" in dns.reason


def test_a_site_answering_only_errors_fails_with_the_statuses() -> None:
    out = classify_site("broken", _site(statuses={"500": 3}, rejected={"http_5xx": 1}))
    assert out.outcome == "failed" and "HTTP 500 x3" in out.reason


def test_an_incremental_run_with_nothing_new_is_ok() -> None:
    out = classify_site("quiet", _site(statuses={"200": 3, "304": 10}))
    assert out == SiteOutcome("quiet", "ok", "", 0, 0, 0, {})


def test_failed_items_make_a_site_partial_and_default_to_zero() -> None:
    ok = classify_site("s", _site(posts=5, comments=9, statuses={"200": 20}, failures={"timeout": 1}))
    assert ok.outcome == "ok" and ok.problems == {"timeout": 1}  # a retried timeout is listed, not a failure
    partial = classify_site("s", _site(posts=5, comments=9, statuses={"200": 20}, failed_items=2))
    assert partial.outcome == "partial" and partial.failed_items == 2 and "2 post or comment pages" in partial.reason
    rejected_pages = _site(posts=5, statuses={"200": 20, "500": 1})
    rejected_pages["accounting"]["post_pages_rejected"] = 1
    assert classify_site("s", rejected_pages).outcome == "partial"


def test_exit_codes_follow_the_shared_contract() -> None:
    good = SiteOutcome("a", "ok", "")
    partial = SiteOutcome("b", "partial", "1 post or comment pages could not be collected")
    failed = SiteOutcome("c", "failed", "unreachable: connection refused")
    assert exit_code([good]) == EXIT_OK == 0
    assert exit_code([good, failed]) == EXIT_PARTIAL == 3
    assert exit_code([good, partial]) == 3
    assert exit_code([good], {"topics": "ValueError: no term"}) == 3
    assert exit_code([failed]) == exit_code([failed, failed]) == EXIT_NOTHING_COLLECTED == 4
    assert exit_code([failed], {"topics": "x"}) == 4


def test_a_site_missing_from_the_stats_was_never_crawled() -> None:
    outcomes = classify_crawl({"sites": {"a": _site(posts=1, statuses={"200": 2})}}, ["a", "b"])
    assert [o.outcome for o in outcomes] == ["ok", "failed"]
    lines = outcome_lines(outcomes)
    assert lines[0].startswith("a  ok") and "new: 1 posts, 0 comments" in lines[0] and "never reached" in lines[1]


# ------------------------------------------------------------------------------ safe homes


def _blogscope(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "blogscope"), *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_refuses_a_home_it_did_not_make_and_every_file_stays(tmp_path: Path) -> None:
    home = tmp_path / "real-home"
    for name, data in {"blogscope.duckdb": b"analysts", "runs/r1/crawl/raw.jsonl": b"{}\n",
                       "archive/a.warc.gz": b"warc", "state/crawl.sqlite": b"state", "notes.txt": b"mine"}.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(data)
    before = _snapshot(home)
    start = time.monotonic()
    proc = _blogscope("demo", "--home", str(home))
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "not made by 'blogscope demo'" in proc.stderr and "left untouched" in proc.stderr
    assert _snapshot(home) == before and not (home / ".blogscope-demo").exists()
    assert time.monotonic() - start < 30


def test_demo_home_rules_as_a_function(tmp_path: Path) -> None:
    from flows.commands.demo import DEMO_MARKER, prepare_demo_home
    from flows.errors import UserError

    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_demo_home(empty, keep=False)  # an empty folder is fine, and becomes a demo home
    assert (empty / DEMO_MARKER).exists()
    (empty / "runs" / "old").mkdir(parents=True)
    (empty / "blogscope.duckdb").write_bytes(b"old demo output")
    (empty / "my-notes.txt").write_text("not the demo's", encoding="utf-8")
    prepare_demo_home(empty, keep=False)  # a fresh start removes only the demo's own outputs
    assert not (empty / "runs").exists() and not (empty / "blogscope.duckdb").exists()
    assert (empty / "my-notes.txt").read_text(encoding="utf-8") == "not the demo's"
    new = tmp_path / "new" / "home"
    prepare_demo_home(new, keep=False)
    assert (new / DEMO_MARKER).exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="not made by"):
        prepare_demo_home(foreign, keep=True)
    legacy = tmp_path / "legacy-demo-home"  # made by a demo before the marker: its truth files say so
    for name in ("truth/wordpress.json", "truth/blogger.json", "blogscope.duckdb"):
        (legacy / name).parent.mkdir(parents=True, exist_ok=True)
        (legacy / name).write_text("{}", encoding="utf-8")
    prepare_demo_home(legacy, keep=False)
    assert (legacy / DEMO_MARKER).exists() and not (legacy / "blogscope.duckdb").exists()


def _unwritable_home(tmp_path: Path) -> Path:
    """A folder this process cannot write: read-only permissions, or (as root, whom permissions
    do not stop) a sysfs folder."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    home = tmp_path / "read-only"
    home.mkdir()
    home.chmod(0o555)
    return home


@pytest.mark.parametrize("command", [["run", "http://127.0.0.1:9/"], ["schedule", "--once", "--sites", "SITES"],
                                     ["migrate"], ["crawl", "http://127.0.0.1:9/"], ["demo"]])
def test_an_unwritable_home_fails_in_one_line_within_seconds(tmp_path: Path, command: list[str]) -> None:
    """Issue #18 defect 4: no Prefect retry loop, no traceback; nothing is sent anywhere."""
    home = _unwritable_home(tmp_path)
    args = [str(_sites_toml(tmp_path)) if a == "SITES" else a for a in command] + ["--home", str(home)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    start = time.monotonic()
    proc = _blogscope(*args, env=env, timeout=60)
    took = time.monotonic() - start
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "cannot write to the home" in lines[0] and "--home" in lines[0]
    assert took < 20, took


def _sites_toml(tmp_path: Path) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text('[[sites]]\nid = "x"\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- Prefect hygiene


def test_prefect_env_turns_off_telemetry_and_analytics(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from flows.prefect_env import configure_prefect_env, prefect_child_env

    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "true")  # forced off whatever was set
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:1/api")
    configure_prefect_env(tmp_path)
    assert os.environ["DO_NOT_TRACK"] == "1" and os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT"] == "false"
    assert os.environ["PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS"] == "false"
    assert "PREFECT_API_URL" not in prefect_child_env(tmp_path)


def test_only_loopback_prefect_servers_are_asked_for_their_health() -> None:
    from flows.server import is_loopback_url

    assert is_loopback_url("http://127.0.0.1:4200/api") and is_loopback_url("http://localhost:4200/api")
    assert not is_loopback_url("https://api.prefect.cloud/api/accounts/x")


@pytest.fixture(scope="module")
def published_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from warehouse.load import load_run
    from warehouse.publish import publish
    from tests.support.warehouse_world import World

    home = tmp_path_factory.mktemp("home")
    World(seed=5, sites=1, posts_per_site=6, max_comments=4).write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1")
    publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")
    return home


def test_commands_that_orchestrate_nothing_never_import_prefect(published_home: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><article><h1>T</h1><p>" + "Some words here. " * 40 + "</p></article></body></html>",
                    encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"sleep night dream {i} anxiety therapy session"}) + "\n"
                              for i in range(12)), encoding="utf-8")
    home = str(published_home)
    commands = [
        ["query", "select count(*) from posts", "--home", home],
        ["search", "the", "--home", home],
        ["status", "--home", home],
        ["export", "--format", "csv", "--out", str(tmp_path / "export"), "--home", home],
        ["report", "--home", home, "--out", str(tmp_path / "report.html")],
        ["extract", str(page)],
        ["sentiment", str(page)],
        ["topics", "fit", "--input", str(corpus), "--text-field", "text", "--k", "2", "--out", str(tmp_path / "t")],
    ]
    script = """
import json, sys
from flows.cli import main
codes = []
for argv in json.loads(sys.argv[1]):
    try:
        codes.append(main(argv))
    except SystemExit as exc:
        codes.append(exc.code)
print("RESULT " + json.dumps({"codes": codes, "prefect": sorted(m for m in sys.modules if m.split('.')[0] == 'prefect')[:5]}))
"""
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(commands)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.rsplit("RESULT ", 1)[1])
    assert result["prefect"] == [], result
    assert result["codes"][0] == 0 and result["codes"][2] == 0, (result, proc.stderr[-2000:])


@pytest.mark.parametrize("option", [["--crawl-every", "0"], ["--crawl-every", "inf"], ["--port", "70000"]])
def test_schedule_options_out_of_range_are_one_line_errors(tmp_path: Path, option: list[str]) -> None:
    proc = _blogscope("schedule", "--sites", str(_sites_toml(tmp_path)), "--home", str(tmp_path / "home"), *option)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert len(proc.stderr.strip().splitlines()) == 1 and option[0] in proc.stderr
