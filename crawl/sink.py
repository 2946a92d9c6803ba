"""The crawl's writer process: the WARC archive, ``raw.jsonl`` and the state that follows them.

Why a second process: on a fast site the crawler is CPU-bound on one core, and more than half of
its time went to work that the event loop never waits for: WARC records (gzip, digests), post
and comment records (parsing REST comments, JSON lines) and their sqlite bookkeeping. The
crawler sends that work here over a pipe and goes on downloading; this process does it on
another core (``python -m bench crawl`` measures the effect).

**Order is the crash-safety argument.** Messages are handled strictly in the order they were
sent, and "post done" (mark the post complete, store its validators) is itself a message, so it
is handled only after every archive entry and record of that post is written. A batch of
messages shares one sqlite commit, made after the batch's WARC and ``raw.jsonl`` bytes are
handed to the kernel. A ``kill -9`` of the crawler kills this process too (``PR_SET_PDEATHSIG``
on Linux); what was still in the pipe is then simply not done, as if the crawler had died
before sending it: the post stays incomplete, the next run fetches it again and re-emits at
most what was written without being noted (the process stage dedupes; nothing is lost).

The crawler's side is :class:`SinkClient`; the work itself is :class:`RecordSink`, a plain
object that tests drive in-process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pipeline.records import Rejected, to_dict
from pipeline.sources import assemble, feeds
from pipeline.sources.detect import detect_comment_system

from crawl.archive import HEADER_KIND, HEADER_META, HEADER_PLATFORM, HEADER_POST, HEADER_SITE, WarcArchive, meta_header
from crawl.output import POST_PAGE_EMITTED, POST_PAGE_SKIPPED, RawWriter
from crawl.state import CrawlState, Validators

log = logging.getLogger(__name__)

BATCH_MAX = 256  # messages per sqlite commit at most (a commit every ~50 ms on a fast crawl)
LIVE_FIELDS = ("post", "comment")  # per-site counters the crawler reads for its progress lines

# What assemble.build_post reads from the listing's meta, falling back to the page's markup only
# when the listing left the field empty.
_LISTING_FIELDS = ("title", "author", "published_at", "modified_at", "categories", "tags")


def build_post_record(*, html: str | None, meta: dict[str, Any], **fields: Any) -> Any:
    """:func:`assemble.build_post`, without parsing the page when the listing gave every field.

    A REST or feed listing usually names title, author, dates, categories and tags, and then the
    page's own metadata is never used; parsing it anyway cost ~2 ms per post page. The result is
    the same record (checked by tests/test_crawl_accounting.py).
    """
    if html and all(meta.get(name) for name in _LISTING_FIELDS):
        return dataclasses.replace(assemble.build_post(html=None, meta=meta, **fields), html=html)
    return assemble.build_post(html=html, meta=meta, **fields)


@dataclass
class _OpenPost:
    """What the sink remembers about a post between its first record and "post done"."""

    known: dict[str, str] | None = None  # comment key -> hash already written (earlier runs)
    seen: set[str] = field(default_factory=set)  # comment keys met in this run
    failed: bool = False  # a source of the post could not be read: do not mark it complete


@dataclass
class SinkReport:
    """What the crawler learns when the sink closes (its stats and accounting)."""

    post_pages: list[tuple[str, int, str, str]] = field(default_factory=list)  # site, token, bucket, reason
    items: Counter[tuple[str, str]] = field(default_factory=Counter)  # (site, kind) -> records written
    rejected: Counter[tuple[str, str]] = field(default_factory=Counter)  # (site, reason) -> rows
    failed_items: Counter[str] = field(default_factory=Counter)  # site -> pages recorded as crawl failures
    warc_files: list[str] = field(default_factory=list)
    archived: int = 0
    cpu_s: float = 0.0  # CPU time of the writer process, start-up included


class RecordSink:
    """Writes archive entries, records and their state, one message at a time, in order."""

    def __init__(self, *, raw_path: Path | str, state_dir: Path | str, archive_dir: Path | str,
                 sites: Iterable[str] = (), live: Any = None):
        self.writer = RawWriter(raw_path, buffered=True)
        self.archive = WarcArchive(archive_dir)
        self.state = CrawlState(state_dir)
        self.report = SinkReport()
        self.open: dict[str, _OpenPost] = {}
        self._writes: list[tuple[Callable[..., None], tuple[Any, ...]]] = []  # state writes of this batch
        self._signatures: dict[str, str] = {}  # post url -> signature emitted in this batch (not yet committed)
        self.comment_systems: dict[str, Counter[str]] = {}  # site -> third-party systems on post pages
        self.site_index = {site: i for i, site in enumerate(sites)}
        self.live = live  # shared counters: [site index * len(LIVE_FIELDS) + field index]

    # ------------------------------------------------------------------ the loop's side
    def handle_batch(self, messages: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Handle ``messages`` in order; their state writes share one commit, made last.

        The handlers queue their state writes; they run in one short transaction after the
        batch's bytes reached the kernel, so the crawler (which writes discovered posts to the
        same sqlite file) never waits for this process's parsing and compression.
        """
        for op, args in messages:
            getattr(self, f"on_{op}")(*args)
        self.archive.flush()
        self.writer.flush()
        writes, self._writes = self._writes, []
        if writes:
            with self.state.transaction():
                for write, args in writes:
                    write(*args)
        self._signatures.clear()

    def close(self) -> SinkReport:
        self.archive.close()
        self.writer.close()
        self.state.close()
        self.report.warc_files = [str(p) for p in self.archive.paths]
        self.report.archived = self.archive.records
        return self.report

    # ------------------------------------------------------------------ messages
    def on_archive(self, fields: dict[str, Any]) -> None:
        """One HTTP exchange as the crawler saw it (Scrapy's raw header pairs, meta of the request)."""
        body = fields["body"]
        extra = {
            HEADER_KIND: fields["kind"], HEADER_SITE: fields["site"], HEADER_PLATFORM: fields["platform"],
            HEADER_POST: fields["post"], HEADER_META: meta_header(fields["archive_meta"]),
        }  # warcio adds WARC-Payload-Digest (sha1 of the body as received)
        try:
            self.archive.write(
                url=fields["url"], status=fields["status"], reason=_reason(fields["status"]),
                response_headers=_decoded(fields["response_headers"]), body=body,
                request_method=fields["request_method"], request_headers=_decoded(fields["request_headers"]),
                fetched_at=fields["fetched_at"], extra=extra, flush=False)
        except OSError as exc:  # a full disk must not stop the crawl's own records
            log.error("could not archive %s: %s", fields["url"], exc)

    def on_emit(self, kind: str, data: dict[str, Any]) -> None:
        """A record the crawler built itself (rejected and site rows)."""
        self.writer.emit(kind, data)

    def on_post_page(self, site: str, token: int, post_url: str, fields: dict[str, Any]) -> None:
        """Write the post record unless this version was written before."""
        third = detect_comment_system(fields["html"]) if fields.get("html") else None
        if third:
            fields = {**fields, "comment_system": third}
            self.comment_systems.setdefault(site, Counter())[third] += 1
        post = build_post_record(site_id=site, url=post_url, **fields)
        signature = assemble.post_signature(post)
        previous = self._signatures.get(post_url)
        if previous is None:
            stored = self.state.post(post_url)
            previous = stored.emitted_signature if stored is not None else None
        if previous == signature:
            self.report.post_pages.append((site, token, POST_PAGE_SKIPPED, "unchanged"))
            return
        self.writer.emit("post", post)
        self._signatures[post_url] = signature
        self._writes.append((self.state.set_emitted, (post_url, signature)))
        self._count(site, "post")
        self.report.post_pages.append((site, token, POST_PAGE_EMITTED, ""))

    def on_rest_comments(self, site: str, post_url: str, url: str, status: int, body: bytes, fetched_at: str,
                         post_platform_id: str | None) -> None:
        """One page of ``/wp-json/wp/v2/comments``: parse it here, off the crawler's loop."""
        try:
            found = assemble.comments_from_rest(body, site_id=site, post_url=post_url, fetched_at=fetched_at,
                                                post_platform_id=post_platform_id)
        except feeds.FeedParseError as exc:
            self.reject(site, url, "parse_error", status=status, detail=str(exc))
            self._post(post_url).failed = True
            # Recorded like the crawler's failures; the post stays incomplete, so the next run retries it.
            self._writes.append((lambda: self.state.record_failure(
                site, url, post_url=post_url, kind="wp-rest-comments", reason="parse_error", now=fetched_at), ()))
            self.report.failed_items[site] += 1
            return
        self.on_comments(site, post_url, found)

    def on_comments(self, site: str, post_url: str, comments: Iterable[Any]) -> None:
        """Write the comments not written before (earlier runs, other pages), then note them.

        Write, then remember: a kill between the two re-emits these comments next run (the
        process stage dedupes); it never loses one.
        """
        post = self._post(post_url)
        if post.known is None:  # one query per post instead of one per comment
            post.known = self.state.comment_hashes(post_url)
        written: list[tuple[str, str]] = []
        for comment in comments:
            key = assemble.comment_key(comment)
            if key in post.seen:
                continue  # the same comment from a second source or page in this run
            post.seen.add(key)
            digest = assemble.comment_hash(comment)
            if post.known.get(key) == digest:
                continue
            self.writer.emit("comment", comment)
            written.append((key, digest))
            self._count(site, "comment")
        if written:
            self._writes.append((self.state.record_comments, (post_url, written)))
        post.known.update(written)

    def on_site_row(self, site: str, data: dict[str, Any], crawler_systems: dict[str, int]) -> None:
        """The site record, with the comment system seen most (home page and post pages)."""
        systems = Counter(crawler_systems) + self.comment_systems.get(site, Counter())
        self.writer.emit("site", {**data, "comment_system": systems.most_common(1)[0][0] if systems else "native"})

    def on_post_done(self, post_url: str, complete: dict[str, Any] | None) -> None:
        """Every answer for the post is in: mark it complete unless a source failed (here or there)."""
        post = self.open.pop(post_url, None)
        if complete is not None and not (post and post.failed):
            validators = {u: Validators(*v) for u, v in complete["validators"].items()}
            self._writes.append((lambda: self.state.complete_post(
                post_url, validators=validators, now=complete["now"], modified_at=complete["modified_at"],
                lastmod=complete["lastmod"]), ()))

    def on_site_done(self, site: str, validators: dict[str, tuple[Any, ...]], info: dict[str, Any],
                     now: str) -> None:
        """The site's listings were all read: store their validators and the site record."""
        self._writes.append((self.state.save_validators, ({u: Validators(*v) for u, v in validators.items()}, now)))
        self._writes.append((lambda: self.state.save_site_info(site, info, complete_at=now), ()))

    # ------------------------------------------------------------------ helpers
    def reject(self, site: str, url: str, reason: str, *, status: int | None, detail: str) -> None:
        self.writer.emit("rejected", rejected_row(site, url, reason, status=status, attempts=1, detail=detail))
        self.report.rejected[(site, reason)] += 1

    def _post(self, post_url: str) -> _OpenPost:
        post = self.open.get(post_url)
        if post is None:
            post = self.open[post_url] = _OpenPost()
        return post

    def _count(self, site: str, kind: str) -> None:
        self.report.items[(site, kind)] += 1
        if self.live is not None and site in self.site_index:
            self.live[self.site_index[site] * len(LIVE_FIELDS) + LIVE_FIELDS.index(kind)] += 1


