"""The crawl's records of a post: what a listing said about it, and what this run does with it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from crawl.state import Validators


@dataclass(frozen=True)
class ListedPost:
    """What a listing said about a post (WordPress REST, a feed, Blogger's post feed, a sitemap or archive).

    Stored in the crawl state and in the archive's WARC headers, and read by
    ``assemble.build_post``, as the dict :meth:`as_meta` writes: the listing's fields win over the
    page's markup. Fields the listing did not give stay ``None`` and are left out of the dict.
    """

    source: str = "html"  # wp-rest | feed | blogger-feed | html
    url: str | None = None  # as the listing wrote it (an alias when it differs from the canonical URL)
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    platform_post_id: str | None = None
    categories: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    content_html: str | None = None
    comment_status: str | None = None  # WordPress: open | closed
    published_utc_offset_minutes: int | None = None  # the listing's own UTC offset for published_at

    def as_meta(self) -> dict[str, Any]:
        """A fresh copy of :attr:`_meta` (a post's meta is read 2-3 times: state, archive, writer)."""
        return dict(self._meta)

    @cached_property
    def _meta(self) -> dict[str, Any]:
        # Built once per record: walking dataclasses.fields() on every call cost ~30 us.
        return {name: list(value) if isinstance(value, tuple) else value
                for name in _LISTED_FIELDS if (value := getattr(self, name)) is not None}

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> ListedPost:
        """The record back from a stored dict (keys it does not know are ignored)."""
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (meta or {}).items() if k in _LISTED_FIELDS}
        return cls(**values)


_LISTED_FIELDS = tuple(f.name for f in fields(ListedPost))


@dataclass
class PostTask:
    """One post in this run: where it came from, what to fetch, and how far the fetching got."""

    url: str  # canonical: the post's identity
    page_url: str
    platform_post_id: str | None
    listed: ListedPost
    mode: str  # comment mode, see pipeline.sources.assemble.COMMENT_MODES
    comment_url: str | None = None  # first page of the API / feed comment source
    action: str = "full"  # full | comments | revisit
    candidate: bool = False  # from a sitemap/archive: only a post if the page looks like one
    modified_at: str | None = None
    lastmod: str | None = None
    pending: int = 0
    failed: bool = False
    started: bool = False
    validators: dict[str, Validators] = field(default_factory=dict)
    requested: set[str] = field(default_factory=set)
    html: str | None = None  # kept until done, for the HTML fallback of a failing comment API
    feed_failed: bool = False  # the comment API failed: comments come from the HTML pages
    page_seen: bool = False  # the post page's answer came (the fallback cannot ask it again)
    comment_system: str = "native"

    @property
    def source(self) -> str:
        return self.listed.source

    def state_meta(self) -> dict[str, Any]:
        """What the crawl state keeps about the post between runs."""
        return {"meta": self.listed.as_meta(), "mode": self.mode, "comment_url": self.comment_url,
                "modified_at": self.modified_at}
