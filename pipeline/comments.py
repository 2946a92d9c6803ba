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
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pipeline.dates import parse_date
from pipeline.htmltext import PageScan, element_text, normalize_space, scan_page
from pipeline.ids import digest
from pipeline.records import ExtractedComment

LOGGER = logging.getLogger(__name__)

# --------------------------------------------------------------------------- vocabulary

# Ids of comment items; group 1 is the page's own comment id.
_ITEM_ID = re.compile(
    r"^(?:(?:li|div|dsq|article|single|the)[-_]?)?"
    r"(?:comment|cmt|com|kommentar|komentarz|comentario|commentaire|reply|response)s?"
    r"[-_]?(?:item[-_]?|id[-_]?)?(\d+|[0-9a-f]{12,})$",
    re.IGNORECASE,
)
_BLOGGER_ID = re.compile(r"^c(\d{5,})$")
# Empty anchors that mark where a comment starts (old Movable Type / TypePad layouts).
_ANCHOR_ID = re.compile(r"^(?:c|comment[-_]?|cmt[-_]?)([0-9a-f]{5,})$", re.IGNORECASE)

# Class names of comment items: "comment", "comment-item", "commentpost", "single-comment"...
_ITEM_CLASS = re.compile(
    r"^(?:(?:comment|cmt|kommentar|comentario|commentaire|komentarz)"
    r"(?:[-_]?(?:item|box|wrap|wrapper|container|block|unit|single|post|row|holder|card|entry-wrap))?"
    r"|(?:single|user|reader|blog|post|article)[-_]?comment|[pu]-comment|coms)$"
)

_SPLIT_WORDS = re.compile(r"[-_\s:]+|(?<=[a-z])(?=[A-Z])")
_COMMENT_PREFIX = re.compile(r"^(?:comment|cmt|kommentar|comentario|commentaire|komentarz)s?(?=[a-z])")

# Words in class names / ids that mark a comment's body.
_BODY_WORDS = frozenset("content text body entry message txt ctext cbody".split())
# Metadata words that win over body words (``comment-author-text`` is an author, not a body).
_STRONG_META_WORDS = frozenset(
    """author avatar gravatar date time datetime timestamp reply vote votes rating score share edit report like
    likes permalink count number num says""".split()
)
# Words that mark metadata and widgets inside a comment (kept out of its text).
_META_WORDS = frozenset(
    """author authors vcard fn avatar avatars gravatar photo pic userpic meta metadata date datetime time
    timestamp stamp posted byline by says said reply replies respond edit permalink perma link links
    report flag abuse vote votes voting rating ratings rate score like likes share sharing social action
    actions tool tools toolbar footer header head top info details num number count moderation moderate
    delete admin user username name nick nickname poster commenter who badge badges button buttons btn
    icon icons bottom options controls menu signature sig reactions points karma subscription
    subscribe follow""".split()
)
_AUTHOR_WORDS = frozenset("author fn commenter poster username nick nickname who by user name".split())
_DATE_WORDS = frozenset("date datetime time timestamp stamp posted published meta metadata footer".split())
_TITLE_WORDS = frozenset("title subject headline".split())
# Containers that hold replies: an item inside one of these is a reply, not a wrapper.
_REPLY_CONTAINER_WORDS = frozenset(
    "children child replies subcomments sub nested thread threads responses comments list".split()
)
_LIST_TAGS = frozenset(("ul", "ol", "dl"))
# Sections that hold the comment form or sidebar widgets, never comments.
_FORM_WORDS = frozenset("respond commentform form recentcomments recent popular".split())

