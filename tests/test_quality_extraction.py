"""Quality gates on real third-party pages (../shared/data, or BLOGSCOPE_SHARED_DATA).

Each gate pins a floor and a sha256 of its input file list and gold, so a changed data set is
noticed (the digest test fails and says so) instead of silently moving the figures. Scores
follow each benchmark's own definition:

* article-extraction-benchmark: token 4-shingle matching, per-page normalised TP/FP/FN, mean
  precision and recall over pages, F1 of the means (upstream evaluate.py). Floor 0.95
  (trafilatura 2.0.0 published 0.958). Measured here: 0.960.
* trafilatura-eval: a "with" segment found in the whitespace-normalised output is a true
  positive, a "without" segment found is a false positive; counts summed over the 990 pages,
  F1 = 2TP / (2TP + FP + FN) (upstream tests/eval_common.py). Floor 0.92 (2.2.0: 0.924).
  Measured here: 0.925.
* dragnet-comments (train split): token-level P/R/F1 per page against the gold text; main text
  over all pages, comments over pages with gold comments, each comment scored as its author
  plus its text (the gold keeps bylines), as ../shared/tools/lib/dragnet_eval.py does.
  Floors: comments 0.85, main 0.88. Measured here: comments 0.889, main 0.902.

Pages run in 2 worker processes; the whole file takes about a minute on 2 cores.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import os
import re
import statistics
from pathlib import Path

import pytest

from pipeline.extract import extract_page, extract_paths, read_source
from pipeline.workers import run_each

pytestmark = pytest.mark.slow

WORKERS = 2
AEB_FLOOR = 0.95
TRAFILATURA_EVAL_FLOOR = 0.92
DRAGNET_COMMENTS_FLOOR = 0.85
DRAGNET_MAIN_FLOOR = 0.88

# sha256 of (sorted input file names + gold bytes); see _digest. A mismatch means the data set
# changed: re-measure, then update the floors' comments and these digests together.
DIGESTS = {
    "article-extraction-benchmark": "9609ff84d3281d02c61de922807486910aa642fd7cd942416b3af75fb0b7d6ef",
    "trafilatura-eval": "722d1f0fa61f85a8e620846bc4b981a4071c739d95eb11043fae4585a21619b3",
    "dragnet-comments": "4fc2730aa6723bbf336a85f50de50e7af064e87b4195b52f87a240d8470828ce",
}


def _digest(inputs: list[Path], gold: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(inputs):
        h.update(str(path.relative_to(root)).encode("utf-8") + b"\n")
    for path in sorted(gold):
        h.update(path.read_bytes())
    return h.hexdigest()


def main_text_of(path: str) -> str:
    """Worker function: main text of one saved page (module level so workers can run it)."""
    return extract_page(read_source(path)).text


def _main_texts(paths: list[str]) -> list[str]:
    texts = []
    for outcome in run_each(main_text_of, paths, workers=WORKERS, timeout=120):
        assert outcome.status == "ok", (outcome.item, outcome.status, outcome.detail)
        texts.append(outcome.value)
    return texts


# --------------------------------------------------------------------------- article-extraction-benchmark

_TOKEN = re.compile(r"\w+")


def _shingles(text: str, n: int = 4) -> collections.Counter:
    tokens = _TOKEN.findall(text or "")
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def aeb_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = _shingles(true), _shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def aeb_f1(counts: list[tuple[float, float, float]]) -> float:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    return 2 * p * r / (p + r)


def test_article_extraction_benchmark(shared_data: Path):
    root = shared_data / "article-extraction-benchmark"
    gold_file = root / "ground-truth.json"
    pages = sorted((root / "html").glob("*.html.gz"))
    digest = _digest(pages, [gold_file], shared_data)
    truth = json.loads(gold_file.read_text(encoding="utf-8"))
    keys = [p.name.removesuffix(".html.gz") for p in pages]
    assert set(keys) == set(truth)
    texts = _main_texts([str(p) for p in pages])
    f1 = aeb_f1([aeb_tp_fp_fn(truth[k].get("articleBody", ""), t) for k, t in zip(keys, texts)])
    print(f"article-extraction-benchmark F1 {f1:.3f} on {len(keys)} pages")
    assert f1 >= AEB_FLOOR
    _check_digest("article-extraction-benchmark", digest, f"F1 {f1:.3f}")


# --------------------------------------------------------------------------- trafilatura-eval


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_trafilatura_eval(shared_data: Path):
    root = shared_data / "trafilatura-eval"
    gold_file = root / "evaldata.json"
    evaldata = json.loads(gold_file.read_text(encoding="utf-8"))
    paths = []
    for item in evaldata.values():
        found = [root / "html" / sub / f"{item['file']}.gz" for sub in ("cache", "eval")]
        found = [p for p in found if p.exists()]
        assert found, f"missing page {item['file']}"
        paths.append(found[0])
    digest = _digest(sorted(set(paths)), [gold_file], shared_data)
    texts = _main_texts([str(p) for p in paths])
    tp = fp = fn = 0
    for item, text in zip(evaldata.values(), texts):
        result = _norm(text)
        found_with = sum(1 for w in item["with"] if _norm(w) in result)
        found_without = sum(1 for w in item["without"] if _norm(w) in result)
        tp += found_with
        fn += len(item["with"]) - found_with
        fp += found_without
    f1 = 2 * tp / (2 * tp + fp + fn)
    print(f"trafilatura-eval F1 {f1:.3f} (precision {tp / (tp + fp):.3f}, recall {tp / (tp + fn):.3f})")
    assert f1 >= TRAFILATURA_EVAL_FLOOR
    _check_digest("trafilatura-eval", digest, f"F1 {f1:.3f}")


# --------------------------------------------------------------------------- dragnet comments

SEPARATOR = "!@#$%^&*()  COMMENTS"


def _tokens(text: str) -> collections.Counter:
    return collections.Counter(re.findall(r"\w+", (text or "").lower()))


def _prf(pred: str, gold: str) -> tuple[float, float, float]:
    p, g = _tokens(pred), _tokens(gold)
    overlap = sum((p & g).values())
    precision = overlap / max(1, sum(p.values()))
    recall = overlap / max(1, sum(g.values()))
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def test_dragnet_comments_and_main_text(shared_data: Path):
    root = shared_data / "dragnet-comments"
    pages = sorted((root / "html").glob("*.html.gz"))
    gold_files = [root / "corrected" / f"{p.name.removesuffix('.gz')}.corrected.txt" for p in pages]
    digest = _digest(pages, gold_files, shared_data)
    records = list(extract_paths([str(p) for p in pages], workers=WORKERS, timeout=120))
    assert [r["path"] for r in records] == [str(p) for p in pages]
    main, comments = [], []
    for record, gold_file in zip(records, gold_files):
        gold_main, _, gold_comments = gold_file.read_text(encoding="utf-8", errors="replace").partition(SEPARATOR)
        main.append(_prf(record["text"], gold_main))
        if gold_comments.strip():
            predicted = "\n".join(f"{c['author'] or ''} {c['text']}" for c in record["comments"])
            comments.append(_prf(predicted, gold_comments))
    main_f1 = statistics.mean(m[2] for m in main)
    comment_f1 = statistics.mean(c[2] for c in comments)
    print(f"dragnet main F1 {main_f1:.3f}; comments P {statistics.mean(c[0] for c in comments):.3f} "
          f"R {statistics.mean(c[1] for c in comments):.3f} F1 {comment_f1:.3f} on {len(comments)} pages")
    assert comment_f1 >= DRAGNET_COMMENTS_FLOOR
    assert main_f1 >= DRAGNET_MAIN_FLOOR
    _check_digest("dragnet-comments", digest, f"comments F1 {comment_f1:.3f}, main F1 {main_f1:.3f}")


# --------------------------------------------------------------------------- data set pins


def _check_digest(name: str, actual: str, measured: str) -> None:
    """Fail when the data set differs from the one the floors were measured on (checked after
    the floors, so the message carries this run's figures).

    ``BLOGSCOPE_PRINT_DIGESTS=1`` prints the digests instead (to re-pin after re-measuring).
    """
    if os.environ.get("BLOGSCOPE_PRINT_DIGESTS"):
        print(f"{name}: {actual}")
        return
    assert actual == DIGESTS[name], (
        f"the {name} data set changed (sha256 {actual}; this run: {measured}); check the scores, then "
        f"update the floor comments and DIGESTS in {Path(__file__).name}"
    )


def test_gold_files_are_readable(shared_data: Path):
    """Fast sanity check (no extraction): every gold file parses and every page opens."""
    truth = json.loads((shared_data / "article-extraction-benchmark" / "ground-truth.json").read_text("utf-8"))
    assert len(truth) >= 100
    first = sorted((shared_data / "dragnet-comments" / "html").glob("*.html.gz"))[0]
    assert gzip.open(first).read(100)
