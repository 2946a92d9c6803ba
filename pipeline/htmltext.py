"""Bytes to Unicode to one lxml tree, and visible text out of that tree (or out of a fragment).

Extraction (trafilatura), comment extraction and metadata all read the same page, so a page is
sniffed, decoded and parsed here exactly once and the tree is shared. The decoding order is:
byte-order mark, strict UTF-8 (the most common truth, whatever the page declares), the declared
charset, then Windows-1252 when the bytes look like Western text, then statistical detection.
Characters that XML cannot hold (NUL, C0/C1 controls) are removed before parsing, so lxml never
refuses a page and no control character reaches the text. Fragments (comment bodies from REST
and feeds, titles) go through the same walker, so every text in blogscope follows one set of
paragraph rules.

``lxml`` is imported inside functions so importing ``pipeline`` stays cheap.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from lxml.html import HtmlElement

LOGGER = logging.getLogger(__name__)

# --------------------------------------------------------------------------- binary sniffing

# Magic numbers of formats that are served as text/html by mistake (or by misconfigured blogs).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"PK\x03\x04", "ZIP archive (or office document)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Microsoft Office document"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
)
_RIFF_KINDS = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

GZIP_MAGIC = b"\x1f\x8b"


def sniff_non_html(data: bytes) -> str | None:
    """What the bytes are when they are clearly not an HTML page (PDF, image, archive...), else None.

    Looks at the first bytes only: magic numbers, then the share of control bytes, which text in
    any ASCII-compatible or UTF-16 encoding (handled by ``decode_html``) does not have.
    """
    head = data[:2048]
    stripped = head.lstrip()
    for magic, what in _MAGIC:
        if stripped.startswith(magic):
            return what
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[head[8:12]]
    if head[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if not head or _bom_encoding(head) or _utf16_without_bom(head):
        return None
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 and b != 27)
    if controls > max(8, len(head) // 20):
        return "binary data"
    return None


def _bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 pages without a BOM still start with ``<`` or whitespace in one of the two bytes."""
    head = data[:64]
    if len(head) >= 8 and head[1::2].count(0) >= len(head) // 2 - 1 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 8 and head[0::2].count(0) >= len(head) // 2 - 1 and head[1::2].count(0) == 0:
        return "utf-16-be"
    return None


