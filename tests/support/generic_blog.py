"""A small "generic" blog (neither WordPress nor Blogger) with its ground truth, for crawl tests.

The crawler's generic adapter must find posts through an Atom feed, a sitemap and ``/page/N/``
archive pages, and read threaded reader comments from markup that no platform parser knows, so
this blog writes its comments in the common generic vocabularies, one style per post:

* ``microdata``: schema.org ``Comment`` items, replies nested as ``itemprop="comment"`` (no ids,
  so the crawler identifies comments by a hash of what the reader sees);
* ``microformats``: ``h-entry`` post with ``p-comment h-cite`` comments nested in each other;
* ``plain-li``: ``ol.comment-list > li.comment-item > div.comment#comment-N`` with the replies in a
  sibling ``ol.replies`` (class names close to WordPress' but not its own);
* ``plain-div``: ``div.comment#comment-N`` with replies nested inside the parent's ``div.replies``;
* ``plain-bare-li``: as ``plain-li`` but the ``li`` has neither class nor id, so only the list
  entry ties the sibling ``ol.replies`` to its comment;
* ``usercomments``: schema.org ``UserComments`` (the older type: ``creator`` / ``commentText`` /
  ``commentTime``, no ``itemprop`` on the item itself), replies nested in a ``div.replies``.

Threads go 6 deep somewhere, some posts spread their top-level threads over several comment pages
(``?cpage=N`` links, oldest page first), and unapproved comments exist in the truth but are never
rendered. Text is produced by a small seeded generator (no copied prose). Stdlib only; the server
binds loopback addresses only (see :mod:`tests.support.testsite`).
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.testsite import HitLog, _Server

UTC = timezone.utc
# Post i gets STYLES[i % 6]. The order puts the paged posts (4, 9, 10) on microdata (hashed ids)
# and plain-li (native ids), and the 6-deep chain (post 2) on plain-bare-li; post 6 has no comments.
STYLES = ("usercomments", "microformats", "plain-bare-li", "microdata", "plain-li", "plain-div")

_SUBJECTS = ("The night shift", "My sister", "Our clinic", "A colleague of mine", "The waiting list",
             "Group therapy", "The new intake form", "My first supervisor", "The crisis line", "Sleep hygiene",
             "The pharmacy", "Peer support", "The discharge plan", "Family therapy", "Our team lead")
_VERBS = ("changed", "helped with", "made sense of", "slowed down", "complicated", "taught me about",
          "got in the way of", "shaped", "reminded me of", "quietly improved")
_OBJECTS = ("the first appointment", "long weekends", "medication reviews", "talking to neighbours",
            "morning routines", "the referral process", "follow-up calls", "my own expectations",
            "winter evenings", "handover notes", "school meetings", "the paperwork backlog")
_TAILS = ("last spring", "more than I expected", "in small ways", "for a while", "after the move",
          "without anyone noticing", "during the pilot", "once we asked", "every single week", "at last")
_FIRST = ("Ada", "Bruno", "Chidi", "Dana", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemal",
          "Lucia", "Mateo", "Nadia", "Oskar", "Paula", "Quinn", "Rania", "Soren", "Tamsin")
_LAST = ("K.", "M.", "R.", "T.", "W.", "Lindqvist", "Osei", "Varga", "Moreau", "Ibsen")
_TITLE_WORDS = ("Notes on", "Thinking about", "What I learned from", "A week of", "Questions about",
                "Small wins in", "Revisiting", "Why I changed my mind on")


@dataclass
class GComment:
    """One reader comment; ``visible`` False means unapproved (never rendered)."""

    number: int  # native id shown by the plain styles (``comment-N``)
    parent: int | None  # ``number`` of the parent comment
    author: str
    paragraphs: list[str]
    published: datetime
    visible: bool = True

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class GPost:
    index: int
    slug: str
    title: str
    author: str
    published: datetime
    paragraphs: list[str]
    style: str
    comments: list[GComment] = field(default_factory=list)
    threads_per_page: int | None = None  # top-level threads per comment page; None: one page

    @property
    def path(self) -> str:
        return f"/{self.published:%Y/%m/%d}/{self.slug}/"


@dataclass
class GenericBlog:
    title: str
    posts: list[GPost]  # oldest first
    per_archive_page: int = 4
    feed_items: int = 5  # the feed names only the newest posts, as real feeds do


class _Text:
    """Seeded prose out of a small phrase bank; every sentence is unique within one blog."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def sentence(self) -> str:
        for _ in range(1000):
            s = (f"{self.rng.choice(_SUBJECTS)} {self.rng.choice(_VERBS)} {self.rng.choice(_OBJECTS)} "
                 f"{self.rng.choice(_TAILS)}.")
            if s not in self.used:
                self.used.add(s)
                return s
        s = f"{self.rng.choice(_SUBJECTS)} {self.rng.choice(_VERBS)} item {len(self.used)}."
        self.used.add(s)
        return s

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))


