"""The fields of one comment item: author, date, title and the text without its metadata."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pipeline.dates import parse_date
from pipeline.htmltext import element_text, normalize_space
from pipeline.comments.items import Item, outermost
from pipeline.comments.markup import (
    AUTHOR_IN_TEXT,
    AUTHOR_PREFIX,
    AUTHOR_SUFFIX,
    AUTHOR_WORDS,
    DATE_WORDS,
    STRONG_META_WORDS,
    TITLE_WORDS,
    WIDGET_LINE,
    class_words,
    has_meta_words,
    is_body,
)


# --------------------------------------------------------------------------- fields of one item


def _region_elements(item: Item, foreign: Any) -> list[Any]:
    """Elements of an item's region in document order, without other items (its replies)."""
    out: list[Any] = []
    for top in item.region:
        stack = [top]
        while stack:
            el = stack.pop()
            if foreign(el):
                continue
            if isinstance(el.tag, str):
                out.append(el)
                stack.extend(reversed(el))
    return out


def _clean_author(text: str | None) -> str | None:
    text = normalize_space(text)
    text = AUTHOR_PREFIX.sub("", text)
    text = AUTHOR_SUFFIX.sub("", text)
    text = text.strip(" \t:|,-\u2013\u2014\u2022\u00b7()[]")
    if not text or len(text) > 80 or parse_date(text) or WIDGET_LINE.match(text):
        return None
    return text


def _skip_in_author(node: Any) -> bool:
    words = class_words(node)
    return node.tag in ("time", "img") or bool(
        words & (DATE_WORDS | {"avatar", "gravatar", "says", "reply", "count", "num", "number", "badge", "fans"})
    )


_BYLINE_SPLIT = re.compile(r"\s+(?:[\u2014\u2013|\u2022\u00b7-]|on|at|am|le|el)\s+|\s*[\u2014\u2013|\u2022\u00b7,]\s*", re.IGNORECASE)


def _author_from_byline(meta_text: str) -> str | None:
    """"Name — July 17th, 2012" / "Name | 2012-07-17" / "Name on July 17, 2012": the part before a date."""
    for line in meta_text.split("\n")[:3]:
        parts = _BYLINE_SPLIT.split(line.strip(), maxsplit=1)
        if len(parts) == 2 and parse_date(parts[1]):
            cleaned = _clean_author(parts[0])
            if cleaned:
                return cleaned
    return None


def _byline_elements(elements: list[Any], body_nodes: set[Any]) -> list[Any]:
    """Elements outside the body, plus metadata inside it (a "Name — date" line atop the text)."""
    return [el for el in elements if el not in body_nodes or has_meta_words(class_words(el)) or _in_meta(el, body_nodes)]


def _author_of(outside: list[Any], meta_text: str, item_elements: Iterable[Any] = ()) -> tuple[str | None, Any]:
    """(author name, element it came from): schema.org, class words, author links, ``<cite>``, bylines.

    ``item_elements`` (the comment's own elements) are never its author, whatever their class says
    (``class="user-comment"`` has the author word "user").
    """
    own = set(item_elements)
    outside = [el for el in outside if el not in own]
    for el in outside:
        if el.get("itemprop") in ("author", "creator") or "p-author" in (el.get("class") or ""):
            names = el.xpath(".//*[@itemprop='name' or contains(@class,'p-name')]")
            text = (names[0].get("content") or element_text(names[:1])) if names else element_text([el], _skip_in_author)
            cleaned = _clean_author(text)
            if cleaned:
                return cleaned, el
    for el in outside:
        words = class_words(el)
        if words & AUTHOR_WORDS and el.tag != "img" and not words & {"avatar", "gravatar", "photo", "count", "fans"}:
            names = el.xpath(".//*[contains(concat(' ',normalize-space(@class),' '),' fn ')]")
            cleaned = _clean_author(element_text(names[:1]) if names else element_text([el], _skip_in_author))
            if cleaned:
                return cleaned, el
    for el in outside:
        # WordPress prints the commenter's link as <a class="url" rel="external nofollow">.
        if el.tag == "cite" or (el.tag == "a" and ("external" in (el.get("rel") or "") or "url" in class_words(el))):
            cleaned = _clean_author(element_text([el]))
            if cleaned:
                return cleaned, el
    for pattern in AUTHOR_IN_TEXT:
        m = pattern.search(meta_text)
        if m:
            cleaned = _clean_author(m.group(1))
            if cleaned:
                return cleaned, None
    return _author_from_byline(meta_text), None


