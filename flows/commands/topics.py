"""``blogscope topics fit|infer``: citable topic models on any CSV / JSONL corpus
(``pipeline.topics_files``)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from flows.argtypes import positive_int
from flows.commands.common import FORMATTER

NAME = "topics"
HELP = "fit topic models on any corpus (CSV or JSONL), or infer with one"
DESCRIPTION = "Fit and apply citable topic models."
EXAMPLES = """examples:
  blogscope topics fit --input posts.csv --text-field post --k 27 --out topics-run
  blogscope topics fit --input posts.jsonl --text-field text --model auto --k-min 5 --k-max 15 --out topics-run
  blogscope topics fit --input new.csv --text-field post --previous topics-run --out topics-run-2
  blogscope topics fit --input posts.csv --text-field post --k 27 --backend embeddings --out topics-emb
  blogscope topics infer --model topics-run --input new.csv --text-field post --out new-doc-topics.csv
fit writes OUT/model/, topics.csv, doc_topics.csv (row, topic, weight), model_run.json (what is
needed to cite the run) and, with --date-field, prevalence.csv. Progress goes to stderr; the
summary (c_v, NPMI, diversity, chosen model and k) to stdout.
"""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="topics_command", required=True, metavar="{fit,infer}")
    fit = sub.add_parser("fit", help="fit a topic model on a CSV / JSONL corpus", epilog=EXAMPLES,
                         formatter_class=FORMATTER,
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
    fit.add_argument("--coherence-docs", type=positive_int, default=3000,
                     help="documents sampled for c_v / NPMI (default 3000)")
    fit.add_argument("--quiet", action="store_true", help="no progress on stderr")

    infer = sub.add_parser("infer", help="topics of new documents with a fitted model (no retraining)",
                           epilog=EXAMPLES, formatter_class=FORMATTER)
    infer.add_argument("--model", required=True, help="folder written by `topics fit --out` (or its model/ folder)")
    infer.add_argument("--input", required=True, help="CSV, TSV or JSON-lines file (optionally .gz)")
    infer.add_argument("--text-field", required=True, help="column / key holding the text")
    infer.add_argument("--out", required=True, help="CSV to write: row, topic, weight")
    infer.add_argument("--format", choices=("csv", "tsv", "jsonl"), help="input format (default: from the extension)")
    infer.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace, settings: None = None) -> int:
    """0 ok; 2 bad input (``InputError``, raised on to the CLI); 1 when no model can be fitted."""
    _configure_logging(args.quiet)
    try:
        return _fit(args) if args.topics_command == "fit" else _infer(args)
    except FileNotFoundError as exc:
        print(f"blogscope topics: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        from pipeline.settings import ConfigError
        from pipeline.topics_files import InputError

        if isinstance(exc, (InputError, ConfigError)):  # e.g. the embeddings extra missing: exit 2
            raise
        print(f"blogscope topics: cannot fit: {exc}", file=sys.stderr)
        return 1


def _fit(args: argparse.Namespace) -> int:
    from pipeline.topics_files import FitRequest, fit_files

    request = FitRequest(input=Path(args.input), text_field=args.text_field, out=Path(args.out), k=args.k,
                         k_min=args.k_min, k_max=args.k_max, model=args.model, seed=args.seed,
                         previous=Path(args.previous) if args.previous else None, date_field=args.date_field,
                         freq=args.freq, format=args.format, restarts=args.restarts,
                         coherence_docs=args.coherence_docs, backend=args.backend)
    result = fit_files(request)
    print(f"model {result.model}  k {result.k}  docs {result.n_docs}  c_v {_fmt(result.c_v)}  "
          f"npmi {_fmt(result.npmi)}  diversity {_fmt(result.diversity)}")
    print(f"model_run_id {result.model_run_id}  corpus sha256 {result.corpus_digest[:16]}  seed {result.seed}")
    if len(result.candidates) > 1:
        print("candidates (score = c_v x diversity): " + "; ".join(
            f"{c['model']} k={c['k']} {c['score']:.3f}" for c in result.candidates))
    if result.alignment is not None:
        print(f"aligned to {result.alignment.previous_model_run_id}: {result.alignment.kept_share:.0%} "
              "of topics kept their id")
    print(f"wrote {request.out}/topics.csv, doc_topics.csv, model_run.json, model/")
    return 0


def _infer(args: argparse.Namespace) -> int:
    from pipeline.topics_files import infer_files

    out = Path(args.out)
    documents, without_terms = infer_files(Path(args.model), Path(args.input), args.text_field, out, args.format)
    print(f"inferred topics of {documents} documents ({without_terms} without a known term) -> {out}")
    return 0


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _configure_logging(quiet: bool) -> None:
    """Progress on stderr unless --quiet (``blogscope -v`` sets the level itself)."""
    root = logging.getLogger()
    if not quiet and root.level > logging.INFO:
        logging.getLogger("blogscope.topics").setLevel(logging.INFO)
        logging.getLogger("pipeline.topics").setLevel(logging.INFO)
    logging.getLogger("gensim").setLevel(logging.WARNING)  # gensim narrates every LDA chunk at INFO