def generate_generic_blog(seed: int = 11, n_posts: int = 12, styles: tuple[str, ...] = STYLES) -> GenericBlog:
    """A deterministic blog: ``n_posts`` posts cycling through ``styles``.

    Post 2 holds a 6-deep reply chain; posts 4, 9 and 10 (when present) spread 10, 7 and 5
    top-level threads over comment pages of 4, 3 and 2 threads (3 pages each); post 6 has no
    comments; about one comment in six is unapproved (a leaf: an unapproved comment has no
    visible replies).
    """
    rng = random.Random(f"generic-blog:{seed}")
    text = _Text(rng)
    names = [f"{first} {last}" for first in _FIRST for last in _LAST]
    rng.shuffle(names)
    commenters = names[:24]
    authors = names[24:27]
    start = datetime(2024, 1, 8, 9, 30, tzinfo=UTC)
    posts: list[GPost] = []
    number = 1000
    titles: set[str] = set()
    for i in range(n_posts):
        while True:
            title = f"{rng.choice(_TITLE_WORDS)} {rng.choice(_OBJECTS)}"
            if title not in titles:
                titles.add(title)
                break
        slug = "-".join(title.lower().split()) + f"-{i + 1}"
        published = start + timedelta(days=5 * i, hours=rng.randint(0, 8))
        post = GPost(index=i, slug=slug, title=title, author=rng.choice(authors), published=published,
                     paragraphs=[text.paragraph(rng.randint(3, 5)) for _ in range(rng.randint(3, 5))],
                     style=styles[i % len(styles)])
        if i == 4:
            post.threads_per_page, n_threads = 4, 10
        elif i == 9:
            post.threads_per_page, n_threads = 3, 7
        elif i == 10:
            post.threads_per_page, n_threads = 2, 5
        elif i == 6:
            n_threads = 0
        else:
            n_threads = rng.randint(1, 4)
        clock = published + timedelta(hours=2)

        def add(parent: int | None, visible: bool = True) -> GComment:
            nonlocal number, clock
            number += 1
            clock += timedelta(minutes=rng.randint(7, 300))
            c = GComment(number=number, parent=parent, author=rng.choice(commenters),
                         paragraphs=[text.paragraph(rng.randint(1, 3)) for _ in range(rng.randint(1, 2))],
                         published=clock.replace(microsecond=0), visible=visible)
            post.comments.append(c)  # noqa: B023 - add() runs only within this post's iteration
            return c

        for _t in range(n_threads):
            root = add(None)
            frontier = [root]
            for _r in range(rng.randint(0, 3)):
                parent = rng.choice(frontier)
                frontier.append(add(parent.number))
            if rng.random() < 0.4:
                add(rng.choice(frontier).number, visible=False)
        if i == 2:  # one long back-and-forth: depth 6
            parent = add(None)
            for _d in range(5):
                parent = add(parent.number)
            add(parent.number, visible=False)
        if n_threads and rng.random() < 0.5:
            add(None, visible=False)
        posts.append(post)
    return GenericBlog(title="Field Notes from the Ward", posts=posts)


