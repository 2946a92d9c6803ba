"""Sentence-level VADER (``pipeline.sentiment``): splitting, the language gate, aggregation,
labels, records and the ``blogscope sentiment`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main as blogscope_main
from pipeline.language import detect
from pipeline.records import SentimentScore
from pipeline.sentiment import (
    SCORER_NAME,
    SCORER_VERSION,
    WINDOW_WORDS,
    SentimentResult,
    label_for,
    score_many,
    score_text,
    sentiment_record,
    split_sentences,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def cli_main(argv: list[str]) -> int:
    """``blogscope sentiment ARGV``."""
    return blogscope_main(["sentiment", *argv])


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith saw me today. Then he left.", ["Dr. Smith saw me today.", "Then he left."]),
        ("We tried e.g. sleep diaries, walks etc. and it helped.", ["We tried e.g. sleep diaries, walks etc. and it helped."]),
        ("We tried diaries, walks, etc. Then it got better.", ["We tried diaries, walks, etc.", "Then it got better."]),
        ("Mr. and Mrs. Jones moved to St. Louis on Jan. 5. It rained.", ["Mr. and Mrs. Jones moved to St. Louis on Jan. 5.", "It rained."]),
        ("See No. 5 for details. And fig. 3 too.", ["See No. 5 for details.", "And fig. 3 too."]),
        ("J.R.R. Tolkien wrote it. Peter Jackson filmed it.", ["J.R.R. Tolkien wrote it.", "Peter Jackson filmed it."]),
        ("He moved to the U.S. in 2001. He liked it.", ["He moved to the U.S. in 2001.", "He liked it."]),
        ("It costs 3.5 dollars. Cheap!", ["It costs 3.5 dollars.", "Cheap!"]),
        ("I was so tired... but then it got better... Really!", ["I was so tired... but then it got better...", "Really!"]),
        ("It ended… Nobody spoke.", ["It ended…", "Nobody spoke."]),
        ("Great day! :) See you tomorrow", ["Great day! :)", "See you tomorrow"]),
        ("Great day :-( See you tomorrow", ["Great day :-(", "See you tomorrow"]),
        ("Great day! 😊😊 See you tomorrow", ["Great day! 😊😊", "See you tomorrow"]),
        ("Read http://example.com/a.b/page.html. It is great", ["Read http://example.com/a.b/page.html.", "It is great"]),
        ("Mail me at a.b@example.org. Thanks", ["Mail me at a.b@example.org.", "Thanks"]),
        ("no punctuation at all in this tweet lol", ["no punctuation at all in this tweet lol"]),
        ("wow!!! that was great?! yes", ["wow!!!", "that was great?!", "yes"]),
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        ("Meet at 5 p.m. Bring food.", ["Meet at 5 p.m.", "Bring food."]),
        ("So did I. Then we left.", ["So did I.", "Then we left."]),
        ("A heading\nFirst paragraph. Second sentence.\n\nNext paragraph", ["A heading", "First paragraph.", "Second sentence.", "Next paragraph"]),
        ("", []),
        ("   \n  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


# --------------------------------------------------------------------------- language gate


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Das ist ein wirklich schrecklicher, trauriger Tag. Ich hasse das alles.", "de"),
        ("这篇文章写得很好，谢谢你的分享。我非常喜欢。", "zh"),
    ],
)

def test_non_english_text_is_not_scored_and_its_language_is_recorded(text: str, language: str) -> None:
    detected = detect(text)
    assert detected == language
    result = score_text(text, detected)
    assert result.compound is None and result.label is None
    assert result.share_positive is None and result.share_negative is None


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_is_not_scored(text: str) -> None:
    assert score_text(text, "en") == SentimentResult(None, None, None, None, 0)
    assert detect(text) is None


def test_mojibake_is_not_scored_even_when_called_english() -> None:
    text = "这篇文章写得很好，谢谢你的分享。".encode("utf-8").decode("cp1252", errors="replace")
    assert detect(text) is None
    assert score_text(text, detect(text)).compound is None
    assert score_text(text, "en").compound is None  # VADER would say 0.0: wrong, not neutral


def test_unknown_language_is_not_scored() -> None:
    assert score_text("I love this so much!", None).compound is None
    assert score_text("I love this so much!", "en-GB").label == "positive"
    assert score_text("I love this so much!", "EN").label == "positive"


# --------------------------------------------------------------------------- scores


def test_label_thresholds() -> None:
    assert label_for(0.05) == "positive"
    assert label_for(0.0499) == "neutral"
    assert label_for(-0.0499) == "neutral"
    assert label_for(-0.05) == "negative"
    assert label_for(None) is None


def test_one_sentence_equals_vader() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    for text in ["Great post, very helpful!", "I HATE waiting lists :(", "The clinic is not bad at all",
                 "Sleep was okay but the nightmares are back", "Nothing much happened today"]:
        assert score_text(text, "en").compound == pytest.approx(vader.polarity_scores(text)["compound"], abs=1e-4), text


def test_short_text_follows_whole_text_vader() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    text = "The first week was awful. I cried a lot. Now things are slowly getting better and I feel hopeful."
    assert len(text.split()) <= WINDOW_WORDS
    ours, whole = score_text(text, "en"), vader.polarity_scores(text)["compound"]
    assert ours.sentences == 3
    assert ours.compound == pytest.approx(whole, abs=0.05)
    assert ours.share_positive == pytest.approx(1 / 3, abs=1e-3) and ours.share_negative == pytest.approx(2 / 3, abs=1e-3)


def test_long_text_scores_density_not_length() -> None:
    """Beyond the window, repeating a text leaves its score unchanged; whole-text VADER saturates."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    paragraph = ("The group met on Tuesday. We talked about sleep and work. One member was glad to be back. "
                 "The room was cold. Someone brought tea. We agreed to meet again next week.")
    text = "\n".join([paragraph] * 4)
    doubled = "\n".join([paragraph] * 8)
    assert len(text.split()) > WINDOW_WORDS
    assert score_text(doubled, "en").compound == pytest.approx(score_text(text, "en").compound, abs=1e-4)
    ours = score_text(doubled, "en").compound
    whole = SentimentIntensityAnalyzer().polarity_scores(doubled)["compound"]
    assert whole > 0.95 and ours < 0.9  # mildly positive, not "very positive"
    assert ours > 0.05