def rejected_row(site: str, url: str, reason: str, *, status: int | None, attempts: int, detail: str) -> dict[str, Any]:
    """A crawl ``rejected`` record as ``raw.jsonl`` carries it (with status and attempts)."""
    record = Rejected(stage="crawl", key=url, reason=reason,
                      detail=f"{detail} (status={status}, attempts={attempts})".strip(), site_id=site)
    data = to_dict(record)
    data.update(status=status, attempts=attempts)
    return data


def _decoded(headers: list[tuple[bytes, list[bytes]]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers for v in values]


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def validators_tuple(v: Validators) -> tuple[str | None, str | None, str | None]:
    return (v.etag, v.last_modified, v.content_hash)


# --------------------------------------------------------------------------- the writer process


def _die_with_parent() -> None:
    """Linux: be killed when the crawler dies, even by ``kill -9`` (elsewhere: EOF ends the loop)."""
    from pipeline.proc import die_with_parent

    die_with_parent()


def serve(inbox: Any, outbox: Any, config: dict[str, Any], live: Any) -> None:
    """The writer process: handle batches until "close" (or EOF), then send the report."""
    _die_with_parent()
    # Ctrl-C and a polite SIGTERM reach the whole process group: they are the crawler's to handle
    # (it closes us after its last message). If the crawler dies instead, so do we (above).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.getppid() != config["parent_pid"]:
        return  # the crawler died before we could ask to die with it
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sink = RecordSink(raw_path=config["raw_path"], state_dir=config["state_dir"],
                      archive_dir=config["archive_dir"], sites=config["sites"], live=live)
    closing = False
    while not closing:
        try:
            batch = list(inbox.recv())  # the client sends lists of messages
            while len(batch) < BATCH_MAX and inbox.poll():
                batch.extend(inbox.recv())
        except EOFError:  # the crawler went away without "close": keep what was sent, stop
            batch, closing = [], True
        if batch and batch[-1][0] == "close":
            batch.pop()
            closing = True
        if batch:
            sink.handle_batch(batch)
    report = sink.close()
    report.cpu_s = round(time.process_time(), 3)
    outbox.send(report)


class SinkClient:
    """The crawler's end: start the writer process, send it work, collect its report."""

    PIPE_BYTES = 1 << 20  # room for ~40 post pages in flight before a send waits
    SEND_EVERY = 32  # messages per pipe write at most ...
    SEND_AFTER_S = 0.05  # ... and no message waits longer than this (with ``call_later`` set)

    def __init__(self, *, raw_path: Path | str, state_dir: Path | str, archive_dir: Path | str,
                 sites: list[str], on_failure: Callable[[str], None] | None = None):
        import multiprocessing

        mp = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited reactor or sqlite handle
        inbox_r, self._inbox = mp.Pipe(duplex=False)
        self._outbox, outbox_w = mp.Pipe(duplex=False)
        self.sites = list(sites)
        self.live = mp.RawArray("q", len(self.sites) * len(LIVE_FIELDS))
        config = {"raw_path": str(raw_path), "state_dir": str(state_dir), "archive_dir": str(archive_dir),
                  "sites": self.sites, "parent_pid": os.getpid()}
        self.process = mp.Process(target=serve, args=(inbox_r, outbox_w, config, self.live),
                                  name="blogscope-crawl-writer")
        self.process.start()
        inbox_r.close()
        outbox_w.close()
        _grow_pipe(self._inbox.fileno(), self.PIPE_BYTES)
        self.on_failure = on_failure
        # The reactor's callLater: lets messages wait a moment and go in one write. Without it
        # every message is sent at once.
        self.call_later: Callable[[float, Callable[[], None]], Any] | None = None
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._timer: Any = None
        self.failed: str | None = None
        self.report: SinkReport | None = None
        self.closed_at: float | None = None  # time.monotonic() when everything sent was written

    def send(self, op: str, *args: Any) -> None:
        """Queue one message; the writer handles messages in the order they were queued."""
        if self.failed:
            return
        self._pending.append((op, args))
        if len(self._pending) >= self.SEND_EVERY or self.call_later is None:
            self.flush()
        elif self._timer is None:
            self._timer = self.call_later(self.SEND_AFTER_S, self._flush_later)

    def _flush_later(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        """Write the queued messages to the pipe (waits while the writer's pipe is full)."""
        if not self._pending or self.failed:
            return
        batch, self._pending = self._pending, []
        try:
            self._inbox.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:  # BrokenPipeError: the writer process died
            self._fail(f"the crawl's writer process stopped ({exc}; exit code {self.process.exitcode})")

    def live_count(self, site: str, kind: str) -> int:
        if site not in self.sites:
            return 0
        return int(self.live[self.sites.index(site) * len(LIVE_FIELDS) + LIVE_FIELDS.index(kind)])

    def close(self, timeout_s: float = 600.0) -> SinkReport:
        """Ask the writer to finish what was sent and wait for its report (once)."""
        if self.report is not None:
            return self.report
        if self._timer is not None:
            try:
                self._timer.cancel()
            except Exception:  # noqa: BLE001 - already ran or the reactor is gone
                pass
            self._timer = None
        self.send("close")
        self.flush()
        report = SinkReport()
        if not self.failed:
            try:
                if self._outbox.poll(timeout_s):
                    report = self._outbox.recv()
                else:
                    self._fail(f"the crawl's writer process did not finish within {timeout_s:.0f} s")
            except (EOFError, OSError) as exc:
                self._fail(f"the crawl's writer process stopped before its report ({exc!r})")
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
        elif self.process.exitcode and not self.failed:
            self._fail(f"the crawl's writer process exited with code {self.process.exitcode}")
        self.report = report
        self.closed_at = time.monotonic()
        return report

    def _fail(self, why: str) -> None:
        if self.failed:
            return
        self.failed = why
        log.error("%s", why)
        if self.on_failure is not None:
            self.on_failure(why)


def _grow_pipe(fd: int, size: int) -> None:
    """A bigger pipe buffer (Linux ``F_SETPIPE_SZ``): fewer stalls when the writer falls behind."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (OSError, ImportError):
        pass  # the default 64 kB works, with more waiting
