"""Language identification (``pipeline.language``): short English comments, other languages,
empty and mojibake text, and rates on real text from ``../shared/data``."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.language import detect, detect_many, guess, mojibake_share

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def ground_truth_texts(shared_data: Path, name: str) -> list[str]:
    path = shared_data / "vader-ground-truth" / f"{name}_GroundTruth.txt"
    with open(path, encoding="utf-8", errors="replace") as handle:
        rows = [line.rstrip("\r\n").split("\t") for line in handle if line.strip()]
    return [row[2] for row in rows if len(row) >= 3]


# Mis-decoded text, built here (UTF-8 bytes read as cp1252 / Latin-1, GBK read as Latin-1).
CHINESE_MOJIBAKE = "这篇文章写得很好，谢谢你的分享。我也有同样的经历。".encode("utf-8").decode("cp1252", errors="replace")
RUSSIAN_MOJIBAKE = "Спасибо за статью, очень полезно и интересно.".encode("utf-8").decode("latin-1")
GBK_MOJIBAKE = "这是一个很好的帖子，谢谢".encode("gbk").decode("latin-1")
GERMAN_MOJIBAKE = "Schöne Grüße, ich fühle mich ähnlich übermüdet und höre ständig Geräusche".encode("utf-8").decode("cp1252")


@pytest.mark.parametrize(
    "comment",
    ["Thanks!", "Great post, very helpful", "I agree", "Thank you so much for sharing this.", "LMAO, AMAZING!",
     "Love this :)", "Well said.", "Brilliant!", "Same here", "Me too!", "You're welcome", "Could not agree more",
     "Very interesting read", "Sending love ❤️", "Well done", "I'm sorry you went through that",
     "@anonymous http://t.co/abc Thanks for this", "Thanks &amp; hugs"],
)
def test_short_english_comments_are_english(comment: str) -> None:
    assert detect(comment) == "en"


def test_short_english_comments_are_english_often_enough() -> None:
    """Some very short comments carry no listed word ("So true."): None, never another language."""
    comments = ["So true.", "Amen", "Yes!!", "Spot on", "Bless you", "Good luck", "Take care", "Nice one",
                "Beautifully written.", "What a great idea", "Hugs to you", "Interesting", "Wow", "Exactly"]
    answers = detect_many(comments)
    assert sum(a == "en" for a in answers) >= 0.6 * len(comments), answers
    assert set(answers) <= {"en", None}, answers


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Vielen Dank für den tollen Beitrag! Ich habe mich darin sehr wiedererkannt.", "de"),
        ("Das ist ein sehr guter Artikel über Depression und Angst.", "de"),
        ("Merci beaucoup pour cet article, il m'a beaucoup aidé.", "fr"),
        ("Muchas gracias por compartir tu experiencia con la ansiedad.", "es"),
        ("这篇文章写得很好，谢谢你的分享。", "zh"),
        ("Спасибо за статью, очень полезно и интересно.", "ru"),
        ("Dziękuję za ten wpis, bardzo mi pomógł w trudnym czasie.", "pl"),
        ("佢哋今日去咗飲茶，好開心呀！我哋聽日再見啦。", "zh"),  # Cantonese: py3langid's "yue", folded
    ],
)
def test_other_languages(text: str, code: str) -> None:
    assert detect(text) == code


@pytest.mark.parametrize("text", ["Danke!", "Merci", "Gracias", "Stormy weather"])
def test_short_undecidable_text_is_not_called_english(text: str) -> None:
    assert detect(text) != "en"


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_none_even_with_a_fallback(text: str) -> None:
    assert detect(text) is None
    assert detect(text, fallback="en") is None
    assert guess(text).reason == "empty"


@pytest.mark.parametrize("text", [CHINESE_MOJIBAKE, RUSSIAN_MOJIBAKE, GBK_MOJIBAKE, GERMAN_MOJIBAKE, "\ufffd" * 12 + " ok"])
def test_mojibake_is_none_even_with_a_fallback(text: str) -> None:
    assert mojibake_share(text) >= 0.3
    assert detect(text) is None
    assert detect(text, fallback="en") is None
    assert guess(text).reason == "mojibake"


def test_a_few_broken_apostrophes_leave_english_english() -> None:
    text = ("I didnâ€™t expect the waiting list to be this long, but the team kept in touch every week and "
            "that made a real difference to how I coped with it.")
    assert mojibake_share(text) < 0.3
    assert detect(text) == "en"


def test_clean_accented_text_is_not_mojibake() -> None:
    for text in ("Schöne Grüße aus Köln, über die Brücke", "Ça m'a fait du bien, merci à l'équipe",
                 "Vášeň a naše přání", "¿Qué pasó? Señor Muñoz está aquí", "Tiếng Việt có dấu"):
        assert mojibake_share(text) < 0.1, text


def test_fallback_applies_only_to_undecidable_text() -> None:
    assert detect("Stormy weather") is None
    assert detect("Stormy weather", fallback="en") == "en"
    assert detect("😊😊", fallback="en") == "en"
    assert guess("😊😊").reason == "no_letters"
    assert detect("Vielen Dank für den tollen Beitrag!", fallback="en") == "de"


def test_long_text_uses_a_bounded_sample() -> None:
    english = "The group met every Tuesday to talk about sleep, work and medication. " * 400
    assert detect(english + "Danach haben wir noch lange über alles gesprochen. " * 50) == "en"


# --------------------------------------------------------------------------- real text


def test_tweets_and_movie_snippets_are_english(shared_data: Path) -> None:
    """VADER's English ground truth: short texts stay English (or undecided), rarely anything else.

    Measured: tweets 89.1 % "en", 0.17 % another language (mostly real Dutch, Spanish, Turkish
    tweets); movie snippets 97.3 % "en", 0.01 % another language.
    """
    for name, min_english, max_other in (("tweets", 0.85, 0.005), ("movieReviewSnippets", 0.95, 0.002)):
        answers = detect_many(ground_truth_texts(shared_data, name))
        english = sum(a == "en" for a in answers) / len(answers)
        other = sum(a not in ("en", None) for a in answers) / len(answers)
        assert english >= min_english, f"{name}: {english:.3f} English"
        assert other <= max_other, f"{name}: {other:.4f} called another language"


def test_reddit_mental_health_posts_are_english(shared_data: Path) -> None:
    path = shared_data / "topic-corpora" / "reddit-mental-health-27subreddits" / "rmhd_27subreddits_dev_3510posts.csv"
    with open(path, encoding="utf-8") as handle:
        posts = [row["post"] for row in csv.DictReader(handle)][:1500]
    answers = detect_many(posts)
    assert sum(a == "en" for a in answers) >= 0.99 * len(posts)


def test_segments_of_non_english_pages_keep_their_language(shared_data: Path) -> None:
    """Text segments of German, Spanish, French... pages (trafilatura-eval ground truth, 8+ words).

    The page language comes from ``<html lang>`` (a heuristic label): measured 98.8 % agreement,
    and the few "en" answers are English quotes on those pages.
    """
    folder = shared_data / "trafilatura-eval"
    with open(folder / "evaldata.json", encoding="utf-8") as handle:
        evaldata = json.load(handle)
    with open(folder / "pages_index.csv", encoding="utf-8") as handle:
        page_language = {row["url"]: row["lang"][:2].lower() for row in csv.DictReader(handle)}
    segments = [
        (segment, page_language[url])
        for url, entry in evaldata.items()
        if page_language.get(url) not in (None, "", "en")
        for segment in entry["with"]
        if len(segment.split()) >= 8
    ]
    assert len(segments) >= 300
    answers = detect_many([segment for segment, _ in segments])
    agree = sum(answer == language for answer, (_, language) in zip(answers, segments)) / len(segments)
    english = sum(answer == "en" for answer in answers) / len(segments)
    assert agree >= 0.95, f"{agree:.3f}"
    assert english <= 0.02, f"{english:.3f}"


def test_import_stays_light() -> None:
    """Heavy libraries load on first use, so ``blogscope --help`` stays instant."""
    code = ("import sys, pipeline.language, pipeline.sentiment, pipeline.dedup; "
            "heavy = [m for m in ('py3langid', 'vaderSentiment', 'datasketch', 'numpy') if m in sys.modules]; "
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_unpacked_model_cache_gives_the_same_answers(tmp_path: Path) -> None:
    """The memory-mapped cache of the unpacked model classifies exactly as the packed model;
    a cache folder that cannot be written is skipped, not an error."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.language import _load_identifier

    packed = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    first = _load_identifier(tmp_path / "cache")  # unpacks and writes the cache
    assert any((tmp_path / "cache").iterdir())
    cached = _load_identifier(tmp_path / "cache")  # reads it
    blocker = tmp_path / "file"
    blocker.write_text("x")
    uncached = _load_identifier(blocker / "cache")  # cannot be created: works without
    texts = ["Thanks, this helped me a lot with my insomnia.", "Das ist ein deutscher Satz über Schlaf.",
             "Ceci est une phrase française.", "Esto es una frase en español sobre el sueño.", "ok", "",
             "日本語の文です", "Привет, как дела?", GERMAN_MOJIBAKE]
    for text in texts:
        assert cached.rank(text) == packed.rank(text) == first.rank(text) == uncached.rank(text), text
