"""Examples that users copy must run: every example line of every ``--help`` (read from the real
``blogscope ... --help`` output, delegated commands included) and every ``blogscope`` line of the
README, run through bash (so shell quoting is tested too) in a scratch folder, against a home
with real data; the README's ``LOAD fts`` recipe in the bundled ``duckdb`` shell; and
examples/analysis.py (when the [analysis] extra is installed).

What an example names that does not exist here is supplied, never edited into the command:
``~/blogs`` and ``/tmp/h`` are the test home; the input files (saved pages, texts, corpora,
``sites.toml``) are made in the scratch folder from the shared data and the demo blog;
``RUN_ID`` is the home's latest run. Two substitutions change a command, and say so:
``https://blog.example.org/`` becomes a demo blog on 127.0.0.1 with ``--allow-private`` added
(tests reach only loopback servers, which need it), and ``http://127.0.0.1:8000/`` gets that demo
blog's free port. Skipped, with the reason: ``schedule`` without ``--once`` (it serves until
Ctrl-C). The commands that crawl (demo, run, crawl, process) run in ``make test-acceptance``.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.load import load_run
from warehouse.publish import publish
from tests.support.warehouse_world import World

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "BLOGSCOPE_CACHE_DIR": ""}
# Every command of the CLI; a test checks this against the parser, so a new command is not forgotten.
READ_COMMANDS = ("query", "search", "shell", "status", "export", "report", "migrate", "extract", "sentiment",
                 "topics")
CRAWL_COMMANDS = ("run", "crawl", "process", "demo")  # they crawl a loopback blog: make test-acceptance
SERVING_COMMANDS = {"schedule": "serves cron schedules until Ctrl-C (a long-running Prefect server); "
                                "tests/test_ops_schedule.py runs it",
                    "deploy": "registers deployments on a Prefect server with a work pool; make cluster-demo and "
                              "tests/test_cluster.py run it",
                    "worker": "pulls flow runs from a Prefect work pool until stopped; make cluster-demo and "
                              "tests/test_cluster.py run it"}
_EXAMPLE = re.compile(r"^(?:\.venv/bin/)?blogscope\s+([a-z]+)|\|\s*(?:\.venv/bin/)?blogscope\s+([a-z]+)")


def _embeddings_installed() -> bool:
    from pipeline.topics import embeddings

    return embeddings.missing_package() is None


@functools.lru_cache(maxsize=None)
def help_texts() -> dict[str, str]:
    """``blogscope [COMMAND] --help`` output per command ("main" for the top level), as users see it.

    Read from the real CLI (delegated commands print their own help), not from a constant, so the
    test follows wherever the help text lives.
    """
    texts = {}
    for command in ("main", *READ_COMMANDS, *CRAWL_COMMANDS, *SERVING_COMMANDS):
        argv = [str(BIN / "blogscope")] + ([] if command == "main" else [command]) + ["--help"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=ENV, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, f"{' '.join(argv)}: {proc.stderr[-1000:]}"
        texts[command] = proc.stdout
    return texts


def command_of(line: str) -> str | None:
    """The blogscope command an example line runs (``echo ... | blogscope sentiment`` included)."""
    m = _EXAMPLE.search(line)
    return (m.group(1) or m.group(2)) if m else None


def help_examples() -> list[str]:
    """Example lines of every --help: indented lines after "example(s):" that run blogscope."""
    out: list[str] = []
    for text in help_texts().values():
        _, _, tail = text.partition("example")
        for line in tail.splitlines():
            if line.startswith("  ") and command_of(line.strip()):
                out.append(line.strip())
    return list(dict.fromkeys(out))


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return list(dict.fromkeys(line.strip() for block in blocks for line in block.splitlines()
                              if command_of(line.strip()) and not line.startswith("#")))


def examples_of(command: str) -> list[str]:
    return [line for line in dict.fromkeys(help_examples() + readme_examples()) if command_of(line) == command]


def test_every_command_is_covered_and_has_examples() -> None:
    from flows.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(sub.choices) == set(READ_COMMANDS) | set(CRAWL_COMMANDS) | set(SERVING_COMMANDS)
    for command in sub.choices:
        assert examples_of(command), f"'blogscope {command} --help' shows no example"
    assert len(help_examples()) >= 30 and len(readme_examples()) >= 8
    assert any("--param" in line for line in examples_of("query"))


# --------------------------------------------------------------------------- the scratch folder


def _write_inputs(folder: Path, shared: Path | None) -> None:
    """The files the examples name, in the folder they run in (from shared data; never in the project)."""
    (folder / ".venv").symlink_to(BIN.parent, target_is_directory=True)  # README lines say .venv/bin/...
    (folder / "comments.txt").write_text("Thank you, this helped me so much.\nI hate how long the waitlist is.\n",
                                         encoding="utf-8")
    (folder / "tweets.txt").write_text("What a great day :)\nThis is awful, worst service ever\n", encoding="utf-8")
    if shared is None:
        return
    pages = sorted((shared / "article-extraction-benchmark" / "html").glob("*.html.gz"))[:3]
    (folder / "saved").mkdir(exist_ok=True)
    (folder / "pages").mkdir(exist_ok=True)
    (folder / "saved" / "page.html.gz").write_bytes(pages[0].read_bytes())
    (folder / "other.html").write_bytes(gzip.decompress(pages[1].read_bytes()))
    for page in pages:
        (folder / "pages" / page.name).write_bytes(page.read_bytes())
    corpus = shared / "topic-corpora" / "reddit-mental-health-27subreddits" / "rmhd_27subreddits_dev_3510posts.csv"
    with corpus.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # Every 12th post (293 of 3,510, all 27 subreddits) keeps the four topic examples near a minute
    # (every 6th took 2.5 min); the full-size fit is the topic gate's job (tests/test_topics_reddit.py).
    sample, new = rows[::12], rows[1::60]
    for name, part in (("posts.csv", sample), ("new.csv", new)):
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["row_id", "subreddit", "post"], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(part)
    (folder / "posts.jsonl").write_text("".join(json.dumps({"id": r["row_id"], "text": r["post"]}) + "\n"
                                                for r in rows[::30]), encoding="utf-8")


def _run_example(line: str, folder: Path, home: Path, extra: dict[str, str] | None = None) -> None:
    command = line.replace("~/blogs", shlex.quote(str(home))).replace("/tmp/h", shlex.quote(str(home)))
    for old, new in (extra or {}).items():
        command = command.replace(old, new)
    proc = subprocess.run(["bash", "-c", command], cwd=folder, env=ENV, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{line}\n(ran: {command})\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if command_of(line) in ("query", "search", "shell"):  # they print nothing but the result
        assert "error" not in proc.stderr.lower(), proc.stderr[-2000:]
    else:  # others log their progress (NMF's "reconstruction error" is a figure, not a failure)
        assert not re.search(r"^(?:\S+ )?(?:ERROR|CRITICAL)\b|\berror:", proc.stderr, re.M | re.I), proc.stderr[-2000:]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("examples-home")
    World(seed=3, sites=2, posts_per_site=12, max_comments=10).write_run(home / "runs" / "r1" / "processed", "r1")
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / "r1", "r1")
    publish(home / "work" / "warehouse.duckdb", home / "blogscope.duckdb")
    return home


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import shared_data_dir

    folder = tmp_path_factory.mktemp("examples-cwd")
    shared = shared_data_dir()
    _write_inputs(folder, shared if shared.is_dir() else None)
    return folder


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_examples_run_as_copied(home: Path, scratch: Path, command: str) -> None:
    lines = examples_of(command)
    assert lines
    if command in ("extract", "topics") and not (scratch / "posts.csv").exists():
        pytest.skip("shared data not found (set BLOGSCOPE_SHARED_DATA): the example inputs come from it")
    site = "site-a"  # report --site shrink-notes: the home's first site stands for the README's blog
    for line in lines:
        if "--backend embeddings" in line and not _embeddings_installed():
            continue  # needs the [embeddings] extra, which CI installs (make install-embeddings)
        _run_example(line, scratch, home, {"--site shrink-notes": f"--site {site}"})


@pytest.mark.parametrize("command", sorted(SERVING_COMMANDS))
def test_serving_examples_are_skipped_with_a_reason(command: str) -> None:
    assert examples_of(command)
    pytest.skip(f"blogscope {command}: {SERVING_COMMANDS[command]}")


@pytest.mark.acceptance
@pytest.mark.timeout(2400)  # 3 runs, a crawl, 2 process steps and a demo: ~6 min alone, 10+ on a loaded machine
def test_crawl_examples_run_against_a_loopback_blog(tmp_path: Path) -> None:
    """run, crawl, process and demo examples, in that order, against a demo blog on 127.0.0.1.

    ``blogscope demo --home demo-home`` is ``blogscope demo`` (demo-home is its default home), so
    it runs once.
    """
    from demoblog.generate import generate
    from demoblog.server import serve

    folder, home = tmp_path / "cwd", tmp_path / "blogs"
    folder.mkdir()
    _write_inputs(folder, None)
    server = serve(generate("wordpress", n_posts=8))
    try:
        url = server.base_url
        (folder / "sites.toml").write_text(f'[[sites]]\nid = "demo"\nurl = "{url}"\nallow_private = true\n',
                                           encoding="utf-8")
        swap = {"https://blog.example.org/": f"{url} --allow-private", "http://127.0.0.1:8000/": url}
        for command in CRAWL_COMMANDS:
            for line in examples_of(command):
                if line == "blogscope demo --home demo-home" and any(
                        other.split("#")[0].strip() == "blogscope demo" for other in examples_of("demo")):
                    continue  # the same command as 'blogscope demo' (the default home), already run
                runs = sorted(p.name for p in (home / "runs").iterdir()) if (home / "runs").is_dir() else []
                _run_example(line, folder, home, {**swap, "RUN_ID": runs[-1] if runs else "RUN_ID"})
    finally:
        server.stop()
    assert (folder / "demo-home" / "report.html").is_file() and (home / "report.html").is_file()


def test_fts_load_line_of_the_readme_works_in_the_bundled_shell_offline(home: Path) -> None:
    """The README's recipe: print the LOAD statement, run it with a BM25 query in .venv/bin/duckdb."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = next(line for line in readme.splitlines() if "fts_load_statement" in line).strip()
    assert recipe.startswith(".venv/bin/python -c ")
    printed = subprocess.run(["bash", "-c", recipe], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0 and printed.stdout.startswith("LOAD '"), printed.stderr
    query = re.search(r"`(select title, fts_main_posts\.match_bm25.*?)`", readme, re.DOTALL).group(1)
    sql = f"SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; {printed.stdout.strip()}; " \
          f"{' '.join(query.split())};"
    proc = subprocess.run([str(BIN / "duckdb"), "-readonly", "-csv", str(home / "blogscope.duckdb"), "-c", sql],
                          capture_output=True, text=True, timeout=60, env={**ENV, "http_proxy": "http://127.0.0.1:9",
                                                                            "https_proxy": "http://127.0.0.1:9"})
    assert proc.returncode == 0 and "Error" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines()[0] == "title,score" and len(proc.stdout.splitlines()) >= 2, proc.stdout


def test_analysis_example_reproduces_the_report_figures(home: Path) -> None:
    pytest.importorskip("pandas", reason="the [analysis] extra: make install-analysis")
    pytest.importorskip("polars", reason="the [analysis] extra: make install-analysis")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "analysis.py"), str(home)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = duckdb.connect(str(home / "blogscope.duckdb"), read_only=True)
    try:
        total = conn.execute("SELECT sum(comments) FROM v_post_discussion WHERE topic_id IS NOT NULL").fetchone()[0]
        top = conn.execute("""SELECT topic_label FROM v_post_discussion WHERE topic_id IS NOT NULL
                              GROUP BY topic_id, topic_label ORDER BY sum(comments) DESC, topic_id LIMIT 1""").fetchone()[0]
    finally:
        conn.close()
    assert f"comments on posts with a topic: {total};" in proc.stdout and f"top topic: {top}" in proc.stdout
    for heading in ("Topics by comments (pandas)", "Monthly trend (polars)", "Comment sentiment by topic (pandas)"):
        assert heading in proc.stdout