# --------------------------------------------------------------------------- decoding

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_:.+-]+)""",
    re.IGNORECASE,
)

# WHATWG encoding labels that browsers read differently from Python's codec of the same name.
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    # A page that can be read as ASCII cannot really be UTF-16; browsers use UTF-8.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}

# Characters XML 1.0 cannot hold, plus C1 controls (never meaningful in HTML text).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_FORM_FEED = re.compile("[\x0c]")

# UTF-8 read as Windows-1252 ("mojibake"): a lead byte (Â-ô) followed by continuation bytes,
# which Windows-1252 shows as the characters below.
_CP1252_CONTINUATION = "".join(
    bytes([b]).decode("cp1252") for b in range(0x80, 0xC0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
)
_MOJIBAKE = re.compile(
    "(?:[\u00c2-\u00df][%s]|[\u00e0-\u00ef][%s]{2}|[\u00f0-\u00f4][%s]{3})+"
    % ((re.escape(_CP1252_CONTINUATION),) * 3)
)
_MOJIBAKE_HINT = re.compile(
    "[\u00c2\u00c3\u00e2]"
    "[\u0080-\u00bf\u2018-\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]"
)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` or XML declaration (first 4 KiB), as a codec name."""
    match = _DECLARED_CHARSET.search(data[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii", "ignore").strip().lower()
    label = _WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        LOGGER.debug("unknown declared charset %r", label)
        return None


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")


def _looks_western(text: str) -> bool:
    """True when a Windows-1252 reading looks like Western text.

    Western languages put an accented letter here and there between ASCII letters ("Größe");
    Cyrillic, Greek or CJK bytes misread as Windows-1252 come out as runs of symbols.
    """
    sample = text[:200_000]
    non_ascii = len(_NON_ASCII.findall(sample))
    if non_ascii == 0:
        return True
    in_runs = sum(len(run) for run in _NON_ASCII_RUN.findall(sample))
    return in_runs <= 0.3 * non_ascii


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode page bytes to text; returns ``(text, encoding used)``. Never raises, never guesses blindly.

    Order: BOM, UTF-16 without BOM, strict UTF-8, the declared charset (strict), Windows-1252
    when that reading looks like Western text, statistical detection (charset_normalizer),
    finally UTF-8 with replacement characters.
    """
    bom = _bom_encoding(data)
    if bom:
        return data.decode(bom, errors="replace").lstrip("\ufeff"), bom
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared and declared not in ("utf-8", "cp1252"):
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            LOGGER.debug("page declares %s but is not %s", declared, declared)
    try:
        text = data.decode("cp1252")
        if declared == "cp1252" or _looks_western(text):
            return text, "cp1252"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, errors="replace"), best.encoding
    except Exception as exc:  # noqa: BLE001 - detection is best effort, never fatal
        LOGGER.debug("charset detection failed: %s", exc)
    return data.decode("utf-8", errors="replace"), "utf-8-replace"


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was read as Windows-1252 (``Ã©`` for ``é``, ``â€™`` for ``’``).

    Only runs that decode back to valid UTF-8 are replaced, so genuine Latin-1 text stays as it is.
    """
    # Cheap substring tests first: almost no page has these lead characters at all.
    if "\u00c3" not in text and "\u00c2" not in text and "\u00e2\u20ac" not in text:
        return text
    if not _MOJIBAKE_HINT.search(text):
        return text

    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        try:
            return run.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return run

    return _MOJIBAKE.sub(fix, text)


def clean_control_chars(text: str) -> str:
    """Remove NUL and other control characters (and lone surrogates) that XML cannot hold."""
    if _CONTROL_CHARS.search(text):
        text = _CONTROL_CHARS.sub("", text)
    if "\x0c" in text:
        text = _FORM_FEED.sub(" ", text)
    return text


def html_to_unicode(data: bytes | str) -> tuple[str, str]:
    """Decode (when bytes) and repair mojibake: text ready for ``parse_html``.

    Control characters are left to the parser step (trafilatura's loader strips the ones XML
    cannot hold) and to ``clean_control_chars`` on extracted text, which is far shorter than
    the page; only text handed in as ``str`` is checked for lone surrogates here.
    """
    if isinstance(data, bytes):
        text, encoding = decode_html(data)
    else:
        text, encoding = data, "unicode"
        if _SURROGATES.search(text):
            text = _SURROGATES.sub("\ufffd", text)
    return repair_mojibake(text), encoding


_SURROGATES = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- parsing


class PageTooDeep(ValueError):
    """The page nests elements deeper than the HTML parser reads (libxml2 stops at 256 levels).

    The parser then silently drops the rest of the page (the body past that depth, the comments
    after it), so the tree is not the page: callers record the page as unreadable instead.
    """


# libxml2's message when a document nests deeper than it allows without XML_PARSE_HUGE.
_DEPTH_LIMIT_ERROR = "Excessive depth in document"


def _parser_hit_depth_limit(parser: Any) -> bool:
    """True when the parser's last run stopped at the nesting limit (a fatal error: it is the last one)."""
    last = parser.error_log.last_error
    return last is not None and _DEPTH_LIMIT_ERROR in (last.message or "")


def parse_html(text: str) -> HtmlElement | None:
    """Parse once with the parser trafilatura uses (so its results are unchanged), or None.

    Falls back to a plain lxml document parse for fragments trafilatura would reject, so a
    page without ``<html>`` is still read. Raises ``PageTooDeep`` when the parser stopped at its
    nesting limit (the tree would silently lack the rest of the page).
    """
    from lxml import etree
    from lxml.html import HtmlElement as _HtmlElement
    from lxml.html import document_fromstring
    from trafilatura.utils import HTML_PARSER, load_html

    tree = None
    try:
        tree = load_html(text)
    except Exception as exc:  # noqa: BLE001 - a parser failure is a page outcome, not a crash
        LOGGER.debug("trafilatura loader failed: %s", exc)
    if tree is None and text.strip():
        try:
            tree = document_fromstring(clean_control_chars(text).encode("utf-8", "replace"), parser=HTML_PARSER)
        except (etree.ParserError, ValueError) as exc:
            LOGGER.debug("lxml could not parse the page: %s", exc)
            tree = None
    if tree is not None and _parser_hit_depth_limit(HTML_PARSER):
        raise PageTooDeep("the page nests elements more than 255 deep; the HTML parser cannot read past "
                          "that depth, so its text and comments would be cut off")
    if tree is not None and not isinstance(tree, _HtmlElement):
        return None
    return tree


# --------------------------------------------------------------------------- visible text

# Elements whose content is never visible text.
SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed applet button select option "
    "textarea input form head title meta link canvas video audio img picture source map area".split()
)
BLOCK_TAGS = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 blockquote pre table thead tbody tfoot tr "
    "section article header footer aside nav main figure figcaption address hr details summary "
    "fieldset center".split()
)
CELL_TAGS = frozenset(("td", "th"))

