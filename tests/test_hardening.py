"""Issue 18, defects 5, 6, 8, 10, 11 and 12: each answer is an exit code and ONE stderr line, never a traceback.

Every command runs as the user runs it (``python -m flows.cli``); servers are on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import errno
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from flows.argtypes import positive_int, positive_seconds, workers_count
from pipeline.settings import ConfigError, load_settings, load_sites, url_problem

ROOT = Path(__file__).resolve().parent.parent
FORMULAS = ("=HYPERLINK(\"http://127.0.0.1/x\",\"click\")", "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(1)",
            "\tTAB", "\rCR")


def blogscope(*args: str, stdout: int | None = subprocess.PIPE, stdin: str | None = None,
              timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, input=stdin, timeout=timeout)


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The process exited with ``code`` and said one line (no traceback) holding ``words``."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, published home whose sites table holds formula-like cells."""
    home = tmp_path_factory.mktemp("hardening") / "home"
    proc = blogscope("migrate", "--home", str(home))
    assert proc.returncode == 0, proc.stderr
    with duckdb.connect(str(home / "blogscope.duckdb")) as db:
        db.executemany("INSERT INTO sites (site_id, url, notes, run_id, first_seen_run_id) VALUES (?, ?, ?, 'r', 'r')",
                       [(f"s{i}", "http://127.0.0.1/", formula) for i, formula in enumerate(FORMULAS)]
                       + [("plain", "http://127.0.0.1/", "a plain note")])
    return home


# ---------------------------------------------------------------- 5. report --out