# --------------------------------------------------------------------------- ground truth


def depth_of(post: GPost, comment: GComment) -> int:
    by_number = {c.number: c for c in post.comments}
    depth, cur = 1, comment
    while cur.parent is not None:
        depth += 1
        cur = by_number[cur.parent]
    return depth


def truth_dict(blog: GenericBlog, base_url: str) -> dict[str, Any]:
    """Posts and comments as the crawler should report them for the blog served at ``base_url``.

    Comments are identified by ``(author, text)`` (unique within a post): generic markup often
    has no native ids, so the crawler's ids may be hashes. ``parent`` is the parent's key.
    """
    base = base_url.rstrip("/")
    posts, comments = [], []
    for p in blog.posts:
        url = base + p.path
        posts.append({"url": url, "title": p.title, "author": p.author, "published_at": p.published.isoformat(),
                      "first_paragraph": p.paragraphs[0], "style": p.style,
                      "comment_pages": comment_page_count(p)})
        by_number = {c.number: c for c in p.comments}
        for c in p.comments:
            parent = by_number.get(c.parent) if c.parent is not None else None
            comments.append({"post_url": url, "key": (c.author, c.text), "author": c.author, "text": c.text,
                             "published_at": c.published.isoformat(), "visible": c.visible,
                             "parent": (parent.author, parent.text) if parent else None,
                             "depth": depth_of(p, c), "style": p.style})
    return {"posts": posts, "comments": comments, "not_posts": [base + "/about/"]}


# --------------------------------------------------------------------------- rendering


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _paras(paragraphs: list[str]) -> str:
    return "".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def _human_date(d: datetime) -> str:
    return f"{d:%B} {d.day}, {d:%Y} at {d:%H:%M}"


def _children(post: GPost) -> dict[int | None, list[GComment]]:
    out: dict[int | None, list[GComment]] = {}
    for c in post.comments:
        if c.visible:
            out.setdefault(c.parent, []).append(c)
    return out