_PARA_BREAK = "\x1d"  # group separator: a block boundary while text is being collected
_LINE_BREAK = "\x1e"  # record separator: a <br>
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b\u2028\u2029]+")
# Not \s: Python counts \x1d and \x1e as whitespace.
_BREAKS = re.compile("[ \t\r\n\f\v\u00a0\u200b]*([\x1d\x1e][ \t\r\n\f\v\u00a0\u200b\x1d\x1e]*)")


def element_text(
    elements: Iterable[Any],
    skip: Callable[[Any], bool] | None = None,
    *,
    with_tails: bool = False,
) -> str:
    """Visible text of elements: paragraphs joined by a blank line, ``<br>`` as a line break.

    ``skip(el)`` drops an element with its subtree (its tail text stays: it belongs to the
    parent). ``with_tails`` also keeps the tail text of the given top-level elements (for
    comments written as loose siblings). Iterative, so 100,000 nested elements cannot overflow
    the stack.
    """
    out: list[str] = []
    for top in elements:
        stack: list[tuple[Any, bool]] = [(top, False)]
        while stack:
            el, closing = stack.pop()
            tag = el.tag
            if closing:
                if tag in BLOCK_TAGS:
                    out.append(_PARA_BREAK)
                elif tag in CELL_TAGS:
                    out.append(" ")
                if el.tail and (el is not top or with_tails):
                    out.append(el.tail)
                continue
            if not isinstance(tag, str):  # comments and processing instructions
                if el.tail and el is not top:
                    out.append(el.tail)
                continue
            if tag in SKIP_TAGS or (skip is not None and el is not top and skip(el)):
                if el.tail and el is not top:
                    out.append(el.tail)
                elif el is top and with_tails and el.tail:
                    out.append(el.tail)
                continue
            if tag == "br":
                out.append(_LINE_BREAK)
                if el.tail:
                    out.append(el.tail)
                continue
            if tag in BLOCK_TAGS:
                out.append(_PARA_BREAK)
            if el.text:
                out.append(el.text)
            stack.append((el, True))
            children = list(el)
            for child in reversed(children):
                stack.append((child, False))
    return normalize_breaks("".join(out))


