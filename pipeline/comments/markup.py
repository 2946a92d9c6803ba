"""The comment vocabulary: which class words, ids and schema.org types mark an item, a body, metadata.

Shared by the item finder (:mod:`pipeline.comments.items`), the field reader
(:mod:`pipeline.comments.fields`) and the crawler's platform parsers (``is_comment_metadata``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any



# --------------------------------------------------------------------------- vocabulary

# Ids of comment items; group 1 is the page's own comment id.
_ITEM_ID = re.compile(
    r"^(?:(?:li|div|dsq|article|single|the)[-_]?)?"
    r"(?:comment|cmt|com|kommentar|komentarz|comentario|commentaire|reply|response)s?"
    r"[-_]?(?:item[-_]?|id[-_]?)?(\d+|[0-9a-f]{12,})$",
    re.IGNORECASE,
)
BLOGGER_ID = re.compile(r"^c(\d{5,})$")
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
STRONG_META_WORDS = frozenset(
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
AUTHOR_WORDS = frozenset("author fn commenter poster username nick nickname who by user name".split())
DATE_WORDS = frozenset("date datetime time timestamp stamp posted published meta metadata footer".split())
TITLE_WORDS = frozenset("title subject headline".split())
# Containers that hold replies: an item inside one of these is a reply, not a wrapper.
REPLY_CONTAINER_WORDS = frozenset(
    "children child replies subcomments sub nested thread threads responses comments list".split()
)
LIST_TAGS = frozenset(("ul", "ol", "dl"))
# Sections that hold the comment form or sidebar widgets, never comments.
FORM_WORDS = frozenset("respond commentform form recentcomments recent popular".split())

# Whole lines that are widget labels, not comment text.
WIDGET_LINE = re.compile(
    r"^(?:reply|reply\s*↓|↓\s*reply|reply to this( comment)?|log in to reply|report( abuse| comment| this)?|"
    r"like|unlike|edit|quote|permalink|delete|flag|share|vote|up|down|\d+\s*(?:likes?|points?|votes?)|"
    r"says:?|said\.{0,3}:?|wrote:?|\[?reply\]?|antworten|répondre|responder|rispondi|"
    r"\d+\s+\d+|[+-]?\d+|\W+)$",
    re.IGNORECASE,
)
AUTHOR_PREFIX = re.compile(
    r"^(?:posted\s+by|comment(?:ed)?\s+by|written\s+by|submitted\s+by|by|von|par|por|di)\s*:?\s+", re.IGNORECASE
)
AUTHOR_SUFFIX = re.compile(
    r"\s*(?:says|said|wrote|schreibt|sagt|a écrit|dijo|dice|scrive)\b.*$|\s*[|•·]\s.*$|\s+on\s+\w+\s+\d.*$|\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
AUTHOR_IN_TEXT = (
    re.compile(r"(?:posted|comment(?:ed)?|written|submitted)\s+by:?\s+([^\n|•]{1,80}?)\s*(?:\||•|\bon\b|\bat\b|$|\n|\d)", re.I),
    re.compile(r"^\s*([^\n]{1,60}?)\s+(?:says|said|wrote)\b", re.I | re.M),
    re.compile(r"\bby\s+([^\n|•(]{1,60}?)\s*(?:\(|\||•|\bon\b|\bat\b|$|\n)", re.I | re.M),
)

# --------------------------------------------------------------------------- classification


def repeated(el: Any) -> bool:
    """Another element with the same tag and class sits beside this one."""
    cls = el.get("class")
    parent = el.getparent()
    if parent is None:
        return False
    return any(sib is not el and sib.tag == el.tag and sib.get("class") == cls for sib in parent)


def class_words(el: Any) -> frozenset[str]:
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


def item_id(el: Any) -> str | None:
    ident = el.get("id") or ""
    m = _ITEM_ID.match(ident) or BLOGGER_ID.match(ident)
    return m.group(1) if m else None


def is_item(el: Any) -> bool:
    if el.tag in ("a", "span", "img", "input", "textarea", "form", "script", "style", "link", "body", "html"):
        return False
    if item_id(el):
        return True
    classes = (el.get("class") or "").lower().split()
    if any(_ITEM_CLASS.match(c) for c in classes):
        return True
    if "comments" in classes and repeated(el):
        return True  # <div class="COMMENTS"> once per comment (old Movable Type templates)
    return _is_comment_itemtype(el.get("itemtype")) or el.get("itemprop") == "comment"


# schema.org types of one comment: ``Comment`` and its older sibling ``UserComments``.
_COMMENT_ITEMTYPE = re.compile(r"schema\.org/(?:Comment|UserComments)\b", re.IGNORECASE)
# Properties that only a comment item has (``UserComments``: ``commentText``, ``commentTime``).
_COMMENT_ITEMPROPS = frozenset(("commentText", "commentTime"))


def _is_comment_itemtype(itemtype: str | None) -> bool:
    return bool(itemtype) and any(_COMMENT_ITEMTYPE.search(t) for t in itemtype.split())


def microdata_owner(el: Any) -> Any:
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


def is_anchor_marker(el: Any) -> str | None:
    if el.tag != "a" or len(el) or (el.text or "").strip():
        return None
    ident = el.get("id") or el.get("name") or ""
    m = _ITEM_ID.match(ident) or _ANCHOR_ID.match(ident)
    return m.group(1) if m else None


def in_form_or_widget(el: Any) -> bool:
    """Items inside a form, a sidebar or a "recent comments" widget are not the page's comments."""
    for anc in el.iterancestors():
        if anc.tag in ("form", "textarea", "aside", "nav"):
            return True
        words = class_words(anc)
        if words & FORM_WORDS and (words & {"recent", "recentcomments", "popular"} or not words & {"comments", "commentlist"}):
            return True
    return False


def is_body(words: frozenset[str]) -> bool:
    """A comment's body: ``comment-content``, ``commentBody``, ``format_text``... (not ``comment-author-text``)."""
    return bool(words & _BODY_WORDS) and not words & STRONG_META_WORDS


def is_comment_body(el: Any) -> bool:
    """A body element anywhere on the page (outside items it must say it is a comment's)."""
    raw = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    words = class_words(el)
    return ("comment" in raw or "cmt" in raw) and is_body(words) and not words & _CONTAINER_WORDS


# A section of all comments ("comments-content", "comment-list"), not one comment's body.
_CONTAINER_WORDS = frozenset("comments commentlist list section area wrapper holder block thread".split())


def has_meta_words(words: frozenset[str]) -> bool:
    return bool(words & _META_WORDS) and not is_body(words)


def is_comment_metadata(el: Any) -> bool:
    """An element inside a comment that holds metadata (author, avatar, date, reply link...), not text.

    The crawl's platform parsers (``pipeline.sources.html_threads``) use it too, so a comment's
    text is told apart from its byline by one vocabulary, whichever path reads the page.
    """
    return isinstance(el.tag, str) and (el.tag == "time" or has_meta_words(class_words(el)))
