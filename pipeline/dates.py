"""Dates as blogs print them, to ISO 8601: comment stamps, bylines, archive headings.

Comment markup and page metadata give dates as free text ("January 31, 2011 at 9:59 am",
"31.01.2011 10:12", "31. Januar 2011"); :func:`parse_date` reads the first one in a short text.
"""

from __future__ import annotations

import datetime as _dt
import re

_MONTHS = {
    "jan": 1, "january": 1, "januar": 1, "janvier": 1, "enero": 1, "gennaio": 1, "jänner": 1,
    "feb": 2, "february": 2, "februar": 2, "février": 2, "fevrier": 2, "febrero": 2, "febbraio": 2,
    "mar": 3, "march": 3, "märz": 3, "maerz": 3, "mars": 3, "marzo": 3, "mär": 3,
    "apr": 4, "april": 4, "avril": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maggio": 5,
    "jun": 6, "june": 6, "juni": 6, "juin": 6, "junio": 6, "giugno": 6,
    "jul": 7, "july": 7, "juli": 7, "juillet": 7, "julio": 7, "luglio": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8, "agosto": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "settembre": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10, "octobre": 10, "octubre": 10, "ottobre": 10,
    "nov": 11, "november": 11, "novembre": 11, "noviembre": 11,
    "dec": 12, "december": 12, "dez": 12, "dezember": 12, "décembre": 12, "decembre": 12,
    "diciembre": 12, "dicembre": 12,
}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_TIME_RE = r"(?:(?:\s*(?:at|@|um|à|a las|,|-|–|\|)\s*|\s+)(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?"
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_DATE_MDY = re.compile(
    r"\b(" + _MONTH_RE + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b" + _TIME_RE, re.IGNORECASE
)
_DATE_DMY = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+|de\s+)?(" + _MONTH_RE + r")\.?,?\s+(?:de\s+)?(\d{4})\b" + _TIME_RE,
    re.IGNORECASE,
)
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})\b" + _TIME_RE, re.IGNORECASE)
_DATE_YMD_SLASH = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b" + _TIME_RE)


def _iso(year: int, month: int, day: int, hour: str | None = None, minute: str | None = None,
         second: str | None = None, ampm: str | None = None, tz: str | None = None) -> str | None:
    try:
        if hour is None:
            return _dt.date(year, month, day).isoformat()
        h = int(hour)
        if ampm:
            ampm = ampm.lower().replace(".", "")
            if ampm == "pm" and h < 12:
                h += 12
            elif ampm == "am" and h == 12:
                h = 0
        value = _dt.datetime(year, month, day, h, int(minute or 0), int(second or 0)).isoformat()
    except ValueError:
        return None
    if tz:
        value += "+00:00" if tz == "Z" else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
    return value


def _plausible_year(year: int) -> bool:
    return 1990 <= year <= _dt.date.today().year + 1


def parse_date(text: str | None) -> str | None:
    """The first date in a short text as ISO 8601 (``2011-01-31`` or ``2011-01-31T09:59:00``), or None.

    Understands ISO, ``January 31, 2011 at 9:59 am``, ``31 January 2011``, ``31.01.2011 10:12`` and
    English, German, French, Spanish and Italian month names. Relative dates ("3 days ago") give
    None: the page does not say when it was read.
    """
    if not text:
        return None
    text = text[:400]
    m = _ISO_DATE.search(text)
    if m and _plausible_year(int(m.group(1))):
        y, mo, d, hh, mi, ss, tz = m.groups()
        return _iso(int(y), int(mo), int(d), hh, mi, ss, None, tz)
    candidates = []
    m = _DATE_MDY.search(text)
    if m:
        candidates.append((m.start(), int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)), m.group(4, 5, 6, 7)))
    m = _DATE_DMY.search(text)
    if m:
        candidates.append((m.start(), int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)), m.group(4, 5, 6, 7)))
    m = _DATE_YMD_SLASH.search(text)
    if m:
        candidates.append((m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4, 5, 6, 7)))
    m = _DATE_NUMERIC.search(text)
    if m:
        a, sep, b, year_s = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(year_s) + (2000 if len(year_s) == 2 and int(year_s) < 70 else 1900 if len(year_s) == 2 else 0)
        # Dots are day-first (European); slashes are month-first unless the first number is a day.
        day, month = (a, b) if sep == "." or a > 12 else (b, a)
        candidates.append((m.start(), year, month, day, m.group(5, 6, 7, 8)))
    for _, year, month, day, (hh, mi, ss, ampm) in sorted(candidates):
        if _plausible_year(year):
            value = _iso(year, month, day, hh, mi, ss, ampm)
            if value:
                return value
    return None
