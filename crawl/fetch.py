"""Fetching a planned post: its page, its HTML comment pages, and the fallback when a comment API fails.

The comment APIs themselves (WordPress REST, Blogger comment feeds) are asked by their sources
(:mod:`crawl.discovery.wordpress`, :mod:`crawl.discovery.blogger`). Records go to the crawl's
writer process (:mod:`crawl.sink`), which reports how each post page ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

from scrapy import Request
from scrapy.http import Response

from pipeline.sources import assemble, html_threads

from crawl.output import POST_PAGE_REJECTED, POST_PAGE_SKIPPED
from crawl.posts import PostTask
from crawl.responses import page_text, validators_of
from crawl.traps import same_site

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

POST_PAGE_KIND = "post-page"
COMMENT_PAGE_KIND = "comment-page"
POST_PAGE_KEY = "post_page_token"  # meta: which post page request (kept by retries and redirects)
REJECTED_KEY = "rejected_reason"  # meta: the reason of the rejected row status_of wrote
API_MODES = ("wp-rest", "blogger-feed")  # comment modes read from an API rather than HTML


class PostFetcher:
    """The post pages and comment pages of one site's planned posts."""

    def __init__(self, run: SiteRun):
        self.run = run

    def start(self, task: PostTask, previously_complete: bool) -> Iterator[Request]:
        run = self.run
        task.started = True
        reqs: list[Request | None] = []
        html_mode = task.mode.startswith("html-")
        if task.action == "full" or (html_mode and task.action in ("comments", "revisit")):
            conditional = previously_complete and task.action != "comments"
            reqs.append(self.ask_page(task, conditional=conditional))
        if task.comment_url and task.mode in API_MODES:
            source = run.wordpress if task.mode == "wp-rest" else run.blogger
            reqs.append(source.ask_comments(task, conditional=previously_complete and task.action in
                                            ("full", "revisit")))
        sent = [r for r in reqs if r is not None]
        yield from sent
        if not sent:
            run.hold(task)
            yield from run.task_done(task)

    def ask_page(self, task: PostTask, conditional: bool = False) -> Request | None:
        return self.run.request(task.page_url, POST_PAGE_KIND, self.on_post_page, post=task, conditional=conditional)

    def on_post_page(self, response: Response) -> Iterator[Request]:
        run = self.run
        meta = response.meta
        task: PostTask = meta["task"]
        task.page_seen = True
        status = run.status_of(response)
        if status == "error":
            if response.status >= 500 or response.status in (408, 429):
                run.task_failed(task, response.request.url, POST_PAGE_KIND, meta.get(REJECTED_KEY, "error"))
            run.post_page_done(meta, POST_PAGE_REJECTED, meta.get(REJECTED_KEY, "error"))
        elif status == "not_modified":
            run.post_page_done(meta, POST_PAGE_SKIPPED, "not_modified")
        elif not hasattr(response, "text"):
            # An image, PDF or other binary where the listing promised a post page.
            run.reject(response.url, "not_html", status=response.status,
                       detail=f"post page answered {response.headers.get('Content-Type', b'?').decode('latin-1')}")
            run.post_page_done(meta, POST_PAGE_REJECTED, "not_html")
        else:
            task.validators[response.request.url] = validators_of(response)
            yield from self.read_post_page(task, response)
        yield from run.task_done(task)

    def read_post_page(self, task: PostTask, response: Response) -> Iterator[Request]:
        run = self.run
        html = page_text(response)
        fetched = response.meta.get("fetched_at") or run.ctx.now_iso()
        # The page's third-party comment system is detected by the writer (crawl.sink).
        if not assemble.accept_post_page(html, run.platform, task.candidate):
            # Password-protected, or an archive/static page listed in the sitemap: remember it
            # as "not a post" so later runs skip it unless its sitemap lastmod changes.
            protected = assemble._password_protected(html)
            if protected:
                run.protected_skipped += 1
            run.post_page_done(response.meta, POST_PAGE_SKIPPED, "protected" if protected else "not_a_post")
            task.candidate = False
            run.ctx.state.upsert_discovered(run.id, task.url, platform_post_id=None, page_url=task.page_url,
                                            meta={"not_post": True, "mode": task.mode}, published_at=None,
                                            now=run.ctx.now_iso())
            return
        if task.candidate:
            task.candidate = False
            run.ctx.state.upsert_discovered(run.id, task.url, platform_post_id=task.platform_post_id,
                                            page_url=task.page_url, meta=task.state_meta(),
                                            published_at=task.listed.published_at, now=run.ctx.now_iso())
        self.emit_post(task, html, fetched, response.status, response.url, response.meta)
        if task.mode.startswith("html-") or task.feed_failed:
            task.html = None
            yield from self.html_comments(task, html, response.url, fetched)
        elif task.mode in API_MODES:
            task.html = html  # kept until the comment API answered, for its HTML fallback

    def on_comment_page(self, response: Response) -> Iterator[Request]:
        run = self.run
        task: PostTask = response.meta["task"]
        status = run.status_of(response)
        if status == "error":
            run.task_failed(task, response.request.url, COMMENT_PAGE_KIND, response.meta.get(REJECTED_KEY, "error"))
        elif status == "ok" and hasattr(response, "text"):
            fetched = response.meta.get("fetched_at") or run.ctx.now_iso()
            yield from self.html_comments(task, page_text(response), response.url, fetched)
        yield from run.task_done(task)

    def html_comments(self, task: PostTask, html: str, page_url: str, fetched: str) -> Iterator[Request]:
        run = self.run
        mode = task.mode if task.mode.startswith("html-") else (
            "html-blogger" if run.platform == "blogger" else "html-wp")
        self.emit_comments(task, assemble.comments_from_html(mode, html, site_id=run.id, post_url=task.url,
                                                             page_url=page_url, fetched_at=fetched))
        if mode == "html-blogger":
            pages = html_threads.blogger_comment_pages(html, page_url)
        else:
            pages = html_threads.wordpress_comment_pages(html, page_url)
        for page in pages:
            if same_site(page, run.netloc) and page not in task.requested and page != task.page_url:
                task.requested.add(page)
                req = run.request(page, COMMENT_PAGE_KIND, self.on_comment_page, post=task,
                                  extra={"archive_meta": {"mode": mode, "platform_post_id": task.platform_post_id}})
                if req:
                    yield req

    def comments_fallback(self, task: PostTask) -> Iterator[Request]:
        """The comment API (REST comments, Blogger comment feed) failed: read the post's HTML comment pages.

        Comments already read from the API are dropped by the writer (same keys), so a fallback
        after page 1 of the API adds only what was missing.
        """
        run = self.run
        if task.feed_failed:
            return  # a second failing API page of the same post: the HTML pages are already asked
        task.feed_failed = True
        run.notes.append("the comment API failed for some posts; used their HTML comment pages")
        if task.html is not None:
            html, task.html = task.html, None
            yield from self.html_comments(task, html, task.page_url, run.ctx.now_iso())
        elif task.page_url not in run.requested:
            req = self.ask_page(task)
            if req:
                yield req
        elif task.page_seen:
            # The page answered without a body to read (304 or an error): next run reads it again.
            run.task_failed(task, task.comment_url or task.page_url, "comments", "comment_api_and_page_failed")
        # else the page is in flight and on_post_page reads its comments (feed_failed is set)

    def emit_post(self, task: PostTask, html: str, fetched: str, status: int, page_url: str,
                  meta: dict[str, Any]) -> None:
        """Send the post page to the writer; its report says whether it was emitted or unchanged."""
        run = self.run
        run.ctx.sink.send("post_page", run.id, meta.get(POST_PAGE_KEY, -1), task.url, {
            "platform": run.platform, "source": task.source, "fetched_at": fetched,
            "html": html, "meta": task.listed.as_meta(), "comment_system": task.comment_system,
            "http_status": status, "page_url": page_url})

    def emit_comments(self, task: PostTask, comments: Iterable[Any]) -> None:
        """Send parsed comments to the writer, which drops those already written (this run or before)."""
        self.run.ctx.sink.send("comments", self.run.id, task.url, list(comments))
