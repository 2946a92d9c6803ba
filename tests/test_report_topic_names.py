"""Editors' topic names ([topics.names]) stick to their topic across a refit.

Two real fits of the realistic fixture's posts (pipeline.topics.fit_corpus; the second is a refit
on a different seed, aligned to the first as the weekly refresh does), loaded by the real loader.
A name given to the first run's "lithium" topic id must label the refit's "lithium" topic.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.settings import ConfigError, load_settings
from test_report import RUN_ID, _query, make_dataset, write_processed_run
from warehouse.report import build_report


def _refit_database(folder: Path) -> tuple[Path, dict[str, int], dict[str, int]]:
    """Published database with two aligned model runs; {theme: topic id} of each run."""
    from pipeline.io import write_rows
    from pipeline.topics import fit_corpus, result_rows
    from warehouse.load import load_run
    from warehouse.publish import publish

    data = make_dataset(topics=False)
    texts = [p["text"] for p in data.posts]
    ids = [p["post_id"] for p in data.posts]
    first = fit_corpus(texts, k=7, model="nmf", seed=42)
    refit = fit_corpus(list(reversed(texts)), k=7, model="nmf", seed=7, previous=first, warm_start=False)
    home = folder / "home"
    processed = home / "runs" / RUN_ID / "processed"
    write_processed_run(processed, data)
    rows: dict[str, list] = {}
    for result, target_ids in ((first, ids), (refit, list(reversed(ids)))):
        for name, table in result_rows(result, run_id=RUN_ID, target_ids=target_ids).items():
            rows.setdefault(name, []).extend(table)
    for name, table in rows.items():
        if table:
            write_rows(processed / f"{name}.parquet", table)
    load_run(home / "work" / "warehouse.duckdb", home / "runs" / RUN_ID, RUN_ID, search_index=False)
    publish(home / "work" / "warehouse.duckdb", folder / "blogscope.duckdb")

    def themes(result) -> dict[str, int]:
        return {word: t.topic_id for t in result.topics for word in t.top_terms[:4]
                if word in ("lithium", "insomnia", "burnout", "telepsychiatry")}

    return folder / "blogscope.duckdb", themes(first), themes(refit)


def test_a_topic_name_stays_on_its_topic_after_a_refit(tmp_path: Path) -> None:
    db, before, after = _refit_database(tmp_path)
    assert "lithium" in before and before.get("lithium") == after.get("lithium")  # alignment kept the id
    topic_id = before["lithium"]
    (tmp_path / "blogscope.toml").write_text(f'[topics.names]\n{topic_id} = "Lithium & monitoring"\n',
                                             encoding="utf-8")
    settings = load_settings(home=tmp_path)
    assert settings.topics.names_by_id == {topic_id: "Lithium & monitoring"}
    assert _query(db, "select count(*) from model_runs")[0][0] == 2
    out = tmp_path / "report.html"
    build_report(db, out, topic_names=settings.topics.names_by_id)
    html = out.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html,
                                re.S).group(1))
    named = [t for t in data["topics"] if t["name"] == "Lithium & monitoring"]
    assert len(named) == 1 and named[0]["id"] == topic_id
    assert "lithium" in named[0]["terms"]  # the model's own label stays beside the name
    # The refit's lithium posts are the ones listed under the name.
    lithium_posts = {p["t"] for p in data["posts"] if p["k"] == named[0]["i"]}
    assert lithium_posts and all("lithium" in t.lower() or "bipolar" in t.lower() or "mood" in t.lower()
                                 or "kidney" in t.lower() for t in lithium_posts), lithium_posts
    assert "Lithium &amp; monitoring" in html  # the static sections use the name too, escaped


def test_v_current_topics_has_the_editors_name_with_the_label_as_fallback(tmp_path: Path) -> None:
    from warehouse.publish import publish
    from warehouse.topic_names import sync_topic_names

    db, before, _ = _refit_database(tmp_path)
    working = tmp_path / "home" / "work" / "warehouse.duckdb"
    topic_id = before["lithium"]
    assert sync_topic_names(working, {topic_id: "Lithium monitoring"}) == 1
    publish(working, db)
    rows = _query(db, "select topic_id, label, topic_name from v_current_topics order by topic_id")
    assert len(rows) == 7
    for tid, label, name in rows:
        assert name == ("Lithium monitoring" if tid == topic_id else label)
    assert "lithium" in dict((r[0], r[1]) for r in rows)[topic_id]  # the refit's topic under that id is lithium
    sync_topic_names(working, {})  # a name removed from the config leaves the database too
    publish(working, db)
    assert _query(db, "select count(*) from v_current_topics where topic_name <> label")[0][0] == 0


@pytest.mark.parametrize("table, message", [
    ('[topics.names]\nsleep = "Sleep"\n', "is not a topic id"),
    ('[topics.names]\n3 = ""\n', "must be a non-empty string"),
    ('[topics]\nnames = "Sleep"\n', "must be a table"),
])
def test_bad_topic_names_say_what_to_do(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "blogscope.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(home=tmp_path)
