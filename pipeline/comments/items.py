"""Items and threads: which elements of a page are comments, and which comment each one answers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipeline.htmltext import element_text
from pipeline.comments.markup import (
    BLOGGER_ID,
    FORM_WORDS,
    LIST_TAGS,
    REPLY_CONTAINER_WORDS,
    class_words,
    has_meta_words,
    in_form_or_widget,
    is_anchor_marker,
    is_comment_body,
    is_item,
    item_id,
    microdata_owner,
    repeated,
)


# --------------------------------------------------------------------------- items and threads


@dataclass(eq=False)
class Item:
    """One comment: the elements holding it (``region``), its native id and its thread links."""

    root: Any
    region: list[Any]
    native_id: str | None
    members: list[Any] = field(default_factory=list)  # merged wrapper elements of this comment
    parent: Item | None = None
    depth_class: int | None = None
    loose: bool = False  # region made of loose siblings (anchor-delimited comments)


@dataclass
class _Found:
    items: list[Item]
    owner: dict[Any, Item]  # every element of an item's region -> that item
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
        if anc.tag in LIST_TAGS or class_words(anc) & REPLY_CONTAINER_WORDS:
            return True
    return False


def _own_text_length(el: Any, item_roots: set[Any]) -> int:
    """Length of the text an element holds outside other items and metadata elements."""

    def skip(node: Any) -> bool:
        return node in item_roots or has_meta_words(class_words(node))

    return len(element_text([el], skip))


def find_items(tree: Any, candidates: list[Any]) -> _Found:
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
        anchor_id = is_anchor_marker(el)
        owner = microdata_owner(el)
        if owner is not None and owner not in seen:
            seen.add(owner)
            _insert_in_document_order(item_elems, owner)
        if anchor_id:
            anchors.append((el, anchor_id))
        elif is_item(el):
            item_elems.append(el)
        elif is_comment_body(el):
            bodies.append(el)
        elif _is_comment_byline(el):
            bylines.append(el)
        elif el.tag in ("div", "section", "ol", "ul", "dl") and len(sections) < 3:
            words = class_words(el)
            if words & {"comments", "commentlist", "comment"} and not words & (
                FORM_WORDS | {"count", "link", "links", "number", "num", "meta", "author", "reply"}
            ):
                sections.append(el)
    item_elems = [el for el in item_elems if not in_form_or_widget(el) and _plausible_item(el)]
    if not item_elems and not anchors:
        # No element says "I am a comment": the <li>s of a comment list are, and so is the box
        # around each comment byline (<div class="comment_name">, <div class="comment-date">).
        item_elems = _list_children(sections) or _byline_parents(bylines)

    # One item per element; dt/dd pairs: the <dd>s after an item <dt> belong to it.
    items: list[Item] = []
    by_elem: dict[Any, Item] = {}
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
        item = Item(root=el, region=region, native_id=item_id(el), members=[el], depth_class=_depth_class(el))
        items.append(item)
        for part in region:
            by_elem.setdefault(part, item)

    def nearest_item_ancestor(el: Any) -> Item | None:
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
    return _Found(result, by_elem, outermost(orphan_bodies), sections)


def _insert_in_document_order(item_elems: list[Any], el: Any) -> None:
    """Add ``el`` before the items found inside it already (a parent comes before its replies).

    Candidates come in document order and ``el`` encloses the one being read, so the items already
    inside ``el`` are a run at the end of the list.
    """
    index = len(item_elems)
    while index and any(anc is el for anc in item_elems[index - 1].iterancestors()):
        index -= 1
    item_elems.insert(index, el)


def _bare_entry_with_replies(root: Any, by_elem: dict[Any, Item]) -> Any:
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
        if not (child.tag in LIST_TAGS or class_words(child) & REPLY_CONTAINER_WORDS):
            return None
        replies_seen = True
    return entry if replies_seen else None


def _is_comment_byline(el: Any) -> bool:
    words = class_words(el)
    return "comment" in words and bool(words & {"author", "name", "date", "time", "header", "meta", "by"})


def _list_children(sections: list[Any]) -> list[Any]:
    items: list[Any] = []
    for section in sections:
        if section.tag in ("ol", "ul") and class_words(section) & {"commentlist", "list", "comments"}:
            items.extend(li for li in section if li.tag == "li" and element_text([li]))
    return [el for el in items if not in_form_or_widget(el)]


def _byline_parents(bylines: list[Any]) -> list[Any]:
    parents: list[Any] = []
    for byline in bylines:
        parent = byline.getparent()
        if parent is None or parent in parents or parent.tag in ("body", "html"):
            continue
        # The box must hold more than its byline: the comment's text.
        if len(element_text([parent], lambda n: has_meta_words(class_words(n)))) >= 2 and not in_form_or_widget(parent):
            parents.append(parent)
    return outermost(parents) if len(parents) < 500 else []


def _byline_sibling(el: Any) -> Any:
    """A "Posted by" element right after an item that holds only its text."""
    nxt = el.getnext()
    while nxt is not None and not isinstance(nxt.tag, str):
        nxt = nxt.getnext()
    if nxt is None or nxt.tag not in ("p", "div", "span", "small", "footer"):
        return None
    words = class_words(nxt)
    if words & {"posted", "byline", "footer", "meta", "metadata", "commentby", "by"} and not is_item(nxt):
        has_meta_inside = any(has_meta_words(class_words(d)) for d in el.iterdescendants() if isinstance(d.tag, str))
        return None if has_meta_inside else nxt
    return None


def _plausible_item(el: Any) -> bool:
    """An item known only by its class must repeat or sit in a comment section.

    ``<div class="Comment">One comment</div>`` in a post's byline is not a reader comment.
    """
    ident = el.get("id") or ""
    if BLOGGER_ID.match(ident) and not el.get("class"):
        # A bare id="c115775" is a comment only when it repeats (Movable Type lists).
        parent = el.getparent()
        return parent is not None and sum(1 for sib in parent if BLOGGER_ID.match(sib.get("id") or "")) > 1
    if item_id(el) or "omment" in (el.get("itemtype") or ""):
        return True
    if repeated(el):
        return True
    for anc in el.iterancestors():
        if class_words(anc) & _SECTION_WORDS:
            return True
    return False


_SECTION_WORDS = frozenset("comments commentlist discussion responses replies children thread".split())


def _anchor_items(anchors: list[tuple[Any, str]], by_elem: dict[Any, Item]) -> list[Item]:
    """Comments written as loose siblings after an empty anchor, up to the next anchor.

    An anchor right before an item only lends it its id.
    """
    loose: list[Item] = []
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
                or class_words(sib) & (FORM_WORDS | {"trackbacks", "pings"})
                or any(a in anchor_elems for a in sib.iter("a"))
            ):
                break
            region.append(sib)
            sib = sib.getnext()
        if len(region) > 1 or (anchor.tail or "").strip():
            loose.append(Item(root=anchor, region=region, native_id=native, members=[anchor], loose=True))
    return loose


def outermost(elements: Iterable[Any]) -> list[Any]:
    """Elements not inside another of them, in the given order."""
    chosen: list[Any] = []
    chosen_set: set[Any] = set()
    for el in elements:
        if el in chosen_set or any(anc in chosen_set for anc in el.iterancestors()):
            continue
        chosen.append(el)
        chosen_set.add(el)
    return chosen
