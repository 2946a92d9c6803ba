"""Metadata regression on Mozilla Readability's test pages (../shared/data/readability-test-pages).

``expected-metadata.json`` is Readability.js's own output, not human gold, so the floors are
loose: a field counts as found when it matches (or contains / is contained in) the expected
value after lower-casing and dropping punctuation; dates compare by day. Measured when written
(130 pages): title 118/127, byline 53/76, date 26/33, site name 59/62; trafilatura 2.3's own
``extract_metadata`` on the same trees: 92, 56, 31, 57.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from pipeline.metadata import page_metadata
from pipeline.htmltext import html_to_unicode, parse_html

FLOORS = {"title": 0.88, "byline": 0.62, "date": 0.70, "site": 0.88}
FIELDS = {"title": ("title", "title"), "byline": ("byline", "author"), "date": ("publishedTime", "date"),
          "site": ("siteName", "sitename")}


def _norm(value: str | None) -> str:
    return re.sub(r"\W+", " ", (value or "").lower()).strip()


def _matches(field: str, got: str | None, expected: str) -> bool:
    got_n, expected_n = _norm(got), _norm(expected)
    if field == "date":
        return bool(got_n) and got_n[:10] == expected_n[:10]
    return bool(got_n) and (got_n == expected_n or got_n in expected_n or expected_n in got_n)


def test_metadata_matches_readability_expectations(shared_data: Path):
    pages = sorted((shared_data / "readability-test-pages" / "pages").iterdir())
    assert len(pages) >= 100
    found = dict.fromkeys(FIELDS, 0)
    expected_count = dict.fromkeys(FIELDS, 0)
    for page in pages:
        expected = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
        tree = parse_html(html_to_unicode(gzip.open(page / "source.html.gz").read())[0])
        meta = page_metadata(tree) if tree is not None else {}
        for field, (expected_key, our_key) in FIELDS.items():
            if expected.get(expected_key):
                expected_count[field] += 1
                found[field] += _matches(field, meta.get(our_key), expected[expected_key])
    shares = {field: found[field] / expected_count[field] for field in FIELDS}
    print({field: f"{found[field]}/{expected_count[field]}" for field in FIELDS})
    for field, floor in FLOORS.items():
        assert shares[field] >= floor, (field, shares[field])
