"""Stable topic ids over retrains: Hungarian matching of term distributions."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.topics.constants import ALIGN_THRESHOLD
from pipeline.topics.helpers import _distributions_from_terms
from pipeline.topics.models import TopicModel
from pipeline.topics.result import Alignment, FitResult

# =========================================================================== alignment


def align(previous: FitResult | TopicModel | Mapping[int, Mapping[str, float]], new: FitResult | TopicModel, *,
          threshold: float = ALIGN_THRESHOLD, previous_model_run_id: str | None = None) -> Alignment:
    """Match new topics to previous ones by cosine similarity of term distributions (Hungarian).

    Similarities are computed over the union of both vocabularies. A new topic keeps the id of its
    match when the similarity is at least ``threshold``; others get fresh ids above every id the
    previous lineage issued.
    """
    from scipy.optimize import linear_sum_assignment

    prev_ids, prev_vocab, prev_dist, prev_next = _alignment_side(previous)
    _, new_vocab, new_dist, _ = _alignment_side(new)
    if previous_model_run_id is None and isinstance(previous, FitResult):
        previous_model_run_id = previous.model_run_id
    sim = cosine_similarity_matrix(new_vocab, new_dist, prev_vocab, prev_dist)
    matched: dict[int, int] = {}
    if sim.size:
        rows, cols = linear_sum_assignment(-sim)
        matched = {int(r): int(c) for r, c in zip(rows, cols) if sim[r, c] >= threshold}
    next_id = max([prev_next, *[i + 1 for i in prev_ids]]) if prev_ids else prev_next
    topic_ids: list[int] = []
    previous_topic_ids: list[int | None] = []
    similarities: list[float] = []
    for i in range(new_dist.shape[0]):
        if i in matched:
            topic_ids.append(prev_ids[matched[i]])
            previous_topic_ids.append(prev_ids[matched[i]])
            similarities.append(round(float(sim[i, matched[i]]), 6))
        else:
            topic_ids.append(next_id)
            next_id += 1
            previous_topic_ids.append(None)
            similarities.append(round(float(sim[i].max()) if sim.shape[1] else 0.0, 6))
    return Alignment(previous_model_run_id, topic_ids, previous_topic_ids, similarities, threshold, next_id)


def apply_alignment(result: FitResult, alignment: Alignment) -> FitResult:
    """A copy of ``result`` whose topics carry the aligned ids."""
    if len(alignment.topic_ids) != len(result.topics):
        raise ValueError(f"alignment covers {len(alignment.topic_ids)} topics but the run has {len(result.topics)}")
    topics = [dataclasses.replace(t, topic_id=alignment.topic_ids[t.index]) for t in result.topics]
    ids = np.asarray(alignment.topic_ids)
    columns = _column_of(result)
    dominant = np.where(columns >= 0, ids[np.maximum(columns, 0)], -1)
    return dataclasses.replace(result, topics=topics, dominant_topic=dominant, alignment=alignment,
                               previous_model_run_id=alignment.previous_model_run_id,
                               next_topic_id=alignment.next_topic_id)


def _column_of(result: FitResult) -> np.ndarray:
    """Column index of each document's dominant topic (-1 for none)."""
    empty = result.doc_topics.sum(axis=1) == 0
    return np.where(empty, -1, result.doc_topics.argmax(axis=1))


def cosine_similarity_matrix(vocab_a: Sequence[str], dist_a: np.ndarray, vocab_b: Sequence[str],
                             dist_b: np.ndarray) -> np.ndarray:
    """Cosine similarity between rows of two term matrices over the union of their vocabularies."""
    union = sorted(set(vocab_a) | set(vocab_b))
    position = {term: i for i, term in enumerate(union)}

    def embed(vocab: Sequence[str], dist: np.ndarray) -> np.ndarray:
        out = np.zeros((dist.shape[0], len(union)))
        out[:, [position[t] for t in vocab]] = dist
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    return embed(vocab_a, dist_a) @ embed(vocab_b, dist_b).T


def _alignment_side(side: Any) -> tuple[list[int], list[str], np.ndarray, int]:
    """(topic ids, vocabulary, k x V distributions, next free id) of anything align accepts."""
    if isinstance(side, FitResult):
        vocab, dist = side.term_distributions()
        return side.topic_ids, vocab, dist, side.next_topic_id
    if isinstance(side, Mapping):
        ids = sorted(side)
        vocab, dist = _distributions_from_terms({i: side[i] for i in ids})
        return ids, vocab, dist, (max(ids) + 1 if ids else 0)
    if hasattr(side, "term_distributions") and hasattr(side, "vectorizer"):
        dist = side.term_distributions()
        return list(range(dist.shape[0])), list(side.vectorizer.vocabulary), dist, dist.shape[0]
    raise TypeError(f"cannot align {type(side).__name__}: pass a FitResult, a topic model or {{topic_id: {{term: weight}}}}")
