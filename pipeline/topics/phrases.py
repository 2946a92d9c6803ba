"""Phrase labels for embedding topics: c-TF-IDF keywords refined against the topic's embedding.

Editors read "lithium side effects" more easily than "lithium / side_effect / dose". KeyBERT's
recipe, kept small: candidate 1-3-word phrases are read from the raw text of the topic's documents
nearest its centroid (no stop word at either end, at least one word among the topic's top
c-TF-IDF keywords, seen in at least two documents); the candidates are embedded with the same
encoder and ranked by cosine similarity to the topic's centroid, then Maximal Marginal Relevance
(``MMR_LAMBDA``) picks up to ``PHRASES`` phrases that are relevant but not near-duplicates. The
label is the first phrase; when two topics share it, the second phrase is added.

A topic with no candidate (or a machine without the encoder) keeps its keyword label.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from pipeline.text import STOP_WORDS, normalise_text

_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]{2,}")
DOCS_PER_TOPIC = 40
KEYWORDS_PER_TOPIC = 15
CANDIDATES_PER_TOPIC = 40
PHRASES = 3
MMR_LAMBDA = 0.7
MIN_DOC_FREQ = 2


def candidate_phrases(texts: Sequence[str], keywords: Sequence[str], *, limit: int = CANDIDATES_PER_TOPIC) -> list[str]:
    """1-3-word phrases of ``texts`` holding a keyword, most frequent (by documents) first."""
    keyword_words = {part for k in keywords for part in k.split("_")}
    weight = {w: len(keywords) - i for i, k in enumerate(keywords) for w in k.split("_")}
    seen: Counter[str] = Counter()
    for text in texts:
        words = _WORD.findall(normalise_text(text or "").lower())
        found: set[str] = set()
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if _weak(gram[0]) or _weak(gram[-1]) or len(set(gram)) < n:
                    continue
                if not keyword_words.intersection(_stems(gram)):
                    continue
                found.add(" ".join(gram))
        seen.update(found)
    kept = [(p, c) for p, c in seen.items() if c >= MIN_DOC_FREQ]

    def score(item: tuple[str, int]) -> tuple[float, str]:
        phrase, docs = item
        cover = sum(weight.get(s, 0) for s in _stems(phrase.split()))
        return (-(cover * np.log1p(docs) * (1 + 0.25 * (len(phrase.split()) - 1))), phrase)

    return [p for p, _ in sorted(kept, key=score)[:limit]]


def _weak(word: str) -> bool:
    """A word a phrase may not start or end with: stop words and contractions ("i'm", "don't")."""
    return word in STOP_WORDS or "'" in word or len(word) < 2


def _stems(words: Sequence[str]) -> list[str]:
    """Words plus crude singulars, to meet the plural-folded keywords ("effects" -> "effect")."""
    out = list(words)
    out += [w[:-1] for w in words if w.endswith("s") and len(w) > 3]
    return out


def mmr(phrase_vectors: np.ndarray, topic_vector: np.ndarray, n: int = PHRASES, lam: float = MMR_LAMBDA) -> list[int]:
    """Indices of up to ``n`` phrases by Maximal Marginal Relevance (vectors unit length)."""
    if phrase_vectors.shape[0] == 0:
        return []
    relevance = phrase_vectors @ topic_vector
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(n, phrase_vectors.shape[0]):
        redundancy = (phrase_vectors @ phrase_vectors[chosen].T).max(axis=1)
        score = lam * relevance - (1 - lam) * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return chosen


def phrase_labels(texts: Sequence[str | None], vectors: np.ndarray, dominant: np.ndarray, centroids: np.ndarray,
                  keywords: Sequence[Sequence[str]], fallback: Sequence[str], embed: object) -> tuple[list[str], list[list[str]]]:
    """(label, phrases) per topic; ``embed(list[str]) -> unit vectors``; ``fallback`` labels kept when no phrase."""
    k = centroids.shape[0]
    unit = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    per_topic: list[list[str]] = []
    for topic in range(k):
        rows = np.flatnonzero(dominant == topic)
        if rows.size:
            closeness = vectors[rows] @ unit[topic]
            rows = rows[np.argsort(-closeness, kind="stable")[:DOCS_PER_TOPIC]]
        per_topic.append(candidate_phrases([texts[i] or "" for i in rows], list(keywords[topic])[:KEYWORDS_PER_TOPIC]))
    everything = sorted({p for c in per_topic for p in c})
    position = {p: i for i, p in enumerate(everything)}
    phrase_vectors = np.asarray(embed(everything)) if everything else np.zeros((0, centroids.shape[1]))
    phrases: list[list[str]] = []
    for topic in range(k):
        candidates = per_topic[topic]
        block = phrase_vectors[[position[p] for p in candidates]] if candidates else np.zeros((0, centroids.shape[1]))
        phrases.append([candidates[i] for i in mmr(block, unit[topic])])
    labels = [p[0] if p else fallback[i] for i, p in enumerate(phrases)]
    counts = Counter(labels)
    for i, label in enumerate(labels):
        if counts[label] > 1 and len(phrases[i]) > 1:
            labels[i] = f"{label} / {phrases[i][1]}"
    return labels, phrases
