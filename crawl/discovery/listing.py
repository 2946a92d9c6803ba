"""A failing post listing page of a platform API: retried by Scrapy, then narrowed, then HTML.

Its items are asked again in smaller pages (100 -> 10 -> 2 -> 1 on WordPress, 25 -> 5 -> 1 on
Blogger) so one post that breaks the API costs only itself; an item that fails alone is a gap,
filled from the HTML pages that sitemaps name (see :mod:`crawl.plan`). Listing validators are
then not stored, so the next run lists the site in full again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, TypeVar

from scrapy import Request
from scrapy.http import Response

from pipeline.sources import feeds

if TYPE_CHECKING:
    from crawl.siterun import SiteRun

T = TypeVar("T")

# Failed listing requests a site may spend narrowing while no listing page has answered: past it
# the API is taken as broken everywhere (no endless page-after-page chain) and HTML takes over.
LISTING_FAILURE_BUDGET = 20
GAP_NOTE = "some posts failed in the API even one by one; read from their HTML pages"
BROKEN_NOTE = "the API failed on every listing page asked; read the site from sitemaps and HTML"


def read_listing(run: SiteRun, response: Response, parse: Callable[[Response], T]) -> Generator[Request, None, T | None]:
    """A listing page's parsed items (``parsed = yield from read_listing(...)``), or None.

    None when the page is unchanged (304) or failed: an error answer, or a body ``parse`` refuses
    (truncated or invalid XML / JSON raises ``FeedParseError``), is yielded on to
    ``run.listing_failed``, which retries, narrows or hands the site to HTML discovery.
    """
    status = run.status_of(response)
    if status == "not_modified":
        run.listing_unchanged = True
        return None
    if status != "error":
        try:
            parsed = parse(response)
        except feeds.FeedParseError as exc:
            run.reject(response.url, "parse_error", status=response.status, detail=str(exc))
        else:
            run.listings.pages_read += 1
            return parsed
    yield from run.listing_failed(response.meta, response.request.url)
    return None


def narrower_size(size: int) -> int:
    """The page size a failed listing page is asked again in: at most its square root, dividing ``size``.

    100 -> 10 -> 2 -> 1 and 25 -> 5 -> 1: one broken item costs a few requests per level, and the
    children's pages line up with the parent's window.
    """
    child = max(1, math.isqrt(size))
    while size % child:
        child -= 1
    return child


class ListingHealth:
    """How a site's platform listing is going in this run: pages read, pages failed, posts missed."""

    def __init__(self, notes: list[str]):
        self.notes = notes  # the site's notes (shared with its SiteRun)
        self.pages_read = 0
        self.failures = 0  # listing requests that failed (after Scrapy's retries)
        self.gap = False  # a listing item failed even alone: HTML discovery fills the gap

    def page_failed(self) -> bool:
        """Count a failed listing page; ``False`` when the API is given up on (narrow no more)."""
        self.failures += 1
        if self.failures > LISTING_FAILURE_BUDGET and not self.pages_read:
            self.note_gap(BROKEN_NOTE)
            return False
        return True

    def note_gap(self, note: str = GAP_NOTE) -> None:
        """Posts the API could not list: the plan takes the sitemap's other URLs as candidates."""
        self.gap = True
        if note not in self.notes:
            self.notes.append(note)