# Whole lines that are widget labels, not comment text.
_WIDGET_LINE = re.compile(
    r"^(?:reply|reply\s*↓|↓\s*reply|reply to this( comment)?|log in to reply|report( abuse| comment| this)?|"
    r"like|unlike|edit|quote|permalink|delete|flag|share|vote|up|down|\d+\s*(?:likes?|points?|votes?)|"
    r"says:?|said\.{0,3}:?|wrote:?|\[?reply\]?|antworten|répondre|responder|rispondi|"
    r"\d+\s+\d+|[+-]?\d+|\W+)$",
    re.IGNORECASE,
)
_AUTHOR_PREFIX = re.compile(
    r"^(?:posted\s+by|comment(?:ed)?\s+by|written\s+by|submitted\s+by|by|von|par|por|di)\s*:?\s+", re.IGNORECASE
)
_AUTHOR_SUFFIX = re.compile(
    r"\s*(?:says|said|wrote|schreibt|sagt|a écrit|dijo|dice|scrive)\b.*$|\s*[|•·]\s.*$|\s+on\s+\w+\s+\d.*$|\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_AUTHOR_IN_TEXT = (
    re.compile(r"(?:posted|comment(?:ed)?|written|submitted)\s+by:?\s+([^\n|•]{1,80}?)\s*(?:\||•|\bon\b|\bat\b|$|\n|\d)", re.I),
    re.compile(r"^\s*([^\n]{1,60}?)\s+(?:says|said|wrote)\b", re.I | re.M),
    re.compile(r"\bby\s+([^\n|•(]{1,60}?)\s*(?:\(|\||•|\bon\b|\bat\b|$|\n)", re.I | re.M),
)

# --------------------------------------------------------------------------- classification


def _words(el: Any) -> frozenset[str]:
    """Lower-case words of an element's class and id (``commentMeta`` -> comment, meta)."""
    cls = el.get("class")
    ident = el.get("id")
    if not cls and not ident:
        return _NO_WORDS
    return _words_of(cls or "", ident or "")


_NO_WORDS: frozenset[str] = frozenset()


@lru_cache(maxsize=8192)
def _words_of(cls: str, ident: str) -> frozenset[str]:
    words = set()
    for part in _SPLIT_WORDS.split(f"{cls} {ident}"):
        if not part:
            continue
        low = part.lower()
        words.add(low)
        stripped = _COMMENT_PREFIX.sub("", low)
        if stripped != low:
            words.add(stripped)
    return frozenset(words)


def _item_id(el: Any) -> str | None:
    ident = el.get("id") or ""
    m = _ITEM_ID.match(ident) or _BLOGGER_ID.match(ident)
    return m.group(1) if m else None


def _is_item(el: Any) -> bool:
    if el.tag in ("a", "span", "img", "input", "textarea", "form", "script", "style", "link", "body", "html"):
        return False
    if _item_id(el):
        return True
    classes = (el.get("class") or "").lower().split()
    if any(_ITEM_CLASS.match(c) for c in classes):
        return True
    if "comments" in classes and _repeated(el):
        return True  # <div class="COMMENTS"> once per comment (old Movable Type templates)
    return _is_comment_itemtype(el.get("itemtype")) or el.get("itemprop") == "comment"


# schema.org types of one comment: ``Comment`` and its older sibling ``UserComments``.
_COMMENT_ITEMTYPE = re.compile(r"schema\.org/(?:Comment|UserComments)\b", re.IGNORECASE)
# Properties that only a comment item has (``UserComments``: ``commentText``, ``commentTime``).
_COMMENT_ITEMPROPS = frozenset(("commentText", "commentTime"))


def _is_comment_itemtype(itemtype: str | None) -> bool:
    return bool(itemtype) and any(_COMMENT_ITEMTYPE.search(t) for t in itemtype.split())


def _microdata_owner(el: Any) -> Any:
    """The schema.org comment item a ``commentText`` / ``commentTime`` property belongs to, if any.

    A ``UserComments`` item often carries no comment class, id or ``itemprop``, so the page scan
    only meets its properties; the item is the nearest ``itemscope`` around them.
    """
    if el.get("itemprop") not in _COMMENT_ITEMPROPS:
        return None
    for anc in el.iterancestors():
        if anc.get("itemscope") is not None:
            return anc if _is_comment_itemtype(anc.get("itemtype")) else None
    return None


def _is_anchor_marker(el: Any) -> str | None:
    if el.tag != "a" or len(el) or (el.text or "").strip():
        return None
    ident = el.get("id") or el.get("name") or ""
    m = _ITEM_ID.match(ident) or _ANCHOR_ID.match(ident)
    return m.group(1) if m else None


def _in_form_or_widget(el: Any) -> bool:
    """Items inside a form, a sidebar or a "recent comments" widget are not the page's comments."""
    for anc in el.iterancestors():
        if anc.tag in ("form", "textarea", "aside", "nav"):
            return True
        words = _words(anc)
        if words & _FORM_WORDS and (words & {"recent", "recentcomments", "popular"} or not words & {"comments", "commentlist"}):
            return True
    return False


