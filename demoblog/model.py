"""The demo blog as data: posts, threaded comments, authors and site options.

The server renders every response from these objects on request, so a comment added between
two crawls (``generate.add_comment``) shows up everywhere at once. ``DemoBlog.lock`` serialises
rendering against such changes, because the HTTP server answers from several threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

FLAVOURS = ("wordpress", "blogger")


@dataclass
class Author:
    user_id: int  # WordPress user id
    name: str
    slug: str  # WordPress author slug (/author/<slug>/)
    bio: str
    profile_id: str  # Blogger profile number (https://www.blogger.com/profile/<id>)


@dataclass
class Comment:
    platform_comment_id: str
    post_index: int
    parent_id: str | None  # platform id of the comment this replies to
    author: str
    published: datetime  # aware, UTC
    text: str  # paragraphs joined by "\n\n"
    status: str  # approved | hold | spam
    depth: int  # 1 = top level
    by_post_author: bool = False
    sentiment: str = "neutral"  # planted label: positive | negative | neutral
    on_topic: bool = True
    # When the comment reached the site; equals ``published`` except for comments added
    # at run time, which must move Last-Modified forward even if back-dated.
    recorded_at: datetime | None = None

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


@dataclass
class Post:
    index: int  # position in ``DemoBlog.posts`` (oldest first)
    platform_post_id: str
    title: str
    slug: str
    author: Author
    published: datetime
    modified: datetime
    topic: str
    paragraphs: list[str]
    categories: list[str]
    tags: list[str]
    status: str = "publish"  # publish | draft
    password: str | None = None  # WordPress password-protected post
    comments: list[Comment] = field(default_factory=list)  # all statuses, oldest first

    @property
    def listed(self) -> bool:
        """Appears in lists, feeds and the API (protected posts do, under 'Protected: ')."""
        return self.status == "publish"

    @property
    def public(self) -> bool:
        """Its text and comments can be read by anyone."""
        return self.status == "publish" and not self.password

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def visible_comments(self) -> list[Comment]:
        """Approved comments of a public post, oldest first (what a reader can see)."""
        if not self.public:
            return []
        return [c for c in self.comments if c.approved]


@dataclass
class SiteOptions:
    posts_per_page: int = 10
    # WordPress: 5 top-level threads per page; Blogger: 10.
    comments_per_page: int = 5
    # WordPress "default_comments_page": which comment page the post URL shows.
    default_comments_page: str = "newest"  # newest | oldest
    rest_api: bool = True  # WordPress REST API on /wp-json/
    feed_items: int = 10  # WordPress posts_per_rss; Blogger feeds default to 25 instead
    thread_depth: int = 5
    # The blog's zone as a fixed offset (minutes east of UTC): dates it shows carry it (HTML
    # datetime attributes, feeds, WordPress REST ``date`` beside ``date_gmt``), as real blogs do.
    utc_offset_minutes: int = 0


@dataclass
class DemoBlog:
    flavour: str  # wordpress | blogger
    seed: int
    site_title: str
    tagline: str
    blog_id: str  # Blogger blog id (also shown nowhere for WordPress)
    authors: list[Author]
    posts: list[Post]  # oldest first, drafts included
    options: SiteOptions
    about: str  # sidebar/footer boilerplate
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    # The latest moment anything changed on the site ("now" for the demo); see add_comment.
    clock: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=timezone.utc))

    # -- queries used by generator, renderers and tests ---------------------------------------
    def listed_posts(self) -> list[Post]:
        """Posts shown on the site, newest first."""
        return sorted((p for p in self.posts if p.listed), key=lambda p: p.published, reverse=True)

    def all_comments(self) -> list[Comment]:
        return [c for p in self.posts for c in p.comments]

    def visible_comments(self) -> list[Comment]:
        return [c for p in self.posts for c in p.visible_comments()]

    def comment_by_id(self, platform_comment_id: str) -> Comment | None:
        for c in self.all_comments():
            if c.platform_comment_id == platform_comment_id:
                return c
        return None

    def post_by_id(self, platform_post_id: str) -> Post | None:
        for p in self.posts:
            if p.platform_post_id == platform_post_id:
                return p
        return None

    def author_by_name(self, name: str) -> Author | None:
        for a in self.authors:
            if a.name == name:
                return a
        return None

    def post_path(self, post: Post) -> str:
        """Path of the post's canonical URL (leading slash, no host)."""
        d = post.published
        if self.flavour == "wordpress":
            return f"/{d.year:04d}/{d.month:02d}/{d.day:02d}/{post.slug}/"
        return f"/{d.year:04d}/{d.month:02d}/{post.slug}.html"


@dataclass
class Thread:
    """A comment with its visible replies, for threaded rendering."""

    comment: Comment
    replies: list["Thread"]

    def walk(self):
        yield self
        for r in self.replies:
            yield from r.walk()


def threads(comments: list[Comment]) -> list[Thread]:
    """Top-level threads (oldest first) built from a list of visible comments.

    A reply whose parent is not in the list (hidden parent) would be orphaned; the generator
    never makes one, so here it is simply dropped rather than promoted.
    """
    by_id = {c.platform_comment_id: Thread(c, []) for c in comments}
    roots: list[Thread] = []
    for c in sorted(comments, key=lambda c: (c.published, c.platform_comment_id)):
        node = by_id[c.platform_comment_id]
        if c.parent_id is None:
            roots.append(node)
        elif c.parent_id in by_id:
            by_id[c.parent_id].replies.append(node)
    return roots


def page_count(n_items: int, per_page: int) -> int:
    return max(1, -(-n_items // per_page))