def comment_page_count(post: GPost) -> int:
    roots = len(_children(post).get(None, []))
    if not post.threads_per_page or roots == 0:
        return 1
    return -(-roots // post.threads_per_page)


def _render_comment(style: str, c: GComment, kids: dict[int | None, list[GComment]]) -> str:
    replies = "".join(_render_comment(style, r, kids) for r in kids.get(c.number, []))
    when = f'<time datetime="{c.published.isoformat()}">{_e(_human_date(c.published))}</time>'
    if style == "microdata":
        nested = f'<div class="replies">{replies}</div>' if replies else ""
        return (f'<div itemprop="comment" itemscope itemtype="http://schema.org/Comment" class="reader-note">'
                f'<div class="note-head"><span itemprop="author" itemscope itemtype="http://schema.org/Person">'
                f'<span itemprop="name">{_e(c.author)}</span></span> '
                f'<time itemprop="dateCreated" datetime="{c.published.isoformat()}">{_e(_human_date(c.published))}'
                f'</time></div><div itemprop="text">{_paras(c.paragraphs)}</div>{nested}</div>')
    if style == "usercomments":
        nested = f'<div class="replies">{replies}</div>' if replies else ""
        return (f'<div itemscope itemtype="http://schema.org/UserComments">'
                f'<span itemprop="creator" itemscope itemtype="http://schema.org/Person"><span itemprop="name">'
                f'{_e(c.author)}</span></span> <time itemprop="commentTime" datetime="{c.published.isoformat()}">'
                f'{_e(_human_date(c.published))}</time><div itemprop="commentText">{_paras(c.paragraphs)}</div>'
                f'{nested}</div>')
    if style == "microformats":
        return (f'<div class="p-comment h-cite"><div class="comment-head"><span class="p-author h-card">'
                f'{_e(c.author)}</span> <time class="dt-published" datetime="{c.published.isoformat()}">'
                f'{_e(_human_date(c.published))}</time></div><div class="p-content">{_paras(c.paragraphs)}</div>'
                f'{replies}</div>')
    body = (f'<div class="comment" id="comment-{c.number}"><div class="comment-meta">'
            f'<span class="comment-author">{_e(c.author)}</span> {when}</div>'
            f'<div class="comment-text">{_paras(c.paragraphs)}</div>'
            f'<a class="reply-link" href="#respond">Reply</a>')
    if style == "plain-div":
        nested = f'<div class="replies">{replies}</div>' if replies else ""
        return f"{body}{nested}</div>"
    li = '<li class="comment-item">' if style == "plain-li" else "<li>"
    nested = f'<ol class="replies">{replies}</ol>' if replies else ""
    return f"{li}{body}</div>{nested}</li>"


def render_comments(post: GPost, page: int, post_url: str) -> str:
    """The comment section of comment page ``page`` (1-based) of ``post``."""
    kids = _children(post)
    roots = kids.get(None, [])
    pages = comment_page_count(post)
    if post.threads_per_page:
        roots = roots[(page - 1) * post.threads_per_page: page * post.threads_per_page]
    items = "".join(_render_comment(post.style, c, kids) for c in roots)
    if post.style in ("plain-li", "plain-bare-li"):
        items = f'<ol class="comment-list">{items}</ol>'
    nav = ""
    if pages > 1:
        links = []
        for n in range(1, pages + 1):
            href = post_url if n == 1 else f"{post_url}?cpage={n}"
            links.append(f"<span>{n}</span>" if n == page else f'<a href="{_e(href)}">{n}</a>')
        nav = f'<nav class="comments-pagination">Comment pages: {" ".join(links)}</nav>'
    count = sum(1 for c in post.comments if c.visible)
    form = ('<div id="respond"><h3>Leave a comment</h3><form class="comment-form" action="/comment" method="post">'
            '<textarea name="comment"></textarea><input name="author"><button>Post comment</button></form></div>')
    return (f'<section id="comments" class="comments"><h2>{count} comments</h2>{nav}{items}{nav}{form}'
            f"</section>")


def _layout(blog: GenericBlog, base: str, title: str, body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>{head}</head>'
            f'<body><header class="site-header"><a class="site-title" href="{base}/">{_e(blog.title)}</a>'
            f'<nav class="menu"><a href="{base}/">Home</a> <a href="{base}/about/">About</a></nav></header>'
            f'<main>{body}</main><footer class="site-footer">Written by clinicians; not medical advice.'
            f"</footer></body></html>")


def render_post(blog: GenericBlog, post: GPost, base: str, page: int = 1) -> str:
    url = base + post.path
    stamp = post.published.isoformat()
    head = (f'<meta name="author" content="{_e(post.author)}"><link rel="canonical" href="{_e(url)}">'
            f'<meta property="og:type" content="article">')
    comments = render_comments(post, page, url)
    if post.style in ("microdata", "usercomments"):
        body = (f'<article itemscope itemtype="http://schema.org/BlogPosting"><h1 itemprop="headline" '
                f'class="post-title">{_e(post.title)}</h1><p class="byline">By <span itemprop="author">'
                f'{_e(post.author)}</span>, <time itemprop="datePublished" datetime="{stamp}">'
                f'{_e(_human_date(post.published))}</time></p><div itemprop="articleBody">{_paras(post.paragraphs)}'
                f"</div>{comments}</article>")
    elif post.style == "microformats":
        body = (f'<article class="h-entry"><h1 class="p-name">{_e(post.title)}</h1><p class="byline">By '
                f'<a class="p-author h-card" href="{base}/about/">{_e(post.author)}</a> on <time '
                f'class="dt-published" datetime="{stamp}">{_e(_human_date(post.published))}</time></p>'
                f'<div class="e-content">{_paras(post.paragraphs)}</div>{comments}</article>')
    else:
        body = (f'<article class="post"><h1 class="post-title">{_e(post.title)}</h1><p class="byline">By '
                f'<span class="author">{_e(post.author)}</span> on <time class="published" datetime="{stamp}">'
                f'{_e(_human_date(post.published))}</time></p><div class="post-text">{_paras(post.paragraphs)}'
                f"</div></article>{comments}")
    return _layout(blog, base, f"{post.title} | {blog.title}", body, head)


def _archive_page(blog: GenericBlog, base: str, page: int, feed: bool) -> str | None:
    newest = list(reversed(blog.posts))
    per = blog.per_archive_page
    chunk = newest[(page - 1) * per: page * per]
    if not chunk:
        return None
    items = "".join(
        f'<div class="summary"><h2 class="post-title"><a href="{base}{p.path}">{_e(p.title)}</a></h2>'
        f'<p class="meta">{_e(_human_date(p.published))}</p><p>{_e(p.paragraphs[0][:160])}...</p></div>'
        for p in chunk)
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="{base}/' + (f"page/{page - 1}/" if page > 2 else "") + '">Newer posts</a>')
    if page * per < len(newest):
        nav.append(f'<a rel="next" class="next" href="{base}/page/{page + 1}/">Older posts</a>')
    head = f'<link rel="alternate" type="application/atom+xml" title="Posts" href="{base}/feed.xml">' if feed else ""
    return _layout(blog, base, blog.title if page == 1 else f"{blog.title} - page {page}",
                   f'{items}<nav class="pager">{" ".join(nav)}</nav>', head)


def render_atom(blog: GenericBlog, base: str) -> str:
    entries = []
    for p in list(reversed(blog.posts))[: blog.feed_items]:
        stamp = p.published.isoformat()
        entries.append(
            f'<entry><title>{_e(p.title)}</title><link rel="alternate" href="{base}{p.path}"/>'
            f"<id>{base}{p.path}</id><published>{stamp}</published><updated>{stamp}</updated>"
            f"<author><name>{_e(p.author)}</name></author><summary>{_e(p.paragraphs[0])}</summary></entry>")
    updated = blog.posts[-1].published.isoformat()
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{_e(blog.title)}</title><link rel="self" href="{base}/feed.xml"/><link href="{base}/"/>'
            f"<id>{base}/</id><updated>{updated}</updated>{''.join(entries)}</feed>")