def test_mixed_post_shares() -> None:
    text = "I love this clinic.\nThe parking is terrible.\nThe building is on Main Street.\nThe staff are kind."
    result = score_text(text, "en")
    assert result.sentences == 4
    assert result.share_positive == 0.5 and result.share_negative == 0.25


def test_html_entities_are_read_as_text() -> None:
    assert score_text("&lt;3", "en").label == "positive"  # "<3" is a heart in VADER's lexicon


def test_score_many_matches_score_text() -> None:
    texts = ["Thanks!", "Das ist gut.", "", "This is awful.", "Thanks!", "The room is blue."]
    languages = ["en", "de", None, "en", "en", "en"]
    assert score_many(texts, languages) == [score_text(t, lang) for t, lang in zip(texts, languages)]
    with pytest.raises(ValueError, match="one language per text"):
        score_many(["a", "b"], ["en"])


def test_sentiment_record_carries_scorer_and_version() -> None:
    record = sentiment_record("comment", "c-1", score_text("Thanks, this helped!", "en"), "run-1")
    assert isinstance(record, SentimentScore)
    assert record.scorer == SCORER_NAME == "vader-sentences"
    assert record.scorer_version == SCORER_VERSION
    assert SCORER_VERSION.startswith("3.3.2+agg")
    assert record.label == "positive" and record.sentences == 1 and record.run_id == "run-1"
    empty = sentiment_record("post", "p-1", score_text("", "en"), "run-1")
    assert empty.compound is None and empty.label is None


# --------------------------------------------------------------------------- CLI


def _run_cli(tmp_path: Path, content: str, *flags: str) -> list[dict]:
    source = tmp_path / "in.txt"
    source.write_text(content, encoding="utf-8", newline="")
    out = tmp_path / "out.jsonl"
    assert cli_main([str(source), "-o", str(out), *flags]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_cli_plain_lines(tmp_path: Path) -> None:
    rows = _run_cli(tmp_path, "I love this!\n\nDas ist ein schrecklicher Tag und ich hasse ihn.\nLMAO, AMAZING!\nThe room is blue\n")
    assert len(rows) == 5
    assert rows[0]["label"] == "positive" and rows[0]["language"] == "en" and rows[0]["sentences"] == 1
    assert rows[1]["compound"] is None and rows[1]["label"] is None  # empty line
    assert rows[2]["compound"] is None and rows[2]["language"] == "de"
    assert rows[3]["label"] == "positive"  # short and undecided: taken as English
    assert rows[4]["compound"] == 0.0 and rows[4]["label"] == "neutral"
    assert all("id" not in row for row in rows)
    assert {row["scorer_version"] for row in rows} == {SCORER_VERSION}


def test_cli_jsonl_keeps_ids_and_order(tmp_path: Path) -> None:
    lines = [
        {"id": "c3", "text": "This is the worst advice ever."},
        {"id": 7, "text": "Great post, very helpful"},
        {"id": "c1", "text": ""},
        {"text": "No id here, but happy anyway"},
        {"id": "c9", "text": "Das ist gut.", "language": "en"},
        {"id": "c10", "text": None},
    ]
    rows = _run_cli(tmp_path, "\n".join(json.dumps(line) for line in lines) + "\n")
    assert [row.get("id", "-") for row in rows] == ["c3", 7, "c1", "-", "c9", "c10"]
    assert rows[5]["compound"] is None
    assert [row["label"] for row in rows[:4]] == ["negative", "positive", None, "positive"]
    assert rows[4]["language"] == "en" and rows[4]["compound"] is not None  # the given language wins


def test_cli_one_output_line_per_input_line(tmp_path: Path) -> None:
    content = "first\r\nsecond has a lone \r inside\nthird\x0cpage\u2028sep\n{not json\n"
    rows = _run_cli(tmp_path, content)
    assert len(rows) == 4


def test_cli_language_en_scores_everything(tmp_path: Path) -> None:
    rows = _run_cli(tmp_path, "Das ist gut.\n\n", "--language", "en")
    assert rows[0]["language"] == "en" and rows[0]["compound"] == 0.0
    assert rows[1]["compound"] is None


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([str(tmp_path / "nope.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--help"])
    assert exit_info.value.code == 0
    assert "blogscope sentiment comments.txt" in capsys.readouterr().out


def test_the_command_reads_stdin() -> None:
    """``blogscope sentiment`` with no file reads standard input (lines, JSON lines, stray bytes)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "blogscope"), "sentiment"],
        input="Thanks, that helped!\n{\"id\": \"x\", \"text\": \"Awful.\"}\n".encode("utf-8") + b"a stray byte \xff in a line\n",
        cwd=PROJECT_ROOT, capture_output=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [row["label"] for row in rows] == ["positive", "negative", "neutral"]
    assert rows[1]["id"] == "x"
