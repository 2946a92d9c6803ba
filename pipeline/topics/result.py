"""A fitted, citable model run (``FitResult``): inference, digests, saving and loading."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.topics.constants import ALGORITHM_VERSION, STORED_TOP_N
from pipeline.topics.helpers import _distributions_from_terms
from pipeline.topics.models import load_model

# =========================================================================== fit results


@dataclass
class Alignment:
    """How the topics of a new run map onto a previous run's topics."""

    previous_model_run_id: str | None
    topic_ids: list[int]  # id given to each new topic (by column)
    previous_topic_ids: list[int | None]  # matched previous id, None when unmatched
    similarities: list[float]  # similarity to the matched (or best) previous topic
    threshold: float
    next_topic_id: int

    @property
    def mapping(self) -> dict[int, tuple[int | None, float]]:
        """new topic column -> (previous topic id or None, similarity)."""
        return {i: (p, s) for i, (p, s) in enumerate(zip(self.previous_topic_ids, self.similarities))}

    @property
    def kept_share(self) -> float:
        """Share of new topics that kept a previous id."""
        return sum(p is not None for p in self.previous_topic_ids) / max(1, len(self.previous_topic_ids))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class TopicInfo:
    topic_id: int  # stable id (kept across retrains by alignment)
    index: int  # column in doc_topics
    label: str
    top_terms: list[str]
    term_weights: list[float]
    representative_docs: list[int]  # row positions in the fitted corpus, best first
    n_docs: int  # documents whose dominant topic this is
    c_v: float | None = None


@dataclass
class FitResult:
    """A cited model run: what was fitted, on what, how well, and the topics it found."""

    model_run_id: str
    model: str  # nmf | lda (the chosen kind)
    k: int
    seed: int
    params: dict[str, Any]
    corpus_digest: str
    library_versions: dict[str, str]
    c_v: float | None
    npmi: float | None
    diversity: float
    created_at: str
    topics: list[TopicInfo]
    doc_topics: np.ndarray  # n_docs x k, rows sum to 1 (all zero for empty documents)
    dominant_topic: np.ndarray  # n_docs topic ids (-1: no known term)
    n_docs: int
    candidates: list[dict[str, Any]] = field(default_factory=list)  # the selection table
    previous_model_run_id: str | None = None
    alignment: Alignment | None = None
    next_topic_id: int = 0  # first id never issued in this run's lineage
    topic_model: Any = field(default=None, repr=False)

    @property
    def topic_ids(self) -> list[int]:
        """Topic id of each doc_topics column."""
        return [t.topic_id for t in self.topics]

    def summary(self) -> dict[str, Any]:
        """Everything but the per-document arrays, JSON-ready (``model_run.json``)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("doc_topics", "dominant_topic", "topic_model", "topics", "alignment")}
        data["topics"] = [dataclasses.asdict(t) for t in self.topics]
        data["alignment"] = self.alignment.to_dict() if self.alignment else None
        return data

    def term_distributions(self) -> tuple[list[str], np.ndarray]:
        """(vocabulary, k x V) from the fitted model, else from the stored top terms."""
        if self.topic_model is not None:
            return list(self.topic_model.vectorizer.vocabulary), self.topic_model.term_distributions()
        return _distributions_from_terms({t.topic_id: dict(zip(t.top_terms, t.term_weights)) for t in self.topics})


def infer(result: FitResult, texts: Sequence[str | None], *, vectors: np.ndarray | None = None) -> FitResult:
    """The run applied to new documents without retraining: a copy whose per-document fields
    (``doc_topics``, ``dominant_topic``, ``n_docs``) describe ``texts``; everything else, ids
    included, is the run's own, so ``result_rows(...)["doc_topics"]`` gives their rows."""
    if result.topic_model is None:
        raise ValueError(f"model run {result.model_run_id} has no loaded model; load it with load_result(dir)")
    if vectors is not None and hasattr(result.topic_model, "transform_vectors"):
        weights = result.topic_model.transform_vectors(vectors, list(texts))  # embeddings: stored vectors
    else:
        weights = result.topic_model.transform(list(texts))
    ids = np.asarray(result.topic_ids)
    empty = weights.sum(axis=1) == 0
    dominant = np.where(empty, -1, ids[weights.argmax(axis=1)] if ids.size else -1)
    # Representative documents point into the fitted corpus, not into these texts.
    topics = [dataclasses.replace(t, representative_docs=[]) for t in result.topics]
    return dataclasses.replace(result, topics=topics, doc_topics=weights, dominant_topic=dominant, n_docs=len(weights))


