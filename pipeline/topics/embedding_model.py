"""The embeddings topic model: k-means over stored sentence vectors, c-TF-IDF terms per cluster.

BERTopic's recipe without its dependencies: documents are clustered in embedding space (the
vectors are computed once, in the process stage, and never again by a refit), then each cluster
is described by class-based tf-idf over the same vocabulary the NMF / LDA backend uses
(``W[c, t] = tf(t, c) * log(1 + A / f(t))``, tf l1-normalised per cluster, ``A`` the average number
of words per cluster, ``f(t)`` the term's count over all clusters). Because topics end up as term
distributions over a vocabulary, coherence, diversity, labels and id alignment across refits work
exactly as for NMF.

Clustering is scikit-learn k-means (``n_init`` seeded starts, the lowest inertia wins, one BLAS /
OpenMP thread: on this shared 2-core machine 3.5 s instead of 42 s, and seeded reruns are
identical) over each document's unit sentence vector joined with its unit LSA vector (a seeded
100-dimension truncated SVD of the squared-idf tf-idf the classic backend factorises), the two
views weighted equally. Measured on the Reddit mental-health corpus (3,510 posts, k = 27, NMI of
the dominant topic against subreddit, seeds 42 / 1 / 2): sentence vectors alone 0.524 / 0.513 /
0.502; after UMAP to 5 dimensions 0.527 / 0.525 / 0.527 (plus ~80 s to import numba and 100-150 s
per fit on 3,510 documents here: not worth it, and far over a 60 s refit of 100k vectors); joined
with LSA at weight 0.5 / 0.75 / 1.0: 0.524-0.537 / 0.532-0.551 / 0.545-0.553 (1.0 kept). The words
add what a 256-token window of a general-purpose encoder misses (the rest of a long post, jargon).
A refit with the same k also tries the previous centroids as a start and keeps them when their
inertia is within ``WARM_START_TOLERANCE`` of the best cold start.

A document's topic weights are a softmax over its negative squared distances to the centroids
(temperature ``SOFTMAX_TEMPERATURE``): the dominant topic is its k-means cluster, and the weights
say how clearly it belongs there. A blank document (all-zero vector) gets an all-zero row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.text import Preprocessor
from pipeline.topics.constants import ALGORITHM_VERSION, WARM_START_TOLERANCE
from pipeline.topics.helpers import _normalise_rows, top_terms_of
from pipeline.topics.vocabulary import PreparedCorpus, Vectorizer

if TYPE_CHECKING:
    import scipy.sparse as sp

log = logging.getLogger("pipeline.topics")

KIND = "embeddings"
SOFTMAX_TEMPERATURE = 0.02  # squared distances between unit vectors: clusters differ by ~0.05-0.3
KMEANS_STARTS = 4
# Above this many documents one k-means++ start, as the NMF backend keeps one nndsvd start above
# 20,000: a 100k-vector refit must stay near a minute of CPU (bench/bench_embeddings.py).
KMEANS_SINGLE_START_DOCS = 20_000
LSA_DIMENSIONS = 100
LSA_WEIGHT = 1.0  # the LSA view's weight beside the unit sentence vector (measured above)


class EmbeddingTopicModel:
    """Clusters of document vectors described by c-TF-IDF terms (same interface as NMF / LDA)."""

    kind = KIND

    def __init__(self, k: int, *, seed: int = 42, n_init: int = KMEANS_STARTS, max_iter: int = 300,
                 warm_tolerance: float = WARM_START_TOLERANCE) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1 (got {k})")
        self.k = k
        self.seed = seed
        self.n_init = max(1, n_init)
        self.max_iter = max_iter
        self.warm_tolerance = warm_tolerance
        self.preprocessor = Preprocessor()
        self.vectorizer: Vectorizer | None = None
        self.centroids: np.ndarray | None = None  # k x 384
        self.ctfidf: np.ndarray | None = None  # k x V, c-TF-IDF weights
        self.lsa: np.ndarray | None = None  # V x LSA_DIMENSIONS projection of tf-idf rows
        self.inertia: float | None = None
        self.chosen_init: str | None = None
        self.warm_centroids: np.ndarray | None = None  # k x 384 topic vectors of a previous run

    def params(self) -> dict[str, Any]:
        from pipeline.topics import embeddings

        return {"kind": self.kind, "k": self.k, "seed": self.seed, "clustering": "kmeans", "n_init": self.n_init,
                "max_iter": self.max_iter, "reduction": None, "softmax_temperature": SOFTMAX_TEMPERATURE,
                "term_weighting": "c-tf-idf", "encoder": embeddings.MODEL_NAME,
                "dimensions": embeddings.DIMENSIONS, "lsa": {"dimensions": LSA_DIMENSIONS, "weight": LSA_WEIGHT},
                "warm_start": self.warm_centroids is not None}

    # -- fitting -------------------------------------------------------------------------
    def fit_prepared(self, corpus: PreparedCorpus, vectors: np.ndarray) -> np.ndarray:
        """Cluster ``vectors`` (one row per document of ``corpus``); returns doc-topic weights."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape[0] != corpus.n_docs:
            raise ValueError(f"{vectors.shape[0]} vectors for {corpus.n_docs} documents")
        self.preprocessor, self.vectorizer = corpus.preprocessor, corpus.vectorizer
        present = np.flatnonzero(np.abs(vectors).sum(axis=1) > 0)
        k = min(self.k, len(present))
        if k < 1:
            raise ValueError("no document has a vector; nothing to cluster")
        if k < self.k:
            log.warning("embeddings: k=%d is more than the %d documents allow; using k=%d", self.k, len(present), k)
            self.k = k
        self.lsa = _fit_lsa(corpus.tfidf, self.seed)
        space = self._space(vectors, corpus.tfidf)
        labels, centroids = self._cluster(space[present])
        sizes = np.bincount(labels, minlength=k)
        order = np.argsort(-sizes, kind="stable")  # largest cluster first: ids do not follow solver order
        rank = np.empty_like(order)
        rank[order] = np.arange(k)
        self.centroids = centroids[order].astype(np.float32)
        doc_labels = np.full(corpus.n_docs, -1)
        doc_labels[present] = rank[labels]
        self.ctfidf = class_tfidf(corpus.counts, doc_labels, k)
        return self._weights(space, vectors)

    def _space(self, vectors: np.ndarray, tfidf: sp.csr_matrix) -> np.ndarray:
        """Clustering coordinates: unit sentence vector beside the weighted unit LSA vector."""
        lsa = np.asarray(tfidf @ self.lsa, dtype=np.float32)
        lsa /= np.maximum(np.linalg.norm(lsa, axis=1, keepdims=True), 1e-12)
        return np.hstack([np.asarray(vectors, dtype=np.float32), LSA_WEIGHT * lsa])

    @property
    def topic_vectors(self) -> np.ndarray:
        """k x 384: the centroids' sentence-vector part (phrase labels compare phrases with it)."""
        self._check_fitted()
        return self.centroids[:, : self.centroids.shape[1] - self.lsa.shape[1]]

    def _cluster(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._kmeans(x, KMeans)

    def _kmeans(self, x: np.ndarray, KMeans: Any) -> tuple[np.ndarray, np.ndarray]:

        starts = 1 if x.shape[0] > KMEANS_SINGLE_START_DOCS else self.n_init
        model = KMeans(n_clusters=self.k, n_init=starts, max_iter=self.max_iter, random_state=self.seed)
        labels = model.fit_predict(x)
        best = (float(model.inertia_), "k-means++", labels, model.cluster_centers_)
        log.info("embeddings k=%d: k-means inertia %.4f (%d starts, %d iterations)",
                 self.k, best[0], starts, model.n_iter_)
        init = self._warm_init(x)
        if init is not None:
            warm = KMeans(n_clusters=self.k, init=init, n_init=1, max_iter=self.max_iter)
            warm_labels = warm.fit_predict(x)
            log.info("embeddings k=%d warm start: inertia %.4f (cold %.4f)", self.k, warm.inertia_, best[0])
            if warm.inertia_ <= best[0] * (1.0 + self.warm_tolerance):
                best = (float(warm.inertia_), "warm", warm_labels, warm.cluster_centers_)
        self.inertia, self.chosen_init = best[0], best[1]
        return best[2], best[3]

    def _warm_init(self, x: np.ndarray) -> np.ndarray | None:
        """Start centroids from the previous run: documents grouped by their nearest previous topic
        (sentence-vector part; the LSA basis is new at every fit), averaged in this fit's space."""
        previous = self.warm_centroids
        if previous is None or previous.shape[0] != self.k:
            return None
        dims = previous.shape[1]
        unit = previous / np.maximum(np.linalg.norm(previous, axis=1, keepdims=True), 1e-12)
        nearest = (x[:, :dims] @ unit.T).argmax(axis=1)
        if len(np.unique(nearest)) < self.k:
            return None
        return np.stack([x[nearest == j].mean(axis=0) for j in range(self.k)])

    # -- applying ------------------------------------------------------------------------
    def transform_vectors(self, vectors: np.ndarray, texts: Sequence[str | None]) -> np.ndarray:
        """Doc-topic weights of documents given their stored vectors and texts (no re-embedding)."""
        self._check_fitted()
        counts = self.vectorizer.counts(self.preprocessor.transform(texts))
        return self._weights(self._space(vectors, self.vectorizer.tfidf(counts)), vectors)

    def _weights(self, x: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        d2 = (x * x).sum(axis=1, keepdims=True) - 2.0 * x @ self.centroids.T + (self.centroids ** 2).sum(axis=1)
        logits = -(d2 - d2.min(axis=1, keepdims=True)) / SOFTMAX_TEMPERATURE
        weights = np.exp(logits.astype(np.float64))
        empty = np.abs(np.asarray(vectors)).sum(axis=1) == 0
        return _normalise_rows(weights, empty=empty)

    def transform(self, texts: Sequence[str | None]) -> np.ndarray:
        """Doc-topic weights of new texts: embeds them (needs the ``embeddings`` extra)."""
        from pipeline.topics import embeddings

        texts = list(texts)
        return self.transform_vectors(embeddings.embed_texts(texts), texts)

    def topics(self, top_n: int = 10) -> list[tuple[list[str], list[float]]]:
        self._check_fitted()
        return top_terms_of(self.term_distributions(), self.vectorizer.vocabulary, top_n)

    def term_distributions(self) -> np.ndarray:
        self._check_fitted()
        return _normalise_rows(self.ctfidf)

    def _check_fitted(self) -> None:
        if self.centroids is None or self.vectorizer is None or self.lsa is None:
            raise RuntimeError("EmbeddingTopicModel is not fitted; call fit_prepared(corpus, vectors) or load it")

    # -- persistence ---------------------------------------------------------------------
    def save(self, directory: Path | str) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.preprocessor.save(directory / "preprocessor.json")
        (directory / "vectorizer.json").write_text(json.dumps(self.vectorizer.to_dict()), encoding="utf-8")
        meta = {"format": 1, "algorithm": ALGORITHM_VERSION, **self.params(), "inertia": self.inertia,
                "chosen_init": self.chosen_init}
        (directory / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
        np.save(directory / "centroids.npy", self.centroids, allow_pickle=False)
        np.save(directory / "ctfidf.npy", self.ctfidf, allow_pickle=False)
        np.save(directory / "lsa.npy", self.lsa, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path | str) -> EmbeddingTopicModel:
        directory = Path(directory)
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        model = cls(meta["k"], seed=meta["seed"], n_init=meta["n_init"], max_iter=meta["max_iter"])
        model.preprocessor = Preprocessor.load(directory / "preprocessor.json")
        model.vectorizer = Vectorizer.from_dict(json.loads((directory / "vectorizer.json").read_text(encoding="utf-8")))
        model.centroids = np.load(directory / "centroids.npy", allow_pickle=False)
        model.ctfidf = np.load(directory / "ctfidf.npy", allow_pickle=False)
        model.lsa = np.load(directory / "lsa.npy", allow_pickle=False)
        model.inertia, model.chosen_init = meta.get("inertia"), meta.get("chosen_init")
        return model


def class_tfidf(counts: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """k x V c-TF-IDF: term frequency per cluster (l1) x log(1 + average cluster size / term count).

    Documents labelled -1 (no vector) are left out.
    """
    import scipy.sparse as sp

    labels = np.asarray(labels)
    rows = np.flatnonzero(labels >= 0)
    onehot = sp.csr_matrix((np.ones(len(rows)), (labels[rows], rows)), shape=(k, counts.shape[0]))
    per_class = np.asarray((onehot @ counts).todense(), dtype=np.float64)  # k x V term counts
    words = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, words, out=np.zeros_like(per_class), where=words > 0)
    term_total = per_class.sum(axis=0)
    average = words.mean() if words.size else 0.0
    idf = np.log1p(np.divide(average, term_total, out=np.zeros_like(term_total), where=term_total > 0))
    return tf * idf


def _fit_lsa(tfidf: sp.csr_matrix, seed: int) -> np.ndarray:
    """V x d projection (seeded randomized truncated SVD; d below the corpus's rank)."""
    from sklearn.decomposition import TruncatedSVD
    from threadpoolctl import threadpool_limits

    d = max(1, min(LSA_DIMENSIONS, min(tfidf.shape) - 1))
    with threadpool_limits(limits=1):
        svd = TruncatedSVD(n_components=d, random_state=seed).fit(tfidf)
    return np.ascontiguousarray(svd.components_.T, dtype=np.float32)
