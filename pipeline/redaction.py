"""Commenters' identities inside text, replaced at ingest (the process stage).

Readers address each other by name ("Margaret, that is so encouraging"), quote each other, sign
off with their names and write e-mail addresses, phone numbers and profile links. Before any text
reaches the warehouse, the Parquet under ``runs/``, exports, search or the report, this module
replaces:

* **names of the site's known commenters** (this batch's and earlier runs') by that commenter's
  pseudonym (``reader-…``, the same as ``author_pseudonym``), so threads stay readable: the full
  display name in any case, a handle, ``@name``, and the distinctive parts of a spaced name (its
  first name after a title such as "Dr." or "Rev.", and longer capitalised surnames), possessives
  ("Margaret's") and names followed by punctuation included;
* **profile URLs** of known commenters by ``[url]``; any other URL with a path keeps only its host
  (``[url:host]``), as exports always did;
* **e-mail addresses** by ``[email]``, **phone numbers** by ``[phone]``, other ``@handles`` by
  ``[handle]``.

Ordinary words. A name token that is also a common English word ("hope", "will", "grace", "mark",
"may"; see ``ORDINARY_WORDS``) or has at most two letters is *ambiguous*: it is replaced only where
it is used as a name: written as ``@name``; capitalised in mid-sentence (not after "the", "a",
"my"...; a month or weekday also not after "in", "since"... nor beside a number); capitalised with
a possessive or inside quotes; followed by "said", "wrote"...; or in a *name position*, capitalised
or followed by punctuation: a salutation (a sentence that opens with it followed by ",", ":", "!"
or a dash, unless a list follows: "Faith, hope and...") or right after "hi", "dear", "thanks"...;
or a sign-off (the last word of the text after a dash, a tilde, a line break or "cheers,",
"take care,"...). Full multi-word names are never ambiguous. Generic display names ("Anonymous",
"Guest") identify nobody and are not replaced.

Bloggers are public: a commenter whose name is a byline of the site is not a reader, and a
blogger's full byline in text stays. A reader who shares a first name with a blogger is still a
reader: the bare first name is replaced by the reader's pseudonym (privacy wins over the byline).

Earlier runs. The warehouse must not hold raw names, so each known name is kept only as a keyed
hash of its normalised tokens (HMAC-SHA256 with the pseudonym key, per site;
``NameIndex.hash_rows``). A token of a new text is hashed with the same key and looked up: the
membership test needs the key, which never enters the database.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pipeline.privacy import normalise_name, pseudonym

KINDS: tuple[str, ...] = ("name", "email", "phone", "url")

# Identifier patterns (Python ``re`` and RE2 alike, so exports can run them vectorised on Arrow).
URL_PATTERN = r"(?i)\b(?:https?|ftp)://(?:[^\s/?#<>\"'@]*@)?([^\s/?#<>\"':]+)[^\s<>\"']*"
BARE_URL_PATTERN = r"(?i)\b((?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})/[^\s<>\"']*"
EMAIL_PATTERN = r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}"
PHONE_PATTERNS: tuple[str, ...] = (
    r"\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d{2,5}(?:[ .-]?\d{2,5}){1,4}\b",
    r"\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}\b",
    r"\b\d{3}[ .-]\d{3}[ .-]\d{4}\b",
    r"\b0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}\b",
)
HANDLE_PATTERN = r"\B@[A-Za-z0-9_]{2,30}\b"

# (pattern, replacement, kind), in order: URLs before e-mails (a URL may hold '@'), e-mails
# before handles. ``warehouse.redact`` runs the same rules over exports.
IDENTIFIER_RULES: tuple[tuple[str, str, str], ...] = (
    (URL_PATTERN, r"[url:\1]", "url"),
    (BARE_URL_PATTERN, r"[url:\1]", "url"),
    (EMAIL_PATTERN, "[email]", "email"),
    *((p, "[phone]", "phone") for p in PHONE_PATTERNS),
    (HANDLE_PATTERN, "[handle]", "name"),
)

# Common English words that are also given names or name parts; as tokens they need the
# name-position evidence described above. General, not taken from any test set.
ORDINARY_WORDS = frozenset("""
    hope will grace mark faith may bill joy rose summer april june august art bob pat sue jack
    frank rich max hunter ray dawn heather iris ivy lily ruby amber crystal sandy rob drew gene
    chase grant miles wade cliff dale glen rusty sunny patience prudence honor honour chance chip
    bud buck colt destiny harmony melody skip stone woody victor autumn winter spring storm river
    sky star penny carol holly olive hazel ginger pearl violet jewel faye love angel baby bunny
    buddy brook page gray grey brown green white black young king may mercy charity trust
    constance felicity verity joyce norm sterling don ben tim tom kim jay sage cole reed
    rocky sonny guy nick pete josh wes ken lance pierce rod sly tanner taylor mason baker cook
    carter fisher miller hill wood field park long short little power price hall bell lane north
    west day night kind well good best dear son sister brother mom mum dad doc nurse
