"""Benchmark: the embeddings topic backend (issue 17), on 2 cores, with ratios against same-run baselines.

1. **Embedding throughput** at 256 tokens: the longest Reddit posts of ``../shared/data/topic-corpora``
   (each fills the model's 256-token window), embedded by ``pipeline.topics.embeddings.embed_texts``.
   Baseline, same run, same posts: ``SentenceTransformer.encode`` with its defaults (whole texts
   handed to the tokenizer, which then truncates) - the difference is our cut at ``MAX_CHARS``.
2. **Refit time for 100,000 stored vectors** (target <= 60 s): 100k documents recombined from the
   3,510 posts as in bench_topics.py (half of one post + half of another of the same subreddit), each
   with the normalised mean of its two posts' vectors plus a little noise; ``fit_embedding_corpus``
   with k = 27 (k-means, c-TF-IDF, coherence, phrase labels: everything a refit does). Baseline,
   same run: bare scikit-learn ``KMeans(27, n_init=1)`` on the same vectors.
3. Quality on the real posts: NMI of the dominant topic against subreddit (the acceptance bar is 0.52).

    .venv/bin/python bench/bench_embeddings.py [SHARED_DATA_DIR]     (prints JSON; needs the extra)

The default backend's own figures are bench_topics.py's (unchanged by this backend).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_topics import K, _posts

REFIT_DOCS = 100_000
THROUGHPUT_DOCS = 256
REFIT_TARGET_S = 60.0


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = work()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _throughput(posts: list[str], n: int) -> dict[str, Any]:
    from pipeline.topics import embeddings

    encoder = embeddings.load_encoder()
    longest = sorted(range(len(posts)), key=lambda i: -len(posts[i]))[:n]
    docs = [posts[i] for i in longest]
    tokens = [min(len(ids), embeddings.MAX_TOKENS) for ids in encoder.tokenizer(docs[:64])["input_ids"]]
    _, wall, cpu = _timed(lambda: embeddings.embed_texts(docs))
    _, base_wall, base_cpu = _timed(lambda: encoder.encode(docs, batch_size=32, convert_to_numpy=True))
    return {"docs": len(docs), "mean_tokens": round(sum(tokens) / len(tokens)), "threads": _threads(),
            "docs_per_s": round(len(docs) / wall, 1), "docs_per_cpu_s": round(len(docs) / cpu, 1),
            "baseline_docs_per_s": round(len(docs) / base_wall, 1),
            "baseline_docs_per_cpu_s": round(len(docs) / base_cpu, 1),
            "speed_vs_baseline": round(base_wall / wall, 2)}


def _threads() -> int:
    import torch

    return int(torch.get_num_threads())


def recombined_vectors(texts: list[str], labels: list[str], vectors: Any, n: int, seed: int) -> tuple[list[str], Any]:
    """n documents (half of one post + half of another, same subreddit) and matching vectors."""
    import numpy as np

    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    names = sorted(by_label)
    picks = rng.integers(len(names), size=n)
    docs, pairs = [], np.zeros((n, 2), dtype=np.int64)
    words = [t.split() for t in texts]
    for row in range(n):
        pool = by_label[names[picks[row]]]
        a, b = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
        pairs[row] = (a, b)
        docs.append(" ".join(words[a][: len(words[a]) // 2] + words[b][len(words[b]) // 2:]))
    mixed = vectors[pairs[:, 0]] + vectors[pairs[:, 1]] + 0.02 * rng.normal(size=(n, vectors.shape[1]))
    mixed /= np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12)
    return docs, mixed.astype(np.float32)


def run(shared_data_dir: Path | str, refit_docs: int = REFIT_DOCS, throughput_docs: int = THROUGHPUT_DOCS) -> dict[str, Any]:
    import logging

    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    from pipeline.topics import embeddings, fit_corpus

    if not embeddings.available():
        print(f"embeddings: skipped, the extra is not installed ({embeddings.INSTALL_HINT})")
        return {"skipped": embeddings.INSTALL_HINT}
    logging.getLogger("gensim").setLevel(logging.WARNING)
    posts, labels = _posts(Path(shared_data_dir))
    load_before = os.getloadavg()[0]
    speed = _throughput(posts, throughput_docs)
    vectors, embed_wall, _ = _timed(lambda: embeddings.embed_texts(posts))
    quality = fit_corpus(posts, k=K, seed=42, backend="embeddings", vectors=vectors)
    nmi = float(normalized_mutual_info_score(labels, quality.dominant_topic))
    docs, doc_vectors = recombined_vectors(posts, labels, vectors, refit_docs, seed=1)
    refit, refit_wall, refit_cpu = _timed(lambda: fit_corpus(docs, k=K, seed=42, backend="embeddings",
                                                             vectors=doc_vectors))
    _, base_wall, base_cpu = _timed(lambda: KMeans(n_clusters=K, n_init=1, random_state=0).fit(doc_vectors))
    result = {
        "k": K, "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "throughput_256_tokens": speed,
        "reddit": {"posts": len(posts), "embed_all_s": round(embed_wall, 1), "nmi": round(nmi, 3),
                   "c_v": round(quality.c_v or 0.0, 3), "diversity": round(quality.diversity, 3),
                   "labels": [t.label for t in quality.topics[:10]]},
        "refit": {"docs": refit_docs, "wall_s": round(refit_wall, 1), "cpu_s": round(refit_cpu, 1),
                  "kmeans_only_wall_s": round(base_wall, 1), "kmeans_only_cpu_s": round(base_cpu, 1),
                  "c_v": round(refit.c_v or 0.0, 3), "diversity": round(refit.diversity, 3)},
        "refit_within_target": refit_wall <= REFIT_TARGET_S,
        "ratios": {"embed_speed_vs_default_encode": speed["speed_vs_baseline"],
                   "refit_time_vs_bare_kmeans": round(refit_wall / max(base_wall, 1e-9), 2)},
    }
    print(f"embeddings: {speed['docs_per_s']} docs/s at ~{speed['mean_tokens']} tokens on {speed['threads']} threads "
          f"(default encode {speed['baseline_docs_per_s']}; x{speed['speed_vs_baseline']})")
    print(f"embeddings: refit of {refit_docs} stored vectors in {refit_wall:.1f} s wall / {refit_cpu:.1f} s CPU "
          f"(target {REFIT_TARGET_S:.0f} s; bare k-means {base_wall:.1f} s)")
    print(f"embeddings: Reddit NMI {nmi:.3f} (bar 0.52); load average {result['load_avg_1m']}")
    return result


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    default = Path(os.environ.get("BLOGSCOPE_SHARED_DATA", root.parent / "shared" / "data"))
    print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else default), indent=2))