def render_sitemap(blog: GenericBlog, base: str) -> str:
    urls = [(f"{base}/", None), (f"{base}/about/", None)]
    urls += [(base + p.path, p.published.date().isoformat()) for p in blog.posts]
    rows = "".join(f"<url><loc>{_e(u)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>"
                   for u, m in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'


def serve_generic_blog(blog: GenericBlog, *, listings: bool = True, host: str = "127.0.0.1") -> tuple[_Server, HitLog]:
    """Serve ``blog`` on ``host`` (loopback only); returns the running server and its hit log.

    ``listings`` False serves neither feed, sitemap nor robots.txt (404), so the crawler has to
    walk the ``/page/N/`` archive from the home page.
    """
    log = HitLog()
    by_path = {p.path: p for p in blog.posts}

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: str, ctype: str = "text/html; charset=utf-8") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # stdlib naming
            log.add(self.path)
            base = f"http://{self.headers.get('Host')}"
            parts = urlsplit(self.path)
            path = parts.path
            if path == "/robots.txt" and listings:
                return self._send(200, f"User-agent: *\nDisallow: /comment\nSitemap: {base}/sitemap.xml\n",
                                  "text/plain")
            if path == "/feed.xml" and listings:
                return self._send(200, render_atom(blog, base), "application/atom+xml")
            if path == "/sitemap.xml" and listings:
                return self._send(200, render_sitemap(blog, base), "application/xml")
            if path == "/about/":
                return self._send(200, _layout(blog, base, "About", f"<h1>About {_e(blog.title)}</h1>"
                                               "<p>A group blog by ward staff. Posts are personal views.</p>"))
            page = 1
            if path.startswith("/page/") and path.rstrip("/").split("/")[-1].isdigit():
                page = int(path.rstrip("/").split("/")[-1])
                path = "/"
            if path == "/":
                archive = _archive_page(blog, base, page, feed=listings)
                return self._send(200, archive) if archive else self._send(404, "<h1>Not found</h1>")
            post = by_path.get(path)
            if post is not None:
                cpage = parse_qs(parts.query).get("cpage", ["1"])[0]
                n = int(cpage) if cpage.isdigit() else 0
                if 1 <= n <= comment_page_count(post):
                    return self._send(200, render_post(blog, post, base, n))
            return self._send(404, "<h1>Not found</h1>")

        def log_message(self, *args: Any) -> None:
            pass

    return _Server(host, Handler).start(), log


