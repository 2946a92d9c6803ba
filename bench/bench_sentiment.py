"""Benchmark: sentence-level VADER (``pipeline.sentiment``) against whole-document VADER.

VADER's cost grows with the square of a text's length, so a long post scored whole is slow (and
its compound saturates); split into sentences it is linear. This measures both on ~800-word
documents built from the movie-review snippets in ``../shared/data/vader-ground-truth``, plus the
sentence throughput of ``score_many`` and of language detection on short texts.

    .venv/bin/python bench/bench_sentiment.py [SHARED_DATA_DIR]     (prints JSON)

``run(shared_data_dir) -> dict`` is what ``make bench`` calls. Figures are medians of a few
repeats on a shared, noisy machine: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

DOCUMENT_WORDS = 800
DOCUMENTS = 40
REPEATS = 3


def _snippets(shared_data_dir: Path, name: str) -> list[str]:
    path = shared_data_dir / "vader-ground-truth" / f"{name}_GroundTruth.txt"
    with open(path, encoding="utf-8", errors="replace") as handle:
        rows = [line.rstrip("\r\n").split("\t") for line in handle if line.strip()]
    return [row[2] for row in rows if len(row) >= 3]


def _long_documents(snippets: list[str]) -> list[str]:
    """DOCUMENTS texts of ~DOCUMENT_WORDS words; no snippet is used twice (no cache hits)."""
    pool = list(snippets)
    random.Random(1).shuffle(pool)
    documents, current, words = [], [], 0
    for snippet in pool:
        current.append(snippet)
        words += len(snippet.split())
        if words >= DOCUMENT_WORDS:
            documents.append(" ".join(current))
            current, words = [], 0
            if len(documents) == DOCUMENTS:
                break
    return documents


def _median_seconds(work: Callable[[], Any], before: Callable[[], None] = lambda: None) -> float:
    times = []
    for _ in range(REPEATS):
        before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(shared_data_dir: Path | str) -> dict[str, Any]:
    """Measure and return the figures (docs/s, ratio, sentences/s, texts/s)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from pipeline import sentiment
    from pipeline.language import detect_many

    data = Path(shared_data_dir)
    movies = _snippets(data, "movieReviewSnippets")
    tweets = _snippets(data, "tweets")
    documents = _long_documents(movies)
    vader = SentimentIntensityAnalyzer()
    sentiment.score_text("warm up", "en")
    detect_many(["warm up the language model"])
    clear = sentiment._sentence_valence.cache_clear

    whole_s = _median_seconds(lambda: [vader.polarity_scores(d) for d in documents])
    split_s = _median_seconds(lambda: [sentiment.score_text(d, "en") for d in documents], clear)
    short_texts = tweets + movies
    languages = ["en"] * len(short_texts)
    sentences = sum(r.sentences for r in sentiment.score_many(short_texts, languages))
    many_s = _median_seconds(lambda: sentiment.score_many(short_texts, languages), clear)
    detect_s = _median_seconds(lambda: detect_many(tweets))

    words = statistics.mean(len(d.split()) for d in documents)
    return {
        "scorer": f"{sentiment.SCORER_NAME} {sentiment.SCORER_VERSION}",
        "long_documents": len(documents),
        "long_document_words": round(words),
        "whole_vader_docs_per_s": round(len(documents) / whole_s, 1),
        "whole_vader_ms_per_doc": round(1000 * whole_s / len(documents), 2),
        "sentence_vader_docs_per_s": round(len(documents) / split_s, 1),
        "sentence_vader_ms_per_doc": round(1000 * split_s / len(documents), 2),
        "speedup_sentence_over_whole": round(whole_s / split_s, 2),
        "score_many_texts": len(short_texts),
        "score_many_sentences_per_s": round(sentences / many_s),
        "score_many_texts_per_s": round(len(short_texts) / many_s),
        "detect_tweets_per_s": round(len(tweets) / detect_s),
    }


def _default_data_dir() -> Path:
    project = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("BLOGSCOPE_SHARED_DATA") or project / ".." / "shared" / "data")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file from anywhere
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else _default_data_dir()
    if not (target / "vader-ground-truth").is_dir():
        sys.exit(f"no vader-ground-truth under {target}; pass the shared data folder or set BLOGSCOPE_SHARED_DATA")
    print(json.dumps(run(target), indent=2))
