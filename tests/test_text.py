"""Text preparation for topic models (pipeline.text): tokens, stop words, plurals, bigrams."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from pipeline.text import (
    DOMAIN_STOP_WORDS,
    STOP_WORDS,
    Preprocessor,
    apply_bigrams,
    learn_bigrams,
    normalise_text,
    plural_folding_map,
    tokenize,
)

REDDIT = Path("topic-corpora/reddit-mental-health-27subreddits/rmhd_27subreddits_dev_3510posts.csv")


# --------------------------------------------------------------------------- tokens


def test_tokens_are_lower_case_and_unicode_aware() -> None:
    assert tokenize("Café Ärzte NAÏVE Zürich") == ["café", "ärzte", "naïve", "zürich"]


def test_urls_emails_numbers_and_entities_are_dropped() -> None:
    text = ("See https://example.org/a?b=1 and www.example.com/x, mail me@example.org. "
            "In 2019 I took 20mg &amp;#x200B; twice\u200b daily")
    tokens = tokenize(text)
    assert not any(t.startswith(("http", "www", "example", "me")) for t in tokens)
    assert "2019" not in tokens and "20mg" not in tokens
    assert "mg" in tokens  # dosage unit kept, the number dropped
    assert "twice" in tokens and "daily" in tokens
    assert not any("x200b" in t or "amp" == t for t in tokens)


def test_apostrophes_possessives_and_contractions() -> None:
    # Curly and straight apostrophes behave the same; contractions end up as stop words.
    assert tokenize("The patient’s mother didn't call; the doctor's note") == ["patient", "mother", "call", "doctor", "note"]
    assert tokenize("I'm sure it's fine, don’t worry") == ["fine", "worry"]


def test_hyphenated_compounds_are_one_token() -> None:
    assert tokenize("Self-harm and well-being, COVID-19, twenty-five") == ["self_harm", "well_being", "covid", "twenty_five"]


def test_stop_words_are_shipped_and_keep_topical_words() -> None:
    assert {"the", "and", "dont", "im", "really"} <= STOP_WORDS
    # scikit-learn's list drops these; in mental-health text they carry meaning.
    assert not {"alone", "cry", "empty", "fire", "bill", "interest"} & STOP_WORDS
    assert {"psychiatrist", "patients", "mental", "health"} <= DOMAIN_STOP_WORDS


def test_normalise_text_is_cheap_on_ascii_and_cleans_the_rest() -> None:
    assert normalise_text("Plain ASCII") == "plain ascii"
    assert normalise_text("it\u2019s\u200b here") == "it's here"


# --------------------------------------------------------------------------- plurals


def test_plural_folding_only_towards_words_the_corpus_has() -> None:
    counts = {"friend": 3, "friends": 5, "stories": 2, "story": 1, "watches": 1, "watch": 2,
              "meds": 4, "news": 9, "new": 50, "anxious": 3, "anxiou": 1, "crisis": 2, "cris": 1, "tablets": 2}
    mapping = plural_folding_map(counts)
    assert mapping["friends"] == "friend"
    assert mapping["stories"] == "story"
    assert mapping["watches"] == "watch"
    assert "meds" not in mapping  # "med" never occurs alone
    assert "tablets" not in mapping  # nor does "tablet"
    assert "news" not in mapping and "anxious" not in mapping and "crisis" not in mapping


# --------------------------------------------------------------------------- bigrams


def _filler_words(rng: random.Random, n: int = 400) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return sorted({"".join(rng.choice(letters) for _ in range(rng.randint(4, 8))) for _ in range(n)})


def _collocation_docs() -> list[list[str]]:
    """80 documents over a 400-word vocabulary; "credit card" occurs in a quarter of them."""
    rng = random.Random(3)
    filler = _filler_words(rng)
    docs = []
    for i in range(80):
        doc = [rng.choice(filler) for _ in range(30)]
        if i % 4 == 0:
            at = rng.randrange(len(doc))
            doc[at:at] = ["credit", "card"]
        docs.append(doc)
    return docs


def test_learned_bigrams_match_gensim_phrases() -> None:
    from gensim.models.phrases import Phrases

    docs = _collocation_docs()
    pairs = learn_bigrams(docs, min_count=5, threshold=10.0)
    assert ("credit", "card") in pairs
    frozen = Phrases(docs, min_count=5, threshold=10.0, delimiter="_", connector_words=frozenset()).freeze()
    for doc in docs:
        assert apply_bigrams(doc, pairs) == frozen[doc]


def test_apply_bigrams_is_greedy_left_to_right() -> None:
    pairs = frozenset({("a", "b"), ("b", "c")})
    assert apply_bigrams(["a", "b", "c"], pairs) == ["a_b", "c"]
    assert apply_bigrams(["x", "b", "c"], pairs) == ["x", "b_c"]


# --------------------------------------------------------------------------- preprocessor


def _blog_corpus() -> list[str]:
    rng = random.Random(11)
    filler = _filler_words(rng)
    themes = [
        "sleep insomnia melatonin bedtime nightmares",
        "insurance claim copay denial billing",
        "therapy session homework exposure worksheet",
    ]
    texts = []
    for i in range(90):
        words = themes[i % 3].split()
        body = [rng.choice(words) if rng.random() < 0.5 else rng.choice(filler) for _ in range(40)]
        # Everywhere in this domain: psychiatrist (shipped list), "clinic" (found by frequency);
        # "mental health" in a third of the posts is a collocation, not a frequent word.
        body.insert(rng.randrange(len(body)), "psychiatrist")
        body.insert(rng.randrange(len(body)), "clinic.")
        if i % 3 == 1:
            body.insert(rng.randrange(len(body)), "Mental health.")
        texts.append(" ".join(body))
    return texts


def test_domain_and_frequent_words_go_but_their_bigrams_stay() -> None:
    pre = Preprocessor(phrase_min_count=5)
    docs = pre.fit_transform(_blog_corpus())
    vocab = {w for doc in docs for w in doc}
    assert "psychiatrist" not in vocab and "health" not in vocab and "mental" not in vocab
    assert "clinic" in pre.corpus_stop_words and "clinic" not in vocab  # > 50 % of documents
    assert ("mental", "health") in pre.bigram_pairs
    assert "mental_health" in vocab  # the bigram survives though both its words are domain stop words
    assert {"insomnia", "claim", "exposure"} <= vocab


def test_transform_equals_fit_transform_and_survives_save_load(tmp_path: Path) -> None:
    texts = _blog_corpus()
    pre = Preprocessor()
    fitted = pre.fit_transform(texts)
    assert pre.transform(texts) == fitted
    pre.save(tmp_path / "pre.json")
    loaded = Preprocessor.load(tmp_path / "pre.json")
    assert loaded.transform(texts) == fitted
    assert loaded.to_dict() == pre.to_dict()


def test_fit_is_deterministic() -> None:
    texts = _blog_corpus()
    assert Preprocessor().fit(texts).to_dict() == Preprocessor().fit(texts).to_dict()


def test_transform_before_fit_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        Preprocessor().transform(["text"])


def test_empty_and_none_texts_give_no_tokens() -> None:
    pre = Preprocessor().fit(_blog_corpus())
    assert pre.transform([None, "", "   ", "the and of"]) == [[], [], [], []]


def test_transform_matches_fit_on_real_reddit_posts(shared_data: Path) -> None:
    with open(shared_data / REDDIT, encoding="utf-8") as handle:
        texts = [row["post"] for row in csv.DictReader(handle)][:600]
    pre = Preprocessor()
    fitted = pre.fit_transform(texts)
    assert pre.transform(texts) == fitted
    assert sum(len(d) for d in fitted) > 10 * len(texts)
    assert any("_" in w for d in fitted for w in d)  # some bigrams on real text
