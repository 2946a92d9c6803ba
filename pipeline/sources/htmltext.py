"""HTML fragments to plain text for comment bodies.

Comments arrive as HTML (REST ``content.rendered``, feed ``<content>``, a page's
``.comment-content``). Downstream stages want plain text with paragraph breaks kept as a blank
line, so sentence splitting and quoting stay meaningful. lxml only: no network, no heavy deps.
"""

from __future__ import annotations

import re

_BLOCK_TAGS = frozenset({
    "p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "section", "article", "header", "footer", "figure", "dl", "dd", "dt",
})
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_MARKUP = re.compile(r"[<&\r\x00]")


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment: paragraphs joined by ``"\\n\\n"``, ``<br>`` as ``"\\n"``."""
    if not fragment or not fragment.strip():
        return ""
    if not _MARKUP.search(fragment):
        # No tag, entity, CR or NUL (most titles and term names, many comments): lxml would
        # return the same text, at ~30x the cost.
        return _normalise(fragment)
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types on hopeless input; fall back to tag stripping
        return _normalise(re.sub(r"<[^>]+>", " ", fragment))
    return element_text(root)


def element_text(element) -> str:  # noqa: ANN001 - lxml element
    """Plain text of an lxml element with the same paragraph rules as :func:`html_to_text`."""
    for bad in list(element.iter(*_DROP_TAGS)):
        if bad.getparent() is not None:
            bad.drop_tree()  # keeps the tail text
    parts: list[str] = []
    _walk(element, parts)
    return _normalise("".join(parts))


def _walk(el, parts: list[str]) -> None:  # noqa: ANN001
    tag = el.tag if isinstance(el.tag, str) else ""
    block = tag.lower() in _BLOCK_TAGS
    if block:
        parts.append("\n\n")
    if tag.lower() == "br":
        parts.append("\n")
    if el.text and isinstance(el.tag, str):
        parts.append(el.text)
    for child in el:
        _walk(child, parts)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append("\n\n")


def _normalise(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    blank = 0
    for line in lines:
        if line:
            if out and blank >= 1:
                out.append("")
            out.append(line)
            blank = 0
        else:
            blank += 1
    # A single newline inside a paragraph came from <br>; two or more separate paragraphs.
    text = "\n".join(out)
    return text.strip()
