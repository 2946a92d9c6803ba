"""Sentence-level VADER sentiment for posts and comments, aggregated per text.

Scoring (``score_text``)
    Only English is scored. Text whose language is not "en" (German, Chinese, ...), None
    (undecided), empty text and mojibake-heavy text get ``compound=None, label=None``: VADER
    returns 0.000 for all of them, which would read as "neutral" and is wrong.

    The text is split into sentences (``split_sentences``) and VADER (vaderSentiment 3.3.2) scores
    each sentence, giving its raw valence sum ``s_i`` (lexicon valences after VADER's negation,
    booster, "but" and punctuation rules, before normalisation) and its compound
    ``normalize(s_i)``.

Aggregation (``AGGREGATION_VERSION`` 1, "windowed valence density")
    ``compound = normalize(sum(s_i) * min(1, WINDOW_WORDS / words))`` with ``WINDOW_WORDS`` = 60,
    ``normalize(x) = x / sqrt(x**2 + 15)`` (VADER's own), ``words`` = whitespace tokens.

    Up to 60 words (tweets, comments, review snippets: what VADER was built and validated on) this
    is VADER's whole-text sum-then-normalise, computed per sentence. On the human ground truth it
    matches plain VADER: tweets r 0.873 / F1 0.948 (VADER 0.872 / 0.948), movie snippets
    r 0.426 / F1 0.590 (VADER 0.427 / 0.590). Sentence-level *means* were tried and lose
    agreement on tweets (r 0.82), because people's ratings grow with each sentiment-laden
    sentence and a mean does not.

    Beyond 60 words the summed valence is scaled to a 60-word window, i.e. the text's valence
    density. Whole-text VADER saturates towards +-1 as a post grows (every long post looks "very
    positive") and its cost is quadratic in length (800 words: 21-42 ms whole vs 8-9 ms split on
    this loaded 2-core machine; ``bench/bench_sentiment.py``). On long documents built from rated
    movie snippets the density tracks the mean human rating much better than whole-text VADER
    (r 0.46 vs 0.21; ``tests/test_quality_sentiment.py``). The rule is continuous at 60 words,
    and repeating a long text leaves its score unchanged.

    HTML entities are decoded first (feed and tweet text: "&lt;3" is VADER's heart "<3").

Label rule
    ``compound >= 0.05`` positive, ``compound <= -0.05`` negative, else neutral (VADER's
    thresholds). ``share_positive`` / ``share_negative`` are the shares of sentences whose own
    compound passes the same thresholds.

Every stored row carries ``SCORER_NAME`` and ``SCORER_VERSION`` (VADER version + aggregation
version), so scores from a changed scorer never mix silently with old ones.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import IO, Any

from pipeline.language import MOJIBAKE_MAX_SHARE, detect, mojibake_share

log = logging.getLogger(__name__)

AGGREGATION_VERSION = 1
WINDOW_WORDS = 60
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
_VADER_ALPHA = 15.0  # vaderSentiment.normalize's alpha


def _vader_version() -> str:
    try:
        return metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:
        return "missing"


SCORER_NAME = "vader-sentences"
TESTED_VADER_VERSION = "3.3.2"
VADER_VERSION = _vader_version()
SCORER_VERSION = f"{VADER_VERSION}+agg{AGGREGATION_VERSION}"


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """Sentiment of one text. ``compound``/``label``/shares are None when the text was not scored."""

    compound: float | None
    label: str | None  # positive | neutral | negative
    share_positive: float | None
    share_negative: float | None
    sentences: int


NOT_SCORED = SentimentResult(None, None, None, None, 0)


# --------------------------------------------------------------------------- sentence splitting

_URL = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"']+?(?=[.,!?;:'\")\]]*(?:\s|$))"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|co|uk|de|info|ly|me|us|ca|au)"
    r"(?:/[^\s]*?)?(?=[.,!?;:'\")\]]*(?:\s|$))",
    re.IGNORECASE,
)
# Western emoticons standing alone (":)", ":-(", ";P", "<3", "^_^", "T_T"); VADER's lexicon scores them.
_EMOTICON_CORE = (
    r"(?:[:;=8xX][-o^'’]?[)(\]\[dDpP/\\|*3oO$@]+|[)(\]\[]+[-o^'’]?[:;=]|<3+|</3|"
    r"\^[_.-]?\^|[tT]_[tT]|-_-|o_O|O_o)"
)
_EMOTICON = re.compile(r"(?<!\S)" + _EMOTICON_CORE + r"(?!\S)")
# Emoticons or emoji right after a sentence end: they belong to the sentence they close.
_TRAILING_SMILEYS = re.compile(
    r"(?:\s+(?:" + _EMOTICON_CORE + r"(?!\S)|[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+))+"
)
# Candidate ends: terminal punctuation, then closing quotes/brackets, then a space or the end.
_TERMINATOR = re.compile(r"(?:\.{2,}|…+|[.!?]+)[\"'”’»)\]]*(?=\s|$)")
_NEXT_START = re.compile(r"\s*[\"'“‘«(\[]*(\S?)")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
# Fast path: a line with none of these before its final punctuation is one sentence.
_END_CHARS = ".!?…\"'”’»)] "
_MAYBE_INNER_END = re.compile(r"[.!?…:;=<^_)(\[\]]|\s[xX8][-oDPp)(]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")

# Never end a sentence: titles and Latin abbreviations are followed by more of the sentence.
_CONTINUE_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof rev hon st mt ft sgt capt col gen lt gov sen rep pres "
    "e.g eg i.e ie cf vs viz al approx ca dept univ assn bros".split()
)
# End a sentence unless a number follows ("No. 5", "Fig. 2", "Jan. 12", "p. 34").
_NUMBER_ABBREVIATIONS = frozenset(
    "no nos fig figs vol vols pp p ch sec art ed eds ref refs tel ext op "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Often end a sentence ("..., chairs etc. Then we left"): a boundary when a capital follows.
_ENDING_ABBREVIATIONS = frozenset("etc a.m am p.m pm inc ltd co corp jr sr esq ph.d phd u.s u.k".split())


def _protected_spans(line: str) -> list[tuple[int, int]]:
    return sorted([m.span() for m in _URL.finditer(line)] + [m.span() for m in _EMOTICON.finditer(line)])


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _previous_word(line: str, end: int) -> str:
    start = end
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    return line[start:end].strip("\"'“‘«([").lower()


def _is_boundary(line: str, match: re.Match[str], spans: list[tuple[int, int]]) -> bool:
    punct = match.group(0).rstrip("\"'”’»)]")
    following = _NEXT_START.match(line, match.end())
    next_char = following.group(1) if following else ""
    if not next_char:
        return True
    if _inside(match.start(), spans):
        return False
    if "!" in punct or "?" in punct:
        return True
    if punct.startswith("..") or punct.startswith("…"):
        # "I was tired... but then" continues; "It ended... Then" does not.
        return next_char.isupper()
    word = _previous_word(line, match.start())
    if word in _CONTINUE_ABBREVIATIONS:
        return False
    if word in _NUMBER_ABBREVIATIONS:
        return not next_char.isdigit()
    if word in _ENDING_ABBREVIATIONS:
        return next_char.isupper()
    if word != "i" and _INITIALS.fullmatch(word):  # "J. R. R. Tolkien", "the U.N. said"
        return False
    if next_char.islower():
        return False
    return True


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, without downloads (no NLTK/punkt).

    Every line is a unit of its own (extracted posts have one paragraph per line; headings and
    list items carry no full stop). Within a line a sentence ends at ``.``/``!``/``?``/an
    ellipsis (plus closing quotes or brackets) before a space or the end, except:
    abbreviations (Dr., e.g., etc. before a lower-case word, No. 5), initials (J.R.R.),
    decimals, URLs and e-mail addresses, and an ellipsis or period followed by a lower-case word.
    ``!`` and ``?`` always end a sentence. An emoticon right after the end stays with the sentence
    it closes ("Great! :)"), and an emoticon followed by a capitalised word ends one
    ("Great day :) See you"). A text without any end mark (a tweet) is one sentence.
    """
    sentences: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if not _MAYBE_INNER_END.search(line.rstrip(_END_CHARS)):
            sentences.append(line)  # no end mark or emoticon before the final one: one sentence
            continue
        spans = _protected_spans(line)
        cuts: list[int] = []
        for match in _TERMINATOR.finditer(line):
            if _is_boundary(line, match, spans):
                cuts.append(match.end())
        for match in _EMOTICON.finditer(line):
            following = _NEXT_START.match(line, match.end())
            if following and following.group(1).isupper():
                cuts.append(match.end())
        start = 0
        for cut in sorted(set(cuts)):
            if cut <= start:
                continue
            trailing = _TRAILING_SMILEYS.match(line, cut)
            if trailing:
                cut = trailing.end()
            piece = line[start:cut].strip()
            if piece:
                sentences.append(piece)
            start = cut
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


