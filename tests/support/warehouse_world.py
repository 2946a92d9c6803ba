"""Synthetic runs for warehouse tests: processed Parquet files built from ``pipeline.records``.

A deterministic little blogosphere: sites with posts, threaded comments (replies of replies,
author replies, late comments), sentiment (non-English rows unscored), quarantine rows and a
topic model with planted topics. A run is the world *as of* a date, like an incremental crawl:
a later run holds every earlier post and comment plus new ones, and can carry edited posts.

    world = World(seed=1, sites=2, posts_per_site=10)
    run = world.write_run(home / "runs" / "r1" / "processed", "r1", as_of_day=40)
    run.expected  # rows per table this run's files hold
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.ids import canonical_url, comment_id, digest, post_id
from pipeline.io import write_records, write_rows
from pipeline.privacy import pseudonym
from pipeline.records import Comment, Post, Quarantined, SentimentScore

TEST_KEY = b"blogscope-synthetic-test-key"
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
SCORER = ("vader-sentences", "3.3.2")

_TOPIC_WORDS = [
    ("sleep", "insomnia", "night", "tired", "melatonin"),
    ("medication", "dose", "ssri", "side", "effects"),
    ("therapy", "session", "therapist", "cbt", "talk"),
    ("anxiety", "panic", "worry", "breathing", "calm"),
    ("family", "support", "friends", "partner", "care"),
    ("work", "burnout", "job", "stress", "leave"),
]
_FILLER = "today again really think feel maybe week still always just quite very little".split()
_PHRASES = ["could not sleep for three weeks", "my psychiatrist changed the dose", "the waiting list is long",
            "breathing exercises helped a lot", "thank you for sharing this"]


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


@dataclass
class SyntheticComment:
    post_index: int
    index: int
    parent_index: int | None
    day: float  # days after EPOCH
    author: str
    text: str
    language: str
    is_post_author: bool


@dataclass
class SyntheticPost:
    index: int
    site_id: str
    url: str
    day: float
    topic: int
    title: str
    text: str
    language: str
    comments: list[SyntheticComment] = field(default_factory=list)


@dataclass
class SyntheticRun:
    run_id: str
    folder: Path
    expected: dict[str, int]
    post_ids: list[str]
    comment_ids: list[str]
    model_run_id: str | None


class World:
    """Deterministic posts and threaded comments; ``write_run`` writes one run's files."""

    def __init__(self, seed: int = 0, *, sites: int = 2, posts_per_site: int = 10, max_comments: int = 12,
                 k: int = 4, days: int = 120) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.k = k
        self.sites = [f"site-{chr(97 + i)}" for i in range(sites)]
        self.posts: list[SyntheticPost] = []
        for site in self.sites:
            for j in range(posts_per_site):
                i = len(self.posts)
                topic = i % k
                words = _TOPIC_WORDS[topic % len(_TOPIC_WORDS)]
                day = rng.uniform(0, days * 0.8)
                text = " ".join(rng.choice(words + tuple(_FILLER)) for _ in range(60))
                lang = "de" if rng.random() < 0.05 else "en"
                url = canonical_url(f"http://127.0.0.1/{site}/{2024}/post-{j}/")
                post = SyntheticPost(i, site, url, day, topic, f"{words[0].title()} notes {j} of {site}",
                                     text, lang)
                n = rng.randint(0, max_comments)
                for c in range(n):
                    parent = rng.randrange(c) if c and rng.random() < 0.45 else None
                    base = post.day if parent is None else post.comments[parent].day
                    late = rng.random() < 0.08
                    cday = base + (rng.uniform(31, 60) if late else rng.expovariate(1.5))
                    author_is_post_author = parent is not None and rng.random() < 0.2
                    author = "Blog Author" if author_is_post_author else f"Reader {rng.randint(1, 40)}"
                    ctext = " ".join(rng.choice(words + tuple(_FILLER)) for _ in range(rng.randint(5, 25)))
                    if rng.random() < 0.15:
                        ctext += " " + rng.choice(_PHRASES)
                    if rng.random() < 0.05:
                        ctext += " write to jane.doe@example.org or call +44 20 7946 0958"
                    post.comments.append(SyntheticComment(i, c, parent, cday, author, ctext,
                                                          "de" if rng.random() < 0.05 else "en",
                                                          author_is_post_author))
                self.posts.append(post)
        self.model_run_id = digest("model", seed, k)

    # -------------------------------------------------------------------------- records

    def post_id(self, post: SyntheticPost) -> str:
        return post_id(post.url)

    def comment_id(self, c: SyntheticComment) -> str:
        post = self.posts[c.post_index]
        return comment_id(self.post_id(post), f"{post.index}-{c.index}")

    def write_run(self, folder: Path | str, run_id: str, *, as_of_day: float = 1e9, edited: tuple[int, ...] = (),
                  topics: bool = True, with_quarantine: bool = True) -> SyntheticRun:
        """Write ``folder/*.parquet`` for the world as of ``as_of_day``; ``edited`` posts get new text."""
        folder = Path(folder)
        fetched = EPOCH + dt.timedelta(days=min(as_of_day, 10_000))
        posts, comments, scores, doc_rows = [], [], [], []
        rng = random.Random(f"{self.seed}-{run_id}")
        for p in self.posts:
            if p.day > as_of_day:
                continue
            pid = self.post_id(p)
            text = p.text + (" Update: the clinic replied." if p.index in edited else "")
            posts.append(Post(
                post_id=pid, site_id=p.site_id, url=p.url, title=p.title, author="Blog Author",
                published_at=_iso(EPOCH + dt.timedelta(days=p.day)), language=p.language, text=text, run_id=run_id,
                categories=("health",), tags=(_TOPIC_WORDS[p.topic % len(_TOPIC_WORDS)][0],),
                aliases=(p.url + "?m=1", p.url + "amp/"), word_count=len(text.split()),
                content_hash=digest(p.title, text), source="wp-rest", fetched_at=_iso(fetched)))
            scores.append(self._score("post", pid, p.language, run_id, rng))
            for c in p.comments:
                if c.day > as_of_day:
                    continue
                cid = self.comment_id(c)
                parent = self.comment_id(p.comments[c.parent_index]) if c.parent_index is not None else None
                depth = 0
                walk = c
                while walk.parent_index is not None:
                    depth += 1
                    walk = p.comments[walk.parent_index]
                comments.append(Comment(
                    comment_id=cid, post_id=pid, parent_id=parent,
                    author_pseudonym=pseudonym(c.author, TEST_KEY, p.site_id),
                    published_at=_iso(EPOCH + dt.timedelta(days=c.day)), language=c.language, text=c.text,
                    run_id=run_id, depth=depth, platform_comment_id=f"{p.index}-{c.index}", source="wp-rest",
                    first_seen_at=_iso(fetched), position=c.index, is_post_author=c.is_post_author))
                scores.append(self._score("comment", cid, c.language, run_id, rng))
            if topics:
                doc_rows.extend(self._doc_topics("post", pid, p.topic, run_id, rng))
        expected: dict[str, int] = {}
        expected["posts"] = write_records(folder / "posts.parquet", posts, Post) if posts else 0
        expected["comments"] = write_records(folder / "comments.parquet", comments, Comment) if comments else 0
        expected["sentiment"] = write_records(folder / "sentiment.parquet", scores, SentimentScore) if scores else 0
        site_rows = [{"site_id": s, "url": f"http://127.0.0.1/{s}/", "platform": "wordpress",
                      "comment_system": "native", "run_id": run_id} for s in self.sites]
        expected["sites"] = write_rows(folder / "sites.parquet", site_rows)
        alias_rows = [{"post_id": p.post_id, "url": p.url + "?m=1", "run_id": run_id} for p in posts]
        expected["post_aliases"] = write_rows(folder / "aliases.parquet", alias_rows) if alias_rows else 0
        if with_quarantine:
            q = [Quarantined(run_id, "extract", f"http://127.0.0.1/{self.sites[0]}/broken-{i}/", "empty", "no text")
                 for i in range(2)]
            expected["quarantine"] = write_records(folder / "quarantine.parquet", q, Quarantined)
        model_run_id = None
        if topics and posts:
            model_run_id = self.model_run_id
            expected.update(self._write_model(folder, run_id, doc_rows, len(posts)))
        return SyntheticRun(run_id, folder, expected, [p.post_id for p in posts], [c.comment_id for c in comments],
                            model_run_id)

    @staticmethod
    def _score(kind: str, target: str, language: str, run_id: str, rng: random.Random) -> SentimentScore:
        if language != "en":  # not scored: NULL, not 0
            return SentimentScore(kind, target, *SCORER, None, None, None, None, 0, run_id)
        compound = round(rng.uniform(-1, 1), 4)
        label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        return SentimentScore(kind, target, *SCORER, compound, label, 0.5, 0.2, 3, run_id)

    def _doc_topics(self, kind: str, target: str, topic: int, run_id: str, rng: random.Random) -> list[dict[str, Any]]:
        weights = [rng.uniform(0.0, 0.2) for _ in range(self.k)]
        weights[topic] = 0.6 + rng.uniform(0, 0.3)
        total = sum(weights)
        return [{"model_run_id": self.model_run_id, "target_kind": kind, "target_id": target, "topic_id": t,
                 "weight": w / total, "is_dominant": t == topic, "run_id": run_id} for t, w in enumerate(weights)]

    def _write_model(self, folder: Path, run_id: str, doc_rows: list[dict[str, Any]], n_docs: int) -> dict[str, int]:
        model = [{"model_run_id": self.model_run_id, "created_at": _iso(EPOCH + dt.timedelta(days=100)),
                  "model": "nmf", "k": self.k, "seed": 42, "params_json": '{"alpha": 0.1}', "corpus_digest": "abc",
                  "library_versions_json": '{"scikit-learn": "1.9.1"}', "c_v": 0.5, "npmi": 0.1, "diversity": 0.9,
                  "n_docs": n_docs, "previous_model_run_id": None, "run_id": run_id}]
        topic_rows = [{"model_run_id": self.model_run_id, "topic_id": t,
                       "label": ", ".join(_TOPIC_WORDS[t % len(_TOPIC_WORDS)][:3]),
                       "top_terms": list(_TOPIC_WORDS[t % len(_TOPIC_WORDS)]), "term_weights": [0.3, 0.2, 0.2, 0.1, 0.1],
                       "representative_post_ids": [], "run_id": run_id} for t in range(self.k)]
        return {"model_runs": write_rows(folder / "model_runs.parquet", model),
                "topics": write_rows(folder / "topics.parquet", topic_rows),
                "doc_topics": write_rows(folder / "doc_topics.parquet", doc_rows)}


def world_totals(world: World, as_of_day: float = 1e9) -> dict[str, int]:
    """Rows each table should hold after loading runs up to ``as_of_day`` (posts, comments)."""
    posts = [p for p in world.posts if p.day <= as_of_day]
    return {"posts": len(posts), "comments": sum(1 for p in posts for c in p.comments if c.day <= as_of_day)}