""".split())
# Display names that identify nobody.
GENERIC_NAMES = frozenset({"anonymous", "anon", "guest", "admin", "administrator", "user", "reader",
                           "visitor", "unknown", "someone", "me", "a reader", "a friend"})
TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "rev", "sr", "fr", "sister", "brother",
                    "nurse", "doc", "pastor", "father", "mother", "aunt", "uncle", "sir", "madam", "lady", "lord"})
_MONTHS_DAYS = frozenset("""january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday""".split())
_DETERMINERS = frozenset("""the a an this that these those my your our his her their its no any some every
    each""".split())
_GREETINGS = ("hi", "hello", "hey", "dear", "thanks", "thank you", "thankyou", "thx", "ty", "welcome",
              "cheers", "congrats", "congratulations", "bless you", "hugs", "sorry", "agree with you",
              "good morning", "good evening", "good luck", "well said", "great point", "hang in there",
              "so true", "same here", "you too", "me too")
_SIGN_OFFS = ("cheers", "best", "regards", "best regards", "kind regards", "warmly", "love", "thanks",
              "thank you", "take care", "hugs", "xo", "xoxo", "sincerely", "be well", "peace", "blessings")

# A word: letters/digits/underscores, joined by apostrophes or hyphens ("O'Neil", "Mary-Jane",
# "anxious_in_ohio"); an optional leading '@'.
_TOKEN = re.compile(r"@?\w+(?:['’\-]\w+)*")
_POSSESSIVE = re.compile(r"(?i)['’]s$")


def _alternatives(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


# Text before a name: ends with a greeting ("Thanks, "), or with a sign-off, dash, tilde or line break.
_GREETING_BEFORE = re.compile(r"(?i)(?:^|[\s(\"'“])(?:" + _alternatives(_GREETINGS) + r")\s*,?\s*$")
_SIGN_OFF_BEFORE = re.compile(r"(?i)(?:(?:^|[\s(\"'“])(?:" + _alternatives(_SIGN_OFFS) + r")\s*[,!.]?\s*|[-–—~]\s*|\n\s*)$")
_MAX_NAME_TOKENS = 6
_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=1 << 16)  # a vocabulary's worth: the same words recur in every comment
def _fold(token: str) -> str:
    """The comparable form of one token: no '@', no possessive, case-folded."""
    return normalise_name(_POSSESSIVE.sub("", token.lstrip("@")))


def _name_tokens(name: str) -> list[str]:
    return [m.group(0).lstrip("@") for m in _TOKEN.finditer(name)]


def _split_handle(token: str) -> list[str]:
    """``HopefulHannah`` -> Hopeful, Hannah; ``RN_Marisol`` -> RN, Marisol (the spaced form of a handle)."""
    parts = [p for p in re.split(r"[_\d]+", token) if p]
    out: list[str] = []
    for part in parts:
        out.extend(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", part))
    return out


def normalise_url(url: str) -> str:
    """Scheme-less, lower-case host, no ``www.``, no trailing slash: one form per profile link."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return host + path


def is_ambiguous(token: str) -> bool:
    """A name token that is also an ordinary word (or too short to tell): needs name-position evidence."""
    folded = _fold(token)
    return folded in ORDINARY_WORDS or len(folded) <= 2 or folded in _MONTHS_DAYS


@dataclass(frozen=True)
class _Entry:
    pseudonym: str
    role: str  # full | part | head | url
    tokens: int = 1  # length of the name a 'head' entry starts


