"""What to fetch of every known post, once a site's discovery is complete.

For every post (this run's listings and the state) the plan picks one action: *full* (new,
unfinished or changed: page + every comment page), *comments* (the site comment feed names a
comment we do not have), *revisit* (due on the decaying schedule, or a sweep after an unexplained
comment-feed change: one conditional request) or nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterator

from scrapy import Request

from crawl.posts import ListedPost, PostTask
from crawl.schedule import is_due
from crawl.state import PostState

if TYPE_CHECKING:
    from crawl.siterun import SiteRun


def choose_action(task: PostTask, stored: PostState | None, *, lastmod: str | None, commented: bool, sweep: bool,
                  now: datetime, offsets: tuple[int, ...]) -> str | None:
    """``full``, ``comments``, ``revisit`` or ``None`` (nothing to fetch) for one post."""
    if stored is None or not stored.complete:
        return "full"
    if (task.modified_at and stored.modified_at and task.modified_at != stored.modified_at) or (
            lastmod and stored.lastmod and lastmod != stored.lastmod):
        return "full"
    if commented:
        return "comments"
    if sweep or is_due(stored.published_at or task.listed.published_at, stored.last_visit, now, offsets):
        return "revisit"
    return None


def task_from_state(stored: PostState) -> PostTask:
    """A post the state knows but this run's listings did not name (unchanged listing, older pages)."""
    saved = stored.meta
    return PostTask(url=stored.url, page_url=stored.page_url or stored.url, platform_post_id=stored.platform_post_id,
                    listed=ListedPost.from_meta(saved.get("meta")), mode=saved.get("mode", "html-generic"),
                    comment_url=saved.get("comment_url"), modified_at=stored.modified_at)


def add_html_candidates(run: SiteRun) -> Request | None:
    """Where posts come from HTML (or the API left a gap): sitemap URLs, else the archive walk.

    Returns the request for the next archive page when the walk from the home page started
    (the plan waits for the walk to finish).
    """
    mode = run.html_post_mode()
    # A gap in the API: sitemap URLs not known as posts may be the posts it could not list.
    known = {p.url for p in run.ctx.state.posts(run.id)} if run.listings.gap and not run.html_mode() else set()
    for loc in run.sitemaps.candidates(known):
        run.discover(loc, ListedPost(url=loc), mode=mode, candidate=True)
    if not run.archive.walked and not run.posts and run.home_html is not None and not run.ctx.state.posts(run.id):
        # No feed and no sitemap named a post: walk the HTML archive from the home page.
        return run.archive.walk_from_home(run.home_html)
    return None


def plan(run: SiteRun) -> Iterator[Request]:
    """Decide what to fetch for every known post of ``run`` and start fetching it."""
    if run.html_mode() or run.listings.gap:
        walk = add_html_candidates(run)
        if walk is not None:
            yield walk
            return
    run.planned = True
    now = run.ctx.now
    offsets = tuple(run.ctx.settings.revisit_after_days)
    known = {p.url: p for p in run.ctx.state.posts(run.id)}
    lastmods = run.sitemaps.lastmod
    for url, stored in known.items():
        if stored.meta.get("not_post"):
            if url in run.posts and not (lastmods.get(url) and lastmods.get(url) != stored.lastmod):
                del run.posts[url]
            continue
        if url not in run.posts:
            run.posts[url] = task_from_state(stored)
    new_budget = run.max_posts
    signal = run.comment_signal
    for url, task in list(run.posts.items()):
        stored = known.get(url)
        lastmod = lastmods.get(url)
        task.lastmod = lastmod or (stored.lastmod if stored else None)
        action = choose_action(task, stored, lastmod=lastmod, commented=url in signal.commented, sweep=signal.sweep,
                               now=now, offsets=offsets)
        if action is None:
            continue
        previously_complete = bool(stored and stored.complete)
        # max_posts caps first fetches (posts never completed, this run's new ones included);
        # the rest follow in later runs. Known posts that changed are always fetched.
        if action == "full" and not previously_complete and not task.candidate and new_budget is not None:
            if new_budget <= 0:
                continue
            new_budget -= 1
        task.action = action
        yield from run.fetcher.start(task, previously_complete)
    yield from run.maybe_finish()