# --------------------------------------------------------------------------- VADER

_analyzer_instance: Any = None


def _analyzer() -> Any:
    """One VADER analyser per process (loading the lexicon takes ~30 ms)."""
    global _analyzer_instance
    if _analyzer_instance is None:
        if VADER_VERSION != TESTED_VADER_VERSION:
            log.warning("pipeline.sentiment follows vaderSentiment %s internals but %s is installed; "
                        "run tests/test_quality_sentiment.py before trusting the scores",
                        TESTED_VADER_VERSION, VADER_VERSION)
        from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentimentIntensityAnalyzer, SentiText

        class _ValenceAnalyzer(SentimentIntensityAnalyzer):  # type: ignore[misc]
            """VADER 3.3.2 that also reports the raw valence sum it normalises.

            ASCII text skips VADER's emoji pass, a per-character Python loop (~15 % of the time)
            that maps only non-ASCII characters; the rest is 3.3.2's ``polarity_scores`` step
            for step (``tests/test_sentiment.py`` checks the scores stay identical).
            """

            def polarity_scores(self, text: str) -> dict[str, float]:
                if not text.isascii():
                    return super().polarity_scores(text)
                sentitext = SentiText(text.strip())
                words = sentitext.words_and_emoticons
                sentiments: list[float] = []
                for i, item in enumerate(words):
                    lower = item.lower()
                    if lower in BOOSTER_DICT or (lower == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of"):
                        sentiments.append(0)
                        continue
                    sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
                sentiments = self._but_check(words, sentiments)
                return self.score_valence(sentiments, sentitext.text)

            def score_valence(self, sentiments: list[float], text: str) -> dict[str, float]:
                scores = super().score_valence(sentiments, text)
                total = float(sum(sentiments)) if sentiments else 0.0
                if total:
                    emphasis = self._punctuation_emphasis(text)
                    total = total + emphasis if total > 0 else total - emphasis
                scores["valence"] = total
                return scores

        _analyzer_instance = _ValenceAnalyzer()
    return _analyzer_instance


@lru_cache(maxsize=65536)
def _sentence_valence(sentence: str) -> float:
    """Raw VADER valence of one sentence (cached: comments repeat "Thank you!" a lot)."""
    return float(_analyzer().polarity_scores(sentence)["valence"])


def _normalize(valence: float) -> float:
    return valence / math.sqrt(valence * valence + _VADER_ALPHA)


def label_for(compound: float | None) -> str | None:
    """positive (>= 0.05), negative (<= -0.05), neutral in between; None stays None."""
    if compound is None:
        return None
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def is_english(language: str | None) -> bool:
    """"en", "EN", "en-GB", "en_US" are English; None is not."""
    return bool(language) and re.split(r"[-_]", language.strip().lower())[0] == "en"  # type: ignore[union-attr]


def score_text(text: str, language: str | None) -> SentimentResult:
    """Sentiment of one text (see the module docstring for the aggregation and label rules).

    ``language`` is the text's ISO 639-1 code (``pipeline.language.detect``); anything but
    English, and empty or mojibake-heavy text, gives ``compound=None``/``label=None``.
    """
    if not text or not is_english(language) or not text.strip():
        return NOT_SCORED
    if mojibake_share(text[:3000]) >= MOJIBAKE_MAX_SHARE:
        return NOT_SCORED
    if "&" in text:
        # Feed and tweet text carries HTML entities; "&lt;3" is VADER's "<3" (a heart).
        text = html.unescape(text)
    sentences = split_sentences(text)
    if not sentences:
        return NOT_SCORED
    valences = [_sentence_valence(sentence) for sentence in sentences]
    words = max(1, len(text.split()))
    total = sum(valences) * min(1.0, WINDOW_WORDS / words)
    compound = round(_normalize(total), 4)
    per_sentence = [_normalize(v) for v in valences]
    n = len(per_sentence)
    return SentimentResult(
        compound=compound,
        label=label_for(compound),
        share_positive=round(sum(1 for c in per_sentence if c >= POSITIVE_AT) / n, 4),
        share_negative=round(sum(1 for c in per_sentence if c <= NEGATIVE_AT) / n, 4),
        sentences=n,
    )


def score_many(texts: Sequence[str], languages: Sequence[str | None]) -> list[SentimentResult]:
    """``score_text`` over a batch, in order; identical (text, language) pairs are scored once."""
    if len(texts) != len(languages):
        raise ValueError(f"score_many got {len(texts)} texts but {len(languages)} languages; pass one language per text")
    seen: dict[tuple[str, str | None], SentimentResult] = {}
    results = []
    for text, language in zip(texts, languages):
        key = (text, "en" if is_english(language) else None)
        result = seen.get(key)
        if result is None:
            result = score_text(text, language)
            if len(text) < 2000:  # remember short repeats only; long posts rarely repeat
                seen[key] = result
        results.append(result)
    return results


def sentiment_record(target_kind: str, target_id: str, result: SentimentResult, run_id: str) -> Any:
    """The ``SentimentScore`` row for a scored post or comment (scorer name and version filled in)."""
    from pipeline.records import SentimentScore

    return SentimentScore(
        target_kind=target_kind,
        target_id=target_id,
        scorer=SCORER_NAME,
        scorer_version=SCORER_VERSION,
        compound=result.compound,
        label=result.label,
        share_positive=result.share_positive,
        share_negative=result.share_negative,
        sentences=result.sentences,
        run_id=run_id,
    )


# --------------------------------------------------------------------------- CLI

def _parse_line(line: str) -> tuple[str, Any, str | None, bool]:
    """(text, id, language, had_id) of one input line.

    A line that parses as a JSON object is a record: its "text" string is scored (missing or not
    a string: nothing to score), "id" is echoed and a "language" string is trusted. Any other
    line is the text itself.
    """
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            text = obj.get("text") if isinstance(obj.get("text"), str) else ""
            language = obj.get("language") if isinstance(obj.get("language"), str) else None
            return text, obj.get("id"), language, "id" in obj
    return line, None, None, False


def score_lines(lines: Iterable[str], out: IO[str], mode: str) -> int:
    """Score each line (a text, or a JSON record with "text") and write one JSON line per line to
    ``out``; ``mode`` "auto" detects the language, "en" scores every line as English. Returns the
    number of lines (``blogscope sentiment``, ``flows/commands/sentiment.py``)."""
    count = 0
    for raw in lines:
        line = raw.rstrip("\r\n")
        text, item_id, given_language, had_id = _parse_line(line)
        if given_language:
            language: str | None = given_language
        elif mode == "en":
            language = "en" if text.strip() else None
        else:
            language = detect(text, fallback="en")
        result = score_text(text, language)
        row: dict[str, Any] = {}
        if had_id:
            row["id"] = item_id
        row.update(
            compound=result.compound,
            label=result.label,
            language=language,
            sentences=result.sentences,
            share_positive=result.share_positive,
            share_negative=result.share_negative,
            scorer=SCORER_NAME,
            scorer_version=SCORER_VERSION,
        )
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
