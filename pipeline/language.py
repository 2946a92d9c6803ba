"""Offline language identification for posts and comments.

``detect(text)`` returns an ISO 639-1 code, or None when the text is empty, mojibake-heavy or too
short / ambiguous to call. Varieties fold into their macrolanguage (Cantonese and Wu -> "zh",
Egyptian and Moroccan Arabic -> "ar"); the few languages py3langid knows that have no two-letter
code keep its ISO 639-3 label (Nigerian Pidgin "pcm", Bikol "bcl", ...). It runs on every post and comment, so it is cheap: one py3langid call
(a naive Bayes model over byte n-grams, shipped inside the wheel: no downloads) on at most
``MAX_MODEL_CHARS`` characters, plus a word-list check.

The decision rule, in order (``guess`` returns the reason with the answer):

1. Empty or whitespace-only text -> None (``empty``).
2. Mojibake-heavy text -> None (``mojibake``): at least ``MOJIBAKE_MAX_SHARE`` (30 %) of the
   words hold a UTF-8 sequence read as cp1252/Latin-1 (``Ã©``, ``â€™``, ``è¿™``), a run of three or
   more Latin-1 high characters (GBK/Big5 read as Latin-1), U+FFFD or a C1 control. A few broken
   apostrophes in otherwise clean English stay well below the bar and are still "en".
3. URLs, e-mail addresses, @mentions and HTML entities are removed; what is left must contain a
   letter, else the text is undecidable (``no_letters``; emoji-only comments land here).
4. py3langid with length-calibrated probabilities. ``p >= STRONG_CONFIDENCE`` (0.90) is accepted
   as is (``model``).
5. Short-text rule for English (``english_words``): py3langid is unreliable below a few dozen
   letters ("Thanks!" gets p=0.09), so the words themselves are checked against a list of common
   English words that are NOT also function words of other Latin-script languages (no "a", "in",
   "die", "so", "was", "to", "me", ...). The text is English when at least one word hits, the hits
   are at least ``ENGLISH_MIN_SHARE`` of the words and more than twice the hits of a list of
   German/French/Spanish/Italian/Portuguese/Dutch/Scandinavian/Polish/Turkish function words.
   "Thanks!", "Great post, very helpful", "I agree", "LMAO, AMAZING!" come out "en";
   "Danke!", "Merci beaucoup", "Stormy weather" (no list word) do not.
6. py3langid with ``p >= CONFIDENCE`` (0.50) on at least ``MIN_MODEL_LETTERS`` letters
   (``model``), except that a non-English answer is void while English still holds
   ``ENGLISH_RIVAL`` (0.25): short English is often taken for an English-lexified creole
   ("so bizarre! Went on for ages." -> Nigerian Pidgin 0.61, English 0.28).
7. Otherwise undecidable (``low_confidence``): the caller's ``fallback`` (default None).

``fallback`` lets a caller say what short undecidable text most likely is: a comment on an English
post, or a line given to the English sentiment scorer. Empty and mojibake text never take it.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STRONG_CONFIDENCE = 0.90
CONFIDENCE = 0.50
MIN_MODEL_LETTERS = 10
MAX_MODEL_CHARS = 3000  # py3langid is linear in length; 3,000 characters decide any real post
MOJIBAKE_MAX_SHARE = 0.30
ENGLISH_MIN_SHARE = 1 / 3
ENGLISH_RIVAL = 0.25  # a non-English verdict below STRONG_CONFIDENCE is void while English holds this much

# Common English words that are not everyday function words elsewhere in Latin script.
_ENGLISH_WORDS = frozenset(
    """
    the and you your yours you're you've you'll thank thanks thx great good nice love loved
    lovely loving very really this that these those with what when where who whom whose why how
    which are were been being have has had having does did didn't doesn't don't isn't aren't
    wasn't weren't haven't hasn't won't wouldn't couldn't shouldn't can't cannot not yes yeah
    yep nope it its it's i'm i've i'd i'll we we're we've our ours they they're their them she
    hers him his of or but if than then about would could should can all any some more
    much many other such only every each both few here there now today tonight tomorrow
    yesterday always never ever again already know knew think thought feel feels felt feeling
    like liked get gets got getting make makes made one people time day week year read reading
    share sharing shared wonderful beautiful fantastic brilliant awesome amazing cool
    interesting useful helpful informative insightful agree agreed disagree congrats
    congratulations welcome hello hey dear friend friends wow lol lmao omg please sorry hope
    hoping wish happy sad worse worst better same too well sure maybe actually especially
    because though although while after before since until into onto through without
    within way thing things something nothing anything everything someone anyone everyone
    nobody myself yourself himself herself itself ourselves themselves going gonna wanna wants
    wanted need needs needed work works worked help helps helped keep kept look looks looked
    seen saw say says said tell find found give take took came write wrote written story
    stories life world goodbye bye cheers awful hate hated fun funny
    """.split()
)
_OTHER_FUNCTION_WORDS = frozenset(
    """
    der die das und ist nicht ich ein eine einen zu mit sich auf für es sie wir ja danke sehr
    aber auch noch nur wie wenn dass oder bei von vom zum zur den dem des ins sind war
    le la les et est je pas une un des du que qui pour merci très bien c'est avec sur ce il elle
    nous vous mais dans au aux ou où
    el los las y es por una muy gracias pero con para lo se del al su sus como más está
    il che di è non della delle grazie molto sono anche questo ma
    o os é não muito obrigado obrigada com uma em nos na no da
    het een en niet ik dank je dat zijn voor ook maar wel
    och att det är jag inte tack og jeg ikke takk tak er af til med på
    w nie się na jest że z dziękuję bardzo jak ale
    ve bir bu çok teşekkürler ile için
    yang ini itu terima kasih tidak
    """.split()
)

# py3langid labels that have a two-letter code through their macrolanguage; "zxx" means "no
# linguistic content". Other three-letter labels (pcm, bcl, ...) have no ISO 639-1 code and stay.
_ISO639_1: dict[str, str | None] = {
    "arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "gug": "gn", "sdh": "ku", "zxx": None,
}

_URL_OR_HANDLE = re.compile(
    r"(?:https?://|ftp://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\w)@\w+|&#?\w+;",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
# UTF-8 bytes shown as cp1252/Latin-1: a lead byte's character (Â..ß, à..ï, ð..ô) followed by
# exactly as many continuation-byte characters as that lead announces. Requiring the whole
# sequence keeps real text apart: Czech "váš" has a three-byte lead "á" but one follower.
_CONTINUATION = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122\ufffd]"
)
_MOJIBAKE_SEQUENCE = re.compile(
    f"[\u00c2-\u00df]{_CONTINUATION}|[\u00e0-\u00ef]{_CONTINUATION}{{2}}|[\u00f0-\u00f4]{_CONTINUATION}{{3}}"
)
_HIGH_LATIN1_RUN = re.compile("[\u0080-\u00ff]{3,}")
_UNDECODABLE = re.compile("[\ufffd\u0080-\u009f]")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """``language`` plus why: model | english_words | empty | mojibake | no_letters | low_confidence."""

    language: str | None
    confidence: float
    reason: str


_identifier: Any = None
_identifier_lock = threading.Lock()


def _model() -> Any:
    """The py3langid identifier, loaded once per process.

    py3langid ships its model xz-packed: unpacking costs ~0.4 s of CPU in every process that
    detects a language (each ``blogscope`` command, each process stage). The unpacked arrays are
    kept in a cache folder (:func:`model_cache_dir`, ~50 MB) and memory-mapped from there next
    time (~20 ms). Without a writable cache the packed model is used, as before.
    """
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                _identifier = _load_identifier(model_cache_dir())
    return _identifier


# The identifier's arrays as stored in the cache: name -> (attribute, kind).
_CACHED_ARRAYS = {"ptc": "nb_ptc", "pc": "nb_pc", "nextmove": "tk_nextmove", "row": "tk_row", "out": "tk_output"}


def model_cache_dir() -> Path | None:
    """``$BLOGSCOPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/blogscope``, else ``~/.cache/blogscope``
    (``BLOGSCOPE_CACHE_DIR=`` empty turns the cache off)."""
    if "BLOGSCOPE_CACHE_DIR" in os.environ:
        value = os.environ["BLOGSCOPE_CACHE_DIR"]
        return Path(value) if value else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "blogscope"


def _load_identifier(cache_dir: Path | None) -> Any:
    from array import array

    import numpy as np
    from py3langid import __version__ as langid_version
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    packed = MODEL_DIR / MODEL_FILE
    stat = packed.stat()
    folder = None
    if cache_dir is not None:
        folder = cache_dir / f"py3langid-{langid_version}-{stat.st_size}-{int(stat.st_mtime)}"
        try:
            if (folder / "classes.json").is_file():
                arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _CACHED_ARRAYS}
                classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
                return LanguageIdentifier(
                    arrays["ptc"], np.asarray(arrays["pc"]), classes,
                    array(arrays["nextmove"].dtype.char, arrays["nextmove"].tobytes()),
                    arrays["out"].tolist(), norm_probs=True,
                    tk_row=array(arrays["row"].dtype.char, arrays["row"].tobytes()))
        except (OSError, ValueError) as exc:  # a damaged or partial cache: rebuild it below
            log.info("language model cache %s unusable (%s); unpacking the model", folder, exc)
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if folder is not None:
        _write_cache(folder, identifier)
    return identifier


def _write_cache(folder: Path, identifier: Any) -> None:
    """Store the unpacked arrays (a temporary folder renamed into place: readers never see half)."""
    import shutil
    import tempfile

    import numpy as np

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        try:
            for name, attribute in _CACHED_ARRAYS.items():
                value = getattr(identifier, attribute)
                np.save(tmp / f"{name}.npy", np.asarray(value if not isinstance(value, list) else
                                                         np.array(value, dtype=np.int32)))
            (tmp / "classes.json").write_text(json.dumps(list(identifier.nb_classes)), encoding="utf-8")
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:  # read-only home, full disk, a concurrent writer won: keep going uncached
        log.info("language model cache not written to %s (%s)", folder, exc)


def mojibake_share(text: str) -> float:
    """Share of words (whitespace tokens) that show mis-decoded bytes; 0.0 for clean text.

    Words, not characters: umlaut-dense German read as cp1252 damages nearly every word but only
    a quarter of the characters, while one broken apostrophe in a long English sentence damages
    one word in twenty.
    """
    if text.isascii():
        return 0.0
    words = text.split()
    if not words:
        return 0.0
    damaged = sum(
        1 for word in words
        if not word.isascii()
        and (_MOJIBAKE_SEQUENCE.search(word) or _HIGH_LATIN1_RUN.search(word) or _UNDECODABLE.search(word))
    )
    return damaged / len(words)


def english_word_evidence(text: str) -> tuple[int, int, int]:
    """(words, English-list hits, other-language function-word hits) for the short-text rule."""
    words = [w.replace("’", "'") for w in _WORD.findall(text)]
    english = other = 0
    for word in words:
        lower = word.lower()
        # Capital "I" is English; lower-case "i" is Polish/Italian "and"/"the".
        if lower in _ENGLISH_WORDS or word == "I":
            english += 1
        elif lower in _OTHER_FUNCTION_WORDS:
            other += 1
    return len(words), english, other


def _looks_english(text: str) -> bool:
    words, english, other = english_word_evidence(text)
    return english >= 1 and english >= ENGLISH_MIN_SHARE * words and english > 2 * other


def guess(text: str, fallback: str | None = None) -> LanguageGuess:
    """Language of ``text`` with the confidence and the rule that decided (see module docstring)."""
    sample = text[:MAX_MODEL_CHARS] if text else ""
    if not sample.strip():
        return LanguageGuess(None, 0.0, "empty")
    if mojibake_share(sample) >= MOJIBAKE_MAX_SHARE:
        return LanguageGuess(None, 0.0, "mojibake")
    clean = _URL_OR_HANDLE.sub(" ", html.unescape(sample) if "&" in sample else sample)
    letters = len(_LETTER.findall(clean))
    if not letters:
        return LanguageGuess(fallback, 0.0, "no_letters")
    model = _model()
    label, probability = model.classify(clean)
    code = _ISO639_1.get(label, label)
    if code is None:  # "zxx": no linguistic content
        return LanguageGuess(fallback, probability, "low_confidence")
    if probability >= STRONG_CONFIDENCE:
        return LanguageGuess(code, probability, "model")
    if _looks_english(clean):
        return LanguageGuess("en", probability if code == "en" else 0.0, "english_words")
    if probability >= CONFIDENCE and letters >= MIN_MODEL_LETTERS:
        # rank() costs a second pass; only the rare mid-confidence non-English answer needs it.
        if code == "en" or _english_probability(model, clean) < ENGLISH_RIVAL:
            return LanguageGuess(code, probability, "model")
    return LanguageGuess(fallback, probability, "low_confidence")


def _english_probability(model: Any, text: str) -> float:
    return next((p for lang, p in model.rank(text) if lang == "en"), 0.0)


def detect(text: str, *, fallback: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``; None (or ``fallback``) when it cannot be called.

    ``fallback`` is returned only for undecidable text that has content (short, ambiguous or
    letter-less such as emoji-only); empty and mojibake-heavy text is always None.
    """
    return guess(text, fallback).language


def detect_many(texts: list[str], *, fallback: str | None = None) -> list[str | None]:
    """``detect`` over a batch (same answers; loads the model once)."""
    return [detect(text, fallback=fallback) for text in texts]
