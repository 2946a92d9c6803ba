"""``fit_corpus``: prepare, choose (kind x k), fit, describe and align a model run."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.text import Preprocessor
from pipeline.topics.align import align, apply_alignment
from pipeline.topics.constants import (
    ALIGN_THRESHOLD,
    BACKENDS,
    COHERENCE_TOP_N,
    DIVERSITY_TOP_N,
    MODEL_KINDS,
    SELECTION_TIE,
    STORED_TOP_N,
)
from pipeline.topics.labels import make_labels
from pipeline.topics.models import LDATopicModel, NMFTopicModel, TopicModel, make_model
from pipeline.topics.quality import coherence, topic_diversity
from pipeline.topics.result import FitResult, cited_result, library_versions, topic_infos
from pipeline.topics.vocabulary import PreparedCorpus, prepare_corpus

log = logging.getLogger("pipeline.topics")


def fit_corpus(texts: Sequence[str | None], *, k: int | None = None, seed: int = 42, model: str = "auto",
               k_min: int = 4, k_max: int = 12, previous: FitResult | TopicModel | Mapping[int, Mapping[str, float]] | None = None,
               previous_model_run_id: str | None = None, coherence_docs: int = 3000, selection_docs: int = 5000,
               nmf_restarts: int = 3, lda_passes: int = 10, min_df: int = 3, max_df: float = 0.5,
               idf_power: float = 2.0, max_features: int | None = 50_000,
               preprocessor: Preprocessor | None = None, align_threshold: float = ALIGN_THRESHOLD,
               warm_start: bool = True, backend: str = "classic", vectors: np.ndarray | None = None) -> FitResult:
    """Fit a topic model to ``texts`` and describe it for citation (see the module docstring).

    ``k=None`` sweeps ``k_min..k_max``; ``model="auto"`` tries NMF and LDA. ``previous`` (a
    ``FitResult``, a model, or ``{topic_id: {term: weight}}`` from the warehouse) aligns topic ids to
    an earlier run; when it is an NMF model with the chosen k and ``warm_start`` is on, the
    retrain also starts from its topics (see ``NMFTopicModel.fit_prepared``). Deterministic for a
    given corpus, seed, parameters (and previous run).

    ``backend="embeddings"`` clusters sentence vectors instead (``vectors``: stored ones, else the
    texts are embedded; needs the ``embeddings`` extra); ``model`` is then ignored.
    """
    from threadpoolctl import threadpool_limits

    if backend == "embeddings":  # k-means over sentence vectors (pipeline/topics/embedding_model.py)
        from pipeline.topics.embedding_fit import fit_embedding_corpus

        return fit_embedding_corpus(texts, vectors=vectors, k=k, seed=seed, k_min=k_min, k_max=k_max,
                                    previous=previous, previous_model_run_id=previous_model_run_id,
                                    coherence_docs=coherence_docs, min_df=min_df, max_df=max_df,
                                    idf_power=idf_power, max_features=max_features, preprocessor=preprocessor,
                                    align_threshold=align_threshold, warm_start=warm_start)
    if backend != "classic":
        raise ValueError(f"unknown topic backend {backend!r}; use one of: {', '.join(BACKENDS)}")
    _load_numeric_libraries()  # before the limit: threadpoolctl only limits libraries already loaded
    if model not in ("auto", *MODEL_KINDS):
        raise ValueError(f"unknown topic model {model!r}; use one of: auto, {', '.join(MODEL_KINDS)}")
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    if k is None and not 1 <= k_min <= k_max:
        raise ValueError(f"need 1 <= k_min <= k_max for a sweep (got k_min={k_min}, k_max={k_max})")
    texts = list(texts)
    if sum(1 for t in texts if t and t.strip()) < 2:
        raise ValueError(f"a topic model needs at least two non-empty texts (got {len(texts)} texts)")
    kinds = list(MODEL_KINDS) if model == "auto" else [model]
    ks = [k] if k is not None else list(range(k_min, k_max + 1))
    options = {"nmf": {"restarts": nmf_restarts}, "lda": {"passes": lda_passes}}

    with threadpool_limits(limits=1):  # one thread: BLAS reductions then sum in one fixed order
        log.info("preparing %d texts", len(texts))
        corpus = prepare_corpus(texts, preprocessor=preprocessor, min_df=min_df, max_df=max_df,
                                max_features=max_features, idf_power=idf_power)
        log.info("vocabulary: %d terms", len(corpus.vectorizer.vocabulary))
        choice = _choose(corpus, kinds, ks, options=options, seed=seed, selection_docs=selection_docs,
                         coherence_docs=coherence_docs)
        warm = _warm_start_components(previous) if warm_start and choice.kind == "nmf" else None
        warm_from = None
        if warm is not None and warm[1].shape[0] == choice.k:
            # A retrain starts from the previous topics, so refit even a candidate fitted already.
            choice.fitted = None
            options["nmf"] = {**options["nmf"], "warm_start": warm}
            warm_from = previous_model_run_id or getattr(previous, "model_run_id", None) or "unrecorded"
        if choice.fitted is None:
            chosen = make_model(choice.kind, choice.k, seed=seed, **options[choice.kind])
            choice.fitted = (chosen, chosen.fit_prepared(corpus), None)
        chosen, weights, metrics = choice.fitted
        result = _describe(chosen, weights, corpus, texts=texts, seed=seed, requested_model=model,
                           requested_k=k, k_range=(k_min, k_max), coherence_docs=coherence_docs,
                           selection_docs=selection_docs, candidates=choice.candidates, metrics=metrics,
                           warm_start_from=warm_from)
    if previous is not None:
        alignment = align(previous, result, threshold=align_threshold,
                          previous_model_run_id=previous_model_run_id)
        result = apply_alignment(result, alignment)
    return result


@dataclass
class _Choice:
    kind: str
    k: int
    candidates: list[dict[str, Any]]
    fitted: tuple[Any, np.ndarray, tuple[Any, ...] | None] | None = None  # (model, weights, metrics) on the full corpus


def _choose(corpus: PreparedCorpus, kinds: list[str], ks: list[int], *, options: dict[str, dict[str, Any]],
            seed: int, selection_docs: int, coherence_docs: int) -> _Choice:
    """Score every (kind, k) candidate by c_v x diversity and pick one by ``select_candidate``."""
    if len(kinds) * len(ks) == 1:
        return _Choice(kinds[0], ks[0], [])
    sample = corpus
    if corpus.n_docs > selection_docs:
        rows = np.sort(np.random.default_rng(seed).choice(corpus.n_docs, size=selection_docs, replace=False))
        sample = corpus.subset(rows)
        log.info("scoring candidates on a seeded sample of %d of %d documents", selection_docs, corpus.n_docs)
    candidates: list[dict[str, Any]] = []
    fitted: dict[tuple[str, int], tuple[Any, np.ndarray, tuple[Any, ...]]] = {}
    for kind in kinds:
        for k in ks:
            candidate = make_model(kind, k, seed=seed, **options[kind])
            weights = candidate.fit_prepared(sample)
            top = [terms for terms, _ in candidate.topics(DIVERSITY_TOP_N)]
            metrics = coherence([t[:COHERENCE_TOP_N] for t in top], sample.tokens, sample=coherence_docs, seed=seed)
            c_v, npmi, _ = metrics
            div = topic_diversity(top)
            score = (c_v or 0.0) * div
            candidates.append({"model": kind, "k": candidate.k, "c_v": c_v, "npmi": npmi, "diversity": div,
                               "score": score})
            log.info("candidate %s k=%d: c_v %.3f npmi %.3f diversity %.3f score %.4f",
                     kind, candidate.k, c_v or float("nan"), npmi or float("nan"), div, score)
            if sample is corpus:  # fitted on every document: reusable as the final model
                fitted[(kind, k)] = (candidate, weights, metrics)
    kind, k = select_candidate(candidates)
    log.info("chosen: %s k=%d", kind, k)
    return _Choice(kind, k, candidates, fitted.get((kind, k)))


def _warm_start_components(previous: Any) -> tuple[list[str], np.ndarray] | None:
    """(vocabulary, raw components) of a previous NMF run, when ``previous`` carries one."""
    model = previous.topic_model if isinstance(previous, FitResult) else previous
    if isinstance(model, NMFTopicModel) and model.components is not None:
        return list(model.vectorizer.vocabulary), model.components
    return None


def _load_numeric_libraries() -> None:
    """Import everything that brings a BLAS / OpenMP runtime, so one thread limit covers them all."""
    import gensim.models  # noqa: F401
    import scipy.optimize
    import scipy.sparse  # noqa: F401
    import sklearn.decomposition
    import sklearn.preprocessing  # noqa: F401
    from gensim.models.coherencemodel import CoherenceModel  # noqa: F401


def select_candidate(candidates: Sequence[Mapping[str, Any]], tie: float = SELECTION_TIE) -> tuple[str, int]:
    """The selection rule: best c_v x diversity; within ``tie`` of the best, NMF first, then larger k.

    A larger k that loses neither coherence nor diversity separates more themes, so it wins ties.
    """
    best = max(c["score"] for c in candidates)
    tied = [c for c in candidates if c["score"] >= best - tie]
    winner = min(tied, key=lambda c: (c["model"] != "nmf", -c["k"]))
    return winner["model"], int(winner["k"])


def _describe(model: NMFTopicModel | LDATopicModel, weights: np.ndarray, corpus: PreparedCorpus, *,
              texts: Sequence[str | None], seed: int, requested_model: str, requested_k: int | None,
              k_range: tuple[int, int], coherence_docs: int, selection_docs: int,
              candidates: list[dict[str, Any]], metrics: tuple[Any, ...] | None = None,
              warm_start_from: str | None = None) -> FitResult:
    """Metrics, labels, representative documents and the run id of a fitted model."""
    stored = model.topics(max(STORED_TOP_N, DIVERSITY_TOP_N))
    top_terms = [terms for terms, _ in stored]
    if metrics is None:  # else measured already, on these documents, while choosing the model
        metrics = coherence([t[:COHERENCE_TOP_N] for t in top_terms], corpus.tokens,
                            sample=coherence_docs, seed=seed)
    c_v, npmi, per_topic = metrics
    diversity = topic_diversity([t[:DIVERSITY_TOP_N] for t in top_terms])
    dist = model.term_distributions()
    labels = make_labels(dist, model.vectorizer.vocabulary, weights.sum(axis=0))
    empty = weights.sum(axis=1) == 0
    dominant = np.where(empty, -1, weights.argmax(axis=1))
    topics = topic_infos(labels, stored[:model.k], weights, dominant, per_topic)
    params = {
        "requested_model": requested_model, "requested_k": requested_k, "k_range": list(k_range),
        "model": model.params(), "text": corpus.preprocessor.config(), "vectorizer": corpus.settings,
        "coherence": {"docs": coherence_docs, "top_n": COHERENCE_TOP_N, "measures": ["c_v", "c_npmi"]},
        "warm_start_from": warm_start_from,
        "diversity_top_n": DIVERSITY_TOP_N, "selection": {"rule": "max c_v*diversity; ties nmf then larger k",
                                                          "tie": SELECTION_TIE, "sample_docs": selection_docs},
    }
    return cited_result(model=model, seed=seed, params=params, texts=texts, versions=library_versions(), c_v=c_v,
                        npmi=npmi, diversity=diversity, topics=topics, weights=weights, dominant=dominant,
                        candidates=candidates)