@dataclass
class NameIndex:
    """Known commenters of one site, held as keyed hashes of their normalised name tokens."""

    key: bytes
    site_id: str
    entries: dict[str, list[_Entry]] = field(default_factory=dict)
    public_spans: set[tuple[str, ...]] = field(default_factory=set)  # bloggers' full bylines
    public_names: set[str] = field(default_factory=set)
    _hash_cache: dict[str, str] = field(default_factory=dict)
    _lookup_cache: dict[str, list[_Entry]] = field(default_factory=dict)
    _new_rows: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def hash(self, text: str) -> str:
        """Keyed hash of a normalised name or n-gram (per site): testable only with the key."""
        h = self._hash_cache.get(text)
        if h is None:
            msg = f"name\x1f{self.site_id}\x1f{text}".encode("utf-8")
            h = hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:24]
            self._hash_cache[text] = h
        return h

    def _add(self, text: str, entry: _Entry, record: bool = True) -> None:
        self._lookup_cache.clear()
        h = self.hash(text)
        bucket = self.entries.setdefault(h, [])
        if entry not in bucket:
            bucket.append(entry)
        if record:
            self._new_rows[(h, entry.pseudonym, entry.role)] = entry.tokens

    def add_blogger(self, byline: str | None) -> None:
        """A public byline: its commenter is not a reader, its full form stays in text."""
        if not byline or not byline.strip():
            return
        self.public_names.add(normalise_name(byline))
        # "Jess Tran, LCSW": the name before a comma of credentials is what text repeats.
        tokens = tuple(_fold(t) for t in _name_tokens(byline.split(",")[0]) if _fold(t) not in TITLES)
        if len(tokens) >= 2:
            self.public_spans.add(tokens)

    def add_commenter(self, name: str | None, author_url: str | None = None) -> str | None:
        """Index a reader's name (full form, handle, distinctive parts) and profile URL; their pseudonym."""
        if not name or not name.strip():
            return None
        norm = normalise_name(name)
        if norm in self.public_names or norm in GENERIC_NAMES:
            return None
        alias = pseudonym(name, self.key, self.site_id)
        assert alias is not None
        tokens = _name_tokens(name)
        folded = [_fold(t) for t in tokens]
        if not folded:
            return alias
        self._add_sequence(folded, alias)
        if len(tokens) == 1 and re.search(r"[_\d]|[a-z][A-Z]", tokens[0]):
            spaced = [_fold(p) for p in _split_handle(tokens[0])]
            if len(spaced) >= 2:
                self._add_sequence(spaced, alias)
        if len(tokens) >= 2:
            for part in self._distinctive_parts(tokens):
                self._add(_fold(part), _Entry(alias, "part"))
        if author_url and author_url.strip():
            self._add("url:" + normalise_url(author_url), _Entry(alias, "url"))
        return alias

    def _add_sequence(self, folded: list[str], alias: str) -> None:
        folded = folded[:_MAX_NAME_TOKENS]
        self._add(" ".join(folded), _Entry(alias, "full", len(folded)))
        if len(folded) >= 2:
            self._add(folded[0], _Entry(alias, "head", len(folded)))

    @staticmethod
    def _distinctive_parts(tokens: list[str]) -> list[str]:
        """The first name (after a title) and capitalised surnames of 3+ letters of a spaced name."""
        words = [t for t in tokens if _fold(t) not in TITLES]
        parts = []
        for i, word in enumerate(words):
            capitalised = word[:1].isupper()
            if not word.replace("'", "").replace("’", "").replace("-", "").isalpha():
                continue
            if i == 0 and capitalised and len(word) >= 2:
                parts.append(word)
            elif i > 0 and capitalised and len(word) >= 3:
                parts.append(word)
        return parts

    def add_hash_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Names of earlier runs' commenters, as the warehouse keeps them (hashes only)."""
        self._lookup_cache.clear()
        for row in rows:
            entry = _Entry(row["pseudonym"], row["role"], int(row.get("tokens") or 1))
            bucket = self.entries.setdefault(row["name_hash"], [])
            if entry not in bucket:
                bucket.append(entry)

    def hash_rows(self) -> list[dict[str, Any]]:
        """This batch's known names as rows for the warehouse: site, keyed hash, pseudonym, role."""
        return [{"site_id": self.site_id, "name_hash": h, "pseudonym": alias, "role": role, "tokens": n}
                for (h, alias, role), n in sorted(self._new_rows.items())]

    def lookup(self, text: str) -> list[_Entry]:
        """Entries for a normalised name or word (cached: most words of a text are no name)."""
        found = self._lookup_cache.get(text)
        if found is None:
            found = self.entries.get(self.hash(text), [])
            self._lookup_cache[text] = found
        return found


