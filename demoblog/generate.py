"""Generate a demo blog (and its ground truth) from a seed.

``generate("wordpress")`` builds "Shrink Notes", a psychiatrists' group blog on WordPress;
``generate("blogger")`` builds "The Couch Report" on Blogger. Both are deterministic for a
seed: the random generator is seeded from ``"<flavour>:<seed>"`` (string seeds are hashed with
SHA-512 by ``random``, so PYTHONHASHSEED does not matter).

What the generator guarantees (tests check it):

- ``n_posts`` public posts between 2023-01 and 2024-12, each with exactly one planted topic,
  3-7 paragraphs, 150-500 words, unique titles; 4+ authors; one draft (never public).
- Threaded comments up to depth 5 (depth >= 4 several times), a few posts with none, and
  ``hot_posts`` posts with enough top-level threads for 3+ comment pages.
- Hidden comments (spam / held for moderation, some of them replies) that the site never shows.
- For ``n_posts >= 40``: at least 300 public comments.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from demoblog import text as T
from demoblog.model import FLAVOURS, Author, Comment, DemoBlog, Post, SiteOptions

UTC = timezone.utc
START = datetime(2023, 1, 2, tzinfo=UTC)
END = datetime(2024, 12, 30, tzinfo=UTC)
# Late comments may arrive after the last post; nothing is dated after this.
LATEST_COMMENT = datetime(2025, 6, 30, tzinfo=UTC)
MAX_DEPTH = 5
MIN_PUBLIC_COMMENTS_FULL = 300

_SITES: dict[str, dict[str, Any]] = {
    "wordpress": {
        "title": "Shrink Notes",
        "tagline": "Psychiatrists and therapists on the everyday work of mental health care",
        "about": ("Shrink Notes is a group blog written by practising psychiatrists and therapists. "
                  "Posts are personal views, not medical advice, and all case details are invented "
                  "or changed beyond recognition."),
        "authors": [
            ("Dr. Miriam Hale", "Adult psychiatrist in a community clinic."),
            ("Dr. Omar Reyes", "Forensic psychiatrist; testifies more than he would like."),
            ("Jess Tran, LCSW", "Clinical social worker and CBT therapist."),
            ("Dr. Ben Adler", "Sleep medicine and consultation-liaison psychiatry."),
            ("Dr. Priya Natarajan", "Runs the practice's billing committee, reluctantly."),
        ],
    },
    "blogger": {
        "title": "The Couch Report",
        "tagline": "Notes from the other side of the therapy couch",
        "about": ("The Couch Report is written by four clinicians who meet for coffee every Friday. "
                  "Nothing here is medical advice; identifying details are always changed."),
        "authors": [
            ("Hannah Weiss", "Psychologist, runs a CBT group on Tuesdays."),
            ("Dr. Leo Marsh", "Inpatient psychiatrist."),
            ("Rosa Delgado", "Psychiatric nurse practitioner."),
            ("Sam Okafor", "Counselor and recovering insurance clerk."),
        ],
    },
}

# Pseudonymous commenters, reused across posts (regulars comment more: Zipf-like weights).
COMMENTERS: tuple[str, ...] = (
    "NightOwlNurse", "quietmind", "Kate O'Neil", "RN_Marisol", "former resident", "Tom B.",
    "CouchPotato", "anxious_in_ohio", "DocInTraining", "Meg & Lou", "sleepless_in_sac", "Gus",
    "JustAMom", "PeerSpecialist", "Anonymous", "lithium_lady", "Rev. Carl", "therapy_dropout",
    "CaseManagerKim", "Harold P.", "bluejay", "MedStudent2025", "socialworkerSue", "D. Ortiz",
    "night_shift_ned", "HopefulHannah", "skeptic42", "Walt", "ParalegalPat", "Ana L.",
    "grumpy_gp", "mindful_mo", "Lena", "ex-patient", "CountyPD", "Josie R.", "billing_betty",
    "Yusuf", "Priscilla", "old_school_shrink",
)
_COMMENTER_WEIGHTS = [1.0 / (i + 1) ** 0.7 for i in range(len(COMMENTERS))]


# The zone each flavour's demo blog writes its dates in (minutes east of UTC).
UTC_OFFSET_MINUTES = {"wordpress": 120, "blogger": -300}


def generate(flavour: str, seed: int = 7, *, n_posts: int = 44, n_hidden: int | None = None,
             hot_posts: int | None = None, deep_threads: int | None = None,
             protected_post: bool = False, rest_api: bool = True,
             default_comments_page: str = "newest",
             comments_per_page: int | None = None) -> DemoBlog:
    """Build a demo blog; the same arguments always give the same blog.

    ``n_posts`` counts public posts (the draft and the optional password-protected WordPress
    post come on top). ``n_posts=8`` is the small mode for fast tests: it still has a depth-5
    thread, a post with 3+ comment pages and hidden comments.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {FLAVOURS}, not {flavour!r}")
    if n_posts < 5:
        raise ValueError("n_posts must be at least 5 (one post per planted topic)")
    if default_comments_page not in ("newest", "oldest"):
        raise ValueError("default_comments_page must be 'newest' or 'oldest'")
    if n_hidden is not None and not 0 <= n_hidden <= 25:
        raise ValueError("n_hidden must be between 0 and 25 (the hidden-text banks are finite)")
    if protected_post and flavour != "wordpress":
        raise ValueError("password-protected posts exist only on WordPress")
    rng = random.Random(f"{flavour}:{seed}")
    site = _SITES[flavour]
    small = n_posts < 40
    options = SiteOptions(
        comments_per_page=comments_per_page or (5 if flavour == "wordpress" else 10),
        default_comments_page=default_comments_page,
        rest_api=rest_api and flavour == "wordpress",
        feed_items=10 if flavour == "wordpress" else 25,
        # Neither demo blog writes its dates in UTC, so the source offsets are exercised:
        # WordPress "UTC+2" (a manual offset), Blogger at -05:00.
        utc_offset_minutes=UTC_OFFSET_MINUTES[flavour],
    )
    authors = [
        Author(user_id=i + 1, name=name, slug=T.slugify(name.split(",")[0].replace("Dr. ", "")),
               bio=bio, profile_id=str(rng.randrange(10**19, 10**20)))
        for i, (name, bio) in enumerate(site["authors"])
    ]
    blog = DemoBlog(flavour=flavour, seed=seed, site_title=site["title"], tagline=site["tagline"],
                    blog_id=str(rng.randrange(10**18, 10**19)), authors=authors, posts=[],
                    options=options, about=site["about"])

    _make_posts(blog, rng, n_posts, protected_post)
    n_hot = hot_posts if hot_posts is not None else (1 if small else 2)
    n_deep = deep_threads if deep_threads is not None else (2 if small else 4)
    _make_comments(blog, rng, n_hot=n_hot, n_deep=n_deep, small=small)
    _make_hidden_comments(blog, rng, n_hidden if n_hidden is not None else (4 if small else 10))
    _assign_comment_ids(blog, rng)
    blog.clock = max([p.modified for p in blog.posts] + [c.published for c in blog.all_comments()])
    return blog


