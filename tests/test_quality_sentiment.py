"""Quality gate: sentiment agreement with people on VADER's ground truth (``../shared/data``).

Data: ``vader-ground-truth/tweets_GroundTruth.txt`` (4,200 tweets) and
``movieReviewSnippets_GroundTruth.txt`` (10,605 snippets), each line ``id <TAB> mean rating
(-4..+4, >= 20 raters) <TAB> text``; their sha256 digests are pinned below, so a changed data set
fails here instead of silently moving the figures.

Scoring, as ``/work/shared/tools/lib/sentiment_eval.py`` does it: texts go through
``blogscope sentiment`` (here ``cli_main`` in-process, default ``--language auto``), one line per
text; a null compound counts as 0.0.

- Pearson r between compound and the mean human rating.
- 3-class weighted F1. Binning rule: gold class = sign of the mean human rating (> 0 positive,
  < 0 negative, exactly 0 neutral); predicted class = the output ``label``, i.e. compound
  >= 0.05 positive, <= -0.05 negative, else neutral. Weights are the gold class supports.

Floors are plain vaderSentiment 3.3.2's own figures on these files (whole text, measured here):

=========  ======================  ==================  ===========================
set        floor r / F1            plain VADER         this scorer (measured)
=========  ======================  ==================  ===========================
tweets     0.87 / 0.945            0.872 / 0.948       0.873 / 0.948
movies     0.42 / 0.58             0.427 / 0.590       0.426 / 0.590
=========  ======================  ==================  ===========================

Long documents have no human gold, so they are built from rated snippets (20..40 movie snippets
per document, seeded); the document's gold is the mean rating of its snippets. There the
sentence-level density must beat whole-document VADER, which saturates with length.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path

import pytest

from flows.cli import main as blogscope_main
from pipeline.sentiment import score_many


def cli_main(argv: list[str]) -> int:
    """``blogscope sentiment ARGV``."""
    return blogscope_main(["sentiment", *argv])

DIGESTS = {
    "tweets": "dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f",
    "movieReviewSnippets": "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350",
}
FLOORS = {"tweets": (0.87, 0.945), "movieReviewSnippets": (0.42, 0.58)}


def load(shared_data: Path, name: str) -> tuple[list[float], list[str]]:
    path = shared_data / "vader-ground-truth" / f"{name}_GroundTruth.txt"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == DIGESTS[name], f"{path} changed (sha256 {digest}): re-measure the floors on purpose"
    with open(path, encoding="utf-8", errors="replace") as handle:
        rows = [line.rstrip("\r\n").split("\t") for line in handle if line.strip()]
    rows = [row for row in rows if len(row) >= 3]
    return [float(row[1]) for row in rows], [row[2].replace("\n", " ") for row in rows]


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def sign(value: float) -> int:
    return 1 if value > 0 else (-1 if value < 0 else 0)


def label_class(label: str | None, compound: float) -> int:
    if label:
        return {"positive": 1, "negative": -1, "neutral": 0}[label]
    return 1 if compound >= 0.05 else (-1 if compound <= -0.05 else 0)


def weighted_f1(gold: list[int], predicted: list[int]) -> float:
    total = 0.0
    for k in (-1, 0, 1):
        tp = sum(1 for g, p in zip(gold, predicted) if g == p == k)
        fp = sum(1 for g, p in zip(gold, predicted) if p == k != g)
        fn = sum(1 for g, p in zip(gold, predicted) if g == k != p)
        support = sum(1 for g in gold if g == k)
        total += (2 * tp / (2 * tp + fp + fn) if tp else 0.0) * support / len(gold)
    return total


@pytest.mark.parametrize("name", ["tweets", "movieReviewSnippets"])
def test_agreement_with_people_reaches_plain_vader(name: str, shared_data: Path, tmp_path: Path) -> None:
    gold, texts = load(shared_data, name)
    source, out = tmp_path / "texts.txt", tmp_path / "scores.jsonl"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert cli_main([str(source), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(texts)
    compounds = [row["compound"] if row["compound"] is not None else 0.0 for row in rows]
    r = pearson(gold, compounds)
    f1 = weighted_f1([sign(g) for g in gold], [label_class(row["label"], c) for row, c in zip(rows, compounds)])
    min_r, min_f1 = FLOORS[name]
    assert r >= min_r, f"{name}: Pearson r {r:.4f} < {min_r}"
    assert f1 >= min_f1, f"{name}: weighted F1 {f1:.4f} < {min_f1}"


def test_long_documents_track_people_better_than_whole_text_vader(shared_data: Path) -> None:
    """Measured: density r 0.464, whole-document VADER r 0.208; |compound| > 0.95 for 0 vs 135 of
    the 150 documents (20..40 snippets each, 577 words on average)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    ratings, snippets = load(shared_data, "movieReviewSnippets")
    rnd = random.Random(2024)
    documents, gold = [], []
    for _ in range(150):
        picked = rnd.sample(range(len(snippets)), rnd.randint(20, 40))
        documents.append("\n".join(snippets[i] for i in picked))
        gold.append(sum(ratings[i] for i in picked) / len(picked))
    ours = [result.compound for result in score_many(documents, ["en"] * len(documents))]
    vader = SentimentIntensityAnalyzer()
    whole = [vader.polarity_scores(document.replace("\n", " "))["compound"] for document in documents]
    r_ours, r_whole = pearson(gold, ours), pearson(gold, whole)
    assert r_ours >= 0.40, f"sentence-level r {r_ours:.3f}"
    assert r_ours >= r_whole + 0.05, f"sentence-level r {r_ours:.3f} vs whole-text {r_whole:.3f}"
    assert sum(abs(c) > 0.95 for c in ours) < sum(abs(c) > 0.95 for c in whole)


def test_fast_path_scores_exactly_like_vader(shared_data: Path) -> None:
    """The ASCII fast path inside the scorer must not change a single VADER score."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from pipeline.sentiment import _analyzer, split_sentences

    _, tweets = load(shared_data, "tweets")
    _, movies = load(shared_data, "movieReviewSnippets")
    sentences = [s for text in tweets[::2] + movies[::5] for s in split_sentences(text)]
    assert len(sentences) > 4000
    stock, ours = SentimentIntensityAnalyzer(), _analyzer()
    for sentence in sentences:
        expected = stock.polarity_scores(sentence)
        got = ours.polarity_scores(sentence)
        assert {k: got[k] for k in expected} == expected, sentence
