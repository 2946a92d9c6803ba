"""Vocabulary and tf-idf of a corpus (``Vectorizer``), and the prepared corpus every candidate shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.text import Preprocessor

if TYPE_CHECKING:  # heavy imports stay inside functions so `--help` is instant
    import scipy.sparse as sp

# =========================================================================== vocabulary


@dataclass
class Vectorizer:
    """Vocabulary and idf of a training corpus; turns token lists into count / tf-idf rows.

    Ours rather than scikit-learn's so the vocabulary saves as plain JSON (no pickles) and the
    idf power is a parameter (see the module docstring).
    """

    vocabulary: list[str]
    idf: np.ndarray
    idf_power: float = 2.0
    sublinear_tf: bool = True
    index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {term: i for i, term in enumerate(self.vocabulary)}

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], *, min_df: int = 3, max_df: float = 0.5,
            max_features: int | None = 50_000, idf_power: float = 2.0, sublinear_tf: bool = True) -> Vectorizer:
        from collections import Counter

        n_docs = len(docs)
        df = Counter(term for doc in docs for term in set(doc))
        max_count = max_df * n_docs if max_df < 1 else float("inf")
        kept = [(term, count) for term, count in df.items() if count >= min_df and count <= max_count]
        # Most frequent first, ties by term: the vocabulary order is deterministic.
        kept.sort(key=lambda tc: (-tc[1], tc[0]))
        if max_features is not None:
            kept = kept[:max_features]
        if not kept:
            raise ValueError(
                f"no term occurs in at least {min_df} of the {n_docs} documents; the corpus is too small "
                "or too uniform for a topic model (give more documents or lower min_df)")
        kept.sort(key=lambda tc: tc[0])
        vocabulary = [term for term, _ in kept]
        counts = np.array([count for _, count in kept], dtype=np.float64)
        idf = np.log((1.0 + n_docs) / (1.0 + counts)) + 1.0  # scikit-learn's smooth idf
        return cls(vocabulary=vocabulary, idf=idf, idf_power=idf_power, sublinear_tf=sublinear_tf)

    def counts(self, docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Term counts, one row per document (unknown terms ignored)."""
        import scipy.sparse as sp

        get = self.index.get
        # One flat pass in C-speed comprehensions, then COO -> CSR sums repeated terms per row.
        cols = np.array([get(term, -1) for doc in docs for term in doc], dtype=np.int64)
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), [len(doc) for doc in docs])
        known = cols >= 0
        matrix = sp.csr_matrix((np.ones(int(known.sum())), (rows[known], cols[known])),
                               shape=(len(docs), len(self.vocabulary)), dtype=np.float64)
        matrix.sum_duplicates()
        matrix.sort_indices()
        return matrix

    def tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf x idf**power, rows scaled to unit length."""
        from sklearn.preprocessing import normalize

        x = counts.copy()
        if self.sublinear_tf:
            x.data = 1.0 + np.log(x.data)
        x = x.multiply(self.idf ** self.idf_power).tocsr()
        return normalize(x, norm="l2", copy=False)

    def config(self) -> dict[str, Any]:
        return {"idf_power": self.idf_power, "sublinear_tf": self.sublinear_tf, "n_terms": len(self.vocabulary)}

    def to_dict(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary, "idf": self.idf.tolist(), "idf_power": self.idf_power,
                "sublinear_tf": self.sublinear_tf}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vectorizer:
        return cls(vocabulary=list(data["vocabulary"]), idf=np.asarray(data["idf"], dtype=np.float64),
                   idf_power=float(data["idf_power"]), sublinear_tf=bool(data["sublinear_tf"]))


@dataclass
class PreparedCorpus:
    """Tokens, vocabulary and matrices of one corpus, shared by every candidate model."""

    tokens: list[list[str]]
    preprocessor: Preprocessor
    vectorizer: Vectorizer
    counts: sp.csr_matrix
    tfidf: sp.csr_matrix
    settings: dict[str, Any] = field(default_factory=dict)  # how the vocabulary was chosen

    @property
    def n_docs(self) -> int:
        return len(self.tokens)

    def subset(self, rows: np.ndarray) -> PreparedCorpus:
        """The same vocabulary over some documents (used to score candidates on a sample)."""
        return PreparedCorpus([self.tokens[i] for i in rows], self.preprocessor, self.vectorizer,
                              self.counts[rows], self.tfidf[rows], self.settings)


def prepare_corpus(texts: Sequence[str | None], *, preprocessor: Preprocessor | None = None,
                   min_df: int = 3, max_df: float = 0.5, max_features: int | None = 50_000,
                   idf_power: float = 2.0) -> PreparedCorpus:
    """Learn text preparation and vocabulary on ``texts`` and build the matrices."""
    preprocessor = preprocessor or Preprocessor()
    tokens = preprocessor.fit_transform(texts)
    # Small corpora cannot ask a term to appear in 3 documents; keep the rule proportional.
    effective_min_df = max(1, min(min_df, len(tokens) // 20))
    vectorizer = Vectorizer.fit(tokens, min_df=effective_min_df, max_df=max_df, max_features=max_features,
                                idf_power=idf_power)
    counts = vectorizer.counts(tokens)
    settings = {"min_df": min_df, "effective_min_df": effective_min_df, "max_df": max_df,
                "max_features": max_features, **vectorizer.config()}
    return PreparedCorpus(tokens, preprocessor, vectorizer, counts, vectorizer.tfidf(counts), settings)
