"""Exact and near-duplicate posts across URL variants (desktop, ``?m=1``, AMP, feed, syndication).

``find_duplicates(items)`` groups items that are the same post and names one representative per
group, so the process stage keeps one post row and records the other URLs as aliases.

Evidence, in order:

1. Same canonical URL (``pipeline.ids.canonical_url`` is applied again, so ``?m=1``, ``/amp/``
   and tracking-parameter variants meet even when the caller passed them raw).
2. Same text. Text is normalised (NFKC, case-folded, URLs and punctuation dropped) and cut into
   word 5-shingles. Lines (paragraphs) that recur in ``BOILERPLATE_MIN_GROUPS`` (6) or more
   URL groups are boilerplate (disclaimers, share prompts, "Posted by ... Labels: ...") and are
   removed first; a post would need 6 unfolded URL variants before its own lines counted as
   boilerplate. Two texts are the same post when, on the remaining shingles,

   - the smaller set has at least ``MIN_SHINGLES`` (25, about 30 words of its own: shorter
     posts merge by URL only, because short texts collide by chance and by template), and
   - at least ``MIN_CONTAINMENT`` (0.8) of the smaller set lies in the larger one, and
   - either their Jaccard similarity is at least ``MIN_JACCARD`` (0.5: full copies whose
     wrappers differ) or the smaller text is a truncated copy: its opening shingles occur within
     the first ``PREFIX_SLACK_SHINGLES`` (50) shingles of the larger text (feed excerpts,
     "Continue reading" teasers). A digest that quotes a whole short post in its middle is
     therefore not taken for a copy of it.

   Candidates come from datasketch MinHash LSH (``NUM_PERM`` = 128, banded for recall at
   Jaccard 0.5) and from an index of every text's opening shingles (truncated copies); every
   candidate pair is verified on the exact shingle sets, so the sketch's error can only cost a
   missed pair, never a false merge.
3. A guard: two different desktop URLs of one site (same host without ``www.``, different
   path or query after folding) are two posts, whatever their text. Mobile, AMP, feed and
   shortlink forms (``is_desktop_url``) and other hosts (syndication, Blogger country domains)
   are free to join. Text pairs are applied most similar first, so when a truncated excerpt
   matches two posts of a series, the closer one wins. This keeps template-heavy short posts
   apart even in a run too small for the boilerplate count to see their shared block, at the
   price of keeping a post re-published under a new permalink of the same site as two posts
   (they have separate comment threads anyway).

Representative of a group (deterministic, whatever the input order): a desktop URL first, then
the earliest ``published_at``, then the longest text, then the smallest key.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipeline.ids import canonical_url as fold_url

log = logging.getLogger(__name__)

SHINGLE_WORDS = 5
MIN_SHINGLES = 25
MIN_CONTAINMENT = 0.8
MIN_JACCARD = 0.5
BOILERPLATE_MIN_GROUPS = 6
# A truncated copy's first shingles must appear within this many shingles of the larger text's
# start: room for a title, byline or date line before the body.
PREFIX_SLACK_SHINGLES = 50
# An opening shingle shared by more texts than this is template, not a lead for truncated copies.
MAX_OPENING_FANOUT = 50
NUM_PERM = 128
LSH_BANDS, LSH_ROWS = 42, 3
MINHASH_SEED = 1

Item = tuple[Hashable, str, str, str | None]

_URL_IN_TEXT = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"\w+(?:'\w+)*")


@dataclass(frozen=True, slots=True, eq=False)
class _Doc:
    index: int
    key: Hashable
    url: str
    text_length: int
    published: datetime | None
    # Distinctive shingles in text order (boilerplate lines removed), 4 bytes each: a run's
    # posts are all in memory at once, so exact sets are built only for candidate pairs.
    shingles: array
    distinct: int


def normalize_words(text: str) -> list[str]:
    """Words of ``text`` for comparison: NFKC, case-folded, URLs and punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return _WORD.findall(_URL_IN_TEXT.sub(" ", text))


def _line_hash(line: str) -> int | None:
    words = normalize_words(line)
    return zlib.crc32(" ".join(words).encode("utf-8")) if words else None


def _shingles(words: list[str]) -> list[int]:
    """Word ``SHINGLE_WORDS``-grams as 32-bit CRCs (stable across processes, unlike ``hash``)."""
    if len(words) < SHINGLE_WORDS:
        return [zlib.crc32(" ".join(words).encode("utf-8"))] if words else []
    return [
        zlib.crc32(" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8"))
        for i in range(len(words) - SHINGLE_WORDS + 1)
    ]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_NON_DESKTOP_HOST = re.compile(r"^(?:m|mobile|amp)\.|\.cdn\.ampproject\.org$")
