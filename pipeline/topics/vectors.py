"""The process stage's embedding step: one vector per post and comment, once, as Parquet.

``process`` calls ``embed_stage`` after language detection when the home's ``[topics] backend`` is
``"embeddings"`` (a home on the classic backend pays no embedding time: ~10 documents per CPU
second). When the ``embeddings`` extra is not installed it does nothing. Otherwise it writes
``processed/embeddings.parquet`` (target_kind, target_id, encoder, content_hash, vector as a
list of 384 float32), which ``warehouse.load`` loads into the ``embeddings`` table (migration
0012); topic refits then cluster stored vectors and never embed a document again.

Only texts in the configured languages are embedded (the model is English), posts as
``title + newline + text`` exactly as the topic corpus reads them, so a stored vector matches the
text the topic model sees; ``content_hash`` (md5 of that text) tells a stale vector from a fresh one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.topics import embeddings

log = logging.getLogger("pipeline.topics")

FILE_STEM = "embeddings"


def post_text(title: str | None, text: str | None) -> str:
    """A post as the topic corpus reads it (``warehouse.corpus.read_topic_corpus``)."""
    return f"{title or ''}\n{text or ''}".strip()


def content_hash(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def embed_stage(posts: Iterable[Any], comments: Iterable[Any], out_dir: Path, run_id: str, *,
                languages: Sequence[str] = ("en",), progress: bool = False) -> int:
    """Embed posts and comments of ``languages`` into ``out_dir/embeddings.parquet``; returns rows written.

    ``posts`` need ``post_id``, ``title``, ``text``, ``language``; ``comments`` ``comment_id``,
    ``text``, ``language``. A no-op (0) without the ``embeddings`` extra.
    """
    if not embeddings.available():
        return 0
    wanted = set(languages)
    targets: list[tuple[str, str, str]] = []
    for p in posts:
        if p.language in wanted and (p.text or "").strip():
            targets.append(("post", p.post_id, post_text(p.title, p.text)))
    for c in comments:
        if c.language in wanted and (c.text or "").strip():
            targets.append(("comment", c.comment_id, (c.text or "").strip()))
    if not targets:
        return 0
    vectors = embeddings.embed_texts([t for _, _, t in targets], progress=progress)
    log.info("embeddings: %d posts and comments embedded", len(targets))
    return write_vectors(out_dir / f"{FILE_STEM}.parquet", targets, vectors, run_id)


def write_vectors(path: Path, targets: Sequence[tuple[str, str, str]], vectors: np.ndarray, run_id: str) -> int:
    import pyarrow as pa

    from pipeline.io import write_columns

    dims = vectors.shape[1]
    schema = pa.schema([("target_kind", pa.string()), ("target_id", pa.string()), ("encoder", pa.string()),
                        ("content_hash", pa.string()), ("vector", pa.list_(pa.float32(), dims)),
                        ("run_id", pa.string())])
    columns = {"target_kind": [k for k, _, _ in targets], "target_id": [i for _, i, _ in targets],
               "encoder": [embeddings.MODEL_NAME] * len(targets),
               "content_hash": [content_hash(t) for _, _, t in targets],
               "vector": list(np.asarray(vectors, dtype=np.float32)), "run_id": [run_id] * len(targets)}
    return write_columns(path, columns, schema)


def read_vectors(path: Path) -> tuple[list[tuple[str, str]], np.ndarray]:
    """((target_kind, target_id) per row, n x 384 float32) of an ``embeddings.parquet``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["target_kind", "target_id", "vector"])
    keys = list(zip(table.column("target_kind").to_pylist(), table.column("target_id").to_pylist()))
    flat = table.column("vector").combine_chunks()
    dims = flat.type.list_size
    matrix = np.asarray(flat.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(-1, dims)
    return keys, matrix