@dataclass
class Redaction:
    """One text after redaction and how many replacements of each kind it took."""

    text: str
    counts: Counter[str]


def _compiled_rules() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    return tuple((re.compile(p), r, k) for p, r, k in IDENTIFIER_RULES)


_RULES = _compiled_rules()


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?\n:;" or before.endswith("...")


def _previous_word(text: str, start: int) -> str:
    m = re.search(r"(\w+)\W*$", text[:start])
    return m.group(1).casefold() if m else ""


def _used_as_name(text: str, start: int, end: int, token: str) -> bool:
    """Evidence that an ambiguous token (an ordinary word too) names a person here."""
    if token.startswith("@"):
        return True
    capitalised = token.lstrip("@")[:1].isupper()
    after = text[end:end + 3]
    rest = text[end:]
    at_end = not re.search(r"\w", rest)
    punct_after = at_end or after[:1] in ",.!?:;)"
    folded = _fold(token)
    previous = _previous_word(text, start)
    if _SPEECH_AFTER.match(rest):  # "Grace wrote:", "as dawn said"
        return True
    if capitalised and (_POSSESSIVE.search(token) or _quoted(text, start, end)):
        return True
    at_start = _sentence_start(text, start)
    if capitalised and re.match(r"[.!?]?\s*$|[.!?]", rest) and re.search(r",\s*$", text[:start]):
        return True  # a vocative closing a sentence: "Sorry to hear that, Will."
    if capitalised and not at_start and previous not in _DETERMINERS and not _in_proper_phrase(text, start, end):
        if folded not in _MONTHS_DAYS:
            return True
        if previous not in _TEMPORAL_BEFORE and not re.match(r"[\s,]*\d", rest) and not re.search(r"\d\s*$", text[:start]):
            return True  # "Ask May;" (not "in May", "May 3", "3 May")
    named_form = capitalised or punct_after
    if at_start and (capitalised or start == 0) and re.match(r"\s*(?:[,:!]|[-–—]\s)", rest) and not _LIST_AFTER.match(rest):
        return True  # a salutation ("Mark, try...", "Mark - have you..."), not a list ("Faith, hope and...")
    if named_form and _GREETING_BEFORE.search(text[:start]):
        return True
    return bool(at_end and named_form and _SIGN_OFF_BEFORE.search(text[:start]))


def _in_proper_phrase(text: str, start: int, end: int) -> bool:
    """Part of another capitalised phrase ("Mark Twain", "Saving Grace"): a title or someone else."""
    after = re.match(r" ([A-Z][a-z]+)", text[end:])
    if after and after.group(1) != "I":
        return True
    before = re.search(r"([A-Z][a-z]+) $", text[:start])
    return bool(before) and not _sentence_start(text, before.start(1))


def _quoted(text: str, start: int, end: int) -> bool:
    return text[start - 1:start] in "\"'“‘" and start > 0 and text[end:end + 1] in "\"'”’"


_SPEECH_AFTER = re.compile(r"(?i)\s+(?:said|says|wrote|writes|mentioned|asked|posted|replied|suggested|commented"
                           r"|is right|was right|put it)\b")
_LIST_AFTER = re.compile(r"(?i)\s*,\s*\w+(?:\s*,\s*\w+)*,?\s+(?:and|or|&)\s")
_TEMPORAL_BEFORE = frozenset("""in on of since until till by last next this early late mid before after through
    during from to every each one""".split())