@pytest.mark.parametrize("kind", ["device", "fifo", "symlink", "folder"])
def test_report_refuses_non_regular_targets(home: Path, tmp_path: Path, kind: str) -> None:
    target = {"device": Path("/dev/null"), "fifo": tmp_path / "fifo", "symlink": tmp_path / "link",
              "folder": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (tmp_path / "real.html").write_text("keep me", encoding="utf-8")
        target.symlink_to(tmp_path / "real.html")
    before = os.lstat(target)
    proc = blogscope("report", "--home", str(home), "--out", str(target))
    assert_one_line(proc, 2, "--out", str(target))
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino
    if kind == "symlink":
        assert (tmp_path / "real.html").read_text(encoding="utf-8") == "keep me"


def test_report_writes_a_regular_file(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    proc = blogscope("report", "--home", str(home), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ---------------------------------------------------------------- 6. export --format csv


def _sites_csv(folder: Path) -> dict[str, str]:
    with open(folder / "sites.csv", newline="", encoding="utf-8") as handle:
        return {row["site_id"]: row["notes"] for row in csv.DictReader(handle)}


def test_export_csv_neutralises_formulas_unless_raw_cells(home: Path, tmp_path: Path) -> None:
    proc = blogscope("export", "--format", "csv", "--table", "sites", "--out", str(tmp_path / "safe"),
                     "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = _sites_csv(tmp_path / "safe")
    assert [notes[f"s{i}"] for i in range(len(FORMULAS))] == ["'" + f for f in FORMULAS]
    assert notes["plain"] == "a plain note"
    proc = blogscope("export", "--format", "csv", "--table", "sites", "--raw-cells", "--out", str(tmp_path / "raw"),
                     "--home", str(home))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [_sites_csv(tmp_path / "raw")[f"s{i}"] for i in range(len(FORMULAS))] == list(FORMULAS)


def test_export_out_that_is_a_file(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    assert_one_line(blogscope("export", "--out", str(target), "--home", str(home)), 2, "is a file")


# ---------------------------------------------------------------- 8. numeric options and settings


@pytest.mark.parametrize("args", [
    ["extract", "--workers", "-1", "page.html"],
    ["process", "--workers", "-1"],
    ["query", "select 1", "--timeout", "0"],
    ["query", "select 1", "--timeout", "-5"],
    ["query", "select 1", "--timeout", "inf"],
    ["query", "select 1", "--timeout", "nan"],
    ["extract", "--timeout", "0", "page.html"],
    ["search", "x", "--limit", "0"],
    ["status", "--limit", "many"],
])
def test_numeric_options_are_checked(args: list[str], tmp_path: Path) -> None:
    proc = blogscope(*args, "--home", str(tmp_path / "h"), timeout=30) if args[0] != "extract" else \
        blogscope(*args, timeout=30)
    assert_one_line(proc, 2, args[args.index(next(a for a in args if a.startswith("--")))])


@pytest.mark.parametrize("option, value", [("--k", "-3"), ("--k-min", "0"), ("--k-max", "nope"),
                                           ("--restarts", "0"), ("--coherence-docs", "-1")])
def test_topics_fit_numeric_options_are_checked(tmp_path: Path, option: str, value: str) -> None:
    proc = blogscope("topics", "fit", "--input", str(tmp_path / "in.csv"), "--text-field", "t", option, value,
                     "--out", str(tmp_path / "out"))
    assert_one_line(proc, 2, option)


def test_argument_types_as_functions() -> None:
    assert workers_count("0") == 0 and workers_count("3") == 3
    assert positive_seconds("2.5") == 2.5 and positive_int("7") == 7
    for func, bad in ((workers_count, "-1"), (workers_count, "x"), (positive_seconds, "0"),
                      (positive_seconds, "-1"), (positive_seconds, "inf"), (positive_seconds, "nan"),
                      (positive_int, "0"), (positive_int, "1.5")):
        with pytest.raises(argparse.ArgumentTypeError):
            func(bad)


@pytest.mark.parametrize("line, words", [
    ("max_pages = -3", ["max_pages", "1 or more"]),
    ('max_posts = "x"', ["max_posts", "whole number"]),
    ("max_posts = 2.5", ["max_posts", "whole number"]),
    ("allow_private = 1", ["allow_private", "true or false"]),
])
def test_numeric_site_settings_are_checked(tmp_path: Path, line: str, words: list[str]) -> None:
    (tmp_path / "sites.toml").write_text(f'[[sites]]\nid = "a"\nurl = "http://127.0.0.1:9/"\n{line}\n',
                                         encoding="utf-8")
    proc = blogscope("run", "--sites", str(tmp_path / "sites.toml"), "--home", str(tmp_path / "h"))
    assert_one_line(proc, 2, "sites.toml", *words)


@pytest.mark.parametrize("section, line, words", [
    ("crawl", "timeout_s = -1", ["timeout_s", "over 0"]),
    ("crawl", "max_pages_per_site = 0", ["max_pages_per_site", "1 or more"]),
    ("crawl", 'retry_times = "three"', ["retry_times", "whole number"]),
    ("process", "workers = -1", ["workers", "0 or more"]),
    ("crawl", "revisit_after_days = [1, -3]", ["revisit_after_days"]),
])
def test_numeric_settings_are_checked(tmp_path: Path, section: str, line: str, words: list[str]) -> None:
    (tmp_path / "blogscope.toml").write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(home=tmp_path)
    message = str(caught.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_environment_numbers_are_read_and_checked(tmp_path: Path) -> None:
    assert load_settings(home=tmp_path, env={"BLOGSCOPE_TOPICS_K": "5"}).topics.k == 5
    with pytest.raises(ConfigError, match="k = -2"):
        load_settings(home=tmp_path, env={"BLOGSCOPE_TOPICS_K": "-2"})


# ---------------------------------------------------------------- 10. one line instead of tracebacks


@pytest.mark.parametrize("url, words", [
    ("http://[::1", ["http://[::1", "not a valid URL"]),
    ("http://127.0.0.1:70000/", ["70000", "not a valid URL"]),
    ("http://", ["no host name"]),
    ("ftp://127.0.0.1/", ["not an http(s) URL"]),
])
def test_bad_urls_are_refused_before_any_flow(tmp_path: Path, url: str, words: list[str]) -> None:
    proc = blogscope("run", url, "--home", str(tmp_path / "h"), "--allow-private")
    assert_one_line(proc, 2, *words)
    assert "Prefect" not in proc.stderr and not (tmp_path / "h" / "runs").exists()


def test_url_problem_as_a_function() -> None:
    assert url_problem("http://127.0.0.1:8000/") is None
    assert url_problem("https://blog.example.org/") is None
    for bad in ("http://[::1", "http://127.0.0.1:70000/", "http://", "http://127.0.0.1:0/", "mailto:x", 5):
        assert url_problem(bad), bad


@pytest.mark.parametrize("content, words", [
    (b'[[sites]]\nid = 5\nurl = "http://127.0.0.1:9/"\n', ["id = 5", "string"]),
    (b'[[sites]]\nurl = "http://127.0.0.1:9/gr\xfc\xdfe"\n', ["not UTF-8"]),
    (b'[[sites]]\nurl = "http://[::1"\n', ["site #1", "not a valid URL"]),
])
def test_bad_site_lists(tmp_path: Path, content: bytes, words: list[str]) -> None:
    (tmp_path / "sites.toml").write_bytes(content)
    proc = blogscope("run", "--sites", str(tmp_path / "sites.toml"), "--home", str(tmp_path / "h"))
    assert_one_line(proc, 2, "sites.toml", *words)


def test_non_utf8_config_file(tmp_path: Path) -> None:
    (tmp_path / "blogscope.toml").write_bytes(b'[crawl]\ncontact = "gr\xfc\xdfe"\n')
    assert_one_line(blogscope("migrate", "--home", str(tmp_path)), 2, "not UTF-8")


@pytest.mark.parametrize("command", [["run", "http://127.0.0.1:9/"], ["migrate"], ["crawl", "http://127.0.0.1:9/"]])
def test_home_that_is_a_regular_file(tmp_path: Path, command: list[str]) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder", encoding="utf-8")
    assert_one_line(blogscope(*command, "--home", str(home)), 2, "is a file, not a folder")


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>T</title></head><body><article><p>" + "A sentence of the post. " * 20
                    + "</p></article></body></html>", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["extract", "query", "sentiment", "export"])
def test_full_stdout_is_one_line(home: Path, page: Path, tmp_path: Path, command: str) -> None:
    args = {"extract": ["extract", str(page), "--workers", "1"],
            "query": ["query", "select * from range(1000)", "--home", str(home)],
            "sentiment": ["sentiment"],
            "export": ["export", "--out", str(tmp_path / "e"), "--home", str(home)]}[command]
    with open("/dev/full", "w") as full:
        proc = blogscope(*args, stdout=full, stdin="I love this post!\n" if command == "sentiment" else None)
    assert_one_line(proc, 2, f"blogscope {command}", "No space left on device")


def test_full_disk_at_run_start_is_a_warehouse_error(tmp_path: Path) -> None:
    """DuckDB's FatalException on a full disk becomes a one-line WarehouseError (function level)."""
    from warehouse.db import disk_full_error
    from warehouse.errors import WarehouseError

    fatal = duckdb.FatalException('FATAL Error: Failed to create checkpoint because of error: Could not write '
                                  'file "x.duckdb": No space left on device')
    error = disk_full_error(fatal, tmp_path / "work" / "warehouse.duckdb")
    assert isinstance(error, WarehouseError) and "full" in str(error) and "\n" not in str(error)
    assert disk_full_error(duckdb.FatalException("something else"), tmp_path) is None


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 kB tmpfs (skipped where mounting is not allowed)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_full_disk_at_migration(tiny_disk: Path) -> None:
    proc = blogscope("migrate", "--home", str(tiny_disk / "home"))
    assert_one_line(proc, 2, "full", "free some space")


def test_full_disk_at_run_start(tiny_disk: Path) -> None:
    """A full disk before anything starts: one line, before the Prefect server or DuckDB fail on it
    in their own ways (a server that exits without output; a DuckDB FatalException)."""
    with open(tiny_disk / "filler", "wb", buffering=0) as filler:  # fill the disk to the last block
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}  # the run would start its own server
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "run", "http://127.0.0.1:9/", "--home", str(tiny_disk / "home"),
                           "--allow-private"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert_one_line(proc, 2, "full", "free some space")


# ---------------------------------------------------------------- 11. duplicate site ids


def test_duplicate_site_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "sites.toml").write_text('[[sites]]\nid = "twin"\nurl = "http://127.0.0.1:9/"\n'
                                         '[[sites]]\nid = "twin"\nurl = "http://127.0.0.1:8/"\n', encoding="utf-8")
    proc = blogscope("run", "--sites", str(tmp_path / "sites.toml"), "--home", str(tmp_path / "h"))
    assert_one_line(proc, 2, "'twin'")
    with pytest.raises(ConfigError, match="twin"):
        load_sites([{"id": "twin", "url": "http://127.0.0.1:9/"}, {"id": "twin", "url": "http://127.0.0.1:8/"}], "x")


def test_a_url_given_twice_is_one_site(tmp_path: Path) -> None:
    from flows.commands.common import sites_from_args

    (tmp_path / "sites.toml").write_text('[[sites]]\nurl = "http://127.0.0.1:9/"\n', encoding="utf-8")
    args = argparse.Namespace(sites=str(tmp_path / "sites.toml"), urls=["http://127.0.0.1:9/"], allow_private=False)
    sites = sites_from_args(load_settings(home=tmp_path / "h"), args)
    assert [s.url for s in sites] == ["http://127.0.0.1:9/"]


# ---------------------------------------------------------------- 12. extract exit codes, chunked bodies


class _Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/chunked-big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")  # no Content-Length
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>"
            try:
                for _ in range(140):  # ~9 MB, over the 8 MB default limit
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client stopped reading at the limit
            return
        body = b"not found"
        self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _extract(*inputs: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    proc = blogscope("extract", *inputs, "--workers", "1")
    return proc, [json.loads(line) for line in proc.stdout.splitlines()]


def test_extract_exit_codes(page: Path, tmp_path: Path) -> None:
    proc, records = _extract(str(page))
    assert proc.returncode == 0 and proc.stderr == "" and records[0]["status"] == "ok"
    proc, records = _extract(str(page), str(tmp_path / "missing.html"))
    assert_one_line(proc, 3, "1 of 2")
    assert [r["status"] for r in records] == ["ok", "error"]
    (tmp_path / "empty.html").write_bytes(b"")
    proc, records = _extract(str(tmp_path / "missing.html"), str(tmp_path / "empty.html"))
    assert_one_line(proc, 4, "2 of 2")


def test_chunked_body_over_the_limit_is_too_large(pages_server: str) -> None:
    proc, records = _extract(f"{pages_server}/chunked-big")
    assert_one_line(proc, 4, "too_large")
    assert records[0]["status"] == "too_large" and "limit" in records[0]["reason"]


def test_output_error_numbers_are_the_ones_caught() -> None:
    from flows.cli import _OUTPUT_ERRNOS

    assert {errno.ENOSPC, errno.EPIPE} <= _OUTPUT_ERRNOS