_NON_DESKTOP_PATH = re.compile(r"(?:^|/)(?:amp|feed|feeds|rss|atom)(?:/|$)|\.(?:amp|rss|xml|atom)(?:\.html)?$|/amp\.html$")
_NON_DESKTOP_QUERY = frozenset({"m", "amp", "output", "feed", "p", "page_id", "format"})


def is_desktop_url(url: str) -> bool:
    """False for mobile, AMP, feed and shortlink (``?p=123``) forms of a post URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _NON_DESKTOP_HOST.search(host):
        return False
    if _NON_DESKTOP_PATH.search(parts.path.lower()):
        return False
    return not any(k.lower() in _NON_DESKTOP_QUERY for k, _ in parse_qsl(parts.query, keep_blank_values=True))


def desktop_identity(url: str) -> tuple[str, str] | None:
    """(site, path and query) of a desktop post URL, None for other forms or no URL.

    Two different desktop URLs of one site name two different posts, however alike their text
    (see ``find_duplicates``). The site is host and port, without ``www.``.
    """
    if not url or not is_desktop_url(url):
        return None
    parts = urlsplit(fold_url(url))
    site = parts.netloc.lower().removeprefix("www.")  # host[:port]; default ports are already gone
    if not site:
        return None
    return site, f"{parts.path}?{parts.query}" if parts.query else parts.path


class _Groups:
    """Union-find that refuses to join two different desktop URLs of the same site."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.parent = list(range(len(urls)))
        self.desktop: list[dict[str, str]] = []
        for url in urls:
            identity = desktop_identity(url)
            self.desktop.append({identity[0]: identity[1]} if identity else {})
        self.refused = 0

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        sites_a, sites_b = self.desktop[ra], self.desktop[rb]
        if any(site in sites_b and sites_b[site] != path for site, path in sites_a.items()):
            self.refused += 1
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.desktop[keep] = {**sites_a, **sites_b}
        self.desktop[gone] = {}
        return True


def _url_groups(items: Sequence[Item], groups: _Groups) -> None:
    first_with_url: dict[str, int] = {}
    for i, (_key, url, _text, _published) in enumerate(items):
        if not url:
            continue
        folded = fold_url(url)
        if folded in first_with_url:
            groups.union(first_with_url[folded], i)
        else:
            first_with_url[folded] = i


def _boilerplate_lines(items: Sequence[Item], groups: _Groups) -> set[int]:
    """Line hashes that recur in BOILERPLATE_MIN_GROUPS or more URL groups."""
    per_group: dict[int, set[int]] = defaultdict(set)
    for i, (_key, _url, text, _published) in enumerate(items):
        for line in (text or "").splitlines():
            h = _line_hash(line)
            if h is not None:
                per_group[groups.find(i)].add(h)
    frequency: Counter[int] = Counter()
    for hashes in per_group.values():
        frequency.update(hashes)
    return {h for h, n in frequency.items() if n >= BOILERPLATE_MIN_GROUPS}


def _make_docs(items: Sequence[Item], boilerplate: set[int]) -> list[_Doc]:
    docs = []
    for i, (key, url, text, published) in enumerate(items):
        words: list[str] = []
        for line in (text or "").splitlines():
            line_words = normalize_words(line)
            if line_words and zlib.crc32(" ".join(line_words).encode("utf-8")) not in boilerplate:
                words.extend(line_words)
        shingles = array("I", _shingles(words))
        docs.append(_Doc(i, key, url or "", len(text or ""), _parse_time(published), shingles, len(set(shingles))))
    return docs


class _ShingleSets:
    """Exact shingle sets of candidate texts, built on demand and kept for the most recent ones."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self.cache: OrderedDict[int, frozenset[int]] = OrderedDict()

    def __call__(self, doc: _Doc) -> frozenset[int]:
        found = self.cache.get(doc.index)
        if found is None:
            found = frozenset(doc.shingles)
            self.cache[doc.index] = found
            if len(self.cache) > self.capacity:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(doc.index)
        return found


def _is_truncated_copy(small: _Doc, large: _Doc) -> bool:
    """The small text's opening shingles appear near the start of the large text."""
    opening = set(small.shingles[:3])
    return any(shingle in opening for shingle in large.shingles[:PREFIX_SLACK_SHINGLES + 1])


def similarity(a: _Doc, b: _Doc, sets: _ShingleSets | None = None) -> float:
    """0.0 unless the verification rule of the module docstring holds, else containment + Jaccard."""
    sets = sets or _ShingleSets()
    small, large = (a, b) if a.distinct <= b.distinct else (b, a)
    if small.distinct < MIN_SHINGLES:
        return 0.0
    shared = len(sets(small) & sets(large))
    containment = shared / small.distinct
    if containment < MIN_CONTAINMENT:
        return 0.0
    jaccard = shared / (small.distinct + large.distinct - shared)
    if jaccard >= MIN_JACCARD or _is_truncated_copy(small, large):
        return containment + jaccard
    return 0.0


