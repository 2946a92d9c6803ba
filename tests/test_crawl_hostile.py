"""Politeness and safety against a small hostile blog and an "internal" server on 127.0.0.x."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.testsite import crawl_command, disqus_blog, hostile_blog, internal_server, read_raw

ROOT = Path(__file__).resolve().parent.parent


def _listening_ports(pid: int) -> list[str]:
    """TCP sockets in LISTEN state owned by ``pid`` (from /proc, no extra tools)."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:
                found.append(cols[1])
    return found


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> dict:
    internal, internal_log = internal_server("127.0.0.2")
    other_port, other_log = internal_server("127.0.0.1")
    site, site_log = hostile_blog(internal, crawl_delay=0.3, other_port_url=other_port.base_url + "other-port")
    work = tmp_path_factory.mktemp("hostile")
    decimal = int(ipaddress.IPv4Address(internal.host))
    sites = [{"id": "hostile", "url": site.base_url, "platform": "generic", "allow_private": True},
             # Configured without allow_private: every spelling of an internal address is refused.
             {"id": "sneaky-decimal", "url": f"http://{decimal}:{internal.port}/"},
             {"id": "sneaky-localhost", "url": f"http://localhost:{internal.port}/"},
             {"id": "sneaky-other-port", "url": other_port.base_url}]
    cmd = crawl_command(sites, work, settings={"max_response_bytes": 100_000}, allow_private=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    listening: list[str] = []
    while proc.poll() is None:
        try:
            listening += _listening_ports(proc.pid)
        except OSError:
            pass
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=60)
    yield {"rc": proc.returncode, "stderr": stderr, "records": read_raw(work / "out" / "raw.jsonl"),
           "stats": json.loads((work / "out" / "stats.json").read_text()), "site_log": site_log,
           "internal_hits": internal_log.paths() + other_log.paths(), "listening": listening, "work": work}
    for server in (site, internal, other_port):
        server.stop()


def test_crawl_completes_with_errors_as_rows(hostile_crawl: dict) -> None:
    assert hostile_crawl["rc"] == 0, hostile_crawl["stderr"][-2000:]
    rejected = {(r["key"].rsplit("/", 2)[-2] if r["key"].endswith("/") else r["key"].rsplit("/", 1)[-1]): r
                for r in hostile_crawl["records"] if r["type"] == "rejected"}
    assert rejected["dead"]["reason"] == "dead_link" and rejected["dead"]["status"] == 404
    assert rejected["big"]["reason"] == "too_large"  # declared Content-Length over the limit
    assert rejected["bomb"]["reason"] == "too_large"  # 20 MB of zeros in a 20 kB gzip body
    posts = {r["url"].rstrip("/").rsplit("/", 1)[-1] for r in hostile_crawl["records"] if r["type"] == "post"}
    assert {"post-1", "post-2", "post-3", "flaky", "busy"} <= posts  # collected after retries
    assert hostile_crawl["site_log"].paths().count("/flaky/") == 3  # 503, 503, then 200
    assert "[crawl] hostile:" in hostile_crawl["stderr"]
    assert hostile_crawl["stats"]["sites"]["hostile"]["posts"] == 5


def test_internal_servers_get_zero_hits(hostile_crawl: dict) -> None:
    assert hostile_crawl["internal_hits"] == []
    reasons = {r["reason"] for r in hostile_crawl["records"] if r["type"] == "rejected"}
    assert "offsite" in reasons  # the redirect to 127.0.0.2 was refused, not followed


def test_sites_on_internal_addresses_are_refused(hostile_crawl: dict) -> None:
    refused = {r["site_id"]: r["reason"] for r in hostile_crawl["records"] if r["type"] == "rejected"
               and r["site_id"].startswith("sneaky")}
    assert refused == {"sneaky-decimal": "blocked_address", "sneaky-localhost": "blocked_address",
                       "sneaky-other-port": "blocked_address"}


def test_robots_disallow_is_respected(hostile_crawl: dict) -> None:
    paths = hostile_crawl["site_log"].paths()
    assert paths[0] == "/robots.txt"
    assert not any(p.startswith("/private/") for p in paths)
    assert any(r["type"] == "rejected" and r["reason"] == "robots" for r in hostile_crawl["records"])


def test_crawl_delay_is_honoured(hostile_crawl: dict) -> None:
    times = [t for t, _ in hostile_crawl["site_log"].hits]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) >= 8
    # Crawl-delay 0.3 s. Without it the gaps are a few ms. The server notes arrival times in a
    # thread of this (possibly busy) process, so single gaps may look up to ~50 ms short.
    assert sorted(gaps)[len(gaps) // 2] >= 0.3, gaps
    assert min(gaps) >= 0.25, gaps


def test_non_http_links_are_never_requested(hostile_crawl: dict) -> None:
    assert all(p.startswith("/") for p in hostile_crawl["site_log"].paths())
    stats = hostile_crawl["stats"]
    assert stats["requests"] == len(hostile_crawl["site_log"].paths())


def test_retry_after_is_honoured(hostile_crawl: dict) -> None:
    busy = [t for t, p in hostile_crawl["site_log"].hits if p == "/busy/"]
    assert len(busy) == 2  # 429 with Retry-After: 1, then 200
    assert busy[1] - busy[0] >= 0.95


def test_no_remote_control_or_telnet_listener(hostile_crawl: dict) -> None:
    assert hostile_crawl["listening"] == []


def test_third_party_comment_system_is_reported(tmp_path: Path) -> None:
    site, _log = disqus_blog()
    try:
        proc = subprocess.run(crawl_command([{"id": "dq", "url": site.base_url}], tmp_path), cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    finally:
        site.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = read_raw(tmp_path / "out" / "raw.jsonl")
    posts = [r for r in records if r["type"] == "post"]
    assert len(posts) == 2 and {p["comment_system"] for p in posts} == {"disqus"}
    assert [r for r in records if r["type"] == "comment"] == []
    (site_record,) = [r for r in records if r["type"] == "site"]
    assert site_record["comment_system"] == "disqus" and site_record["platform"] == "generic"


def test_robots_server_error_means_not_now(tmp_path: Path) -> None:
    """robots.txt answering 5xx (after retries): the host is not crawled in this run (RFC 9309)."""
    internal, internal_log = internal_server("127.0.0.2")
    site, site_log = hostile_blog(internal, robots_status=503)
    try:
        proc = subprocess.run(crawl_command([{"id": "r5", "url": site.base_url}], tmp_path,
                                            settings={"retry_times": 1}), cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    finally:
        site.stop()
        internal.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert set(site_log.paths()) == {"/robots.txt"}  # asked (and retried), nothing else
    records = read_raw(tmp_path / "out" / "raw.jsonl")
    assert {r["reason"] for r in records if r["type"] == "rejected"} == {"robots_unavailable"}
    (site_record,) = [r for r in records if r["type"] == "site"]
    assert "robots.txt unavailable" in site_record["notes"]
    assert internal_log.paths() == []
