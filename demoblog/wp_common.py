"""What the WordPress pages, feeds and REST API share: term ids, URLs and comment paging.

WordPress pages comments by top-level thread (``comments_per_page``) and, with
``default_comments_page = "newest"``, shows the last page on the post URL itself; every comment
link (HTML, feeds, REST ``link``) names the page its thread is on, as core's get_comment_link does.
"""

from __future__ import annotations

from typing import Any

from demoblog import text as T
from demoblog.model import Comment, DemoBlog, Post, Thread, page_count, threads
from demoblog.web import Request

WP_VERSION = "6.4.2"


def term_table(blog: DemoBlog) -> dict[tuple[str, str], dict[str, Any]]:
    """Categories and tags with stable ids: (kind, name) -> {id, slug, name, count}."""
    listed = blog.listed_posts()
    out: dict[tuple[str, str], dict[str, Any]] = {
        ("category", "Uncategorized"): {"id": 1, "slug": "uncategorized", "name": "Uncategorized", "count": 0},
    }
    next_id = 2
    for kind in ("category", "tag"):
        names = sorted({n for p in blog.posts for n in (p.categories if kind == "category" else p.tags)})
        for name in names:
            out[(kind, name)] = {
                "id": next_id, "slug": T.slugify(name), "name": name,
                "count": sum(1 for p in listed if name in (p.categories if kind == "category" else p.tags)),
            }
            next_id += 1
    return out


def post_url(blog: DemoBlog, req: Request, post: Post) -> str:
    return req.base + blog.post_path(post)


def term_url(req: Request, kind: str, slug: str) -> str:
    return f"{req.base}/{kind}/{slug}/"


def display_title(post: Post) -> str:
    return f"Protected: {post.title}" if post.password else post.title


def comment_page_url(blog: DemoBlog, req: Request, post: Post, page: int, n_pages: int) -> str:
    """Link to comment page ``page``; the default page is the post URL itself (WordPress)."""
    url = post_url(blog, req, post)
    default = n_pages if blog.options.default_comments_page == "newest" else 1
    return url if page == default else f"{url}comment-page-{page}/"


def comment_pages(blog: DemoBlog, post: Post) -> tuple[list[Thread], int]:
    roots = threads(post.visible_comments())
    return roots, page_count(len(roots), blog.options.comments_per_page)


def page_of(blog: DemoBlog, post: Post, comment: Comment) -> tuple[int, int]:
    roots, n_pages = comment_pages(blog, post)
    for i, root in enumerate(roots):
        if any(t.comment is comment for t in root.walk()):
            return i // blog.options.comments_per_page + 1, n_pages
    return 1, n_pages


def comment_link(blog: DemoBlog, req: Request, post: Post, comment: Comment) -> str:
    page, n_pages = page_of(blog, post, comment)
    return f"{comment_page_url(blog, req, post, page, n_pages)}#comment-{comment.platform_comment_id}"