def topic_infos(labels: Sequence[str], stored: Sequence[tuple[list[str], list[float]]], weights: np.ndarray,
                dominant: np.ndarray, per_topic_cv: Sequence[float | None]) -> list[TopicInfo]:
    """One ``TopicInfo`` per topic of a fit (any backend): label, stored terms, documents, c_v."""
    from pipeline.topics.labels import representative_docs

    return [TopicInfo(topic_id=j, index=j, label=labels[j], top_terms=terms[:STORED_TOP_N],
                      term_weights=[round(w, 8) for w in term_weights[:STORED_TOP_N]],
                      representative_docs=representative_docs(weights, dominant, j),
                      n_docs=int((dominant == j).sum()), c_v=per_topic_cv[j])
            for j, (terms, term_weights) in enumerate(stored)]


def cited_result(*, model: Any, seed: int, params: dict[str, Any], texts: Sequence[str | None],
                 versions: dict[str, str], c_v: float | None, npmi: float | None, diversity: float | None,
                 topics: list[TopicInfo], weights: np.ndarray, dominant: np.ndarray,
                 candidates: list[dict[str, Any]]) -> FitResult:
    """The ``FitResult`` of a fit, its id derived from everything that made it (parameters, the
    corpus digest, the seed and library versions), so the same inputs cite the same model run."""
    from datetime import datetime, timezone

    from pipeline.ids import digest

    digest_corpus = corpus_digest(texts)
    run_id = digest("model_run", json.dumps(params, sort_keys=True), digest_corpus, seed,
                    json.dumps(versions, sort_keys=True))
    return FitResult(
        model_run_id=run_id, model=model.kind, k=model.k, seed=seed, params=params, corpus_digest=digest_corpus,
        library_versions=versions, c_v=c_v, npmi=npmi, diversity=diversity,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), topics=topics,
        doc_topics=weights, dominant_topic=dominant, n_docs=len(texts), candidates=candidates,
        next_topic_id=model.k, topic_model=model)


def corpus_digest(texts: Sequence[str | None]) -> str:
    """sha256 of the corpus in order (each text length-prefixed; None and '' are the same: no text)."""
    h = hashlib.sha256()
    for text in texts:
        data = (text or "").encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    versions = {"python": platform.python_version(), "blogscope_topics": ALGORITHM_VERSION}
    for dist in ("numpy", "scipy", "scikit-learn", "gensim"):
        versions[dist] = version(dist)
    return versions


def save_result(result: FitResult, directory: Path | str) -> Path:
    """Write a run so it can be cited and reused: ``DIR/model/`` and ``DIR/model_run.json``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if result.topic_model is not None:
        result.topic_model.save(directory / "model")
    (directory / "model_run.json").write_text(json.dumps(result.summary(), indent=1, sort_keys=True, default=_json_default),
                                              encoding="utf-8")
    return directory


def load_result(directory: Path | str) -> FitResult:
    """A run written by ``save_result`` (per-document arrays are not kept: they come back empty)."""
    directory = Path(directory)
    path = directory / "model_run.json"
    if not path.exists():
        raise FileNotFoundError(f"{directory} holds no model run (no model_run.json); pass a folder written by "
                                "`blogscope topics fit --out DIR`")
    data = json.loads(path.read_text(encoding="utf-8"))
    alignment = Alignment(**data["alignment"]) if data.get("alignment") else None
    model = load_model(directory / "model") if (directory / "model" / "model.json").exists() else None
    names = {f.name for f in dataclasses.fields(FitResult)}
    kwargs = {key: value for key, value in data.items() if key in names}
    kwargs.update(topics=[TopicInfo(**t) for t in data["topics"]], alignment=alignment, topic_model=model,
                  doc_topics=np.zeros((0, len(data["topics"]))), dominant_topic=np.zeros(0, dtype=np.int64))
    return FitResult(**kwargs)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