class Redactor:
    """Redacts the texts of one site against its ``NameIndex``."""

    def __init__(self, index: NameIndex) -> None:
        self.index = index

    def redact(self, text: str, *, prefer: Iterable[str] = ()) -> Redaction:
        """``text`` with known names, profile URLs, e-mails and phones replaced; counts by kind.

        ``prefer``: pseudonyms of the thread's commenters, which win when a first name is shared.
        """
        counts: Counter[str] = Counter()
        if not text:
            return Redaction(text, counts)
        text = self._identifiers(text, counts)
        text = self._names(text, counts, set(prefer))
        return Redaction(text, counts)

    # -- identifiers ------------------------------------------------------------------
    def _identifiers(self, text: str, counts: Counter[str]) -> str:
        has_at, has_digit = "@" in text, _DIGIT.search(text) is not None
        has_url = "/" in text
        for pattern, replacement, kind in _RULES:
            if (kind == "url" and not has_url) or (kind == "email" and not has_at) or (kind == "phone" and not has_digit):
                continue
            if kind == "name":  # unknown @handles: after known names had their chance
                continue
            text = pattern.sub(self._replacer(replacement, kind, counts), text)
        return text

    def _replacer(self, replacement: str, kind: str, counts: Counter[str]):
        def replace(m: re.Match[str]) -> str:
            counts[kind] += 1
            if kind == "url" and self.index.lookup("url:" + normalise_url(m.group(0))):
                return "[url]"
            if kind == "url" and self.index.lookup("url:" + normalise_url(m.group(1))):
                return "[url]"  # a personal site given as a profile: its host identifies too
            return m.expand(replacement)
        return replace

    # -- names ------------------------------------------------------------------------
    def _names(self, text: str, counts: Counter[str], prefer: set[str]) -> str:
        tokens = list(_TOKEN.finditer(text))
        folded = [_fold(t.group(0)) for t in tokens]
        lookup = self.index.lookup
        hits = [i for i, word in enumerate(folded) if lookup(word)]
        if not hits:
            return self._unknown_handles(text, counts)
        public = self._public_tokens(folded)
        out: list[str] = []
        last, free = 0, 0  # free: the first token not yet consumed by a replaced name
        for i in hits:
            if i < free or i in public:
                continue
            match = self._match_at(text, tokens, folded, i, prefer)
            if match is None:
                continue
            n, alias = match
            start, end = tokens[i].start(), tokens[i + n - 1].end()
            suffix = _POSSESSIVE.search(tokens[i + n - 1].group(0))
            out.append(text[last:start])
            out.append(alias + (suffix.group(0) if suffix else ""))
            counts["name"] += 1
            last, free = end, i + n
        out.append(text[last:])
        return self._unknown_handles("".join(out), counts)

    def _public_tokens(self, folded: list[str]) -> set[int]:
        """Indexes of tokens inside a blogger's full byline (public: they stay)."""
        covered: set[int] = set()
        for span in self.index.public_spans:
            n = len(span)
            for i in range(len(folded) - n + 1):
                if folded[i] == span[0] and tuple(folded[i:i + n]) == span:
                    covered.update(range(i, i + n))
        return covered

    def _unknown_handles(self, text: str, counts: Counter[str]) -> str:
        if "@" not in text:
            return text
        pattern, replacement, kind = _RULES[-1]
        return pattern.sub(self._replacer(replacement, kind, counts), text)

    def _match_at(self, text: str, tokens: list[re.Match[str]], folded: list[str], i: int,
                  prefer: set[str]) -> tuple[int, str] | None:
        first = tokens[i].group(0)
        heads = self.index.lookup(folded[i])
        # Longest full name starting here first (a blogger's byline is public and stays).
        lengths = sorted({e.tokens for e in heads if e.role == "head"}, reverse=True)
        for n in lengths:
            if i + n > len(tokens) or not self._adjacent(text, tokens, i, n):
                continue
            full = [e for e in self.index.lookup(" ".join(folded[i:i + n])) if e.role == "full" and e.tokens == n]
            if full:
                return n, self._choose(full, prefer)
        single = [e for e in heads if e.role in ("full", "part") and e.tokens == 1]
        if not single:
            return None
        if is_ambiguous(first) and not _used_as_name(text, tokens[i].start(), tokens[i].end(), first):
            return None
        return 1, self._choose(single, prefer)

    @staticmethod
    def _adjacent(text: str, tokens: list[re.Match[str]], i: int, n: int) -> bool:
        """The n tokens form one name: only spaces, dots or '&' between them ("Tom B.", "Meg & Lou")."""
        for a, b in zip(tokens[i:i + n - 1], tokens[i + 1:i + n]):
            gap = text[a.end():b.start()]
            if len(gap) > 4 or re.search(r"[^\s.&]", gap):
                return False
        return True

    @staticmethod
    def _choose(entries: list[_Entry], prefer: set[str]) -> str:
        """A shared name goes to a commenter of this thread, then to the full-name owner, then the first known."""
        ranked = sorted(entries, key=lambda e: (e.pseudonym not in prefer, e.role != "full", e.pseudonym))
        return ranked[0].pseudonym


