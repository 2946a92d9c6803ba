"""``blogscope topics``: fit a citable topic model on any CSV / JSONL corpus, or infer with one.

The lead's console script passes everything after ``blogscope topics`` to ``main``::

    blogscope topics fit --input posts.csv --text-field post --k 27 --out runs/topics
    blogscope topics infer --model runs/topics --input new.jsonl --text-field text --out new_topics.csv

``fit`` writes ``OUT/model/`` (the model, reusable by ``infer``), ``OUT/topics.csv`` (``topic``,
``label``, ``top_terms``, ``n_docs``, ``c_v``), ``OUT/doc_topics.csv`` (``row`` = 0-based position
of the record in the input, ``topic`` = dominant topic, ``weight``), ``OUT/model_run.json`` (what
is needed to cite the run) and, with ``--date-field``, ``OUT/prevalence.csv``. Every input row gets
a ``doc_topics`` row: a blank text, or one with no known term, gets topic ``-1`` and weight 0.
Progress goes to stderr; the summary (c_v, NPMI, diversity, chosen model and k) to stdout.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.argtypes import OneLineArgumentParser, positive_int
from pipeline.topics.embeddings import EmbeddingsNotInstalled

log = logging.getLogger("blogscope.topics")

EXAMPLES = """examples:
  blogscope topics fit --input posts.csv --text-field post --k 27 --out topics-run
  blogscope topics fit --input posts.jsonl --text-field text --model auto --k-min 5 --k-max 15 --out topics-run
  blogscope topics fit --input new.csv --text-field post --previous topics-run --out topics-run-2
  blogscope topics fit --input posts.csv --text-field post --k 27 --backend embeddings --out topics-emb
  blogscope topics infer --model topics-run --input new.csv --text-field post --out new-doc-topics.csv
