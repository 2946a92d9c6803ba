"""Topic models (pipeline.topics) on small corpora made here: planted topics, governance, alignment."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pipeline import topics
from pipeline.topics import (
    LDATopicModel,
    NMFTopicModel,
    align,
    fit_corpus,
    load_model,
    load_result,
    prevalence,
    result_rows,
    save_result,
    select_candidate,
    topic_diversity,
)
from flows.cli import main as blogscope_main


def topics_main(argv: list[str]) -> int:
    """``blogscope topics ARGV``."""
    return blogscope_main(["topics", *argv])

ROOT = Path(__file__).resolve().parent.parent

PLANTED = {
    "sleep": "insomnia melatonin nightmare bedtime snoring drowsy nap circadian pillow mattress yawn dream".split(),
    "money": "invoice mortgage budget salary pension refund tax loan savings debit credit payroll".split(),
    "garden": "tomato compost seedling shovel mulch weeding orchard tulip fertilizer greenhouse hedge rake".split(),
    "music": "guitar melody chorus drummer concert violin lyrics rhythm album piano tempo orchestra".split(),
    "sport": "football goalkeeper stadium referee marathon tennis sprint coach league trophy dribble score".split(),
}
BACKGROUND = "today week people time day good new year".split()


def planted_corpus(seed: int = 1, per_topic: int = 10, share: float = 0.75) -> tuple[list[str], list[str]]:
    """5 planted topics with distinct vocabularies (plus shared background words), shuffled."""
    rng = random.Random(seed)
    docs, labels = [], []
    for topic, words in PLANTED.items():
        for _ in range(per_topic):
            n = rng.randint(30, 60)
            tokens = [rng.choice(words) if rng.random() < share else rng.choice(BACKGROUND) for _ in range(n)]
            docs.append("The " + " ".join(tokens) + ".")
            labels.append(topic)
    order = list(range(len(docs)))
    rng.shuffle(order)
    return [docs[i] for i in order], [labels[i] for i in order]


def planted_of(terms: list[str]) -> str | None:
    """The planted topic all these terms come from, else None."""
    owners = {name for name, words in PLANTED.items() for t in terms if t in words}
    return owners.pop() if len(owners) == 1 else None


@pytest.fixture(scope="module")
def planted() -> tuple[list[str], list[str]]:
    return planted_corpus()


@pytest.fixture(scope="module")
def nmf_run(planted: tuple[list[str], list[str]]) -> topics.FitResult:
    return fit_corpus(planted[0], k=5, model="nmf", seed=42)


# --------------------------------------------------------------------------- planted topics


def test_each_planted_topic_is_matched_by_exactly_one_model_topic(nmf_run: topics.FitResult,
                                                                 planted: tuple[list[str], list[str]]) -> None:
    _, labels = planted
    matched = {}
    for t in nmf_run.topics:
        owner = planted_of(t.top_terms[:5])
        assert owner is not None, f"topic {t.label!r} mixes planted vocabularies: {t.top_terms[:5]}"
        docs = Counter(label for label, d in zip(labels, nmf_run.dominant_topic) if d == t.topic_id)
        assert docs.most_common(1)[0][0] == owner
        matched.setdefault(owner, []).append(t.topic_id)
    assert sorted(matched) == sorted(PLANTED)
    assert all(len(ids) == 1 for ids in matched.values()), matched
    # and every document lands in its planted topic
    owner_of_topic = {ids[0]: owner for owner, ids in matched.items()}
    assert [owner_of_topic[d] for d in nmf_run.dominant_topic] == labels


def test_fit_result_describes_the_run(nmf_run: topics.FitResult, planted: tuple[list[str], list[str]]) -> None:
    r = nmf_run
    assert r.model == "nmf" and r.k == 5 and r.n_docs == len(planted[0])
    assert len(r.model_run_id) == 16 and len(r.corpus_digest) == 64
    assert {"numpy", "scipy", "scikit-learn", "gensim", "python", "blogscope_topics"} <= set(r.library_versions)
    assert r.c_v is not None and r.c_v > 0.8
    assert r.npmi is not None and -1 <= r.npmi <= 1
    assert r.diversity == 1.0  # planted vocabularies do not overlap
    assert r.doc_topics.shape == (r.n_docs, 5)
    assert np.allclose(r.doc_topics.sum(axis=1), 1.0)
    for t in r.topics:
        assert len(t.label.split(" / ")) == 3
        assert all(term in t.label for term in [t.label.split(" / ")[0]])
        assert t.term_weights == sorted(t.term_weights, reverse=True)
        assert len(t.representative_docs) == 5
        assert all(r.dominant_topic[i] == t.topic_id for i in t.representative_docs)
    assert sorted({t.label for t in r.topics}) == sorted(t.label for t in r.topics)  # labels are unique
    # topics come largest first
    sizes = r.doc_topics.sum(axis=0)
    assert list(sizes) == sorted(sizes, reverse=True)
    json.dumps(r.summary())  # citable as JSON


def test_seeded_reruns_are_identical_and_the_seed_is_part_of_the_id(nmf_run: topics.FitResult,
                                                                    planted: tuple[list[str], list[str]]) -> None:
    again = fit_corpus(planted[0], k=5, model="nmf", seed=42)
    assert again.model_run_id == nmf_run.model_run_id
    assert [(t.top_terms, t.term_weights, t.label) for t in again.topics] == \
        [(t.top_terms, t.term_weights, t.label) for t in nmf_run.topics]
    assert np.array_equal(again.doc_topics, nmf_run.doc_topics)
    other_seed = fit_corpus(planted[0], k=5, model="nmf", seed=7)
    assert other_seed.model_run_id != nmf_run.model_run_id
    other_corpus = fit_corpus(planted[0][:-1], k=5, model="nmf", seed=42)
    assert other_corpus.corpus_digest != nmf_run.corpus_digest


def test_infer_gives_rows_for_new_documents(nmf_run: topics.FitResult) -> None:
    new_docs, new_labels = planted_corpus(seed=98, per_topic=2)
    inferred = topics.infer(nmf_run, new_docs + [""])
    assert inferred.model_run_id == nmf_run.model_run_id and inferred.n_docs == len(new_docs) + 1
    owner = {t.topic_id: planted_of(t.top_terms[:5]) for t in nmf_run.topics}
    assert [owner[d] for d in inferred.dominant_topic[:-1]] == new_labels
    assert inferred.dominant_topic[-1] == -1
    rows = result_rows(inferred, run_id="r", target_ids=[f"c{i}" for i in range(inferred.n_docs)],
                       target_kinds="comment")["doc_topics"]
    assert {r["target_id"] for r in rows} == {f"c{i}" for i in range(len(new_docs))}  # the empty one has none
    assert all(r["target_kind"] == "comment" for r in rows)


def test_new_documents_are_inferred_without_retraining(nmf_run: topics.FitResult) -> None:
    model = nmf_run.topic_model
    components_before = model.components.copy()
    owner = {t.index: planted_of(t.top_terms[:5]) for t in nmf_run.topics}
    new_docs, new_labels = planted_corpus(seed=99, per_topic=4)
    weights = model.transform(new_docs + ["", "the and of it", "zebra quokka"])
    assert weights.shape == (len(new_docs) + 3, 5)
    assert [owner[j] for j in weights[:len(new_docs)].argmax(axis=1)] == new_labels
    assert np.allclose(weights[:len(new_docs)].sum(axis=1), 1.0)
    assert not weights[len(new_docs):].any()  # no known term: an all-zero row
    assert np.array_equal(model.components, components_before)


@pytest.mark.parametrize("kind", ["nmf", "lda"])
def test_models_save_and_load(kind: str, planted: tuple[list[str], list[str]], tmp_path: Path) -> None:
    model = topics.make_model(kind, 5, seed=3).fit(planted[0])
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, NMFTopicModel if kind == "nmf" else LDATopicModel)
    probe = planted_corpus(seed=5, per_topic=2)[0]
    assert np.allclose(loaded.transform(probe), model.transform(probe))
    assert loaded.topics(10) == model.topics(10)
    assert isinstance(loaded, topics.TopicModel)


def test_lda_runs_are_seeded_too(planted: tuple[list[str], list[str]]) -> None:
    a = fit_corpus(planted[0], k=5, model="lda", seed=11)
    b = fit_corpus(planted[0], k=5, model="lda", seed=11)
    assert a.model == "lda" and a.model_run_id == b.model_run_id
    assert [t.top_terms for t in a.topics] == [t.top_terms for t in b.topics]
    assert np.array_equal(a.doc_topics, b.doc_topics)
    assert np.allclose(a.doc_topics.sum(axis=1), 1.0)


def test_auto_sweep_picks_nmf_with_the_planted_k(planted: tuple[list[str], list[str]]) -> None:
    r = fit_corpus(planted[0], k=None, k_min=3, k_max=7, model="auto", seed=42)
    assert {(c["model"], c["k"]) for c in r.candidates} == {(m, k) for m in ("nmf", "lda") for k in range(3, 8)}
    assert (r.model, r.k) == select_candidate(r.candidates)
    assert (r.model, r.k) == ("nmf", 5)


def test_selection_rule_prefers_nmf_then_larger_k_within_the_tie() -> None:
    rows = [{"model": "lda", "k": 6, "score": 0.500}, {"model": "nmf", "k": 5, "score": 0.495},
            {"model": "nmf", "k": 4, "score": 0.498}, {"model": "nmf", "k": 7, "score": 0.40}]
    assert select_candidate(rows) == ("nmf", 5)
    assert select_candidate([{"model": "lda", "k": 6, "score": 0.6}, {"model": "nmf", "k": 5, "score": 0.5}]) == ("lda", 6)


def test_diversity_counts_unique_words() -> None:
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b"], ["a", "b"]]) == 0.5


def test_bad_arguments_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="unknown topic model"):
        fit_corpus(["a b c", "d e f"], k=2, model="bertopic")
    with pytest.raises(ValueError, match="at least two non-empty"):
        fit_corpus(["", "  ", "only one text"], k=2)
    with pytest.raises(ValueError, match="k_min"):
        fit_corpus(["a b c", "d e f"], k=None, k_min=5, k_max=3)


# --------------------------------------------------------------------------- alignment


def test_retrain_keeps_topic_ids(nmf_run: topics.FitResult) -> None:
    more, _ = planted_corpus(seed=2, per_topic=12)
    retrain = fit_corpus(more, k=5, model="nmf", seed=42, previous=nmf_run, warm_start=False)
    assert retrain.alignment is not None and retrain.alignment.kept_share == 1.0
    assert retrain.previous_model_run_id == nmf_run.model_run_id
    before = {t.topic_id: planted_of(t.top_terms[:5]) for t in nmf_run.topics}
    after = {t.topic_id: planted_of(t.top_terms[:5]) for t in retrain.topics}
    assert after == before  # same planted theme under the same id
    assert all(s > 0.9 for s in retrain.alignment.similarities)
    assert set(retrain.dominant_topic.tolist()) == set(before)


def test_unmatched_topics_get_fresh_ids(nmf_run: topics.FitResult) -> None:
    # Previous run as the warehouse stores it: {topic_id: {term: weight}} (ids need not be 0..k-1).
    stored = {10 + t.topic_id: dict(zip(t.top_terms, t.term_weights)) for t in nmf_run.topics[:3]}
    result = align(stored, nmf_run)
    kept = [tid for tid, prev in zip(result.topic_ids, result.previous_topic_ids) if prev is not None]
    fresh = [tid for tid, prev in zip(result.topic_ids, result.previous_topic_ids) if prev is None]
    assert sorted(kept) == [10, 11, 12]
    assert fresh == [13, 14]  # above every id the previous run issued
    assert result.next_topic_id == 15
    assert result.mapping[0] == (10, result.similarities[0])


def test_warm_start_is_recorded_in_the_run(nmf_run: topics.FitResult) -> None:
    more, _ = planted_corpus(seed=2, per_topic=12)
    warm = fit_corpus(more, k=5, model="nmf", seed=42, previous=nmf_run)
    cold = fit_corpus(more, k=5, model="nmf", seed=42, previous=nmf_run, warm_start=False)
    assert warm.params["warm_start_from"] == nmf_run.model_run_id
    assert cold.params["warm_start_from"] is None
    assert warm.model_run_id != cold.model_run_id
    assert warm.alignment.kept_share == 1.0


# --------------------------------------------------------------------------- over time and rows


def test_prevalence_per_month_and_week() -> None:
    doc_topics = np.array([[0.8, 0.2], [0.3, 0.7], [1.0, 0.0], [0.0, 0.0], [0.5, 0.5]])
    dates = ["2024-01-03", "2024-01-31T10:00:00Z", "2024/02/05", "2024-02-06", None]
    monthly = prevalence(doc_topics, dates, freq="M", topic_ids=[7, 9])
    assert monthly == [
        {"period": "2024-01", "topic_id": 7, "n_docs": 1, "weight_sum": 1.1, "share": pytest.approx(0.55)},
        {"period": "2024-01", "topic_id": 9, "n_docs": 1, "weight_sum": 0.8999999999999999, "share": pytest.approx(0.45)},
        {"period": "2024-02", "topic_id": 7, "n_docs": 1, "weight_sum": 1.0, "share": 1.0},
        {"period": "2024-02", "topic_id": 9, "n_docs": 0, "weight_sum": 0.0, "share": 0.0},
    ]
    weekly = prevalence(doc_topics, dates, freq="W")
    assert sorted({r["period"] for r in weekly}) == ["2024-01-01", "2024-01-29", "2024-02-05"]  # Mondays
    with pytest.raises(ValueError, match="freq"):
        prevalence(doc_topics, dates, freq="D")


def test_rows_follow_the_contract(nmf_run: topics.FitResult) -> None:
    ids = [f"post-{i}" for i in range(nmf_run.n_docs)]
    rows = result_rows(nmf_run, run_id="run-1", target_ids=ids)
    assert set(rows) == {"model_runs", "topics", "doc_topics", "topic_alignment"}
    assert set(rows["model_runs"][0]) == {
        "model_run_id", "created_at", "model", "k", "seed", "params_json", "corpus_digest", "library_versions_json",
        "c_v", "npmi", "diversity", "n_docs", "previous_model_run_id", "run_id"}
    assert set(rows["topics"][0]) == {"model_run_id", "topic_id", "label", "top_terms", "term_weights",
                                      "representative_post_ids", "run_id"}
    assert set(rows["doc_topics"][0]) == {"model_run_id", "target_kind", "target_id", "topic_id", "weight",
                                          "is_dominant", "run_id"}
    dominant = [r for r in rows["doc_topics"] if r["is_dominant"]]
    assert len(dominant) == nmf_run.n_docs
    assert all(r["weight"] >= 0.01 or r["is_dominant"] for r in rows["doc_topics"])
    assert rows["topics"][0]["representative_post_ids"][0].startswith("post-")
    assert rows["topic_alignment"] == []
    json.loads(rows["model_runs"][0]["params_json"])


def test_alignment_rows(nmf_run: topics.FitResult) -> None:
    more, _ = planted_corpus(seed=2, per_topic=12)
    retrain = fit_corpus(more, k=5, model="nmf", seed=42, previous=nmf_run)
    rows = result_rows(retrain, run_id="run-2", target_ids=[str(i) for i in range(retrain.n_docs)])
    assert len(rows["topic_alignment"]) == 5
    assert set(rows["topic_alignment"][0]) == {"model_run_id", "previous_model_run_id", "topic_id",
                                               "previous_topic_id", "similarity", "run_id"}
    assert all(r["previous_model_run_id"] == nmf_run.model_run_id for r in rows["topic_alignment"])
    assert rows["model_runs"][0]["previous_model_run_id"] == nmf_run.model_run_id


def test_results_save_and_load(nmf_run: topics.FitResult, tmp_path: Path) -> None:
    save_result(nmf_run, tmp_path / "run")
    loaded = load_result(tmp_path / "run")
    assert loaded.model_run_id == nmf_run.model_run_id
    assert [t.top_terms for t in loaded.topics] == [t.top_terms for t in nmf_run.topics]
    probe = planted_corpus(seed=8, per_topic=2)[0]
    assert np.allclose(loaded.topic_model.transform(probe), nmf_run.topic_model.transform(probe))


# --------------------------------------------------------------------------- CLI


def _write_csv(path: Path, texts: list[str | None]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body"])
        for i, text in enumerate(texts):
            writer.writerow([i, text or ""])


def test_cli_fit_writes_every_output(planted: tuple[list[str], list[str]], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    texts: list[str | None] = list(planted[0])
    texts.insert(3, "")
    texts.insert(10, "the and of")
    _write_csv(tmp_path / "in.csv", texts)
    status = topics_main(["fit", "--input", str(tmp_path / "in.csv"), "--text-field", "body", "--k", "5",
                          "--model", "nmf", "--out", str(tmp_path / "out"), "--quiet"])
    assert status == 0
    out = capsys.readouterr().out
    assert "c_v" in out and "npmi" in out and "diversity" in out and "model nmf" in out and "k 5" in out
    with open(tmp_path / "out" / "doc_topics.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["row"]) for r in rows] == list(range(len(texts)))
    assert rows[3]["topic"] == "-1" and rows[10]["topic"] == "-1" and float(rows[3]["weight"]) == 0.0
    assert all(int(r["topic"]) >= 0 for i, r in enumerate(rows) if i not in (3, 10))
    with open(tmp_path / "out" / "topics.csv", encoding="utf-8") as handle:
        topic_rows = list(csv.DictReader(handle))
    assert len(topic_rows) == 5 and {"topic", "label", "top_terms"} <= set(topic_rows[0])
    run = json.loads((tmp_path / "out" / "model_run.json").read_text(encoding="utf-8"))
    assert run["model"] == "nmf" and run["k"] == 5 and len(run["topics"]) == 5
    assert (tmp_path / "out" / "model" / "model.json").exists()

    # infer with the saved model: same dominant topics, no retraining
    status = topics_main(["infer", "--model", str(tmp_path / "out"), "--input", str(tmp_path / "in.csv"),
                          "--text-field", "body", "--out", str(tmp_path / "inferred.csv"), "--quiet"])
    assert status == 0
    with open(tmp_path / "inferred.csv", encoding="utf-8") as handle:
        inferred = list(csv.DictReader(handle))
    assert [r["topic"] for r in inferred] == [r["topic"] for r in rows]


def test_cli_reads_jsonl_and_writes_prevalence(planted: tuple[list[str], list[str]], tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i, text in enumerate(planted[0]):
            handle.write(json.dumps({"text": text, "date": f"2024-{1 + i % 3:02d}-15"}) + "\n")
        handle.write("\n")  # a trailing blank line is not a record
    status = topics_main(["fit", "--input", str(path), "--text-field", "text", "--k", "5", "--model", "nmf",
                          "--date-field", "date", "--out", str(tmp_path / "out"), "--quiet"])
    assert status == 0
    with open(tmp_path / "out" / "prevalence.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["period"] for r in rows} == {"2024-01", "2024-02", "2024-03"} and len(rows) == 15


def test_cli_errors_tell_the_user_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_csv(tmp_path / "in.csv", ["a b c", "d e f"])
    status = topics_main(["fit", "--input", str(tmp_path / "in.csv"), "--text-field", "post", "--out",
                          str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert "no field 'post'" in err and "fields found: body, id" in err
    status = topics_main(["fit", "--input", str(tmp_path / "missing.csv"), "--text-field", "body", "--out",
                          str(tmp_path / "out"), "--quiet"])
    assert status == 2 and "does not exist" in capsys.readouterr().err
    (tmp_path / "in.txt").write_text("x", encoding="utf-8")
    status = topics_main(["fit", "--input", str(tmp_path / "in.txt"), "--text-field", "body", "--out",
                          str(tmp_path / "out"), "--quiet"])
    assert status == 2 and "--format" in capsys.readouterr().err


def test_cli_help_is_instant_and_has_examples() -> None:
    # --help must not import the heavy libraries (they load inside the commands).
    code = ("import sys, contextlib, io\n"
            "from flows.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            "    try: main(['topics', 'fit', '--help'])\n"
            "    except SystemExit: pass\n"
            "heavy = [m for m in ('sklearn', 'gensim', 'scipy') if m in sys.modules]\n"
            "print(heavy, 'examples:' in buf.getvalue())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True"