def _is_body(words: frozenset[str]) -> bool:
    """A comment's body: ``comment-content``, ``commentBody``, ``format_text``... (not ``comment-author-text``)."""
    return bool(words & _BODY_WORDS) and not words & _STRONG_META_WORDS


def _is_comment_body(el: Any) -> bool:
    """A body element anywhere on the page (outside items it must say it is a comment's)."""
    raw = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    words = _words(el)
    return ("comment" in raw or "cmt" in raw) and _is_body(words) and not words & _CONTAINER_WORDS


# A section of all comments ("comments-content", "comment-list"), not one comment's body.
_CONTAINER_WORDS = frozenset("comments commentlist list section area wrapper holder block thread".split())


def _is_meta(words: frozenset[str]) -> bool:
    return bool(words & _META_WORDS) and not _is_body(words)


def is_comment_metadata(el: Any) -> bool:
    """An element inside a comment that holds metadata (author, avatar, date, reply link...), not text.

    The crawl's platform parsers (``pipeline.sources.html_threads``) use it too, so a comment's
    text is told apart from its byline by one vocabulary, whichever path reads the page.
    """
    return isinstance(el.tag, str) and (el.tag == "time" or _is_meta(_words(el)))


# --------------------------------------------------------------------------- items and threads


@dataclass(eq=False)
class _Item:
    """One comment: the elements holding it (``region``), its native id and its thread links."""

    root: Any
    region: list[Any]
    native_id: str | None
    members: list[Any] = field(default_factory=list)  # merged wrapper elements of this comment
    parent: _Item | None = None
    depth_class: int | None = None
    loose: bool = False  # region made of loose siblings (anchor-delimited comments)


@dataclass
class _Found:
    items: list[_Item]
    owner: dict[Any, _Item]  # every element of an item's region -> that item
    orphan_bodies: list[Any]
    sections: list[Any]  # comment containers (worth trafilatura's fallback when nothing else worked)


def _depth_class(el: Any) -> int | None:
    for c in (el.get("class") or "").split():
        m = _DEPTH.match(c)
        if m:
            return int(m.group(1))
    return None


_DEPTH = re.compile(r"^depth-(\d+)$")


def _path_has_reply_container(inner: Any, outer: Any) -> bool:
    """True when an item sits in a list or a ``children``/``replies`` box inside ``outer``: a reply."""
    for anc in inner.iterancestors():
        if anc is outer:
            return False
        if anc.tag in _LIST_TAGS or _words(anc) & _REPLY_CONTAINER_WORDS:
            return True
    return False


def _own_text_length(el: Any, item_roots: set[Any]) -> int:
    """Length of the text an element holds outside other items and metadata elements."""

    def skip(node: Any) -> bool:
        return node in item_roots or _is_meta(_words(node))

    return len(element_text([el], skip))