def _in_meta(el: Any, body_nodes: set[Any]) -> bool:
    for anc in el.iterancestors():
        if anc not in body_nodes:
            return False
        if has_meta_words(class_words(anc)):
            return True
    return False


def _date_of(outside: list[Any], meta_text: str) -> str | None:
    """ISO time from ``datetime``/schema.org attributes, date-classed elements, then the byline."""
    for el in outside:
        itemprop = el.get("itemprop") or ""
        value = el.get("datetime") or (el.get("content") if itemprop.startswith("date") or itemprop == "commentTime" else None)
        parsed = parse_date(value) if value else None
        if parsed:
            return parsed
    for el in outside:
        if el.tag == "abbr" and el.get("title"):
            parsed = parse_date(el.get("title"))
            if parsed:
                return parsed
        if class_words(el) & DATE_WORDS:
            parsed = parse_date(element_text([el])) or parse_date(el.get("title"))
            if parsed:
                return parsed
    return parse_date(meta_text)


def _clean_text(text: str) -> str:
    """Drop lines that are widget labels ("Reply", "Report abuse", vote counts)."""
    lines = [line for line in text.split("\n") if not line.strip() or not WIDGET_LINE.match(line.strip())]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def item_fields(item: Item, owner: dict[Any, Item]) -> tuple[str | None, str | None, str]:
    """(author, published_at, text) of one item; ``owner`` maps elements to the item they belong to."""
    region = item.region

    def foreign(node: Any) -> bool:
        other = owner.get(node)
        return other is not None and other is not item

    elements = _region_elements(item, foreign)
    bodies = outermost(
        el
        for el in elements
        if el is not item.root
        and (el.get("itemprop") in ("text", "commentText")
             or (is_body(class_words(el)) and el.get("itemprop") not in ("author", "creator")))
    )
    body_nodes: set[Any] = set()
    for body in bodies:
        body_nodes.update(body.iter())

    def is_meta(node: Any) -> bool:
        return has_meta_words(class_words(node))

    # The byline: the region outside the body, plus metadata elements inside it.
    if bodies:
        meta_text = element_text(item.region, lambda n: foreign(n) or n in body_nodes, with_tails=item.loose)
        inner_meta = [el for el in elements if el in body_nodes and is_meta(el)]
        if inner_meta:
            meta_text = "\n".join([meta_text] + [element_text([el]) for el in outermost(inner_meta)])
    else:
        meta_text = "\n".join(element_text([el]) for el in outermost(el for el in elements if is_meta(el)))
    outside = _byline_elements(elements, body_nodes)
    author, author_el = _author_of(outside, meta_text, item.members)
    published = _date_of(outside, meta_text)

    def skip(node: Any) -> bool:
        return (foreign(node) or node is author_el or is_meta(node) or _hidden(node)
                or (node.tag == "cite" and node not in body_nodes))

    if bodies:
        text = element_text(bodies, skip)
        title = _title_of(elements, body_nodes, item, skip)
        if title:
            text = f"{title}\n\n{text}"
    else:
        # Loose siblings: a "Posted by" paragraph is itself one of the region's top elements.
        tops = [el for el in region if el is item.root or not skip(el)] if item.loose else region
        text = element_text(tops, skip, with_tails=item.loose)
        text = _LEADING_SAYS.sub("", text)
    return author, published, _clean_text(text)


def _hidden(node: Any) -> bool:
    """Markup the reader does not see (``display:none``, ``hidden``): "down-ranked" notices, forms."""
    if node.get("hidden") is not None or "hidden" in class_words(node):
        return True
    style = node.get("style")
    return bool(style) and "display:none" in style.replace(" ", "").lower()


_LEADING_SAYS = re.compile(r"^\s*(?:says|said\.*|wrote)\s*:?\s*", re.IGNORECASE)


def _title_of(elements: list[Any], body_nodes: set[Any], item: Item, skip: Any) -> str | None:
    """A comment's own title (Slashdot-style subjects), shown above the body."""
    for el in elements:
        if el in body_nodes or el is item.root:
            continue
        words = class_words(el)
        if words & TITLE_WORDS or el.tag in ("h3", "h4", "h5", "h6"):
            if words & STRONG_META_WORDS:
                continue
            title = element_text([el], skip)
            if title and len(title) < 200:
                return title
    return None
