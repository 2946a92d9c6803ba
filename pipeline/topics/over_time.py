"""Topics over time (prevalence per week / month) and the warehouse rows of a run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from pipeline.topics.helpers import _as_date, _timedelta_days
from pipeline.topics.result import FitResult

# =========================================================================== over time and rows


def prevalence(doc_topics: np.ndarray, dates: Sequence[str | date | datetime | None], freq: str = "M",
               topic_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Topic prevalence per period: rows (period, topic_id, n_docs, weight_sum, share).

    ``period`` is the Monday of the ISO week (``freq="W"``, "2019-05-20") or the month
    (``freq="M"``, "2019-05"). ``n_docs`` counts documents whose dominant topic it is;
    ``weight_sum`` adds the topic's weight over the period's documents; ``share`` is
    ``weight_sum`` over the number of documents with a topic in that period. Documents without a
    date or without any topic are left out.
    """
    if freq not in ("W", "M"):
        raise ValueError(f"freq must be 'W' (weeks) or 'M' (months), got {freq!r}")
    doc_topics = np.asarray(doc_topics, dtype=np.float64)
    if len(dates) != doc_topics.shape[0]:
        raise ValueError(f"{len(dates)} dates for {doc_topics.shape[0]} documents")
    ids = list(topic_ids) if topic_ids is not None else list(range(doc_topics.shape[1]))
    periods: dict[str, list[int]] = {}
    for row, value in enumerate(dates):
        day = _as_date(value)
        if day is None or doc_topics[row].sum() == 0:
            continue
        key = (day - _timedelta_days(day.weekday())).isoformat() if freq == "W" else f"{day.year:04d}-{day.month:02d}"
        periods.setdefault(key, []).append(row)
    out = []
    for period in sorted(periods):
        block = doc_topics[periods[period]]
        dominant = block.argmax(axis=1)
        sums = block.sum(axis=0)
        for j, topic_id in enumerate(ids):
            out.append({"period": period, "topic_id": topic_id, "n_docs": int((dominant == j).sum()),
                        "weight_sum": float(sums[j]), "share": float(sums[j] / len(block))})
    return out


def result_rows(result: FitResult, *, run_id: str, target_ids: Sequence[str],
                target_kinds: str | Sequence[str] = "post", min_weight: float = 0.01) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``model_runs``, ``topics``, ``doc_topics`` and ``topic_alignment`` (docs/contracts.md).

    ``target_ids[i]`` is the post / comment id of document ``i``. doc_topics keeps weights of at
    least ``min_weight`` (and always the dominant topic), which keeps the table small.
    """
    if len(target_ids) != result.n_docs:
        raise ValueError(f"{len(target_ids)} target ids for a run over {result.n_docs} documents")
    kinds = [target_kinds] * result.n_docs if isinstance(target_kinds, str) else list(target_kinds)
    run = result.model_run_id
    model_runs = [{
        "model_run_id": run, "created_at": result.created_at, "model": result.model, "k": result.k,
        "seed": result.seed, "params_json": json.dumps(result.params, sort_keys=True),
        "corpus_digest": result.corpus_digest, "library_versions_json": json.dumps(result.library_versions, sort_keys=True),
        "c_v": result.c_v, "npmi": result.npmi, "diversity": result.diversity, "n_docs": result.n_docs,
        "previous_model_run_id": result.previous_model_run_id, "run_id": run_id,
    }]
    topics = [{
        "model_run_id": run, "topic_id": t.topic_id, "label": t.label, "top_terms": list(t.top_terms),
        "term_weights": [float(w) for w in t.term_weights],
        # (a guard for results re-pointed at other documents, whose indices may not fit)
        "representative_post_ids": [target_ids[i] for i in t.representative_docs if i < len(target_ids)],
        "run_id": run_id,
    } for t in result.topics]
    doc_topics = []
    ids = result.topic_ids
    for row in range(result.n_docs):
        weights = result.doc_topics[row]
        if weights.sum() == 0:
            continue
        top = int(weights.argmax())
        for j in np.flatnonzero((weights >= min_weight) | (np.arange(len(weights)) == top)):
            doc_topics.append({"model_run_id": run, "target_kind": kinds[row], "target_id": target_ids[row],
                               "topic_id": ids[j], "weight": float(weights[j]), "is_dominant": bool(j == top),
                               "run_id": run_id})
    alignment = []
    if result.alignment is not None:
        a = result.alignment
        for j, topic_id in enumerate(a.topic_ids):
            alignment.append({"model_run_id": run, "previous_model_run_id": a.previous_model_run_id,
                              "topic_id": topic_id, "previous_topic_id": a.previous_topic_ids[j],
                              "similarity": a.similarities[j], "run_id": run_id})
    return {"model_runs": model_runs, "topics": topics, "doc_topics": doc_topics, "topic_alignment": alignment}