def _find_items(tree: Any, candidates: list[Any]) -> _Found:
    """Comment items of a page (wrappers merged, replies linked), plus comment bodies outside items."""
    item_elems: list[Any] = []
    anchors: list[tuple[Any, str]] = []
    bodies: list[Any] = []
    sections: list[Any] = []
    bylines: list[Any] = []
    seen: set[Any] = set()
    for el in candidates:
        if el in seen or not isinstance(el.tag, str):
            continue
        seen.add(el)
        anchor_id = _is_anchor_marker(el)
        owner = _microdata_owner(el)
        if owner is not None and owner not in seen:
            seen.add(owner)
            _insert_in_document_order(item_elems, owner)
        if anchor_id:
            anchors.append((el, anchor_id))
        elif _is_item(el):
            item_elems.append(el)
        elif _is_comment_body(el):
            bodies.append(el)
        elif _is_comment_byline(el):
            bylines.append(el)
        elif el.tag in ("div", "section", "ol", "ul", "dl") and len(sections) < 3:
            words = _words(el)
            if words & {"comments", "commentlist", "comment"} and not words & (
                _FORM_WORDS | {"count", "link", "links", "number", "num", "meta", "author", "reply"}
            ):
                sections.append(el)
    item_elems = [el for el in item_elems if not _in_form_or_widget(el) and _plausible_item(el)]
    if not item_elems and not anchors:
        # No element says "I am a comment": the <li>s of a comment list are, and so is the box
        # around each comment byline (<div class="comment_name">, <div class="comment-date">).
        item_elems = _list_children(sections) or _byline_parents(bylines)

    # One item per element; dt/dd pairs: the <dd>s after an item <dt> belong to it.
    items: list[_Item] = []
    by_elem: dict[Any, _Item] = {}
    for el in item_elems:
        if el in by_elem:
            continue
        region = [el]
        if el.tag == "dt":
            sib = el.getnext()
            while sib is not None and (sib.tag == "dd" or not isinstance(sib.tag, str)):
                if isinstance(sib.tag, str):
                    region.append(sib)
                sib = sib.getnext()
        byline = _byline_sibling(el)
        if byline is not None:
            region.append(byline)  # <div id="c1">text</div><p class="posted">Posted by: X</p>
        item = _Item(root=el, region=region, native_id=_item_id(el), members=[el], depth_class=_depth_class(el))
        items.append(item)
        for part in region:
            by_elem.setdefault(part, item)

    def nearest_item_ancestor(el: Any) -> _Item | None:
        for anc in el.iterancestors():
            found = by_elem.get(anc)
            if found is not None:
                return found
        return None

    # Merge wrappers of one comment (li#li-comment-5 > div#comment-5, li.comment > div.comment-block):
    # an inner item not inside a reply container, with the same id or with no text of its own
    # beside the other, is the same comment.
    roots = {item.root for item in items}
    merged: set[int] = set()
    for item in items:
        outer = nearest_item_ancestor(item.root)
        if outer is None or _path_has_reply_container(item.root, outer.root):
            continue
        same_id = item.native_id is not None and item.native_id == outer.native_id
        # (element_text never skips its top element, so ``roots`` can be passed whole.)
        if same_id or not _own_text_length(outer.root, roots) or not _own_text_length(item.root, roots):
            merged.add(id(item))
            outer.members.append(item.root)
            outer.native_id = outer.native_id or item.native_id
            outer.depth_class = outer.depth_class or item.depth_class
            for el in item.region:
                by_elem[el] = outer
    result = [item for item in items if id(item) not in merged]
    for item in result:
        wrapper = _bare_entry_with_replies(item.root, by_elem)
        if wrapper is not None:
            by_elem[wrapper] = item  # not in the region: the item's text stays its own element's

    # Threading from nesting: the parent is the nearest item around this one (its own bare
    # list entry aside).
    for item in result:
        parent = None
        for anc in item.root.iterancestors():
            found = by_elem.get(anc)
            if found is not None and found is not item:
                parent = found
                break
        item.parent = parent

    loose = _anchor_items(anchors, by_elem)
    if any(item.native_id for item in result):
        # Comments with ids are the real list; an id-less "comment" box elsewhere is a byline widget.
        result = [item for item in result if item.native_id]
    if loose and not result:
        result = loose
        for item in loose:
            for el in item.region:
                by_elem[el] = item
    orphan_bodies = [] if result else [b for b in bodies if nearest_item_ancestor(b) is None]
    return _Found(result, by_elem, _outermost(orphan_bodies), sections)


def _insert_in_document_order(item_elems: list[Any], el: Any) -> None:
    """Add ``el`` before the items found inside it already (a parent comes before its replies).

    Candidates come in document order and ``el`` encloses the one being read, so the items already
    inside ``el`` are a run at the end of the list.
    """
    index = len(item_elems)
    while index and any(anc is el for anc in item_elems[index - 1].iterancestors()):
        index -= 1
    item_elems.insert(index, el)


def _bare_entry_with_replies(root: Any, by_elem: dict[Any, _Item]) -> Any:
    """The ``<li>`` around a comment that also holds its replies, when the ``<li>`` is no item itself.

    ``<li><div class="comment" id="comment-5">..</div><ol class="replies">..</ol></li>``: the
    replies sit beside the comment, not in it, and the list entry (no class, no id) is what ties
    them to it. Only when the comment is the entry's one item child and every other item in the
    entry sits in a reply list or ``children`` / ``replies`` box after it.
    """
    entry = root.getparent()
    if entry is None or entry.tag != "li" or entry in by_elem:
        return None
    replies_seen = False
    after_root = False
    for child in entry:
        if child is root:
            after_root = True
            continue
        if not isinstance(child.tag, str):
            continue
        holds_items = child in by_elem or any(d in by_elem for d in child.iterdescendants())
        if not holds_items:
            continue
        if not after_root or child in by_elem:
            return None  # another comment in the same entry: a flat list, not one thread
        if not (child.tag in _LIST_TAGS or _words(child) & _REPLY_CONTAINER_WORDS):
            return None
        replies_seen = True
    return entry if replies_seen else None