def merge_counts(total: dict[str, Counter[str]], site_id: str, counts: Counter[str]) -> None:
    total.setdefault(site_id, Counter()).update(counts)


def summary_rows(total: Mapping[str, Counter[str]], run_id: str, texts: Mapping[str, Counter[str]]) -> list[dict[str, Any]]:
    """Replacements by kind per site for one run (every kind, zeros included, so the summary is complete)."""
    rows = []
    for site_id in sorted(total):
        for kind in KINDS:
            rows.append({"run_id": run_id, "site_id": site_id, "kind": kind,
                         "replacements": int(total[site_id][kind]), "texts": int(texts.get(site_id, Counter())[kind])})
    return rows


# ---------------------------------------------------------------------------- one batch

# site ids -> earlier runs' name-hash rows (flows passes a warehouse lookup; pipeline reads no database).
EarlierNames = Callable[[list[str]], Iterable[Mapping[str, Any]]]


@dataclass
class BatchRedaction:
    posts: dict[str, Any]
    comments: list[Any]
    summary: list[dict[str, Any]]  # replacements by kind per site (privacy.parquet)
    name_hashes: list[dict[str, Any]]  # this batch's known names, hashed (commenter_names.parquet)


def build_indexes(key: bytes, commenters: Iterable[tuple[str, str | None, str | None]],
                  bylines: Iterable[tuple[str, str | None]],
                  earlier_names: EarlierNames | None = None, sites: Iterable[str] = ()) -> dict[str, NameIndex]:
    """One index per site: bloggers first (public), then every commenter of the batch and earlier runs."""
    commenters = list(commenters)
    indexes: dict[str, NameIndex] = {}

    def index_for(site_id: str) -> NameIndex:
        return indexes.setdefault(site_id, NameIndex(key, site_id))

    for site_id in sites:
        index_for(site_id)

    for site_id, byline in bylines:
        index_for(site_id).add_blogger(byline)
    for site_id, name, url in commenters:
        index_for(site_id).add_commenter(name, url)
    if earlier_names is not None and indexes:
        rows = list(earlier_names(sorted(indexes)))
        for row in rows:
            if row["site_id"] in indexes:
                indexes[row["site_id"]].add_hash_rows([row])
    return indexes


def redact_batch(*, posts: dict[str, Any], comments: list[Any], site_of_post: Mapping[str, str],
                 commenters: Iterable[tuple[str, str | None, str | None]], bylines: Iterable[tuple[str, str | None]],
                 key: bytes, run_id: str, earlier_names: EarlierNames | None = None) -> BatchRedaction:
    """Every post and comment text of one batch with commenters' names and identifiers replaced.

    Two passes: all names are indexed before any text is redacted, so a name written before its
    owner's first comment (or in an earlier post of the batch) is caught too.
    """
    import dataclasses

    sites = {p.site_id for p in posts.values()} | set(site_of_post.values())
    indexes = build_indexes(key, commenters, bylines, earlier_names, sites=sorted(sites))
    thread: dict[str, set[str]] = {}
    for c in comments:
        if c.author_pseudonym:
            thread.setdefault(c.post_id, set()).add(c.author_pseudonym)
    total: dict[str, Counter[str]] = {}
    texts: dict[str, Counter[str]] = {}

    def redact(site_id: str, post_id: str, text: str) -> str:
        index = indexes.get(site_id) or indexes.setdefault(site_id, NameIndex(key, site_id))
        result = Redactor(index).redact(text, prefer=thread.get(post_id, ()))
        merge_counts(total, site_id, result.counts)
        merge_counts(texts, site_id, Counter({k: 1 for k, v in result.counts.items() if v}))
        return result.text

    new_posts = {pid: dataclasses.replace(p, text=redact(p.site_id, pid, p.text)) for pid, p in posts.items()}
    new_comments = []
    for c in comments:
        site_id = site_of_post.get(c.post_id, "")
        new_comments.append(dataclasses.replace(c, text=redact(site_id, c.post_id, c.text)))
    for site_id in indexes:
        total.setdefault(site_id, Counter())
    hashes = [row for site_id in sorted(indexes) for row in indexes[site_id].hash_rows()]
    for row in hashes:
        row["run_id"] = run_id
    return BatchRedaction(new_posts, new_comments, summary_rows(total, run_id, texts), hashes)
