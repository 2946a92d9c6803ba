"""Reader comments out of one saved page, as structured records (author, time, parent, text).

Blogs mark comments up in a few families that share a vocabulary, so the rules here work on that
vocabulary rather than on named themes:

* an *item* is an element whose id is a comment id (``comment-123``, ``li-comment-123``,
  ``div-comment-123``, Blogger's ``c123456``, ``dsq-comment-123``, TypePad's hex ids...) or whose
  class is a comment item (``comment``, ``comment-item``, ``comment-box``...), or a schema.org
  ``Comment`` / ``UserComments`` (``creator`` / ``commentText`` / ``commentTime``) / microformats
  ``p-comment``;
* wrappers of one comment (``li#li-comment-5 > div#comment-5``) are merged; an item nested in a
  list or a ``children`` / ``replies`` container is a reply, and its parent is the item around it;
  a bare list entry holding one comment and a list of replies after it
  (``<li><div class="comment">..</div><ol class="replies">..</ol></li>``) makes those its replies;
* inside an item, the *body* is the element classed ``comment-content`` / ``comment-body`` /
  ``comment-text``..., and *metadata* (author, avatar, date, reply links, votes, report links)
  is recognised by class words and kept out of the text;
* old layouts are handled too: Blogger's ``dl#comments-block`` (``dt`` author + ``dd`` body),
  Thesis-style ``dt``/``dd`` pairs, and flat comments delimited by empty anchors
  (``<a id="c123">``) followed by loose paragraphs and a "Posted by" line.

Only when no markup rule finds anything: comments embedded as JSON-LD, then trafilatura's own
comment extraction (one record with the whole comment section, as it cannot split comments).

Modules, by concern: ``markup`` (the vocabulary: class words, ids, schema.org types),
``items`` (which elements are comments, and which comment each answers), ``fields`` (author,
date and text of one item), ``fallbacks`` (JSON-LD, trafilatura); this module runs them.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.comments.fallbacks import jsonld_comments, section_has_comments, trafilatura_comments
from pipeline.comments.fields import item_fields
from pipeline.comments.items import Item, find_items
from pipeline.comments.markup import is_comment_metadata
from pipeline.htmltext import PageScan, scan_page
from pipeline.ids import digest
from pipeline.records import ExtractedComment

__all__ = ["extract_comments", "is_comment_metadata"]

LOGGER = logging.getLogger(__name__)

# --------------------------------------------------------------------------- public API


def extract_comments(
    html: Any, url: str | None = None, *, fallback: bool = True, scan: PageScan | None = None
) -> list[ExtractedComment]:
    """Reader comments of one saved page, in page order, threaded by the page's own comment ids.

    ``html`` is the page as text or bytes, or an lxml tree (not modified). ``comment_id`` is the
    page's own id (``comment-123`` gives ``123``) or, when the page shows none, a stable hash of
    author, time and text; ``parent_id`` is another comment's ``comment_id``. ``fallback=False``
    skips trafilatura's comment extraction (the last resort). ``scan`` is the page's
    ``pipeline.htmltext.scan_page`` result when the caller already has it.
    """
    tree = _as_tree(html)
    if tree is None:
        return []
    if scan is None:
        scan = scan_page(tree)
    found = find_items(tree, scan.comment_candidates)
    items = found.items
    owner = found.owner
    if not items:
        items = [Item(root=b, region=[b], native_id=None, members=[b]) for b in found.orphan_bodies]
        owner = {b: item for item in items for b in item.region}
    if items:
        comments = _build(items, owner)
        if comments:
            return comments
    comments = jsonld_comments(scan.json_ld)
    if comments:
        return comments
    if fallback:
        for section in found.sections:
            if section_has_comments(section):
                return trafilatura_comments(section, url)
    return []


def _build(items: list[Item], owner: dict[Any, Item]) -> list[ExtractedComment]:
    ids: dict[int, str] = {}
    seen_ids: set[str] = set()
    seen_content: set[tuple[str | None, str]] = set()
    out: list[ExtractedComment] = []
    last_at_depth: dict[int, str] = {}
    nested_threads = any(item.parent is not None for item in items)
    for item in items:
        author, published, text = item_fields(item, owner)
        if not text or (author, text) in seen_content:
            continue  # empty, or the same comment shown twice ("top comments" and the full list)
        seen_content.add((author, text))
        cid = item.native_id or digest("comment", author, published, text)
        if cid in seen_ids:
            cid = digest("comment", cid, author, published, text)
        seen_ids.add(cid)
        ids[id(item)] = cid
        parent_id = None
        if item.parent is not None:
            parent_id = ids.get(id(item.parent))
        elif not nested_threads and item.depth_class and item.depth_class > 1:
            # Flat markup that shows threads only by "depth-N" classes.
            parent_id = last_at_depth.get(item.depth_class - 1)
        if item.depth_class:
            last_at_depth[item.depth_class] = cid
        out.append(ExtractedComment(cid, parent_id, author, published, text))
    return out


def _as_tree(html: Any) -> Any:
    if html is None:
        return None
    if isinstance(html, (str, bytes)):
        from pipeline.htmltext import PageTooDeep, html_to_unicode, parse_html

        text, _ = html_to_unicode(html)
        try:
            return parse_html(text)
        except PageTooDeep:
            return None  # the parser cannot read the page: no comments rather than some of them
    if hasattr(html, "getroot"):
        return html.getroot()
    return html
