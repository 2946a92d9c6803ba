"""Readable topic labels and representative documents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.topics.constants import LABEL_TERMS, REPRESENTATIVE_DOCS
from pipeline.topics.helpers import _top_indices


def make_labels(dist: np.ndarray, vocabulary: Sequence[str], topic_mass: np.ndarray | None = None,
                n_terms: int = LABEL_TERMS, relevance_lambda: float = 0.6) -> list[str]:
    """Readable labels from each topic's most distinctive terms ("sleep / insomnia / melatonin").

    Terms are ranked by LDAvis relevance (lambda * log p(w|t) + (1 - lambda) * log lift), taken from
    the topic's top 30 terms, skipping a term already contained in a chosen one (``credit`` after
    ``credit_card``). Duplicate labels get one more term.
    """
    k = dist.shape[0]
    mass = np.ones(k) if topic_mass is None or topic_mass.sum() <= 0 else topic_mass / topic_mass.sum()
    marginal = mass @ dist
    labels: list[str] = []
    ranked_terms: list[list[str]] = []
    for row in dist:
        top = _top_indices(row, 30, vocabulary)  # positive weights only, so the logs are finite
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = relevance_lambda * np.log(row[top]) + (1 - relevance_lambda) * np.log(row[top] / marginal[top])
        order = [top[i] for i in sorted(range(len(top)), key=lambda i: (-rel[i], vocabulary[top[i]]))]
        chosen: list[str] = []
        for j in order:
            term = vocabulary[j]
            parts = set(term.split("_"))
            if any(parts & set(c.split("_")) for c in chosen):  # credit after credit_card: no news
                continue
            chosen.append(term)
        ranked_terms.append(chosen)
        labels.append(" / ".join(t.replace("_", " ") for t in chosen[:n_terms]) or "(empty topic)")
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        if label in seen and len(ranked_terms[i]) > n_terms:
            labels[i] = " / ".join(t.replace("_", " ") for t in ranked_terms[i][:n_terms + 1])
        seen[labels[i]] = i
    return labels


def representative_docs(weights: np.ndarray, dominant: np.ndarray, topic: int, n: int = REPRESENTATIVE_DOCS) -> list[int]:
    """Documents most about ``topic``: highest weight among those it dominates, ties by position."""
    rows = np.flatnonzero(dominant == topic)
    if rows.size == 0:
        rows = np.flatnonzero(weights[:, topic] > 0)
    order = np.lexsort((rows, -weights[rows, topic]))
    return [int(rows[i]) for i in order[:n]]
