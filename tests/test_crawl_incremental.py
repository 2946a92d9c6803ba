"""Incremental crawling on the demo blog: revisit schedule, edited posts, the demo as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from demoblog.generate import generate
from demoblog.server import serve
from tests.support.testsite import run_crawl

ROOT = Path(__file__).resolve().parent.parent


def test_demo_server_subprocess_both_flavours_in_one_crawl(tmp_path: Path) -> None:
    """As the flows layer does it: the demo as ``python -m demoblog.server``, one crawl of both sites."""
    server = subprocess.Popen([sys.executable, "-m", "demoblog.server", "--flavour", "both", "--port", "0",
                               "--small", "--truth", str(tmp_path / "truth.json")], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = {}
        while len(ready) < 2:
            line = server.stdout.readline()
            assert line, "demo server exited before READY"
            if line.startswith("READY "):
                _, flavour, url = line.split()
                ready[flavour] = url
        records = run_crawl([{"id": f, "url": u} for f, u in ready.items()], tmp_path / "crawl")
        for flavour in ready:
            truth = json.loads((tmp_path / f"truth.{flavour}.json").read_text())
            mine = [r for r in records if r.get("site_id") == flavour]
            posts = {r["url"] for r in mine if r["type"] == "post"}
            comments = {(r["post_url"], r["platform_comment_id"], r["parent_platform_comment_id"])
                        for r in mine if r["type"] == "comment"}
            assert posts == {p["url"] for p in truth["posts"] if p["public"]}
            assert comments == {(c["post_url"], c["platform_comment_id"], c["parent_platform_comment_id"])
                                for c in truth["comments"] if c["visible"]}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_revisit_schedule_with_injected_now(tmp_path: Path) -> None:
    """A post is checked again (conditionally) when a revisit point passes, and not otherwise."""
    blog = generate("wordpress", n_posts=8)
    newest = max((p for p in blog.posts if p.public), key=lambda p: p.published)
    with serve(blog) as server:
        sites = [{"id": "wp", "url": server.base_url}]

        def comment_requests() -> int:
            return sum(n for target, n in server.stats()["by_target"].items()
                       if "/wp/v2/comments" in target and f"post={newest.platform_post_id}&" in target)

        run_crawl(sites, tmp_path, out="r1", now=(newest.published + timedelta(hours=12)).isoformat())
        assert comment_requests() == 1
        # Day 1 after publication has passed: the newest post is due, asked conditionally (304).
        before = server.stats()["by_status"].get("304", 0)
        again = run_crawl(sites, tmp_path, out="r2", now=(newest.published + timedelta(days=1, hours=1)).isoformat())
        assert comment_requests() == 2
        assert server.stats()["by_status"].get("304", 0) > before
        assert [r for r in again if r["type"] in ("post", "comment")] == []
        # Same moment again: nothing is due, the post is not asked.
        run_crawl(sites, tmp_path, out="r3", now=(newest.published + timedelta(days=1, hours=2)).isoformat())
        assert comment_requests() == 2


def test_edited_post_is_emitted_again_once(tmp_path: Path) -> None:
    """An edit (new text, later modified date) makes the next crawl emit that post's new version only."""
    blog = generate("wordpress", n_posts=8)
    with serve(blog) as server:
        sites = [{"id": "wp", "url": server.base_url}]
        first = run_crawl(sites, tmp_path, out="r1")
        assert len([r for r in first if r["type"] == "post"]) == 8
        post = next(p for p in blog.posts if p.public)
        with blog.lock:
            post.paragraphs = post.paragraphs + ["A correction added after publication."]
            post.modified = blog.clock + timedelta(days=1)
            blog.clock = post.modified
        second = run_crawl(sites, tmp_path, out="r2")
    emitted = [r for r in second if r["type"] in ("post", "comment")]
    assert [r["type"] for r in emitted] == ["post"]
    assert "A correction added after publication." in emitted[0]["html"]
    assert emitted[0]["url"].endswith(blog.post_path(post))


def test_max_posts_takes_a_big_blog_in_slices(tmp_path: Path) -> None:
    """``max_posts = 5``: each run fetches at most 5 posts it never finished; together they cover the blog."""
    from demoblog.generate import truth_dict

    blog = generate("wordpress", seed=5, n_posts=12)
    with serve(blog) as server:
        sites = [{"id": "wp", "url": server.base_url, "max_posts": 5}]
        runs = [run_crawl(sites, tmp_path, out=f"run{i}") for i in range(4)]
        truth = truth_dict(blog, server.base_url)
    public = {p["url"] for p in truth["posts"] if p["public"]}
    per_run = [{r["url"] for r in records if r["type"] == "post"} for records in runs]
    assert [len(p) for p in per_run] == [5, 5, len(public) - 10, 0]
    assert set().union(*per_run) == public
    # Each slice brings its posts' comments: over the runs, every visible comment once.
    comments = [(r["post_url"], r["platform_comment_id"]) for records in runs for r in records if r["type"] == "comment"]
    assert sorted(comments) == sorted((c["post_url"], c["platform_comment_id"]) for c in truth["comments"] if c["visible"])