"""


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


# --------------------------------------------------------------------------- commands


def _fit(args: argparse.Namespace) -> int:
    from pipeline import topics

    path = Path(args.input)
    records = read_records(path, args.format)
    texts = field_values(records, args.text_field, path)
    if not texts:
        raise InputError(f"{path} holds no records")
    log.info("read %d records from %s", len(texts), path)
    result = fit_records(texts, args)
    out = Path(args.out)
    topics.save_result(result, out)
    _write_topics_csv(out / "topics.csv", result)
    _write_doc_topics_csv(out / "doc_topics.csv", result.dominant_topic, result.doc_topics)
    if result.alignment is not None:
        _write_alignment_csv(out / "topic_alignment.csv", result)
    if args.date_field:
        dates = field_values(records, args.date_field, path)
        rows = topics.prevalence(result.doc_topics, dates, freq=args.freq, topic_ids=result.topic_ids)
        _write_rows(out / "prevalence.csv", ["period", "topic_id", "n_docs", "weight_sum", "share"], rows)
    print(f"model {result.model}  k {result.k}  docs {result.n_docs}  c_v {_fmt(result.c_v)}  "
          f"npmi {_fmt(result.npmi)}  diversity {_fmt(result.diversity)}")
    print(f"model_run_id {result.model_run_id}  corpus sha256 {result.corpus_digest[:16]}  seed {result.seed}")
    if len(result.candidates) > 1:
        print("candidates (score = c_v x diversity): " + "; ".join(
            f"{c['model']} k={c['k']} {c['score']:.3f}" for c in result.candidates))
    if result.alignment is not None:
        print(f"aligned to {result.alignment.previous_model_run_id}: {result.alignment.kept_share:.0%} of topics kept their id")
    print(f"wrote {out}/topics.csv, doc_topics.csv, model_run.json, model/")
    return 0


def fit_records(texts: list[str | None], args: argparse.Namespace) -> Any:
    """The model run ``topics fit`` asks for (plain function: the CLI layer only parses arguments)."""
    from pipeline import topics

    backend = getattr(args, "backend", "classic")
    if backend == "embeddings":
        from pipeline.topics import embeddings

        embeddings.require()  # one line and exit 2 before reading a model, not a traceback
    previous = topics.load_result(args.previous) if args.previous else None
    return topics.fit_corpus(texts, k=args.k, seed=args.seed, model=args.model, k_min=args.k_min,
                             k_max=args.k_max, previous=previous, coherence_docs=args.coherence_docs,
                             nmf_restarts=args.restarts, backend=backend)


def _infer(args: argparse.Namespace) -> int:
    from pipeline import topics

    model_dir = Path(args.model)
    result = topics.load_result(model_dir) if (model_dir / "model_run.json").exists() else None
    model = result.topic_model if result is not None else topics.load_model(model_dir)
    if model is None:
        raise InputError(f"{model_dir} has no saved model (no model/ folder)")
    path = Path(args.input)
    records = read_records(path, args.format)
    texts = field_values(records, args.text_field, path)
    weights = model.transform(texts)
    ids = result.topic_ids if result is not None else list(range(weights.shape[1]))
    import numpy as np

    empty = weights.sum(axis=1) == 0
    dominant = np.where(empty, -1, np.asarray(ids)[weights.argmax(axis=1)])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_doc_topics_csv(out, dominant, weights)
    print(f"inferred topics of {len(texts)} documents ({int(empty.sum())} without a known term) -> {out}")
    return 0


# --------------------------------------------------------------------------- output


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


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


# --------------------------------------------------------------------------- entry point


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The ``topics`` argument parser (pass one in to hang it under another CLI)."""
    parser = parser or OneLineArgumentParser(prog="blogscope topics", epilog=EXAMPLES,
                                               formatter_class=argparse.RawDescriptionHelpFormatter,
                                               description="Fit and apply citable topic models.")
    sub = parser.add_subparsers(dest="command", required=True)

    fit = sub.add_parser("fit", help="fit a topic model on a CSV / JSONL corpus", epilog=EXAMPLES,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Fit NMF or LDA (or pick by c_v x diversity), seeded and reproducible.")
    fit.add_argument("--input", required=True, help="CSV, TSV or JSON-lines file (optionally .gz)")
    fit.add_argument("--text-field", required=True, help="column / key holding the text")
    fit.add_argument("--k", type=positive_int, default=None, help="number of topics (default: sweep --k-min..--k-max)")
    fit.add_argument("--k-min", type=positive_int, default=4, help="smallest k of the sweep (default 4)")
    fit.add_argument("--k-max", type=positive_int, default=12, help="largest k of the sweep (default 12)")
    fit.add_argument("--model", choices=("auto", "nmf", "lda"), default="auto",
                     help="auto: the best c_v x diversity, ties to NMF (default auto)")
    fit.add_argument("--backend", choices=("classic", "embeddings"), default="classic",
                     help="classic: NMF / LDA over terms; embeddings: k-means over sentence vectors with phrase "
                          "labels (needs `make install-embeddings`) (default classic)")
    fit.add_argument("--seed", type=int, default=42, help="random seed; same seed, same topics (default 42)")
    fit.add_argument("--out", required=True, help="output folder (created)")
    fit.add_argument("--previous", help="folder of an earlier fit: keep its topic ids (and start from its topics)")
    fit.add_argument("--date-field", help="column with dates: also write prevalence.csv per period")
    fit.add_argument("--freq", choices=("W", "M"), default="M", help="prevalence period: W weeks, M months")
    fit.add_argument("--format", choices=("csv", "tsv", "jsonl"), help="input format (default: from the extension)")
    fit.add_argument("--restarts", type=positive_int, default=3, help="NMF restarts; the lowest error wins (default 3)")
    fit.add_argument("--coherence-docs", type=positive_int, default=3000, help="documents sampled for c_v / NPMI (default 3000)")
    fit.add_argument("--quiet", action="store_true", help="no progress on stderr")
    fit.set_defaults(handler=_fit)

    infer = sub.add_parser("infer", help="topics of new documents with a fitted model (no retraining)",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    infer.add_argument("--model", required=True, help="folder written by `topics fit --out` (or its model/ folder)")
    infer.add_argument("--input", required=True, help="CSV, TSV or JSON-lines file (optionally .gz)")
    infer.add_argument("--text-field", required=True, help="column / key holding the text")
    infer.add_argument("--out", required=True, help="CSV to write: row, topic, weight")
    infer.add_argument("--format", choices=("csv", "tsv", "jsonl"), help="input format (default: from the extension)")
    infer.add_argument("--quiet", action="store_true", help="no progress on stderr")
    infer.set_defaults(handler=_infer)
    return parser


def _configure_logging(quiet: bool) -> None:
    root = logging.getLogger()
    if not root.handlers:  # else the caller (the blogscope CLI) has set logging up already
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING if quiet else logging.INFO)
    logging.getLogger("gensim").setLevel(logging.WARNING)  # gensim narrates every LDA chunk at INFO


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``blogscope topics ...``; returns the exit status (0 ok, 1 failed, 2 bad input)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["topics"]:
        args_list = args_list[1:]
    args = build_parser().parse_args(args_list)
    _configure_logging(args.quiet)
    try:
        return args.handler(args)
    except (InputError, FileNotFoundError, EmbeddingsNotInstalled) as exc:
        print(f"blogscope topics: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"blogscope topics: cannot fit: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