def _text_pairs(docs: list[_Doc]) -> list[tuple[int, int]]:
    """Verified pairs, most similar first; candidates come from two indexes.

    Full copies: MinHash LSH on Jaccard with ``LSH_BANDS`` x ``LSH_ROWS`` (42 x 3): a pair at
    Jaccard 0.5 becomes a candidate with probability 0.996, unrelated posts (Jaccard < 0.05) with
    < 0.5 %. Truncated copies have a low Jaccard (a 55-word excerpt of an 800-word post: 0.07),
    so they are found through their opening shingles, looked up among the first
    ``PREFIX_SLACK_SHINGLES`` shingles of every other text.
    """
    from datasketch import MinHash, MinHashLSH

    eligible = [d for d in docs if d.distinct >= MIN_SHINGLES]
    if len(eligible) < 2:
        return []
    candidates: set[tuple[int, int]] = set()
    template = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_identity)
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
    sketches = {}
    for doc in eligible:
        sketch = template.copy()
        sketch.update_batch(doc.shingles)
        sketches[doc.index] = sketch
        lsh.insert(doc.index, sketch)
    openings: dict[int, set[int]] = defaultdict(set)
    for doc in eligible:
        for shingle in doc.shingles[:PREFIX_SLACK_SHINGLES + 1]:
            openings[shingle].add(doc.index)
    for doc in eligible:
        found = set(lsh.query(sketches[doc.index]))
        for shingle in doc.shingles[:3]:
            leads = openings.get(shingle, set())
            if len(leads) <= MAX_OPENING_FANOUT:
                found |= leads
        for other in found:
            if other != doc.index:
                candidates.add((min(doc.index, other), max(doc.index, other)))
    by_index = {doc.index: doc for doc in eligible}
    sets = _ShingleSets()
    scored = [(similarity(by_index[a], by_index[b], sets), a, b) for a, b in sorted(candidates)]
    return [(a, b) for score, a, b in sorted(scored, key=lambda t: (-t[0], t[1], t[2])) if score > 0.0]


def _identity(value: int) -> int:
    return value


def _preference(doc: _Doc) -> tuple[Any, ...]:
    """Sort key: desktop URL, earliest publication, longest text, smallest key."""
    published = doc.published.timestamp() if doc.published else float("inf")
    return (not is_desktop_url(doc.url), published, -doc.text_length, str(doc.key))


def find_duplicates(items: Sequence[Item]) -> dict[Hashable, Hashable]:
    """Map every item's key to the key of its group's representative (itself when unique).

    ``items`` are ``(key, canonical_url, text, published_at)``; keys must be unique.
    Items mapping to another key are duplicates: keep the representative's row and record the
    others' URLs as its aliases.
    """
    keys = [item[0] for item in items]
    if len(set(keys)) != len(keys):
        repeated = sorted({str(k) for k, n in Counter(keys).items() if n > 1})[:5]
        raise ValueError(f"find_duplicates needs unique keys; repeated: {repeated}. Pass one item per fetched URL.")
    groups = _Groups([item[1] for item in items])
    _url_groups(items, groups)
    url_merged = len(items) - len({groups.find(i) for i in range(len(items))})
    boilerplate = _boilerplate_lines(items, groups)
    docs = _make_docs(items, boilerplate)
    text_pairs = _text_pairs(docs)
    for a, b in text_pairs:  # most similar first: when two unions conflict, the closer match wins
        groups.union(a, b)
    members: dict[int, list[_Doc]] = defaultdict(list)
    for doc in docs:
        members[groups.find(doc.index)].append(doc)
    result: dict[Hashable, Hashable] = {}
    for group in members.values():
        representative = min(group, key=_preference)
        for doc in group:
            result[doc.key] = representative.key
    log.info(
        "dedup: %d items -> %d posts (%d merged by URL, %d text pairs, %d refused as distinct desktop URLs, "
        "%d boilerplate lines)",
        len(items), len(members), url_merged, len(text_pairs), groups.refused, len(boilerplate),
    )
    return result


def duplicate_groups(mapping: dict[Hashable, Hashable]) -> dict[Hashable, list[Hashable]]:
    """Representative -> its duplicates (without itself), from ``find_duplicates``' answer."""
    groups: dict[Hashable, list[Hashable]] = defaultdict(list)
    for key, representative in mapping.items():
        if key != representative:
            groups[representative].append(key)
        else:
            groups.setdefault(representative, [])
    return dict(groups)
