"""The topic models: NMF and LDA behind one ``TopicModel`` interface, with persistence."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from pipeline.text import Preprocessor
from pipeline.topics.constants import (
    ALGORITHM_VERSION,
    MODEL_KINDS,
    WARM_START_TOLERANCE,
)
from pipeline.topics.helpers import (
    _bow,
    _normalise_rows,
    _order_by_prevalence,
    top_terms_of,
)
from pipeline.topics.vocabulary import PreparedCorpus, Vectorizer, prepare_corpus

if TYPE_CHECKING:  # heavy imports stay inside functions so `--help` is instant
    import scipy.sparse as sp

log = logging.getLogger("pipeline.topics")

# =========================================================================== models


@runtime_checkable
class TopicModel(Protocol):
    """What every topic model offers (NMF and LDA alike)."""

    kind: str
    k: int
    preprocessor: Preprocessor
    vectorizer: Vectorizer

    def fit(self, texts: Sequence[str | None]) -> TopicModel: ...

    def transform(self, texts: Sequence[str | None]) -> np.ndarray:
        """Document-topic weights (rows sum to 1; all-zero rows for documents with no known term)."""
        ...

    def topics(self, top_n: int = 10) -> list[tuple[list[str], list[float]]]:
        """Top terms and their weights (term probabilities within the topic) per topic."""
        ...

    def term_distributions(self) -> np.ndarray:
        """k x vocabulary matrix, each row a probability distribution over ``vectorizer.vocabulary``."""
        ...

    def save(self, directory: Path | str) -> None: ...


class _BaseTopicModel:
    """Shared plumbing: text preparation, inference on texts, top terms, persistence."""

    kind = "base"

    def __init__(self, k: int, *, seed: int = 42) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1 (got {k})")
        self.k = k
        self.seed = seed
        self.preprocessor = Preprocessor()
        self.vectorizer: Vectorizer | None = None  # type: ignore[assignment]

    # -- subclass hooks ----------------------------------------------------------------
    def fit_prepared(self, corpus: PreparedCorpus) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _infer(self, counts: sp.csr_matrix, tfidf: sp.csr_matrix) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def term_distributions(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        return {"kind": self.kind, "k": self.k, "seed": self.seed}

    # -- public ------------------------------------------------------------------------
    def fit(self, texts: Sequence[str | None]) -> _BaseTopicModel:
        self.fit_prepared(prepare_corpus(texts))
        return self

    def transform(self, texts: Sequence[str | None]) -> np.ndarray:
        self._check_fitted()
        return self.transform_tokens(self.preprocessor.transform(texts))

    def transform_tokens(self, tokens: Sequence[Sequence[str]]) -> np.ndarray:
        self._check_fitted()
        counts = self.vectorizer.counts(tokens)
        weights = self._infer(counts, self.vectorizer.tfidf(counts))
        return _normalise_rows(weights, empty=np.asarray(counts.getnnz(axis=1) == 0))

    def topics(self, top_n: int = 10) -> list[tuple[list[str], list[float]]]:
        self._check_fitted()
        return top_terms_of(self.term_distributions(), self.vectorizer.vocabulary, top_n)

    def _check_fitted(self) -> None:
        if self.vectorizer is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(texts) or load_model(dir) first")

    def _save_common(self, directory: Path, extra: dict[str, Any]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.preprocessor.save(directory / "preprocessor.json")
        (directory / "vectorizer.json").write_text(json.dumps(self.vectorizer.to_dict()), encoding="utf-8")
        meta = {"format": 1, "algorithm": ALGORITHM_VERSION, **self.params(), **extra}
        (directory / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")

    def _load_common(self, directory: Path) -> None:
        self.preprocessor = Preprocessor.load(directory / "preprocessor.json")
        self.vectorizer = Vectorizer.from_dict(json.loads((directory / "vectorizer.json").read_text(encoding="utf-8")))


class NMFTopicModel(_BaseTopicModel):
    """Non-negative matrix factorisation of squared-idf tf-idf (scikit-learn, coordinate descent)."""

    kind = "nmf"

    def __init__(self, k: int, *, seed: int = 42, restarts: int = 3, max_iter: int = 400, tol: float = 1e-4,
                 warm_start: tuple[Sequence[str], np.ndarray] | None = None,
                 warm_tolerance: float = WARM_START_TOLERANCE, restart_docs: int = 20_000) -> None:
        super().__init__(k, seed=seed)
        self.restarts = max(1, restarts)
        self.restart_docs = restart_docs
        self.max_iter = max_iter
        self.tol = tol
        # (vocabulary, k x V components) of an earlier run: tried first, see fit_prepared.
        self.warm_start = warm_start
        self.warm_tolerance = warm_tolerance
        self.components: np.ndarray | None = None  # k x V, as the solver left it (transform needs the scale)
        self.reconstruction_error: float | None = None
        self.chosen_init: str | None = None

    def params(self) -> dict[str, Any]:
        params = {**super().params(), "init": "nndsvd+random", "restarts": self.restarts, "solver": "cd",
                  "beta_loss": "frobenius", "max_iter": self.max_iter, "tol": self.tol,
                  "restart_docs": self.restart_docs}
        if self.warm_start is not None:
            params["warm_start"] = {"tolerance": self.warm_tolerance}
        return params

    def fit_prepared(self, corpus: PreparedCorpus) -> np.ndarray:
        """Fit with restarts; the lowest reconstruction error wins (ties: the earliest restart).

        Restart 0 is ``nndsvd`` (no randomness; good on sparse text), the others are seeded random
        starts; corpora above ``restart_docs`` documents get the nndsvd start only. With
        ``warm_start`` (a retrain), the previous run's topics are also tried as a start,
        and kept when their error is within ``warm_tolerance`` (relative) of the best restart: among
        equally good solutions the one continuous with history wins, so topic ids stay put.
        """
        import warnings

        from sklearn.decomposition import NMF
        from sklearn.exceptions import ConvergenceWarning

        self.preprocessor, self.vectorizer = corpus.preprocessor, corpus.vectorizer
        x = corpus.tfidf
        k = min(self.k, min(x.shape))
        if k < self.k:
            log.warning("nmf: k=%d is more than the corpus allows; using k=%d", self.k, k)
            self.k = k
        seeds = np.random.SeedSequence(self.seed).generate_state(self.restarts)
        restarts = self.restarts
        if x.shape[0] > self.restart_docs and restarts > 1:
            # Measured on 100k documents: restarts raced on a sample, then refined on all, cost 2-3x a
            # plain nndsvd fit and ended no better; nndsvd alone converges well on big sparse text.
            log.info("nmf: %d documents > %d: one nndsvd start instead of %d restarts",
                     x.shape[0], self.restart_docs, restarts)
            restarts = 1
        runs: list[tuple[float, str, np.ndarray, np.ndarray]] = []
        for restart in range(restarts):
            init = "nndsvd" if restart == 0 else "random"
            model = NMF(n_components=k, init=init, solver="cd", beta_loss="frobenius", max_iter=self.max_iter,
                        tol=self.tol, random_state=int(seeds[restart]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                w = model.fit_transform(x)
            runs.append((float(model.reconstruction_err_), f"{init}#{restart}", w, model.components_))
            log.info("nmf k=%d restart %d/%d (%s): error %.6f after %d iterations",
                     k, restart + 1, restarts, init, runs[-1][0], model.n_iter_)
        best = min(runs, key=lambda r: r[0])  # min keeps the first of equal errors
        if self.warm_start is not None:
            warm = self._fit_warm(x, k)
            if warm is not None:
                log.info("nmf k=%d warm start: error %.6f (cold %.6f)", k, warm[0], best[0])
                if warm[0] <= best[0] * (1.0 + self.warm_tolerance):
                    best = warm
        self.reconstruction_error, self.chosen_init, w, h = best
        w, h = _order_by_prevalence(w * h.sum(axis=1), w, h)
        self.components = h
        return _normalise_rows(w * h.sum(axis=1), empty=np.asarray(x.getnnz(axis=1) == 0))

    def _fit_from(self, x: sp.csr_matrix, h0: np.ndarray, name: str) -> tuple[float, str, np.ndarray, np.ndarray]:
        """NMF of ``x`` started from topics ``h0`` (W starts as the best fit to them)."""
        import warnings

        from sklearn.decomposition import NMF, non_negative_factorization
        from sklearn.exceptions import ConvergenceWarning

        k = h0.shape[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            w0, _, _ = non_negative_factorization(x, H=h0, n_components=k, update_H=False, solver="cd",
                                                  max_iter=self.max_iter, tol=self.tol)
            model = NMF(n_components=k, init="custom", solver="cd", beta_loss="frobenius", max_iter=self.max_iter,
                        tol=self.tol)
            w = model.fit_transform(x, W=w0, H=h0.copy())
        return float(model.reconstruction_err_), name, w, model.components_

    def _fit_warm(self, x: sp.csr_matrix, k: int) -> tuple[float, str, np.ndarray, np.ndarray] | None:
        """NMF started from the previous run's topics, mapped onto this vocabulary."""
        if self.warm_start is None:
            return None
        vocab, previous = self.warm_start
        if previous.shape[0] != k:
            log.info("nmf: no warm start (previous run has k=%d, this one k=%d)", previous.shape[0], k)
            return None
        h0 = np.zeros((k, len(self.vectorizer.vocabulary)))
        index = self.vectorizer.index
        shared = [(index[t], j) for j, t in enumerate(vocab) if t in index]
        if not shared:
            return None
        cols, prev_cols = (np.array(c) for c in zip(*shared))
        h0[:, cols] = previous[:, prev_cols]
        return self._fit_from(x, h0, "warm")

    def _infer(self, counts: sp.csr_matrix, tfidf: sp.csr_matrix) -> np.ndarray:
        import warnings

        from sklearn.decomposition import non_negative_factorization
        from sklearn.exceptions import ConvergenceWarning

        assert self.components is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            w, _, _ = non_negative_factorization(tfidf, H=self.components, n_components=self.k, update_H=False,
                                                 solver="cd", max_iter=self.max_iter, tol=self.tol)
        return w * self.components.sum(axis=1)

    def term_distributions(self) -> np.ndarray:
        assert self.components is not None
        return _normalise_rows(self.components)

    def save(self, directory: Path | str) -> None:
        directory = Path(directory)
        self._save_common(directory, {"reconstruction_error": self.reconstruction_error})
        np.save(directory / "components.npy", self.components, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path | str) -> NMFTopicModel:
        directory = Path(directory)
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        model = cls(meta["k"], seed=meta["seed"], restarts=meta["restarts"], max_iter=meta["max_iter"], tol=meta["tol"],
                    restart_docs=meta.get("restart_docs", 20_000))
        model._load_common(directory)
        model.components = np.load(directory / "components.npy", allow_pickle=False)
        model.reconstruction_error = meta.get("reconstruction_error")
        return model


