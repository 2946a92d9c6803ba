"""Benchmark: topic-model training on 100,000 documents and inference speed, against plain scikit-learn.

Targets (docs/architecture.md, "Timing targets"; 2 cores): training on 100k documents within
5 minutes; inference of new documents at >= 5,000 documents/s. The 100k documents are built at bench time by recombining
the 3,510 Reddit posts in ``../shared/data/topic-corpora`` (first half of one post + second half
of another post from the same subreddit, seeded), so vocabulary and lengths stay realistic.

The baseline, measured in the same run on the same documents, is scikit-learn with defaults:
``TfidfVectorizer(stop_words="english")`` + ``NMF(n_components=27)``. Quality is compared on the
real posts (NMI of dominant topic against subreddit), speed on the recombined ones.

    .venv/bin/python bench/bench_topics.py [SHARED_DATA_DIR]     (prints JSON)

``run(shared_data_dir) -> dict`` is what ``make bench`` calls. Wall times on a shared machine are
noisy: CPU seconds and the load average are reported beside them.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CORPUS = Path("topic-corpora/reddit-mental-health-27subreddits/rmhd_27subreddits_dev_3510posts.csv")
K = 27
TRAIN_DOCS = 100_000
INFER_DOCS = 20_000
TRAIN_TARGET_S = 300.0
INFER_TARGET_DOCS_S = 5_000.0


def _posts(shared_data_dir: Path) -> tuple[list[str], list[str]]:
    with open(shared_data_dir / CORPUS, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["post"] for r in rows], [r["subreddit"] for r in rows]


def recombined(texts: list[str], labels: list[str], n: int, seed: int) -> list[str]:
    """n documents, each half of one post + half of another from the same subreddit."""
    import numpy as np

    rng = np.random.default_rng(seed)
    by_label: dict[str, list[list[str]]] = {}
    for text, label in zip(texts, labels):
        by_label.setdefault(label, []).append(text.split())
    names = sorted(by_label)
    picks = rng.integers(len(names), size=n)
    docs = []
    for i in range(n):
        pool = by_label[names[picks[i]]]
        a, b = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
        docs.append(" ".join(a[: len(a) // 2] + b[len(b) // 2:]))
    return docs


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = work()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _nmi(labels: list[str], predicted: Any) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(labels, predicted))


def _baseline(train: list[str], infer: list[str], posts: list[str], labels: list[str]) -> dict[str, Any]:
    """scikit-learn defaults, the way a first attempt looks."""
    import warnings

    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    def fit(docs: list[str]) -> tuple[Any, Any]:
        vectorizer = TfidfVectorizer(stop_words="english")
        x = vectorizer.fit_transform(docs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = NMF(n_components=K, random_state=0).fit(x)
        return vectorizer, model

    (vectorizer, model), wall, cpu = _timed(lambda: fit(train))
    _, infer_wall, infer_cpu = _timed(lambda: model.transform(vectorizer.transform(infer)))
    v_posts, m_posts = fit(posts)
    return {"train_s": round(wall, 1), "train_cpu_s": round(cpu, 1),
            "infer_docs_per_s": round(len(infer) / infer_wall), "infer_docs_per_cpu_s": round(len(infer) / infer_cpu),
            "nmi_reddit": round(_nmi(labels, m_posts.transform(v_posts.transform(posts)).argmax(axis=1)), 3)}


def _ours(train: list[str], infer: list[str], posts: list[str], labels: list[str]) -> dict[str, Any]:
    from pipeline.topics import fit_corpus

    result, wall, cpu = _timed(lambda: fit_corpus(train, k=K, model="auto", seed=42))
    _, infer_wall, infer_cpu = _timed(lambda: result.topic_model.transform(infer))
    on_posts = fit_corpus(posts, k=K, model="auto", seed=42)
    return {"train_s": round(wall, 1), "train_cpu_s": round(cpu, 1), "model": result.model,
            "vocabulary": len(result.topic_model.vectorizer.vocabulary),
            "c_v_100k": round(result.c_v or 0.0, 3), "diversity_100k": round(result.diversity, 3),
            "infer_docs_per_s": round(len(infer) / infer_wall), "infer_docs_per_cpu_s": round(len(infer) / infer_cpu),
            "nmi_reddit": round(_nmi(labels, on_posts.dominant_topic), 3), "c_v_reddit": round(on_posts.c_v or 0.0, 3)}


def run(shared_data_dir: Path | str, train_docs: int = TRAIN_DOCS, infer_docs: int = INFER_DOCS) -> dict[str, Any]:
    import logging

    logging.getLogger("gensim").setLevel(logging.WARNING)
    shared_data_dir = Path(shared_data_dir)
    posts, labels = _posts(shared_data_dir)
    train = recombined(posts, labels, train_docs, seed=1)
    infer = recombined(posts, labels, infer_docs, seed=2)
    load_before = os.getloadavg()[0]
    ours = _ours(train, infer, posts, labels)
    base = _baseline(train, infer, posts, labels)
    result = {
        "docs": train_docs, "k": K, "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "blogscope": ours, "sklearn_defaults": base,
        "train_within_target": ours["train_s"] <= TRAIN_TARGET_S,
        "infer_at_target": ours["infer_docs_per_s"] >= INFER_TARGET_DOCS_S,
        "ratios": {
            "train_time_vs_baseline": round(ours["train_s"] / max(base["train_s"], 1e-9), 2),
            "infer_speed_vs_baseline": round(ours["infer_docs_per_s"] / max(base["infer_docs_per_s"], 1), 2),
            "nmi_vs_baseline": round(ours["nmi_reddit"] / max(base["nmi_reddit"], 1e-9), 2),
        },
    }
    print(f"topics: train {train_docs} docs in {ours['train_s']} s wall / {ours['train_cpu_s']} s CPU "
          f"(target {TRAIN_TARGET_S:.0f} s; sklearn defaults {base['train_s']} s)")
    print(f"topics: inference {ours['infer_docs_per_s']} docs/s wall, {ours['infer_docs_per_cpu_s']} per CPU s "
          f"(target {INFER_TARGET_DOCS_S:.0f}; sklearn defaults {base['infer_docs_per_s']})")
    print(f"topics: NMI on the Reddit posts {ours['nmi_reddit']} vs sklearn defaults {base['nmi_reddit']} "
          f"(x{result['ratios']['nmi_vs_baseline']}); load average {result['load_avg_1m']}")
    return result


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    default = Path(os.environ.get("BLOGSCOPE_SHARED_DATA", root.parent / "shared" / "data"))
    print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else default), indent=2))
