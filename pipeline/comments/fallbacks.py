"""When no markup rule finds comments: JSON-LD comments, then trafilatura's comment section."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pipeline.dates import parse_date
from pipeline.htmltext import element_text, normalize_space
from pipeline.ids import digest
from pipeline.records import ExtractedComment
from pipeline.comments.markup import FORM_WORDS, class_words


LOGGER = logging.getLogger(__name__)

# --------------------------------------------------------------------------- JSON-LD


def jsonld_comments(scripts: list[Any]) -> list[ExtractedComment]:
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


def section_has_comments(section: Any) -> bool:
    """A comment container with real text beside its form (not "Leave a reply" alone)."""
    text = element_text([section], lambda n: bool(class_words(n) & (FORM_WORDS | {"reply", "title", "count"})))
    lines = [line for line in text.split("\n") if len(line) > 40]
    return sum(len(line) for line in lines) >= 200 and len(lines) >= 2


def trafilatura_comments(section: Any, url: str | None) -> list[ExtractedComment]:
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