def _is_comment_byline(el: Any) -> bool:
    words = _words(el)
    return "comment" in words and bool(words & {"author", "name", "date", "time", "header", "meta", "by"})


def _list_children(sections: list[Any]) -> list[Any]:
    items: list[Any] = []
    for section in sections:
        if section.tag in ("ol", "ul") and _words(section) & {"commentlist", "list", "comments"}:
            items.extend(li for li in section if li.tag == "li" and element_text([li]))
    return [el for el in items if not _in_form_or_widget(el)]


def _byline_parents(bylines: list[Any]) -> list[Any]:
    parents: list[Any] = []
    for byline in bylines:
        parent = byline.getparent()
        if parent is None or parent in parents or parent.tag in ("body", "html"):
            continue
        # The box must hold more than its byline: the comment's text.
        if len(element_text([parent], lambda n: _is_meta(_words(n)))) >= 2 and not _in_form_or_widget(parent):
            parents.append(parent)
    return _outermost(parents) if len(parents) < 500 else []


def _byline_sibling(el: Any) -> Any:
    """A "Posted by" element right after an item that holds only its text."""
    nxt = el.getnext()
    while nxt is not None and not isinstance(nxt.tag, str):
        nxt = nxt.getnext()
    if nxt is None or nxt.tag not in ("p", "div", "span", "small", "footer"):
        return None
    words = _words(nxt)
    if words & {"posted", "byline", "footer", "meta", "metadata", "commentby", "by"} and not _is_item(nxt):
        has_meta_inside = any(_is_meta(_words(d)) for d in el.iterdescendants() if isinstance(d.tag, str))
        return None if has_meta_inside else nxt
    return None


def _repeated(el: Any) -> bool:
    """Another element with the same tag and class sits beside this one."""
    cls = el.get("class")
    parent = el.getparent()
    if parent is None:
        return False
    return any(sib is not el and sib.tag == el.tag and sib.get("class") == cls for sib in parent)


def _plausible_item(el: Any) -> bool:
    """An item known only by its class must repeat or sit in a comment section.

    ``<div class="Comment">One comment</div>`` in a post's byline is not a reader comment.
    """
    ident = el.get("id") or ""
    if _BLOGGER_ID.match(ident) and not el.get("class"):
        # A bare id="c115775" is a comment only when it repeats (Movable Type lists).
        parent = el.getparent()
        return parent is not None and sum(1 for sib in parent if _BLOGGER_ID.match(sib.get("id") or "")) > 1
    if _item_id(el) or "omment" in (el.get("itemtype") or ""):
        return True
    if _repeated(el):
        return True
    for anc in el.iterancestors():
        if _words(anc) & _SECTION_WORDS:
            return True
    return False


_SECTION_WORDS = frozenset("comments commentlist discussion responses replies children thread".split())


def _anchor_items(anchors: list[tuple[Any, str]], by_elem: dict[Any, _Item]) -> list[_Item]:
    """Comments written as loose siblings after an empty anchor, up to the next anchor.

    An anchor right before an item only lends it its id.
    """
    loose: list[_Item] = []
    anchor_elems = {a for a, _ in anchors}
    for anchor, native in anchors:
        nxt = anchor.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is not None and nxt in by_elem:
            item = by_elem[nxt]
            item.native_id = item.native_id or native
            continue
        parent = anchor.getparent()
        if parent is not None and parent in by_elem:
            continue  # an anchor inside an item (old Blogger <dt><a name=...>)
        region: list[Any] = [anchor]
        sib = anchor.getnext()
        while sib is not None:
            if isinstance(sib.tag, str) and (
                sib in anchor_elems
                or sib.tag in ("h1", "h2", "h3", "h4", "form", "script", "ol", "ul", "dl")
                or _words(sib) & (_FORM_WORDS | {"trackbacks", "pings"})
                or any(a in anchor_elems for a in sib.iter("a"))
            ):
                break
            region.append(sib)
            sib = sib.getnext()
        if len(region) > 1 or (anchor.tail or "").strip():
            loose.append(_Item(root=anchor, region=region, native_id=native, members=[anchor], loose=True))
    return loose


