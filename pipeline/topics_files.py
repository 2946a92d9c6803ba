"""Topic models over any CSV / JSONL corpus, as files: what ``blogscope topics fit|infer`` does.

Plain functions (the command line, and what it prints, is ``flows/commands/topics.py``):

- ``fit_files`` writes ``OUT/model/`` (the model, reusable by ``infer``), ``OUT/topics.csv``
  (``topic``, ``label``, ``top_terms``, ``n_docs``, ``c_v``), ``OUT/doc_topics.csv`` (``row`` =
  0-based position of the record in the input, ``topic`` = dominant topic, ``weight``),
  ``OUT/model_run.json`` (what is needed to cite the run) and, with a date field,
  ``OUT/prevalence.csv``. Every input row gets a ``doc_topics`` row: a blank text, or one with no
  known term, gets topic ``-1`` and weight 0.
- ``infer_files`` writes the ``doc_topics`` CSV of new documents with a fitted model.

Bad input raises ``InputError`` (one line saying what to change).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("blogscope.topics")


class InputError(ValueError):
    """The input cannot be read as asked; the message says what to change."""


# --------------------------------------------------------------------------- input


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise InputError(f"cannot tell the format of {path.name}; add --format csv, tsv or jsonl")


def read_records(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """Records of a CSV / TSV (header row) or JSON-lines file, in file order."""
    if not path.exists():
        raise InputError(f"input file {path} does not exist")
    fmt = detect_format(path, fmt)
    with _open_text(path) as handle:
        if fmt in ("csv", "tsv"):
            csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # blog posts exceed the 128 KiB default
            return list(csv.DictReader(handle, delimiter="\t" if fmt == "tsv" else ","))
        records = []
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{line_no}: not valid JSON ({exc.msg}); one JSON object per line is expected") from exc
            if not isinstance(record, dict):
                raise InputError(f"{path}:{line_no}: expected a JSON object, got {type(record).__name__}")
            records.append(record)
        return records


def field_values(records: Sequence[dict[str, Any]], name: str, path: Path) -> list[str | None]:
    if records and not any(name in r for r in records):
        fields = sorted({key for r in records[:100] for key in r})
        raise InputError(f"{path} has no field {name!r}; fields found: {', '.join(fields)}")
    out = []
    for record in records:
        value = record.get(name)
        out.append(None if value is None else str(value))
    return out


# --------------------------------------------------------------------------- fit / infer


@dataclass(frozen=True)
class FitRequest:
    """What ``topics fit`` was asked for (the options of ``blogscope topics fit``)."""

    input: Path
    text_field: str
    out: Path
    k: int | None = None
    k_min: int = 4
    k_max: int = 12
    model: str = "auto"
    seed: int = 42
    previous: Path | None = None
    date_field: str | None = None
    freq: str = "M"
    format: str | None = None
    restarts: int = 3
    coherence_docs: int = 3000
    backend: str = "classic"  # classic (NMF / LDA) | embeddings (k-means over sentence vectors)


def fit_files(request: FitRequest) -> Any:
    """Fit on the input file and write the output folder; returns the ``TopicResult``."""
    from pipeline import topics

    if request.backend == "embeddings":
        from pipeline.topics import embeddings

        embeddings.require()  # one line and exit 2 before reading the corpus, not a traceback
    path = request.input
    records = read_records(path, request.format)
    texts = field_values(records, request.text_field, path)
    if not texts:
        raise InputError(f"{path} holds no records")
    log.info("read %d records from %s", len(texts), path)
    previous = topics.load_result(request.previous) if request.previous else None
    result = topics.fit_corpus(texts, k=request.k, seed=request.seed, model=request.model, k_min=request.k_min,
                               k_max=request.k_max, previous=previous, coherence_docs=request.coherence_docs,
                               nmf_restarts=request.restarts, backend=request.backend)
    out = request.out
    topics.save_result(result, out)
    _write_topics_csv(out / "topics.csv", result)
    _write_doc_topics_csv(out / "doc_topics.csv", result.dominant_topic, result.doc_topics)
    if result.alignment is not None:
        _write_alignment_csv(out / "topic_alignment.csv", result)
    if request.date_field:
        dates = field_values(records, request.date_field, path)
        rows = topics.prevalence(result.doc_topics, dates, freq=request.freq, topic_ids=result.topic_ids)
        _write_rows(out / "prevalence.csv", ["period", "topic_id", "n_docs", "weight_sum", "share"], rows)
    return result


def infer_files(model_dir: Path, input_path: Path, text_field: str, out: Path,
                fmt: str | None = None) -> tuple[int, int]:
    """Topics of the input's texts with a fitted model, written to ``out`` (CSV: row, topic,
    weight); returns (documents, documents without a known term)."""
    from pipeline import topics

    result = topics.load_result(model_dir) if (model_dir / "model_run.json").exists() else None
    model = result.topic_model if result is not None else topics.load_model(model_dir)
    if model is None:
        raise InputError(f"{model_dir} has no saved model (no model/ folder)")
    records = read_records(input_path, fmt)
    texts = field_values(records, text_field, input_path)
    weights = model.transform(texts)
    ids = result.topic_ids if result is not None else list(range(weights.shape[1]))
    import numpy as np

    empty = weights.sum(axis=1) == 0
    dominant = np.where(empty, -1, np.asarray(ids)[weights.argmax(axis=1)])
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_doc_topics_csv(out, dominant, weights)
    return len(texts), int(empty.sum())


# --------------------------------------------------------------------------- output


def _write_rows(path: Path, columns: list[str], rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _write_topics_csv(path: Path, result: Any) -> None:
    rows = [{"topic": t.topic_id, "label": t.label, "top_terms": " ".join(t.top_terms[:10]), "n_docs": t.n_docs,
             "c_v": "" if t.c_v is None else f"{t.c_v:.4f}"} for t in result.topics]
    _write_rows(path, ["topic", "label", "top_terms", "n_docs", "c_v"], rows)


def _write_doc_topics_csv(path: Path, dominant: Any, weights: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "topic", "weight"])
        for row, topic in enumerate(dominant.tolist()):
            weight = float(weights[row].max()) if topic >= 0 else 0.0
            writer.writerow([row, topic, f"{weight:.6f}"])


def _write_alignment_csv(path: Path, result: Any) -> None:
    a = result.alignment
    rows = [{"topic_id": tid, "previous_topic_id": "" if prev is None else prev, "similarity": sim}
            for tid, prev, sim in zip(a.topic_ids, a.previous_topic_ids, a.similarities)]
    _write_rows(path, ["topic_id", "previous_topic_id", "similarity"], rows)
