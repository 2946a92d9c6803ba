"""Scores the ingest redaction on ``tests/data/privacy_labelled.jsonl`` (see make_privacy_labelled.py)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LABELLED = Path(__file__).resolve().parents[1] / "data" / "privacy_labelled.jsonl"


@dataclass
class Score:
    planted: int = 0
    removed: int = 0
    ordinary: int = 0
    ordinary_replaced: int = 0
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (category, planted, output)
    over: list[tuple[str, str, str]] = field(default_factory=list)
    by_category: Counter[str] = field(default_factory=Counter)  # misses per category

    @property
    def recall(self) -> float:
        return self.removed / self.planted if self.planted else 1.0

    @property
    def ordinary_rate(self) -> float:
        return self.ordinary_replaced / self.ordinary if self.ordinary else 0.0


def load_labelled(path: Path = LABELLED) -> tuple[dict, list[dict]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[0], rows[1:]


def _word(surface: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", re.IGNORECASE)


def score(redact: Callable[[str], str], rows: list[dict]) -> Score:
    """Recall of planted names/identifiers; share of ordinary-word occurrences that were replaced."""
    s = Score()
    for row in rows:
        out = redact(row["text"])
        for planted in row["must_remove"]:
            s.planted += 1
            found = planted.casefold() in out.casefold() if row["category"] in ("email", "phone", "profile_url") \
                else bool(_word(planted).search(out))
            if found:
                s.missed.append((row["category"], planted, out))
                s.by_category[row["category"]] += 1
            else:
                s.removed += 1
        for word in row["must_keep"]:
            pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
            before, after = len(pattern.findall(row["text"])), len(pattern.findall(out))
            s.ordinary += before
            if after < before:
                s.ordinary_replaced += before - after
                s.over.append((row["category"], word, out))
    return s


def blogscope_redactor(meta: dict, key: bytes = b"labelled-set-key") -> Callable[[str], str]:
    """blogscope's ingest redaction, with this run's commenters, and earlier ones only as warehouse hash rows."""
    from pipeline.redaction import NameIndex, Redactor, build_indexes

    site = meta["site_id"]
    earlier = NameIndex(key, site)
    for name in meta["earlier_commenters"]:
        earlier.add_commenter(name)
    stored_rows = earlier.hash_rows()  # what the warehouse keeps: hashes, no names
    indexes = build_indexes(key, [(site, n, meta["profile_urls"].get(n)) for n in meta["commenters"]],
                            [(site, b) for b in meta["bloggers"]], earlier_names=lambda _sites: stored_rows)
    redactor = Redactor(indexes[site])
    return lambda text: redactor.redact(text).text
