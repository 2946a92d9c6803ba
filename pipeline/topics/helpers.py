"""Small array helpers shared by the topic modules."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # heavy imports stay inside functions so `--help` is instant
    import scipy.sparse as sp


def _normalise_rows(matrix: np.ndarray, empty: np.ndarray | None = None) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    sums = matrix.sum(axis=1, keepdims=True)
    out = np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)
    if empty is not None:
        out[np.asarray(empty).ravel()] = 0.0
    return out


def _order_by_prevalence(mass: np.ndarray, w: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topics sorted by total document weight (largest first; stable for exact ties)."""
    order = np.argsort(-mass.sum(axis=0), kind="stable")
    return w[:, order], h[order]


def top_terms_of(distributions: np.ndarray, vocabulary: Sequence[str], top_n: int) -> list[tuple[list[str], list[float]]]:
    """Each topic's ``top_n`` terms and weights from its term distribution (one row per topic)."""
    out = []
    for row in distributions:
        order = _top_indices(row, top_n, vocabulary)
        out.append(([vocabulary[j] for j in order], [float(row[j]) for j in order]))
    return out


def _top_indices(row: np.ndarray, n: int, vocabulary: Sequence[str]) -> list[int]:
    """Indices of the n largest positive weights, ties broken by term.

    Zero weights are never "top" terms: an NMF topic may use fewer than n words, and listing
    arbitrary zero-weight words would distort diversity and coherence.
    """
    n = min(n, int(np.count_nonzero(row > 0)))
    if n <= 0:
        return []
    candidates = np.argpartition(-row, n - 1)[:n] if n < row.shape[0] else np.arange(row.shape[0])
    threshold = row[candidates].min()
    pool = np.flatnonzero(row >= threshold)
    return sorted(pool.tolist(), key=lambda j: (-row[j], vocabulary[j]))[:n]


def _bow(counts: sp.csr_matrix) -> list[list[tuple[int, float]]]:
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    return [list(zip(indices[indptr[i]:indptr[i + 1]].tolist(), data[indptr[i]:indptr[i + 1]].tolist()))
            for i in range(counts.shape[0])]


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _as_date(value: str | date | datetime | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def _timedelta_days(days: int) -> Any:
    from datetime import timedelta

    return timedelta(days=days)


def _distributions_from_terms(terms_by_topic: Mapping[int, Mapping[str, float]]) -> tuple[list[str], np.ndarray]:
    vocab = sorted({t for terms in terms_by_topic.values() for t in terms})
    position = {t: i for i, t in enumerate(vocab)}
    dist = np.zeros((len(terms_by_topic), len(vocab)))
    for row, topic in enumerate(terms_by_topic):
        for term, weight in terms_by_topic[topic].items():
            dist[row, position[term]] = weight
    return vocab, _normalise_rows(dist)
