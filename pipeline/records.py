"""Typed records that move between stages.

One frozen record per stage, each field with one owner. Ids are derived (see ``pipeline.ids``),
never random, so every stage can be rerun and every load is idempotent.

Records travel between processes as JSON lines; ``to_dict`` / ``from_dict`` are the only
(de)serialisers, so a field added here is carried everywhere.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(record: Any) -> dict[str, Any]:
    """A record as a plain JSON-ready dict (tuples become lists)."""
    out = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build ``cls`` from a dict, ignoring unknown keys (newer writers) and tupling lists."""
    names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs = {}
    for key, value in data.items():
        if key in names:
            kwargs[key] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


# --------------------------------------------------------------------------- crawl output


@dataclass(frozen=True, slots=True)
class RawPost:
    """A post as the crawler found it (one per canonical post URL per crawl).

    ``html`` is the full public page when fetched (trafilatura needs the page);
    ``content_html`` is the body as an API or feed gave it.
    """

    site_id: str
    url: str  # canonical URL: the post's identity
    platform: str  # wordpress | blogger | generic
    source: str  # wp-rest | blogger-feed | feed | html
    fetched_at: str  # ISO 8601 UTC
    html: str | None = None
    content_html: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: str | None = None  # ISO 8601
    modified_at: str | None = None
    platform_post_id: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other URLs that served this post (?m=1, AMP, feed links)
    comment_system: str = "native"  # native | none | closed | disqus | facebook | ...
    http_status: int | None = None
    # The UTC offset the source wrote beside ``published_at`` (minutes east of UTC, e.g. 120 for
    # +02:00; WordPress: ``date`` - ``date_gmt``); None when it wrote none. ``published_at`` stays UTC.
    published_utc_offset_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class RawComment:
    """A reader comment as the crawler found it (API, feed or HTML)."""

    site_id: str
    post_url: str  # canonical URL of the post it belongs to
    source: str  # wp-rest | blogger-feed | feed | html
    fetched_at: str
    platform_comment_id: str | None = None  # native id when the platform shows one
    parent_platform_comment_id: str | None = None
    author: str | None = None  # raw name: pseudonymised before it reaches analysts
    author_url: str | None = None
    published_at: str | None = None
    text: str = ""  # plain text (HTML already stripped by the source parser)
    position: int = 0  # order on the page / in the feed
    published_utc_offset_minutes: int | None = None  # as on RawPost


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record a stage refused, with a named reason (goes to quarantine)."""

    stage: str
    key: str  # URL or id of what was rejected
    reason: str  # empty | non_html | too_large | timeout | not_english | parse_error | ...
    detail: str = ""
    site_id: str | None = None
    status: int | None = None  # HTTP status of the last attempt, when there was a response
    attempts: int = 1


# --------------------------------------------------------------------------- processed


@dataclass(frozen=True, slots=True)
class Extracted:
    """What ``pipeline.extract`` gets from one page (no ids yet: works on any saved page)."""

    url: str | None
    title: str | None
    author: str | None
    published_at: str | None
    language: str | None
    text: str
    sitename: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "ok"  # ok | empty | non_html | too_large | timeout | error
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ExtractedComment:
    """A comment found in a saved page's HTML (ids are the page's own, when it shows them)."""

    comment_id: str
    parent_id: str | None
    author: str | None
    published_at: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Post:
    post_id: str
    site_id: str
    url: str
    title: str | None
    author: str | None
    published_at: str | None
    language: str | None
    text: str
    run_id: str
    modified_at: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    word_count: int = 0
    content_hash: str = ""
    comment_system: str = "native"
    source: str = ""
    fetched_at: str | None = None
    published_utc_offset_minutes: int | None = None  # the source's offset beside the UTC published_at


@dataclass(frozen=True, slots=True)
class Comment:
    comment_id: str
    post_id: str
    parent_id: str | None
    author_pseudonym: str | None
    published_at: str | None
    language: str | None
    text: str
    run_id: str
    depth: int = 0
    platform_comment_id: str | None = None
    source: str = ""
    first_seen_at: str | None = None
    position: int = 0
    is_post_author: bool = False
    published_utc_offset_minutes: int | None = None  # the source's offset beside the UTC published_at


@dataclass(frozen=True, slots=True)
class SentimentScore:
    target_kind: str  # post | comment
    target_id: str
    scorer: str  # e.g. vader-sentences
    scorer_version: str
    compound: float | None  # None when the text is not English or empty
    label: str | None  # negative | neutral | positive
    share_positive: float | None
    share_negative: float | None
    sentences: int
    run_id: str


@dataclass(frozen=True, slots=True)
class Quarantined:
    run_id: str
    stage: str
    key: str
    reason: str
    detail: str = ""
    site_id: str | None = None


@dataclass(frozen=True, slots=True)
class CrawlFailure:
    """A post or comment page the crawl could not collect, still open after the run (crawl state snapshot)."""

    url: str
    site_id: str
    post_url: str
    kind: str  # post-page | comment-page | comments | wp-rest-comments | ...
    reason: str  # http_5xx | timeout | parse_error | connection_lost | ...
    attempts: int  # runs that failed on it
    first_seen: str
    last_seen: str
    run_id: str  # the run whose snapshot this is