class LDATopicModel(_BaseTopicModel):
    """Latent Dirichlet allocation on term counts (gensim ``LdaModel``, seeded)."""

    kind = "lda"

    def __init__(self, k: int, *, seed: int = 42, passes: int = 10, iterations: int = 100,
                 chunksize: int = 2000, max_doc_passes: int = 100_000) -> None:
        super().__init__(k, seed=seed)
        self.passes = passes
        # Online LDA needs fewer passes the more documents it sees; capping documents x passes keeps
        # a 100k-document fit near one pass (~40 s) instead of ten.
        self.max_doc_passes = max_doc_passes
        self.iterations = iterations
        self.chunksize = chunksize
        self.lda: Any = None

    def params(self) -> dict[str, Any]:
        return {**super().params(), "passes": self.passes, "max_doc_passes": self.max_doc_passes,
                "iterations": self.iterations, "chunksize": self.chunksize, "alpha": "symmetric", "eta": "symmetric"}

    def fit_prepared(self, corpus: PreparedCorpus) -> np.ndarray:
        from gensim.models import LdaModel

        self.preprocessor, self.vectorizer = corpus.preprocessor, corpus.vectorizer
        bow = _bow(corpus.counts)
        id2word = dict(enumerate(self.vectorizer.vocabulary))
        passes = max(1, min(self.passes, self.max_doc_passes // max(1, len(bow))))
        log.info("lda k=%d: %d docs, %d passes", self.k, len(bow), passes)
        self.lda = LdaModel(corpus=bow, id2word=id2word, num_topics=self.k, random_state=self.seed,
                            passes=passes, iterations=self.iterations, chunksize=self.chunksize,
                            eval_every=None, dtype=np.float64)
        weights = self._infer(corpus.counts, corpus.tfidf)
        order = np.argsort(-weights.sum(axis=0), kind="stable")
        self._reorder(order)
        return _normalise_rows(weights[:, order], empty=np.asarray(corpus.counts.getnnz(axis=1) == 0))

    def _reorder(self, order: np.ndarray) -> None:
        """Put topics in prevalence order inside gensim's state, so every later call agrees."""
        state = self.lda.state
        state.sstats = state.sstats[order]
        self.lda.expElogbeta = self.lda.expElogbeta[order]
        if np.ndim(self.lda.alpha) == 1:
            self.lda.alpha = self.lda.alpha[order]
        self.lda.sync_state()

    def _infer(self, counts: sp.csr_matrix, tfidf: sp.csr_matrix) -> np.ndarray:
        gamma, _ = self.lda.inference(_bow(counts))
        empty = counts.getnnz(axis=1) == 0
        gamma[empty] = 0.0
        return gamma

    def term_distributions(self) -> np.ndarray:
        return _normalise_rows(np.asarray(self.lda.get_topics(), dtype=np.float64))

    def save(self, directory: Path | str) -> None:
        directory = Path(directory)
        self._save_common(directory, {})
        self.lda.save(str(directory / "lda.gensim"))

    @classmethod
    def load(cls, directory: Path | str) -> LDATopicModel:
        from gensim.models import LdaModel

        directory = Path(directory)
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        model = cls(meta["k"], seed=meta["seed"], passes=meta["passes"], iterations=meta["iterations"],
                    chunksize=meta["chunksize"], max_doc_passes=meta.get("max_doc_passes", 100_000))
        model._load_common(directory)
        model.lda = LdaModel.load(str(directory / "lda.gensim"))
        return model


def make_model(kind: str, k: int, *, seed: int = 42, **options: Any) -> NMFTopicModel | LDATopicModel:
    if kind == "nmf":
        return NMFTopicModel(k, seed=seed, **options)
    if kind == "lda":
        return LDATopicModel(k, seed=seed, **options)
    raise ValueError(f"unknown topic model {kind!r}; use one of: auto, {', '.join(MODEL_KINDS)}")


def load_model(directory: Path | str) -> NMFTopicModel | LDATopicModel:
    """Load a model saved by ``save(dir)`` (either kind)."""
    directory = Path(directory)
    meta_path = directory / "model.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"{directory} holds no topic model (no model.json); pass the DIR/model folder "
                                "written by `blogscope topics fit`")
    kind = json.loads(meta_path.read_text(encoding="utf-8"))["kind"]
    if kind == "nmf":
        return NMFTopicModel.load(directory)
    if kind == "lda":
        return LDATopicModel.load(directory)
    if kind == "embeddings":
        from pipeline.topics.embedding_model import EmbeddingTopicModel

        return EmbeddingTopicModel.load(directory)
    raise ValueError(f"{meta_path}: unknown model kind {kind!r}")