# --------------------------------------------------------------------------- posts


def _post_times(rng: random.Random, n: int) -> list[datetime]:
    """n times spread evenly over 2023-2024 with jitter and varied hours of the day."""
    span = (END - START).total_seconds()
    step = span / n
    times = []
    for i in range(n):
        offset = step * i + rng.uniform(0.05, 0.9) * step
        day = START + timedelta(seconds=offset)
        times.append(day)
    # Pin the ends so every blog spans the two full years, whatever n is.
    times[0] = START + timedelta(days=rng.uniform(0, 4))
    times[-1] = END - timedelta(days=rng.uniform(0, 8))
    out = [t.replace(hour=rng.choices([7, 8, 12, 13, 17, 20, 21, 22, 23, 0, 1, 6],
                                      weights=[3, 4, 3, 2, 2, 3, 4, 3, 2, 1, 1, 2])[0],
                     minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
           for t in times]
    return sorted(out)


def _blogger_slug(title: str, taken: set[str], month: str) -> str:
    """Blogger-style slug: words of the title, cut at ~40 characters on a word boundary."""
    words = T.slugify(title).split("-")
    slug = ""
    for w in words:
        if len(slug) + len(w) + 1 > 40 and slug:
            break
        slug = f"{slug}-{w}" if slug else w
    candidate, n = slug, 1
    while f"{month}/{candidate}" in taken:
        n += 1
        candidate = f"{slug}_{n}"
    taken.add(f"{month}/{candidate}")
    return candidate


def _make_posts(blog: DemoBlog, rng: random.Random, n_posts: int, protected_post: bool) -> None:
    topics = [T.TOPICS[i % len(T.TOPICS)] for i in range(n_posts)]
    rng.shuffle(topics)
    times = _post_times(rng, n_posts)
    # The draft sits between public posts in time (its id comes from the same sequence).
    draft_time = times[-1] - timedelta(days=9, hours=3)
    specs: list[tuple[datetime, str, str]] = [(t, topic, "publish") for t, topic in zip(times, topics)]
    specs.append((draft_time, rng.choice(T.TOPICS), "draft"))
    if protected_post:
        specs.append((times[len(times) // 2] + timedelta(days=2), rng.choice(T.TOPICS), "protected"))
    specs.sort(key=lambda s: s[0])

    titles: set[str] = set()
    slugs: set[str] = set()
    wp_id = rng.randint(8, 20)
    for t, topic, kind in specs:
        title = T.compose_title(topic, rng, titles)
        titles.add(title)
        if blog.flavour == "wordpress":
            wp_id += rng.randint(1, 7)  # revisions and attachments use ids in between
            platform_id = str(wp_id)
            slug = T.slugify(title)
            base, n = slug, 1
            while slug in slugs:
                n += 1
                slug = f"{base}-{n}"
            slugs.add(slug)
        else:
            platform_id = str(rng.randrange(10**18, 10**19))
            t = t.replace(second=0)  # Blogger schedules posts to the minute
            slug = _blogger_slug(title, slugs, f"{t.year}/{t.month:02d}")
        paragraphs = T.compose_post(topic, rng)
        if kind == "draft":
            paragraphs.insert(0, T.DRAFT_NOTES[0])
        bank = T.BANKS[topic]
        tags = rng.sample(bank.tags, rng.randint(2, 3))
        if blog.flavour == "wordpress":
            categories = [bank.category] + (["Practice Notes"] if rng.random() < 0.2 else [])
        else:  # Blogger has labels only: the topic label plus one or two free-form ones
            categories = [bank.category] + rng.sample(bank.tags, rng.randint(1, 2))
            tags = []
        edited = rng.random() < 0.3
        modified = t + (timedelta(seconds=rng.randrange(3600, 3600 * 24 * 20)) if edited else timedelta(0))
        blog.posts.append(Post(
            index=len(blog.posts), platform_post_id=platform_id, title=title, slug=slug,
            author=rng.choice(blog.authors), published=t, modified=modified, topic=topic,
            paragraphs=paragraphs, categories=categories, tags=tags,
            status="draft" if kind == "draft" else "publish",
            password="open sesame" if kind == "protected" else None,
        ))


# --------------------------------------------------------------------------- comments


def _pick_commenter(rng: random.Random, avoid: str | None = None) -> str:
    while True:
        name = rng.choices(COMMENTERS, weights=_COMMENTER_WEIGHTS)[0]
        if name != avoid:
            return name


def _delay(rng: random.Random, *, mean_days: float, late_share: float, min_minutes: int) -> timedelta:
    """Most comments come within days; a share arrive weeks or months later (late comments)."""
    if rng.random() < late_share:
        return timedelta(days=rng.uniform(21, 200), minutes=rng.randrange(1440))
    return timedelta(minutes=min_minutes) + timedelta(days=rng.expovariate(1.0 / mean_days))


def _new_comment(blog: DemoBlog, post: Post, rng: random.Random, parent: Comment | None,
                 *, late_share: float = 0.1) -> Comment:
    if parent is None:
        when = post.published + _delay(rng, mean_days=1.5, late_share=late_share, min_minutes=8)
    else:
        when = parent.published + _delay(rng, mean_days=0.6, late_share=late_share * 0.7,
                                         min_minutes=4)
    when = min(when, LATEST_COMMENT - timedelta(minutes=rng.randrange(1, 5000)))
    if parent is not None and when <= parent.published:
        when = parent.published + timedelta(minutes=rng.randint(4, 90))
    when = when.replace(microsecond=0)
    by_author = parent is not None and not parent.by_post_author and rng.random() < 0.22
    if by_author:
        author = post.author.name
        body = T.compose_author_reply(post.topic, parent.author, rng)  # type: ignore[union-attr]
        sentiment, on_topic = "positive", True
    else:
        author = _pick_commenter(rng, avoid=parent.author if parent else None)
        sentiment = rng.choices(["positive", "negative", "neutral"], weights=[35, 25, 40])[0]
        on_topic = rng.random() < 0.88
        if not on_topic:
            sentiment = "neutral"
        body = T.compose_comment(post.topic, sentiment, on_topic, rng)
    comment = Comment(
        platform_comment_id=f"tmp-{len(blog.all_comments())}-{rng.random()}",
        post_index=post.index, parent_id=parent.platform_comment_id if parent else None,
        author=author, published=when, text=body, status="approved",
        depth=parent.depth + 1 if parent else 1, by_post_author=by_author,
        sentiment=sentiment, on_topic=on_topic, recorded_at=when,
    )
    post.comments.append(comment)
    return comment


def _grow(blog: DemoBlog, post: Post, rng: random.Random, n_top: int, n_replies: int) -> None:
    for _ in range(n_top):
        _new_comment(blog, post, rng, None)
    for _ in range(n_replies):
        candidates = [c for c in post.comments if c.approved and c.depth < MAX_DEPTH]
        if not candidates:
            break
        # Deeper comments attract replies a little more: conversations tend to continue.
        parent = rng.choices(candidates, weights=[1 + 0.6 * c.depth for c in candidates])[0]
        _new_comment(blog, post, rng, parent)


def _chain(blog: DemoBlog, post: Post, rng: random.Random, depth: int) -> None:
    """One planted conversation reaching ``depth`` (top level = depth 1)."""
    parent = _new_comment(blog, post, rng, None, late_share=0.0)
    for _ in range(depth - 1):
        parent = _new_comment(blog, post, rng, parent, late_share=0.0)


def _make_comments(blog: DemoBlog, rng: random.Random, *, n_hot: int, n_deep: int,
                   small: bool) -> None:
    public = [p for p in blog.posts if p.public]
    order = public[:]
    rng.shuffle(order)
    n_empty = 1 if small else max(3, len(public) // 15)
    order = order[n_empty:]  # the first n_empty shuffled posts get no comments at all
    hot, order = order[:n_hot], order[n_hot:]
    deep = order[:n_deep]
    per_page = blog.options.comments_per_page
    for post in hot:
        # 2 full pages + a few threads: at least 3 comment pages.
        _grow(blog, post, rng, n_top=2 * per_page + rng.randint(1, 3), n_replies=rng.randint(1, 3))
    for i, post in enumerate(deep):
        _chain(blog, post, rng, MAX_DEPTH if i % 2 == 0 else MAX_DEPTH - 1)
    for post in order:
        _grow(blog, post, rng, n_top=rng.randint(1, 6), n_replies=rng.choice([0, 1, 2, 3, 4, 5, 7]))
    for post in blog.posts:
        if post.password:  # the protected post has comments nobody can see
            _grow(blog, post, rng, n_top=2, n_replies=1)
    if not small:
        while len(blog.visible_comments()) < MIN_PUBLIC_COMMENTS_FULL:
            _grow(blog, rng.choice(order), rng, n_top=rng.randint(0, 1), n_replies=1)
    for post in blog.posts:
        post.comments.sort(key=lambda c: c.published)


def _make_hidden_comments(blog: DemoBlog, rng: random.Random, n_hidden: int) -> None:
    """Spam and held comments (leaves only, so no public comment replies to a hidden one)."""
    hosts = [p for p in blog.posts if p.public and p.visible_comments()]
    used_texts: set[str] = set()
    for i in range(n_hidden):
        post = rng.choice(hosts)
        kind = "spam" if i % 5 in (0, 3) else "hold"
        body, spammer = T.compose_hidden(kind, rng)
        while body in used_texts:  # distinct texts, so tests can look for each one
            body, spammer = T.compose_hidden(kind, rng)
        used_texts.add(body)
        parent = None
        if kind == "hold" and i % 3 != 0:
            candidates = [c for c in post.visible_comments() if c.depth < MAX_DEPTH]
            parent = rng.choice(candidates) if candidates else None
        base = parent.published if parent else post.published
        when = (base + timedelta(hours=rng.uniform(1, 24 * 30))).replace(microsecond=0)
        post.comments.append(Comment(
            platform_comment_id=f"tmp-hidden-{i}", post_index=post.index,
            parent_id=parent.platform_comment_id if parent else None,
            author=spammer or _pick_commenter(rng), published=when, text=body, status=kind,
            depth=parent.depth + 1 if parent else 1, sentiment="neutral", on_topic=False,
            recorded_at=when,
        ))
        post.comments.sort(key=lambda c: c.published)


def _assign_comment_ids(blog: DemoBlog, rng: random.Random) -> None:
    """WordPress ids grow with time across the site (with gaps: deleted comments); Blogger's
    are 19-digit numbers."""
    everything = sorted(blog.all_comments(), key=lambda c: (c.published, c.platform_comment_id))
    mapping: dict[str, str] = {}
    next_id = rng.randint(2, 40)
    taken: set[str] = set()
    for c in everything:
        if blog.flavour == "wordpress":
            new = str(next_id)
            next_id += rng.choice([1, 1, 1, 1, 2, 3])
        else:
            new = str(rng.randrange(10**18, 10**19))
            while new in taken:
                new = str(rng.randrange(10**18, 10**19))
        taken.add(new)
        mapping[c.platform_comment_id] = new
    for c in everything:
        c.platform_comment_id = mapping[c.platform_comment_id]
        if c.parent_id is not None:
            c.parent_id = mapping[c.parent_id]


# --------------------------------------------------------------------------- late comments


def add_comment(blog: DemoBlog, post_index: int, *, text: str | None = None,
                author: str | None = None, parent_id: str | None = None,
                published_at: datetime | str | None = None, approved: bool = True) -> Comment:
    """Add a comment to a post of a (possibly running) demo blog and return it.

    Meant for tests of incremental crawling: add a late comment to an old post between two
    crawls. Without ``published_at`` the comment is dated one day after the latest thing on
    the site. Text and author default to a generated on-topic comment (deterministic for the
    blog's seed and its current number of comments).
    """
    with blog.lock:
        if not 0 <= post_index < len(blog.posts):
            raise IndexError(f"post_index {post_index} out of range 0..{len(blog.posts) - 1}")
        post = blog.posts[post_index]
        if not post.public:
            public = [p.index for p in blog.posts if p.public]
            raise ValueError(f"post {post_index} is not public (draft or protected); "
                             f"pick one of {public[:5]}...")
        parent = None
        if parent_id is not None:
            parent = next((c for c in post.visible_comments() if c.platform_comment_id == str(parent_id)), None)
            if parent is None:
                raise ValueError(f"comment {parent_id} is not a visible comment of post {post_index}")
            if parent.depth >= blog.options.thread_depth:
                raise ValueError(f"comment {parent_id} is at the maximum thread depth")
        rng = random.Random(f"{blog.flavour}:{blog.seed}:added:{len(blog.all_comments())}")
        if isinstance(published_at, str):
            published_at = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
        if published_at is not None and published_at.tzinfo is None:
            raise ValueError("published_at needs a UTC offset, e.g. 2025-02-01T10:00:00+00:00")
        when = (published_at or blog.clock + timedelta(days=1)).astimezone(UTC).replace(microsecond=0)
        if when <= post.published or (parent and when <= parent.published):
            raise ValueError("a comment cannot be older than its post or the comment it answers")
        sentiment = rng.choice(["positive", "negative", "neutral"])
        if text is None:
            text = T.compose_comment(post.topic, sentiment, True, rng)
        else:
            sentiment = "unknown"
        if author is None:
            author = _pick_commenter(rng, avoid=parent.author if parent else None)
        if blog.flavour == "wordpress":
            new_id = str(max(int(c.platform_comment_id) for c in blog.all_comments()) + 1)
        else:
            taken = {c.platform_comment_id for c in blog.all_comments()}
            new_id = str(rng.randrange(10**18, 10**19))
            while new_id in taken:
                new_id = str(rng.randrange(10**18, 10**19))
        recorded = max(when, blog.clock + timedelta(seconds=1))
        comment = Comment(
            platform_comment_id=new_id, post_index=post.index,
            parent_id=parent.platform_comment_id if parent else None, author=author,
            published=when, text=text, status="approved" if approved else "hold",
            depth=parent.depth + 1 if parent else 1,
            by_post_author=author == post.author.name, sentiment=sentiment, on_topic=True,
            recorded_at=recorded,
        )
        post.comments.append(comment)
        post.comments.sort(key=lambda c: c.published)
        blog.clock = max(blog.clock, recorded)
        return comment


def add_post(blog: DemoBlog, *, topic: str | None = None) -> Post:
    """Publish a new post on a (possibly running) demo blog, dated one day after the latest
    thing on the site, and return it. For tests of scheduled and incremental crawls."""
    with blog.lock:
        rng = random.Random(f"{blog.flavour}:{blog.seed}:added-post:{len(blog.posts)}")
        topic = topic or rng.choice(T.TOPICS)
        when = (blog.clock + timedelta(days=1)).replace(microsecond=0, second=0)
        title = T.compose_title(topic, rng, {p.title for p in blog.posts})
        slugs = {p.slug for p in blog.posts}
        if blog.flavour == "wordpress":
            platform_id = str(max(int(p.platform_post_id) for p in blog.posts) + 1)
            slug = T.slugify(title)
            slug = slug if slug not in slugs else f"{slug}-{len(blog.posts)}"
        else:
            platform_id = str(rng.randrange(10**18, 10**19))
            slug = _blogger_slug(title, slugs, f"{when.year}/{when.month:02d}")
        bank = T.BANKS[topic]
        post = Post(index=len(blog.posts), platform_post_id=platform_id, title=title, slug=slug,
                    author=rng.choice(blog.authors), published=when, modified=when, topic=topic,
                    paragraphs=T.compose_post(topic, rng), categories=[bank.category],
                    tags=rng.sample(bank.tags, 2) if blog.flavour == "wordpress" else [])
        blog.posts.append(post)
        blog.clock = when
        return post


# --------------------------------------------------------------------------- truth


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def truth_dict(blog: DemoBlog, base_url: str) -> dict[str, Any]:
    """The ground truth for a blog served at ``base_url`` (URLs are canonical and absolute)."""
    from pipeline.ids import canonical_url

    base = base_url.rstrip("/")
    with blog.lock:
        urls = {p.index: canonical_url(base + blog.post_path(p)) for p in blog.posts}
        posts = [{
            "url": urls[p.index],
            "path": blog.post_path(p),
            "platform_post_id": p.platform_post_id,
            "title": p.title,
            "author": p.author.name,
            "published_at": _iso(p.published),
            # The offset the blog writes beside its dates (its zone, fixed): what a crawl must keep.
            "published_utc_offset_minutes": blog.options.utc_offset_minutes,
            "modified_at": _iso(p.modified),
            "topic": p.topic,
            "text": p.text,
            "public": p.public,
            "status": p.status,
            "protected": p.password is not None,
            "categories": list(p.categories),
            "tags": list(p.tags),
            "comment_count": len(p.visible_comments()),
        } for p in blog.posts]
        comments = []
        for p in blog.posts:
            for c in sorted(p.comments, key=lambda c: (c.published, c.platform_comment_id)):
                comments.append({
                    "platform_comment_id": c.platform_comment_id,
                    "post_platform_id": p.platform_post_id,
                    "post_url": urls[p.index],
                    "parent_platform_comment_id": c.parent_id,
                    "author": c.author,
                    "published_at": _iso(c.published),
                    "published_utc_offset_minutes": blog.options.utc_offset_minutes,
                    "text": c.text,
                    "approved": c.approved,
                    "status": c.status,
                    "visible": c.approved and p.public,
                    "depth": c.depth,
                    "by_post_author": c.by_post_author,
                    "sentiment": c.sentiment,
                    "on_topic": c.on_topic,
                })
        return {
            "flavour": blog.flavour,
            "site_title": blog.site_title,
            "base_url": base + "/",
            "seed": blog.seed,
            "blog_id": blog.blog_id if blog.flavour == "blogger" else None,
            "options": {
                "comments_per_page": blog.options.comments_per_page,
                "default_comments_page": blog.options.default_comments_page,
                "rest_api": blog.options.rest_api,
            },
            "posts": posts,
            "comments": comments,
        }


def write_truth(blog: DemoBlog, path: str | Path, base_url: str = "http://127.0.0.1/") -> Path:
    """Write ``truth_dict(blog, base_url)`` as JSON (UTF-8, stable key order) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = truth_dict(blog, base_url)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers never see half a file
    return path


def with_options(blog: DemoBlog, **changes: Any) -> DemoBlog:
    """Same content, other site options (e.g. ``rest_api=False``); shares post objects."""
    return replace(blog, options=replace(blog.options, **changes))
