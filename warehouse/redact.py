"""Redaction of personal data inside free text (comment text in exports and search snippets).

Commenters write their e-mail, phone number or profile link into comments. Exports keep only
pseudonyms for authors, and these rules blank such data inside the text:

* URLs keep only their host (paths and ``user:pass@`` carry user names: ``/u/jane``, ``/@jane``);
* e-mail addresses -> ``[email]``;
* phone numbers (international ``+44 20 7946 0958``, national ``020 7946 0958``, North American
  ``(555) 123-4567``) -> ``[phone]``; dates and plain numbers are left alone;
* ``@handles`` -> ``[handle]``.

The patterns use only syntax shared by Python's ``re`` and RE2, so the same rules run on one
string in Python (``redact_text``) and vectorised on Arrow columns (``redact_array``) in exports.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.redaction import IDENTIFIER_RULES

# The ingest rules (``pipeline.redaction``, which also replaces known commenters' names) run
# again here, as a second net for text loaded before them: one list of patterns for both.
RULES: tuple[tuple[str, str], ...] = tuple((pattern, replacement) for pattern, replacement, _ in IDENTIFIER_RULES)

_COMPILED = tuple((re.compile(p), r) for p, r in RULES)


def redact_text(text: str | None) -> str | None:
    """``text`` with e-mails, phone numbers, identifying URL parts and handles blanked."""
    if not text:
        return text
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def redact_array(values: Any) -> Any:  # pyarrow arrays in, pyarrow arrays out
    """The same rules, vectorised with Arrow's RE2 (exports of millions of comments)."""
    import pyarrow.compute as pc

    for pattern, replacement in RULES:
        values = pc.replace_substring_regex(values, pattern=pattern, replacement=replacement)
    return values
