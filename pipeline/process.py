"""The process stage: crawl output -> posts, comments, aliases, sentiment (Parquet per run).

Reads ``runs/RUN/crawl/raw.jsonl`` (or records rebuilt from the WARC archive), folds repeats (a
crawl resumed after a kill may emit a record twice), extracts each post page with trafilatura
in worker processes, links comment threads by their native ids, folds near-duplicate posts
into one row with aliases, detects language and scores sentiment. Deterministic: rerunning it on
the same input gives the same files.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import ids
from pipeline.io import read_jsonl, write_records, write_rows
from pipeline.privacy import normalise_name, pseudonym
from pipeline.redaction import EarlierNames, redact_batch
from pipeline.records import (
    Comment,
    CrawlFailure,
    Post,
    Quarantined,
    RawComment,
    RawPost,
    SentimentScore,
    from_dict,
)
from pipeline.settings import ProcessSettings
from pipeline.stage import StageCounter

# post ids -> {"author": ..., "language": ...} of posts loaded by earlier runs (flows passes a
# warehouse lookup; pipeline itself reads no database).
EarlierPosts = Callable[[list[str]], Mapping[str, Mapping[str, Any]]]
# site ids -> (site_id, url, post_id) for every URL form under which the warehouse knows a post of
# those sites (posts.url and post_aliases), the first-loaded post first (flows passes a warehouse lookup).
KnownPostUrls = Callable[[list[str]], Iterable[tuple[str, str, str]]]

log = logging.getLogger(__name__)


@dataclass
class CrawlBatch:
    """Everything one crawl produced, with repeats folded."""

    posts: dict[str, RawPost] = field(default_factory=dict)  # canonical url -> post
    comments: dict[tuple[str, str], RawComment] = field(default_factory=dict)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _comment_key(c: RawComment) -> tuple[str, str]:
    if c.platform_comment_id:
        return (c.post_url, "id:" + c.platform_comment_id)
    return (c.post_url, "h:" + ids.digest(c.author, c.published_at, " ".join(c.text.split())))


def fold(records: Iterable[dict[str, Any]]) -> CrawlBatch:
    """Fold raw records: one post per canonical URL (the richest wins), one comment per key."""
    batch = CrawlBatch()
    for rec in records:
        kind = rec.get("type")
        if kind == "post":
            post = from_dict(RawPost, rec)
            old = batch.posts.get(post.url)
            if old is None or (post.html and not old.html) or (bool(post.html) == bool(old.html) and post.fetched_at >= old.fetched_at):
                if old is not None:
                    post = _merge_post(old, post)
                batch.posts[post.url] = post
        elif kind == "comment":
            comment = from_dict(RawComment, rec)
            key = _comment_key(comment)
            old = batch.comments.get(key)
            # Keep the first sighting's fetch time (first_seen) but the richest fields.
            if old is None:
                batch.comments[key] = comment
            elif old.parent_platform_comment_id is None and comment.parent_platform_comment_id:
                batch.comments[key] = comment
        elif kind == "site":
            batch.sites[rec["site_id"]] = rec
        elif kind == "rejected":
            batch.rejected.append(rec)
    return batch


def _merge_post(old: RawPost, new: RawPost) -> RawPost:
    import dataclasses

    aliases = tuple(sorted(set(old.aliases) | set(new.aliases)))
    values = {f.name: getattr(new, f.name) for f in dataclasses.fields(RawPost)}
    for name, value in values.items():
        if value in (None, (), "") and getattr(old, name) not in (None, (), ""):
            values[name] = getattr(old, name)
    values["aliases"] = aliases
    return RawPost(**values)


@dataclass
class ProcessResult:
    posts: int
    comments: int
    sentiment: int
    quarantined: int
    counts: dict[str, dict[str, int]]


def process_crawl(crawl_files: list[Path], out_dir: Path, run_id: str, *, home: Path,
                  pseudonym_key: bytes, settings: ProcessSettings | None = None,
                  progress: bool = False, earlier_posts: EarlierPosts | None = None,
                  earlier_names: EarlierNames | None = None,
                  known_post_urls: KnownPostUrls | None = None, embed: bool = False) -> ProcessResult:
    """Process the crawl output files of one run into ``out_dir/*.parquet``."""
    settings = settings or ProcessSettings()
    records: Iterator[dict[str, Any]] = (rec for path in crawl_files for rec in read_jsonl(path))
    result = process_records(records, out_dir, run_id, pseudonym_key=pseudonym_key, settings=settings,
                             progress=progress, earlier_posts=earlier_posts, earlier_names=earlier_names,
                             known_post_urls=known_post_urls, embed=embed)
    write_records(out_dir / "crawl_failures.parquet", crawl_failure_snapshot(crawl_files, run_id), CrawlFailure)
    return result


def crawl_failure_snapshot(crawl_files: list[Path], run_id: str) -> list[CrawlFailure]:
    """The open crawl failures beside the crawl files (``failures.jsonl``), the newest run's per site.

    Each crawl writes the whole open set of the sites it crawled, so a site's rows in a later
    run replace its rows in an earlier one; the warehouse replaces them per site the same way.
    """
    by_site: dict[str, list[CrawlFailure]] = {}
    for path in crawl_files:
        snapshot, stats = path.parent / "failures.jsonl", path.parent / "stats.json"
        if not snapshot.exists():
            continue  # a crawl stopped before its end wrote none: the state keeps its failures
        rows = list(read_jsonl(snapshot))
        crawled = set(json.loads(stats.read_text(encoding="utf-8")).get("sites", {})) if stats.exists() else set()
        for site in crawled | {r["site_id"] for r in rows}:
            by_site[site] = []
        for r in rows:
            by_site[r["site_id"]].append(CrawlFailure(
                url=r["url"], site_id=r["site_id"], post_url=r.get("post_url") or "", kind=r.get("kind") or "",
                reason=r.get("reason") or "", attempts=int(r.get("attempts") or 1), first_seen=r["first_seen"],
                last_seen=r["last_seen"], run_id=run_id))
    return [f for rows in by_site.values() for f in rows]


def process_records(records: Iterable[dict[str, Any]], out_dir: Path, run_id: str, *, pseudonym_key: bytes,
                    settings: ProcessSettings, progress: bool = False,
                    earlier_posts: EarlierPosts | None = None,
                    earlier_names: EarlierNames | None = None,
                    known_post_urls: KnownPostUrls | None = None, embed: bool = False) -> ProcessResult:
    """Fold, extract, thread, score and write one run's records.

    ``earlier_posts`` looks up posts that earlier runs loaded (post id -> ``author``,
    ``language``): a late comment on an unchanged post arrives without its post, and still needs
    to know whether the post's author wrote it and which language to fall back on.
    ``earlier_names`` gives earlier runs' commenters of these sites as keyed name hashes
    (``pipeline.redaction``), so their names are redacted in this run's texts too.
    ``known_post_urls`` lists the URL forms of posts the warehouse holds, so a post re-crawled
    under another form (https, no ``www``, a new host) keeps its id (:func:`resolve_post_ids`).
    ``embed`` (``[topics] backend = "embeddings"``) also writes sentence vectors when the extra is
    installed; off by default, so homes on the classic backend pay no embedding time.
    """
    from pipeline import dedup, language, sentiment
    from pipeline.topics.vectors import embed_stage

    batch = fold(records)
    resolved = resolve_post_ids(batch, known_post_urls)
    post_counter = StageCounter("extract", run_id)
    comment_counter = StageCounter("comments", run_id)
    quarantine: list[Quarantined] = []
    for rej in batch.rejected:
        detail = rej.get("detail", "")
        if rej.get("status") is not None or rej.get("attempts", 1) != 1:
            detail = f"{detail} (HTTP status {rej.get('status')}, {rej.get('attempts', 1)} attempts)".strip()
        quarantine.append(Quarantined(run_id, rej.get("stage", "crawl"), rej.get("key", ""), rej.get("reason", "rejected"),
                                      detail, rej.get("site_id")))

    # -- posts: extract text and metadata from the page --------------------------------
    extracted = extract_posts(list(batch.posts.values()), settings, progress=progress)
    posts: dict[str, Post] = {}
    for raw in batch.posts.values():
        ex = extracted.get(raw.url)
        if ex is None or ex.status != "ok" or not ex.text.strip():
            reason = ex.status if ex is not None and ex.status != "ok" else "empty"
            post_counter.drop(raw.url, reason, ex.reason if ex is not None else "", raw.site_id)
            continue
        pid = resolved[raw.url]
        posts[pid] = Post(
            post_id=pid, site_id=raw.site_id, url=raw.url,
            title=raw.title or ex.title, author=raw.author or ex.author,
            published_at=raw.published_at or ex.published_at,
            language=language.detect(ex.text) or ex.language, text=ex.text, run_id=run_id,
            modified_at=raw.modified_at, categories=raw.categories or ex.categories,
            tags=raw.tags or ex.tags, aliases=raw.aliases, word_count=len(ex.text.split()),
            content_hash=ids.digest("text", ex.text), comment_system=raw.comment_system,
            source=raw.source, fetched_at=raw.fetched_at,
            # Only the crawl's date carries the source's offset (the extractor's date has none).
            published_utc_offset_minutes=raw.published_utc_offset_minutes if raw.published_at else None,
        )
        post_counter.ok()

    # -- near-duplicates: one row per post, other URLs become aliases -------------------
    groups = dedup.find_duplicates([(p.post_id, p.url, p.text, p.published_at) for p in posts.values()])
    alias_rows = []
    redirect: dict[str, str] = {}
    for pid, rep in groups.items():
        if pid != rep and pid in posts and rep in posts:
            redirect[pid] = rep
    for pid, rep in redirect.items():
        dup = posts.pop(pid)
        alias_rows.append({"post_id": rep, "url": dup.url, "run_id": run_id})
        for alias in dup.aliases:
            alias_rows.append({"post_id": rep, "url": alias, "run_id": run_id})
        post_counter.dropped["duplicate_of_" + "post"] += 0  # counted as forwarded-then-folded below
    for post in posts.values():
        for alias in post.aliases:
            if alias != post.url:
                alias_rows.append({"post_id": post.post_id, "url": alias, "run_id": run_id})
    url_to_pid = {p.url: p.post_id for p in posts.values()}
    for row in alias_rows:
        url_to_pid.setdefault(row["url"], row["post_id"])
    for url, pid in resolved.items():  # posts not extracted this run, and comments' posts
        url_to_pid.setdefault(url, pid)

    # -- comments: ids, parents, depth, pseudonyms ---------------------------------------
    failed_urls = [raw.url for raw in batch.posts.values() if resolved[raw.url] not in posts
                   and resolved[raw.url] not in redirect]
    missing = sorted({comment_post_id(c, url_to_pid) for c in batch.comments.values()} - set(posts))
    earlier = dict(earlier_posts(missing)) if earlier_posts is not None and missing else {}
    comments = build_comments(batch.comments.values(), url_to_pid, posts, pseudonym_key, run_id, comment_counter,
                              failed_urls, earlier=earlier)

    # -- privacy: commenters' names, e-mails, phones and profile URLs out of every text -------
    redacted = redact_batch(
        posts=posts, comments=comments, key=pseudonym_key, run_id=run_id, earlier_names=earlier_names,
        site_of_post={**{comment_post_id(c, url_to_pid): c.site_id for c in batch.comments.values()},
                      **{pid: p.site_id for pid, p in posts.items()}},
        commenters=((c.site_id, c.author, c.author_url) for c in batch.comments.values()),
        bylines=[(p.site_id, p.author) for p in posts.values()]
        + [(c.site_id, (earlier.get(comment_post_id(c, url_to_pid)) or {}).get("author")) for c in batch.comments.values()])
    posts, comments = redacted.posts, redacted.comments

    # -- language and sentiment -----------------------------------------------------------
    scores: list[SentimentScore] = []
    for post in posts.values():
        res = sentiment.score_text(post.text, post.language)
        scores.append(_score_row("post", post.post_id, res, run_id))
    final_comments = []
    for c in comments:
        # Short comments ("Thanks!") are often undecidable alone; the post's language decides then.
        post = posts.get(c.post_id)
        fallback = post.language if post is not None else (earlier.get(c.post_id) or {}).get("language")
        lang = language.detect(c.text, fallback=fallback)
        c = _replace(c, language=lang)
        final_comments.append(c)
        res = sentiment.score_text(c.text, lang)
        scores.append(_score_row("comment", c.comment_id, res, run_id))

    quarantine.extend(post_counter.quarantine)
    quarantine.extend(comment_counter.quarantine)
    site_rows = [
        {"site_id": s["site_id"], "url": s.get("url"), "platform": s.get("platform"),
         "comment_system": s.get("comment_system"), "run_id": run_id}
        for s in batch.sites.values()
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_records(out_dir / "posts.parquet", posts.values(), Post)
    write_records(out_dir / "comments.parquet", final_comments, Comment)
    write_records(out_dir / "sentiment.parquet", scores, SentimentScore)
    write_records(out_dir / "quarantine.parquet", quarantine, Quarantined)
    if alias_rows:
        write_rows(out_dir / "aliases.parquet", _unique(alias_rows, ("post_id", "url")))
    if site_rows:
        write_rows(out_dir / "sites.parquet", site_rows)
    if redacted.summary:
        write_rows(out_dir / "privacy.parquet", redacted.summary)
    if redacted.name_hashes:
        write_rows(out_dir / "commenter_names.parquet", redacted.name_hashes)
    if embed:  # sentence vectors for the embeddings topic backend (a no-op without the optional extra)
        embed_stage(posts.values(), final_comments, out_dir, run_id, languages=settings.languages, progress=progress)
    counts = {"extract": post_counter.as_dict(), "comments": comment_counter.as_dict(),
              "crawl_rejected": {"seen": len(batch.rejected)}}
    return ProcessResult(len(posts), len(final_comments), len(scores), len(quarantine), counts)


def _unique(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for row in rows:
        k = tuple(row[name] for name in key)
        if k not in seen:
            seen.add(k)
            out.append(row)
    return out


def _replace(record, **changes):
    import dataclasses

    return dataclasses.replace(record, **changes)


def _score_row(kind: str, target: str, res, run_id: str) -> SentimentScore:
    from pipeline import sentiment

    return SentimentScore(kind, target, sentiment.SCORER_NAME, sentiment.SCORER_VERSION, res.compound, res.label,
                          res.share_positive, res.share_negative, res.sentences, run_id)


def resolve_post_ids(batch: CrawlBatch, known_post_urls: KnownPostUrls | None) -> dict[str, str]:
    """Canonical URL -> post id for every post and every commented post of the batch.

    A post the warehouse already holds keeps its id, found by ``(site_id, path_key)`` among the
    URL forms it was loaded under: a blog that moved to https, dropped ``www`` or changed host
    serves the same paths, and its posts and comments must not come in twice. Ids given before
    0007 derive from the full URL (``ids.legacy_post_id``), so this match, not the id formula,
    keeps them. Other posts get ``ids.post_id`` (scheme- and ``www``-free); when one batch holds a
    new post under two hosts (runs on both sides of a move processed together), the first URL in
    sort order names it. Two warehouse posts on one path (a duplicate an older version made)
    resolve to the first loaded.
    """
    urls = {raw.url: raw.site_id for raw in batch.posts.values()}
    for c in batch.comments.values():
        urls.setdefault(ids.canonical_url(c.post_url), c.site_id)
    known: dict[tuple[str, str], str] = {}
    if known_post_urls is not None and urls:
        for site_id, url, pid in known_post_urls(sorted(set(urls.values()))):
            known.setdefault((site_id, ids.path_key(url)), pid)
    for url in sorted(urls):
        known.setdefault((urls[url], ids.path_key(url)), ids.post_id(url))
    return {url: known[(site_id, ids.path_key(url))] for url, site_id in urls.items()}


def comment_post_id(c: RawComment, url_to_pid: dict[str, str]) -> str:
    """The post a comment belongs to: this run's post for its URL or alias, else the id its URL derives.

    The id is derived from the URL, so a comment whose post was loaded by an earlier run (a late
    comment on an unchanged post) still finds it.
    """
    canonical = ids.canonical_url(c.post_url)
    return url_to_pid.get(c.post_url) or url_to_pid.get(canonical) or ids.post_id(canonical)


def build_comments(raw_comments: Iterable[RawComment], url_to_pid: dict[str, str], posts: dict[str, Post],
                   key: bytes, run_id: str, counter: StageCounter,
                   failed_post_urls: Iterable[str] = (), earlier: Mapping[str, Mapping[str, Any]] | None = None,
                   ) -> list[Comment]:
    """Derived ids, parents resolved by native id within the post, depth from the chain."""
    by_post: dict[str, list[RawComment]] = {}
    failed = {url_to_pid.get(url) or ids.post_id(url) for url in failed_post_urls}
    for c in raw_comments:
        pid = comment_post_id(c, url_to_pid)
        if pid in failed:
            counter.drop(f"{c.post_url}#{c.platform_comment_id or ''}", "post_quarantined",
                         "the comment's post could not be extracted in this run", c.site_id)
            continue
        by_post.setdefault(pid, []).append(c)
    out: list[Comment] = []
    for pid, items in by_post.items():
        post = posts.get(pid)
        native_to_id = {c.platform_comment_id: ids.comment_id(pid, c.platform_comment_id) for c in items if c.platform_comment_id}
        parent_of: dict[str, str | None] = {}
        made: list[tuple[RawComment, str, str | None]] = []
        for c in sorted(items, key=lambda x: (x.published_at or "", x.position)):
            cid = ids.comment_id(pid, c.platform_comment_id, c.author, c.published_at, c.text)
            parent = None
            if c.parent_platform_comment_id:
                parent = native_to_id.get(c.parent_platform_comment_id)
                if parent is None:
                    # The parent is not public (e.g. unapproved): keep the reply as a thread root.
                    log.info("comment %s: parent %s not public; kept as top level", cid, c.parent_platform_comment_id)
            parent_of[cid] = parent
            made.append((c, cid, parent))
        # The post's byline: from this run's post, else from the warehouse (an earlier run's post).
        byline = post.author if post is not None else ((earlier or {}).get(pid) or {}).get("author")
        author_norm = normalise_name(byline) if byline else None
        for c, cid, parent in made:
            depth, cur, hops = 1, parent, 0
            while cur is not None and hops < 1000:
                depth += 1
                cur = parent_of.get(cur)
                hops += 1
            out.append(Comment(
                comment_id=cid, post_id=pid, parent_id=parent,
                author_pseudonym=pseudonym(c.author, key, c.site_id),
                published_at=c.published_at, language=None, text=c.text.strip(), run_id=run_id,
                depth=depth, platform_comment_id=c.platform_comment_id, source=c.source,
                first_seen_at=c.fetched_at, position=c.position,
                is_post_author=bool(author_norm and c.author and normalise_name(c.author) == author_norm),
                published_utc_offset_minutes=c.published_utc_offset_minutes,
            ))
            counter.ok()
    return out


def extract_posts(raw_posts: list[RawPost], settings: ProcessSettings, progress: bool = False):
    """url -> Extracted for each post page, in worker processes with a per-page timeout.

    A page that times out or kills its worker gets an ``Extracted`` with that status (the
    caller quarantines it with the reason); the next page goes on.
    """
    from pipeline.records import Extracted
    from pipeline.workers import run_each

    import trafilatura  # noqa: F401  - imported before the workers fork, so each starts warm

    from pipeline import language

    language.detect("Warm the language model up once, before the workers fork.")

    # A fetched page is extracted as served, even when empty; only a post whose page was never
    # fetched is read from its API or feed body.
    docs = [(p.url, p.html if p.html is not None else _wrap_fragment(p)) for p in raw_posts]
    work = functools.partial(_extract_one, max_bytes=settings.max_html_bytes)
    out: dict[str, Extracted] = {}
    bar = _progress(len(docs), "extract", progress)
    for outcome in run_each(work, docs, workers=settings.workers, timeout=settings.timeout_s):
        url = outcome.item[0]
        if outcome.status == "ok":
            out[url] = outcome.value
        else:
            out[url] = Extracted(url=url, title=None, author=None, published_at=None, language=None, text="",
                                 status=outcome.status, reason=outcome.detail or outcome.status)
        bar.update(1)
    bar.close()
    return out


def _extract_one(doc: tuple[str, str], max_bytes: int):  # runs in a worker
    from pipeline.extract import extract_page

    url, html = doc
    return extract_page(html, url, max_bytes=max_bytes)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="page", disable=not enabled or total < 20, file=sys.stderr,
                leave=False)


def _wrap_fragment(post: RawPost) -> str:
    """An API/feed body as a minimal page, when the page itself could not be fetched.

    Without a body there is no content: the title alone is not a post's text.
    """
    from html import escape

    if not (post.content_html or "").strip():
        return ""

    title = escape(post.title or "")
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{post.content_html or ''}</article></body></html>"
