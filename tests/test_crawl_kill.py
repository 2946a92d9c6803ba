"""``kill -9`` the crawler at seeded random moments, run it again: nothing is lost."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest

from crawl.testsite import crawl_command, read_raw
from demoblog.generate import generate, truth_dict
from demoblog.server import serve

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (101, 202, 303)


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["wordpress", "blogger"])
def test_kill9_at_random_moments_then_rerun_loses_nothing(flavour: str, tmp_path: Path) -> None:
    blog = generate(flavour)
    with serve(blog) as server:
        sites = [{"id": flavour, "url": server.base_url}]
        for i, seed in enumerate(SEEDS):
            # A seeded random moment, measured in progress rather than wall time (so it lands
            # mid-crawl on a fast or a slow machine): kill when this run's raw.jsonl has
            # ``target`` records.
            target = random.Random(seed).randint(5, 120)
            out = tmp_path / f"killed{i}" / "raw.jsonl"
            proc = subprocess.Popen(crawl_command(sites, tmp_path, out=f"killed{i}"), cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                if out.exists() and out.read_bytes().count(b"\n") >= target:
                    break
                time.sleep(0.005)
            finished = proc.poll() is not None
            proc.kill()  # SIGKILL: no cleanup, no flush, no close
            proc.wait(timeout=30)
            print(f"{flavour}: seed {seed}: kill -9 after {target} records "
                  f"(wrote {len(read_raw(out))}, finished before the kill: {finished})")
            assert not finished, "the crawl ended before the kill; lower the targets"
        final = subprocess.run(crawl_command(sites, tmp_path, out="final"), cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
        truth = truth_dict(blog, server.base_url)

    records = []
    for raw in sorted(tmp_path.glob("*/raw.jsonl")):
        records += read_raw(raw)
    posts = {r["url"] for r in records if r["type"] == "post"}
    comments = {(r["post_url"], r["platform_comment_id"], r["parent_platform_comment_id"])
                for r in records if r["type"] == "comment"}
    assert posts == {p["url"] for p in truth["posts"] if p["public"]}
    assert comments == {(c["post_url"], c["platform_comment_id"], c["parent_platform_comment_id"])
                        for c in truth["comments"] if c["visible"]}