def normalize_breaks(raw: str) -> str:
    """Collapse whitespace: runs with a block break become a blank line, ``<br>`` a newline."""

    def join(match: re.Match[str]) -> str:
        breaks = match.group(1)
        # A block boundary, or two <br> in a row, is a paragraph; one <br> is a line break.
        return "\n\n" if _PARA_BREAK in breaks or breaks.count(_LINE_BREAK) > 1 else "\n"

    text = _BREAKS.sub(join, raw)
    lines = []
    for line in text.split("\n"):
        lines.append(_WS.sub(" ", line).strip())
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# A fragment without a tag, entity, CR or NUL (most titles and term names, many comments) needs
# no parser: normalize_breaks gives the text lxml would, at ~30x less cost.
_MARKUP = re.compile(r"[<&\r\x00]")
_TAG = re.compile(r"<[^>]+>")


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (REST ``content.rendered``, feed ``<content>``, a title).

    Same rules as :func:`element_text`: paragraphs joined by a blank line, ``<br>`` a line break,
    so sentence splitting and quoting downstream stay meaningful.
    """
    if not fragment or not fragment.strip():
        return ""
    if not _MARKUP.search(fragment):
        return normalize_breaks(fragment)
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - lxml raises several types on hopeless input; strip tags instead
        return normalize_breaks(_TAG.sub(" ", fragment))
    return element_text((root,))


def normalize_space(text: str | None) -> str:
    """One line, single spaces."""
    return _WS.sub(" ", text or "").strip()


# --------------------------------------------------------------------------- one pass over the tree


@dataclass
class PageScan:
    """Elements that comments and metadata need, collected in one walk over the tree.

    Walking a tree in Python costs about as much as one XPath query; comment candidates and
    every metadata source are gathered together so a page is walked once.
    """

    comment_candidates: list[Any] = field(default_factory=list)
    metas: list[Any] = field(default_factory=list)  # <meta> and <link>
    json_ld: list[Any] = field(default_factory=list)  # <script type="application/ld+json">
    rel_links: list[Any] = field(default_factory=list)  # <a rel="tag|category|author">
    times: list[Any] = field(default_factory=list)  # <time datetime>, <abbr class="published">
    bylines: list[Any] = field(default_factory=list)  # itemprop=author, .byline, .entry-author
    post_titles: list[Any] = field(default_factory=list)  # .entry-title, .post-title, .p-name, itemprop=headline
    title: Any = None
    first_h1: Any = None


_SCAN_TAGS = frozenset(("meta", "link", "script", "a", "time", "abbr", "title", "h1"))


def scan_page(tree: Any) -> PageScan:
    """Walk the tree once (see ``PageScan``)."""
    scan = PageScan()
    candidates = scan.comment_candidates
    for el in tree.iter():
        tag = el.tag
        if tag in _SCAN_TAGS:
            if tag == "a":
                rel = el.get("rel")
                if rel and ("tag" in rel or "category" in rel or "author" in rel):
                    scan.rel_links.append(el)
                elif not el.get("id") and (el.get("name") or "")[:1] == "c":
                    candidates.append(el)  # <a name="c123"> comment anchors
                    continue
            elif tag in ("meta", "link"):
                scan.metas.append(el)
                continue
            elif tag == "script":
                if (el.get("type") or "").lower() == "application/ld+json":
                    scan.json_ld.append(el)
                continue
            elif tag == "time":
                if el.get("datetime") or el.get("pubdate") is not None:
                    scan.times.append(el)
            elif tag == "abbr":
                if el.get("title") and "published" in (el.get("class") or ""):
                    scan.times.append(el)
            elif tag == "title":
                if scan.title is None:
                    scan.title = el
            elif tag == "h1" and scan.first_h1 is None:
                scan.first_h1 = el
        cls = el.get("class")
        if cls:
            if "omment" in cls or "oment" in cls or "OMMENT" in cls:
                candidates.append(el)
                continue
            if "byline" in cls or "entry-author" in cls or "post-author" in cls:
                scan.bylines.append(el)
            if "-title" in cls or "p-name" in cls:
                scan.post_titles.append(el)
        ident = el.get("id")
        if ident and ("omment" in ident or "oment" in ident or ident[0] == "c"):
            candidates.append(el)
            continue
        itemprop = el.get("itemprop")
        if itemprop:
            if itemprop == "author":
                scan.bylines.append(el)
            elif itemprop == "headline":
                scan.post_titles.append(el)
            elif "omment" in itemprop:
                candidates.append(el)  # schema.org microdata: itemprop="comment" itemtype=".../Comment"
    return scan
