"""Score scrubadub and Presidio (pattern recognisers, deny-list of known names) on the labelled set.

Not part of the suite (neither library is a dependency): run it in a venv that has them, with the
project on the path, e.g.::

    python -m venv /tmp/libs && /tmp/libs/bin/pip install scrubadub presidio-analyzer
    PYTHONPATH=.:tests /tmp/libs/bin/python tests/support/compare_privacy_libraries.py

Both get the same knowledge as blogscope: the known commenters' names (full names and the same
distinctive first names, earlier runs' in clear text, which favours them) and no model downloads
(scrubadub's default detectors are regexes and phonenumbers; Presidio's pattern recognisers run
without the spaCy model its AnalyzerEngine would load).
"""

from __future__ import annotations

import json
import sys

from support.privacy_eval import blogscope_redactor, load_labelled, score


def _deny_list(meta: dict) -> list[str]:
    from pipeline.redaction import NameIndex

    names = set()
    for name in meta["commenters"] + meta["earlier_commenters"]:
        if name.casefold() in {"anonymous"}:
            continue
        names.add(name)
        tokens = name.split()
        if len(tokens) > 1:
            names.update(NameIndex._distinctive_parts(tokens))
    return sorted(names, key=len, reverse=True)


def scrubadub_redactor(meta: dict):
    import scrubadub
    import scrubadub.detectors

    known = [{"match": n, "filth_type": "name", "ignore_case": True, "ignore_partial_word_matches": True}
             for n in _deny_list(meta)]
    scrubber = scrubadub.Scrubber()
    scrubber.add_detector(scrubadub.detectors.UserSuppliedFilthDetector(known))
    return scrubber.clean


def presidio_redactor(meta: dict):
    import tldextract

    # Presidio's e-mail check calls tldextract, which by default downloads the public suffix
    # list: use the snapshot shipped in the package instead (no traffic leaves the machine).
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer, UrlRecognizer

    names = PatternRecognizer(supported_entity="PERSON", deny_list=_deny_list(meta))
    recognizers = [(names, "PERSON"), (EmailRecognizer(), "EMAIL_ADDRESS"), (UrlRecognizer(), "URL"),
                   (PhoneRecognizer(), "PHONE_NUMBER")]

    def redact(text: str) -> str:
        spans = []
        for recognizer, entity in recognizers:
            for r in recognizer.analyze(text, [entity], nlp_artifacts=None):
                spans.append((r.start, r.end, entity))
        out, last = [], 0
        for start, end, entity in sorted(spans):
            if start < last:
                continue
            out.append(text[last:start] + f"<{entity}>")
            last = end
        return "".join(out) + text[last:]

    return redact


def main() -> None:
    meta, rows = load_labelled()
    results = {}
    for name, make in (("blogscope", blogscope_redactor), ("scrubadub", scrubadub_redactor),
                       ("presidio-patterns", presidio_redactor)):
        try:
            s = score(make(meta), rows)
        except ImportError as exc:
            results[name] = f"not installed: {exc}"
            continue
        results[name] = {"recall": round(s.recall, 4), "ordinary_replaced": round(s.ordinary_rate, 4),
                         "missed_by_category": dict(s.by_category)}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