def _outermost(elements: Iterable[Any]) -> list[Any]:
    """Elements not inside another of them, in the given order."""
    chosen: list[Any] = []
    chosen_set: set[Any] = set()
    for el in elements:
        if el in chosen_set or any(anc in chosen_set for anc in el.iterancestors()):
            continue
        chosen.append(el)
        chosen_set.add(el)
    return chosen


# --------------------------------------------------------------------------- fields of one item


def _region_elements(item: _Item, foreign: Any) -> list[Any]:
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
    text = _AUTHOR_PREFIX.sub("", text)
    text = _AUTHOR_SUFFIX.sub("", text)
    text = text.strip(" \t:|,-\u2013\u2014\u2022\u00b7()[]")
    if not text or len(text) > 80 or parse_date(text) or _WIDGET_LINE.match(text):
        return None
    return text


def _skip_in_author(node: Any) -> bool:
    words = _words(node)
    return node.tag in ("time", "img") or bool(
        words & (_DATE_WORDS | {"avatar", "gravatar", "says", "reply", "count", "num", "number", "badge", "fans"})
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
    return [el for el in elements if el not in body_nodes or _is_meta(_words(el)) or _in_meta(el, body_nodes)]


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
        words = _words(el)
        if words & _AUTHOR_WORDS and el.tag != "img" and not words & {"avatar", "gravatar", "photo", "count", "fans"}:
            names = el.xpath(".//*[contains(concat(' ',normalize-space(@class),' '),' fn ')]")
            cleaned = _clean_author(element_text(names[:1]) if names else element_text([el], _skip_in_author))
            if cleaned:
                return cleaned, el
    for el in outside:
        # WordPress prints the commenter's link as <a class="url" rel="external nofollow">.
        if el.tag == "cite" or (el.tag == "a" and ("external" in (el.get("rel") or "") or "url" in _words(el))):
            cleaned = _clean_author(element_text([el]))
            if cleaned:
                return cleaned, el
    for pattern in _AUTHOR_IN_TEXT:
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
        if _is_meta(_words(anc)):
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
        if _words(el) & _DATE_WORDS:
            parsed = parse_date(element_text([el])) or parse_date(el.get("title"))
            if parsed:
                return parsed
    return parse_date(meta_text)


def _clean_text(text: str) -> str:
    """Drop lines that are widget labels ("Reply", "Report abuse", vote counts)."""
    lines = [line for line in text.split("\n") if not line.strip() or not _WIDGET_LINE.match(line.strip())]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _fields(item: _Item, owner: dict[Any, _Item]) -> tuple[str | None, str | None, str]:
    """(author, published_at, text) of one item; ``owner`` maps elements to the item they belong to."""
    region = item.region

    def foreign(node: Any) -> bool:
        other = owner.get(node)
        return other is not None and other is not item

    elements = _region_elements(item, foreign)
    bodies = _outermost(
        el
        for el in elements
        if el is not item.root
        and (el.get("itemprop") in ("text", "commentText")
             or (_is_body(_words(el)) and el.get("itemprop") not in ("author", "creator")))
    )
    body_nodes: set[Any] = set()
    for body in bodies:
        body_nodes.update(body.iter())

    def is_meta(node: Any) -> bool:
        return _is_meta(_words(node))

    # The byline: the region outside the body, plus metadata elements inside it.
    if bodies:
        meta_text = element_text(item.region, lambda n: foreign(n) or n in body_nodes, with_tails=item.loose)
        inner_meta = [el for el in elements if el in body_nodes and is_meta(el)]
        if inner_meta:
            meta_text = "\n".join([meta_text] + [element_text([el]) for el in _outermost(inner_meta)])
    else:
        meta_text = "\n".join(element_text([el]) for el in _outermost(el for el in elements if is_meta(el)))
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
    if node.get("hidden") is not None or "hidden" in _words(node):
        return True
    style = node.get("style")
    return bool(style) and "display:none" in style.replace(" ", "").lower()


_LEADING_SAYS = re.compile(r"^\s*(?:says|said\.*|wrote)\s*:?\s*", re.IGNORECASE)


def _title_of(elements: list[Any], body_nodes: set[Any], item: _Item, skip: Any) -> str | None:
    """A comment's own title (Slashdot-style subjects), shown above the body."""
    for el in elements:
        if el in body_nodes or el is item.root:
            continue
        words = _words(el)
        if words & _TITLE_WORDS or el.tag in ("h3", "h4", "h5", "h6"):
            if words & _STRONG_META_WORDS:
                continue
            title = element_text([el], skip)
            if title and len(title) < 200:
                return title
    return None


# --------------------------------------------------------------------------- JSON-LD


def _jsonld_comments(scripts: list[Any]) -> list[ExtractedComment]:
    out: list[ExtractedComment] = []

    def walk(node: Any, parent: str | None) -> None:
        if isinstance(node, list):
            for entry in node:
                walk(entry, parent)
            return
        if not isinstance(node, dict):
            return
        types = node.get("@type")
        types = types if isinstance(types, list) else [types]
        if "Comment" in types:
            author = node.get("author")
            if isinstance(author, list):
                author = author[0] if author else None
            name = author.get("name") if isinstance(author, dict) else author if isinstance(author, str) else None
            text = normalize_space(str(node.get("text") or node.get("description") or ""))
            published = parse_date(str(node.get("dateCreated") or node.get("datePublished") or ""))
            native = str(node.get("@id") or node.get("identifier") or node.get("url") or "") or None
            if text:
                cid = native or digest("comment", name, published, text)
                out.append(ExtractedComment(cid, parent, normalize_space(name) or None, published, text))
                parent_for_replies = cid
            else:
                parent_for_replies = parent
            walk(node.get("comment"), parent_for_replies)
            return
        for key in ("comment", "@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                walk(node[key], parent)

    for script in scripts:
        if not script.text or '"comment"' not in script.text and "Comment" not in script.text:
            continue
        try:
            walk(json.loads(script.text), None)
        except (ValueError, RecursionError) as exc:
            LOGGER.debug("unreadable JSON-LD: %s", exc)
    return out


# --------------------------------------------------------------------------- trafilatura (last resort)


def _section_has_comments(section: Any) -> bool:
    """A comment container with real text beside its form (not "Leave a reply" alone)."""
    text = element_text([section], lambda n: bool(_words(n) & (_FORM_WORDS | {"reply", "title", "count"})))
    lines = [line for line in text.split("\n") if len(line) > 40]
    return sum(len(line) for line in lines) >= 200 and len(lines) >= 2


def _trafilatura_comments(section: Any, url: str | None) -> list[ExtractedComment]:
    """trafilatura's comment extraction on one comment section, as a single record.

    Run on a small document holding only the section (cheap, and the page is not modified);
    trafilatura finds comment text but cannot split it into comments.
    """
    import copy

    import trafilatura
    from lxml.html import document_fromstring

    page = document_fromstring("<html><body></body></html>")
    page.find("body").append(copy.deepcopy(section))
    try:
        doc = trafilatura.bare_extraction(page, url=url, include_comments=True, with_metadata=False)
    except Exception as exc:  # noqa: BLE001 - a fallback must never break extraction
        LOGGER.debug("trafilatura comment fallback failed: %s", exc)
        return []
    text = (getattr(doc, "comments", None) or "").strip() if doc is not None else ""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not _BOILERPLATE.search(line)]
    if not lines:
        return []
    text = "\n\n".join(lines)
    return [ExtractedComment(digest("comment", None, None, text), None, None, None, text)]


_BOILERPLATE = re.compile(
    r"leave a (?:reply|comment)|post a comment|\d+ comments?:?$|^comments?:?$|email address will not be published|"
    r"required fields are marked|powered by disqus|please read our|comment policy|log ?in to (?:reply|comment)|"
    r"subscribe to|notify me of",
    re.IGNORECASE,
)


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
    found = _find_items(tree, scan.comment_candidates)
    items = found.items
    owner = found.owner
    if not items:
        items = [_Item(root=b, region=[b], native_id=None, members=[b]) for b in found.orphan_bodies]
        owner = {b: item for item in items for b in item.region}
    if items:
        comments = _build(items, owner)
        if comments:
            return comments
    comments = _jsonld_comments(scan.json_ld)
    if comments:
        return comments
    if fallback:
        for section in found.sections:
            if _section_has_comments(section):
                return _trafilatura_comments(section, url)
    return []


def _build(items: list[_Item], owner: dict[Any, _Item]) -> list[ExtractedComment]:
    ids: dict[int, str] = {}
    seen_ids: set[str] = set()
    seen_content: set[tuple[str | None, str]] = set()
    out: list[ExtractedComment] = []
    last_at_depth: dict[int, str] = {}
    nested_threads = any(item.parent is not None for item in items)
    for item in items:
        author, published, text = _fields(item, owner)
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