# --------------------------------------------------------------------------- saved real pages as one site


def serve_saved_pages(pages: dict[str, Any], *, host: str = "127.0.0.1") -> tuple[_Server, HitLog]:
    """Serve saved ``*.html.gz`` pages as one generic site: ``pages`` maps a slug to a file path.

    Each page is at ``/posts/<slug>/``, sent as stored with ``Content-Encoding: gzip`` and a bare
    ``text/html`` type (no charset: the crawler must read the page's own declaration). The home
    page links every page, and an RSS feed and a sitemap list them all; the feed makes every page
    a post *listing* entry, so the crawler takes each one as a post (a page named only by a sitemap
    would be kept only if it looks like a single post). ``/posts/`` rather than Blogger's ``/p/``,
    which the crawler skips in sitemaps as static pages. Files are read on each request, never
    copied. Loopback only.
    """
    from pathlib import Path

    log = HitLog()
    files = {f"/posts/{slug}/": Path(path) for slug, path in pages.items()}

    def listing(base: str) -> tuple[str, str, str]:
        links = "".join(f'<h2><a href="{base}{p}">{_e(p)}</a></h2>' for p in files)
        home = (f'<!DOCTYPE html><html><head><title>Saved pages</title><link rel="alternate" '
                f'type="application/rss+xml" href="{base}/feed/"></head><body>{links}</body></html>')
        items = "".join(f"<item><link>{base}{p}</link><guid>{base}{p}</guid></item>" for p in files)
        feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Saved pages</title>'
                f"<link>{base}/</link>{items}</channel></rss>")
        urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in files)
        sitemap = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        return home, feed, sitemap

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, data: bytes, ctype: str, gzip: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if gzip:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # stdlib naming
            log.add(self.path)
            base = f"http://{self.headers.get('Host')}"
            path = urlsplit(self.path).path
            if path in files:
                return self._send(200, files[path].read_bytes(), "text/html", gzip=True)
            if path == "/robots.txt":
                return self._send(200, f"User-agent: *\nSitemap: {base}/sitemap.xml\n".encode(), "text/plain")
            if path in ("/", "/feed/", "/sitemap.xml"):
                home, feed, sitemap = listing(base)
                body, ctype = {"/": (home, "text/html; charset=utf-8"), "/feed/": (feed, "application/rss+xml"),
                               "/sitemap.xml": (sitemap, "application/xml")}[path]
                return self._send(200, body.encode("utf-8"), ctype)
            return self._send(404, b"not found", "text/plain")

        def log_message(self, *args: Any) -> None:
            pass

    return _Server(host, Handler).start(), log


__all__ = ["GenericBlog", "GPost", "GComment", "STYLES", "generate_generic_blog",
           "truth_dict", "render_post", "render_comments", "comment_page_count", "serve_generic_blog",
           "serve_saved_pages"]
