"""Measured topic quality: c_v / NPMI coherence and topic diversity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.topics.helpers import _finite

# =========================================================================== metrics


def topic_diversity(top_terms: Sequence[Sequence[str]]) -> float:
    """Share of unique words among the top words of all topics (1.0: no word shared)."""
    total = sum(len(t) for t in top_terms)
    return len({w for t in top_terms for w in t}) / total if total else 0.0


def coherence(top_terms: Sequence[Sequence[str]], tokens: Sequence[Sequence[str]], *, sample: int = 3000,
              seed: int = 42) -> tuple[float | None, float | None, list[float | None]]:
    """(c_v, NPMI, c_v per topic) of ``top_terms`` measured on a seeded sample of tokenised documents.

    Terms absent from the sample are skipped; a topic with fewer than two terms left scores None.
    """
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    docs = [d for d in tokens if d]
    if len(docs) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(docs), size=sample, replace=False))
        docs = [docs[i] for i in rows]
    if not docs:
        return None, None, [None] * len(top_terms)
    dictionary = Dictionary(docs)
    known = [[w for w in terms if w in dictionary.token2id] for terms in top_terms]
    usable = [i for i, terms in enumerate(known) if len(terms) >= 2]
    if not usable:
        return None, None, [None] * len(top_terms)
    topics = [known[i] for i in usable]
    cv_model = CoherenceModel(topics=topics, texts=docs, dictionary=dictionary, coherence="c_v", processes=1)
    per_topic_cv = cv_model.get_coherence_per_topic()
    npmi_model = CoherenceModel(topics=topics, texts=docs, dictionary=dictionary, coherence="c_npmi", processes=1)
    per_topic = [None] * len(top_terms)
    for i, value in zip(usable, per_topic_cv):
        per_topic[i] = _finite(value)
    return _finite(float(np.mean(per_topic_cv))), _finite(npmi_model.get_coherence()), per_topic
