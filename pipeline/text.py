"""Text preparation for topic models: tokens, stop words, plural folding and bigrams.

Topic models see what this module hands them, so it decides much of their quality:

* **Tokens** are lower-cased, unicode-aware word runs. URLs, e-mail addresses, HTML entities and
  zero-width characters are removed; pure numbers are dropped and leading digits are cut from
  tokens such as ``20mg`` (-> ``mg``), so dosages and years do not become topics. Possessive
  ``'s`` is dropped and other apostrophes are removed (``don't`` -> ``dont``, then a stop word).
  Hyphenated compounds are kept as one token joined by ``_`` (``self-harm`` -> ``self_harm``),
  the same spelling the bigram detector gives ``self harm``.
* **English stop words** are shipped here (no NLTK / spaCy downloads). The list is our own:
  scikit-learn's list drops topical words such as *alone*, *cry*, *empty* and *fire*, which matter
  in mental-health text, so it is not used.
* **Plural folding** is a cheap, corpus-aware normalisation: ``friends`` becomes ``friend`` only
  when ``friend`` itself occurs in the training corpus (no dictionary download, no guessing of
  words the corpus never shows).
* **Bigrams** come from gensim ``Phrases`` trained on the corpus (``credit card`` ->
  ``credit_card``), frozen into a set of pairs applied greedily left to right, as gensim does.
* **Domain stop words** carry no topic because they appear everywhere in this domain: a small
  shipped list (psychiatry, patient, mental, health, ...) plus every token found in more than
  ``max_doc_share`` of the training documents. Both are removed *after* bigram detection, so
  ``mental_health`` or ``health_anxiety`` survive as terms while bare ``health`` goes.

Everything is deterministic: the same texts give the same tokens, run after run.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- stop words

_FUNCTION_WORDS = """
a about above across after afterwards again against ago ah ahead all almost along already also
although always am among amongst an and another any anybody anyhow anymore anyone anything anyway
anyways anywhere are aren around as aside at away be became because become becomes becoming been
before beforehand behind being below beside besides between beyond both but by can cannot cant
could couldn couldnt did didn didnt do does doesn doesnt doing don done dont down during each eg
eight either eleven else elsewhere enough especially etc even ever every everybody everyone
everything everywhere except few fifteen fifth fifty first five for former formerly forty four
from further furthermore had hadn hadnt has hasn hasnt have haven havent having he hed hell hence
her here hereafter hereby herein hereupon hers herself hes hi him himself his how however hundred
id ie if ill im in inc indeed instead into is isn isnt it itd itll its itself ive just last
later latter latterly least less let lets ll ltd many may maybe me meanwhile might mightn mine more
moreover most mostly much must mustn my myself namely neither never nevertheless next nine no
nobody none noone nor not nothing now nowhere of off often oh ok okay on once one ones only onto
or other others otherwise ought our ours ourselves out over own per perhaps quite rather re
really same second seven shall shan she shed shell shes should shouldn shouldnt since six sixty so
some somebody somehow someone something sometime sometimes somewhere soon still such than that
thatll thats the their theirs them themselves then thence there thereafter thereby therefore
therein theres thereupon these they theyd theyll theyre theyve third thirty this those though
thousand three through throughout thru thus to together too toward towards twelve twenty two un
under unless until up upon us ve very via vs was wasn wasnt we wed well were weren werent weve what
whatever whats when whence whenever where whereafter whereas whereby wherein wheres whereupon
wherever whether which while whither who whod whoever whole whom whos whose why will with within
without won wont would wouldn wouldnt yeah yes yet you youd youll your youre yours yourself
yourselves youve
"""

# Informal web writing and filler verbs / adverbs that carry no topic in any blog or forum.
_WEB_FILLER = """
actually basically btw edit etc gonna got gotta idk imo imho kinda lol lmao na nd omg pls plz
pm rd st th tbh thanks thank tl dr tldr wanna www http https com amp nbsp gt lt
also get gets getting go goes going gone know knew known like liked likes make makes making
made say says said see seen seem seems seemed thing things think thought want wants wanted
way ways lot lots use used using able sure yes really pretty sort kind
"""

#: English stop words shipped with blogscope (no downloads at run time).
STOP_WORDS: frozenset[str] = frozenset((_FUNCTION_WORDS + _WEB_FILLER).split())

#: Words that appear everywhere on psychiatry / mental-health blogs and so carry no topic there.
#: Documents-frequency stop words are added per corpus on top of these (``max_doc_share``).
DOMAIN_STOP_WORDS: frozenset[str] = frozenset(
    """
    psychiatry psychiatric psychiatrist psychiatrists patient patients mental health doctor doctors
    blog blogs post posts posted comment comments reader readers
    """.split()
)

# Plural folding must not turn these into other words (news -> new, lens -> len, ...).
_NO_FOLD_SUFFIXES = ("ss", "us", "is", "ics", "ous", "ness", "less")
_NO_FOLD_WORDS = frozenset("news lens series species means thanks glasses pants clothes yes".split())

# --------------------------------------------------------------------------- tokens

_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b", re.IGNORECASE)
_ENTITY_LEFTOVER = re.compile(r"&#?x?[0-9a-z]{1,8};", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff]")
_APOSTROPHES = re.compile(r"[\u2019\u2018\u02bc`\u00b4]")
# Runs of letters/digits, optionally joined by apostrophes or hyphens inside the word.
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_LEADING_DIGITS = re.compile(r"^\d+")
_MAX_TOKEN_LEN = 40
_MEMO_LIMIT = 500_000  # distinct words remembered by Preprocessor.transform_one


def normalise_text(text: str) -> str:
    """Clean raw text before tokenising: entities, invisible characters, URLs, apostrophes."""
    if "&" in text:
        text = html.unescape(html.unescape(text))  # Reddit / feeds double-escape (&amp;#x200B;)
        text = _ENTITY_LEFTOVER.sub(" ", text)
    if "://" in text or "www." in text or "@" in text:
        text = _URL.sub(" ", text)
    if not text.isascii():  # invisible characters and curly apostrophes are all non-ASCII
        text = _APOSTROPHES.sub("'", _INVISIBLE.sub("", text))
    return text.lower()


def _clean_token(raw: str, stop_words: frozenset[str]) -> str | None:
    """One regex match -> a token, or None when it carries no topic."""
    if raw.endswith("'s"):  # possessive: patient's -> patient
        raw = raw[:-2]
    parts = []
    for part in raw.replace("'", "").split("-"):
        part = _LEADING_DIGITS.sub("", part)  # 20mg -> mg, 1990s -> s (dropped below), 2019 -> ''
        if part:
            parts.append(part)
    if not parts or (len(parts) == 1 and parts[0] in stop_words):
        return None  # a compound of stop words (well-being, one-on-one) still names something
    token = "_".join(parts)
    if len(token) < 2 or len(token) > _MAX_TOKEN_LEN or token in stop_words:
        return None
    return token


def tokenize(text: str | None, *, stop_words: frozenset[str] = STOP_WORDS) -> list[str]:
    """Lower-cased word tokens without stop words, numbers or URLs (see the module docstring)."""
    if not text:
        return []
    text = normalise_text(text)
    out = []
    for word in _WORD.findall(text):
        if word.isalpha():  # the common case, kept cheap: inference speed rests on it
            if 2 <= len(word) <= _MAX_TOKEN_LEN and word not in stop_words:
                out.append(word)
        else:
            token = _clean_token(word, stop_words)
            if token is not None:
                out.append(token)
    return out


def plural_folding_map(counts: Counter[str] | dict[str, int], *, min_singular_count: int = 1) -> dict[str, str]:
    """Map plural tokens to their singular when the singular occurs in the corpus.

    ``friends`` -> ``friend``, ``stories`` -> ``story``, ``watches`` -> ``watch``. A plural is
    folded only when its singular has been seen at least ``min_singular_count`` times, so the
    rule never invents words. Sorted iteration keeps the map identical across runs.
    """
    mapping: dict[str, str] = {}
    for word in sorted(counts):
        if len(word) < 4 or not word.endswith("s") or "_" in word:
            continue
        if word in _NO_FOLD_WORDS or word.endswith(_NO_FOLD_SUFFIXES):
            continue
        candidates = []
        if word.endswith("ies"):
            candidates.append(word[:-3] + "y")
        if word.endswith(("ches", "shes", "xes", "zes", "sses")):
            candidates.append(word[:-2])
        candidates.append(word[:-1])
        for singular in candidates:
            if counts.get(singular, 0) >= min_singular_count:
                mapping[word] = singular
                break
    return mapping


# --------------------------------------------------------------------------- phrases


def apply_bigrams(tokens: Sequence[str], pairs: frozenset[tuple[str, str]] | set[tuple[str, str]],
                  delimiter: str = "_") -> list[str]:
    """Join adjacent tokens that form a known bigram, greedily left to right (as gensim does)."""
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        if i + 1 < n and (tokens[i], tokens[i + 1]) in pairs:
            out.append(tokens[i] + delimiter + tokens[i + 1])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def learn_bigrams(docs: Sequence[Sequence[str]], *, min_count: int = 5, threshold: float = 10.0) -> frozenset[tuple[str, str]]:
    """Collocations found by gensim ``Phrases`` (original Mikolov scoring), as token pairs."""
    from gensim.models.phrases import Phrases

    phrases = Phrases(docs, min_count=min_count, threshold=threshold, delimiter="_",
                      connector_words=frozenset())
    frozen = phrases.freeze()
    pairs = set()
    for phrase in frozen.phrasegrams:
        left, sep, right = phrase.partition("_")
        # Tokens may themselves hold "_" (hyphen compounds); keep only unambiguous splits.
        if sep and "_" not in right and left and right:
            pairs.add((left, right))
    return frozenset(pairs)


# --------------------------------------------------------------------------- preprocessor


@dataclass
class Preprocessor:
    """Learns corpus-level normalisation (plurals, bigrams, frequent words) and applies it.

    ``fit`` on the training texts, then ``transform`` any texts (new documents use what was
    learned; nothing is re-learned). ``save`` / ``load`` keep it beside the topic model.
    """

    bigrams: bool = True
    phrase_min_count: int = 5
    phrase_threshold: float = 10.0
    phrase_docs: int = 20_000  # bigrams are learned on at most this many (evenly spaced) documents
    fold_plurals: bool = True
    max_doc_share: float = 0.5
    min_docs_for_doc_share: int = 20  # on tiny corpora a df share says nothing about a word
    domain_stop_words: frozenset[str] = field(default=DOMAIN_STOP_WORDS, repr=False)
    stop_words: frozenset[str] = field(default=STOP_WORDS, repr=False)
    # Learned by fit (kept out of repr: thousands of entries):
    plural_map: dict[str, str] = field(default_factory=dict, repr=False)
    bigram_pairs: frozenset[tuple[str, str]] = field(default=frozenset(), repr=False)
    corpus_stop_words: frozenset[str] = field(default=frozenset(), repr=False)
    fitted: bool = False

    # -- learning ----------------------------------------------------------------------
    def fit(self, texts: Iterable[str | None]) -> Preprocessor:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Iterable[str | None]) -> list[list[str]]:
        docs = [tokenize(t, stop_words=self.stop_words) for t in texts]
        if self.fold_plurals:
            counts = Counter(w for doc in docs for w in doc)
            self.plural_map = plural_folding_map(counts)
            docs = [[self.plural_map.get(w, w) for w in doc] for doc in docs]
        if self.bigrams and docs:
            # Collocation statistics settle long before 100k documents; a fixed stride keeps the
            # sample deterministic and spread over the whole corpus (e.g. over time).
            stride = max(1, math.ceil(len(docs) / self.phrase_docs))
            self.bigram_pairs = learn_bigrams(docs[::stride], min_count=self.phrase_min_count,
                                              threshold=self.phrase_threshold)
            docs = [apply_bigrams(doc, self.bigram_pairs) for doc in docs]
        n_docs = sum(1 for doc in docs if doc)
        frequent: set[str] = set()
        if n_docs >= self.min_docs_for_doc_share:
            df = Counter(w for doc in docs for w in set(doc))
            frequent = {w for w, c in df.items() if c / n_docs > self.max_doc_share}
        self.corpus_stop_words = frozenset(frequent)
        self.fitted = True
        self._refresh()
        log.info("text: %d docs, %d plural folds, %d bigrams, %d frequent words dropped (%s)",
                 len(docs), len(self.plural_map), len(self.bigram_pairs), len(frequent),
                 ", ".join(sorted(frequent)[:12]))
        drop = self.domain_stop_words | self.corpus_stop_words
        return [[w for w in doc if w not in drop] for doc in docs]

    # -- applying ----------------------------------------------------------------------
    def transform_one(self, text: str | None) -> list[str]:
        """Tokens of one text, using only what ``fit`` learned (same result as ``fit_transform``)."""
        if not self.fitted:
            raise RuntimeError("Preprocessor.transform called before fit; call fit(texts) or load(path) first")
        if not text:
            return []
        words = _WORD.findall(normalise_text(text))
        # Each distinct word is cleaned, stop-worded and plural-folded once, then remembered:
        # inference speed rests on this, and the loops below run in C (map / set difference).
        memo = self._memo
        for word in set(words).difference(memo):
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            token = _clean_token(word, self.stop_words) if not word.isalpha() else (
                word if 2 <= len(word) <= _MAX_TOKEN_LEN and word not in self.stop_words else None)
            memo[word] = self.plural_map.get(token, token) if token else ""
        doc = [t for t in map(memo.__getitem__, words) if t]
        if self.bigram_pairs and not self._bigram_lefts.isdisjoint(doc):
            doc = apply_bigrams(doc, self.bigram_pairs)
        drop = self._drop
        return [w for w in doc if w not in drop]

    def transform(self, texts: Iterable[str | None]) -> list[list[str]]:
        return [self.transform_one(t) for t in texts]

    def __post_init__(self) -> None:
        self._memo: dict[str, str] = {}
        self._refresh()

    def _refresh(self) -> None:
        """Derived lookup sets; recomputed whenever fit changes what was learned."""
        self._memo = {}
        self._bigram_lefts = frozenset(a for a, _ in self.bigram_pairs)
        self._drop = self.domain_stop_words | self.corpus_stop_words

    # -- persistence -------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The settings that shape tokens (part of a model run's parameters)."""
        return {
            "bigrams": self.bigrams,
            "phrase_min_count": self.phrase_min_count,
            "phrase_threshold": self.phrase_threshold,
            "phrase_docs": self.phrase_docs,
            "fold_plurals": self.fold_plurals,
            "max_doc_share": self.max_doc_share,
            "min_docs_for_doc_share": self.min_docs_for_doc_share,
            "domain_stop_words": sorted(self.domain_stop_words),
            "stop_words_digest": _words_digest(self.stop_words),
        }

    def to_dict(self) -> dict[str, Any]:
        data = self.config()
        data.pop("stop_words_digest")
        data.update(
            stop_words=sorted(self.stop_words),
            plural_map=dict(sorted(self.plural_map.items())),
            bigram_pairs=sorted(list(p) for p in self.bigram_pairs),
            corpus_stop_words=sorted(self.corpus_stop_words),
            fitted=self.fitted,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessor:
        return cls(
            bigrams=data["bigrams"],
            phrase_min_count=data["phrase_min_count"],
            phrase_threshold=data["phrase_threshold"],
            phrase_docs=data.get("phrase_docs", 20_000),
            fold_plurals=data["fold_plurals"],
            max_doc_share=data["max_doc_share"],
            min_docs_for_doc_share=data["min_docs_for_doc_share"],
            domain_stop_words=frozenset(data["domain_stop_words"]),
            stop_words=frozenset(data["stop_words"]),
            plural_map=dict(data["plural_map"]),
            bigram_pairs=frozenset(tuple(p) for p in data["bigram_pairs"]),
            corpus_stop_words=frozenset(data["corpus_stop_words"]),
            fitted=data["fitted"],
        )

    def save(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> Preprocessor:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _words_digest(words: Iterable[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(sorted(words)).encode("utf-8")).hexdigest()[:16]
