"""``raw.jsonl`` writer and crawl statistics.

Each record is one JSON line written with ``os.write`` on an ``O_APPEND`` descriptor, so a
``kill -9`` leaves whole lines (at most one torn last line, which :class:`RawWriter` trims when
it reopens the file for a rerun). Unbuffered, the line is in the kernel when :meth:`emit`
returns; ``buffered=True`` (the crawl's writer process) keeps lines until :meth:`flush`, which
that process calls before the state commit that notes them.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pipeline.records import to_dict


class RawWriter:
    def __init__(self, path: Path | str, buffered: bool = False):
        self.path = Path(path)
        self.buffered = buffered
        self._pending: list[bytes] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._trim_torn_tail()
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.counts: Counter[str] = Counter()

    def _trim_torn_tail(self) -> None:
        """Drop a partial last line left by a killed writer, so appended lines stay valid."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            pos = size
            while pos > 0:
                step = min(65536, pos)
                fh.seek(pos - step)
                chunk = fh.read(step)
                idx = chunk.rfind(b"\n")
                if idx >= 0:
                    cut = pos - step + idx + 1
                    if cut != size:
                        fh.truncate(cut)
                    return
                pos -= step
            fh.truncate(0)

    def emit(self, kind: str, record: Any) -> None:
        data = record if isinstance(record, dict) else to_dict(record)
        line = (json.dumps({"type": kind, **data}, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.counts[kind] += 1
        if self.buffered:
            self._pending.append(line)
        else:
            self._write(line)

    def flush(self) -> None:
        """Hand the buffered lines to the kernel (one write)."""
        if self._pending:
            data, self._pending = b"".join(self._pending), []
            self._write(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def close(self) -> None:
        self.flush()
        os.close(self.fd)


# Where a post page request can end (see CrawlStats.post_page): exactly one outcome each.
POST_PAGE_EMITTED = "emitted"
POST_PAGE_REJECTED = "rejected"
POST_PAGE_SKIPPED = "skipped"


class CrawlStats:
    """Counts per site for ``stats.json`` and the progress lines on stderr.

    Besides plain counters it keeps the run's *accounting*: two identities that every crawl, also
    an interrupted one, must satisfy per site (``stats.json`` ``sites.<id>.accounting``):

    - ``requests == responses + failures``: every request that left the crawler (counted at the
      archive middleware, closest to the network) got exactly one HTTP answer (any status, 3xx
      and 304 included) or one failure (timeout, refused or lost connection, address refused at
      name resolution, body over the size limit, still unanswered when the crawl stopped).
      Requests stopped *before* sending (guard, robots.txt) are not requests; they are counted
      apart as ``refused_before_sending``.
    - ``post_pages_fetched == posts_emitted + post_pages_rejected + post_pages_skipped``: every
      post page the spider asked for ends in one named bucket, skips with their reason
      (``not_modified``, ``unchanged``, ``protected``, ``not_a_post``, ``interrupted``).
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.responses: dict[str, Counter[str]] = defaultdict(Counter)
        self.items: dict[str, Counter[str]] = defaultdict(Counter)
        self.rejected: dict[str, Counter[str]] = defaultdict(Counter)
        self.kinds: dict[str, Counter[str]] = defaultdict(Counter)
        self.bytes: Counter[str] = Counter()
        self.failures: dict[str, Counter[str]] = defaultdict(Counter)
        self.refused: dict[str, Counter[str]] = defaultdict(Counter)
        self.post_pages_asked: Counter[str] = Counter()
        self.post_pages: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)  # (bucket, reason)
        self.failed_items: Counter[str] = Counter()  # post/comment pages recorded as crawl failures
        self._in_flight: dict[int, str] = {}  # send number -> site
        self._sends = 0
        # While the crawl runs: (site, kind) -> records the writer process wrote so far (progress lines).
        self.live: dict[tuple[str, str], int] = {}

    def request(self, site: str, kind: str) -> int:
        """A request leaves the crawler; returns its send number for :meth:`answered`."""
        self.requests[site] += 1
        self.kinds[site][kind] += 1
        self._sends += 1
        self._in_flight[self._sends] = site
        return self._sends

    def answered(self, send: int | None) -> bool:
        """Close send ``send``; False when it was already answered (a copied request's number)."""
        return send is not None and self._in_flight.pop(send, None) is not None

    def response(self, site: str, status: int, size: int) -> None:
        self.responses[site][str(status)] += 1
        self.bytes[site] += size

    def failure(self, site: str, reason: str) -> None:
        """A sent request that got no HTTP answer."""
        self.failures[site][reason] += 1

    def refuse(self, site: str, reason: str) -> None:
        """A request stopped before it was sent (guard, robots.txt)."""
        self.refused[site][reason] += 1

    def post_page_asked(self, site: str) -> None:
        self.post_pages_asked[site] += 1

    def post_page(self, site: str, bucket: str, reason: str = "") -> None:
        """Where one post page request ended: emitted, rejected (reason) or skipped (reason)."""
        self.post_pages[site][(bucket, reason)] += 1

    def close_in_flight(self) -> None:
        """At the end of the run: sends still unanswered (the crawl was stopped) are failures."""
        for site in self._in_flight.values():
            self.failures[site]["unanswered_at_close"] += 1
        self._in_flight.clear()

    def accounting(self, site: str) -> dict[str, Any]:
        responses = sum(self.responses[site].values())
        failures = sum(self.failures[site].values())
        pages = self.post_pages[site]
        rejected = {r: n for (b, r), n in sorted(pages.items()) if b == POST_PAGE_REJECTED}
        skipped = {r: n for (b, r), n in sorted(pages.items()) if b == POST_PAGE_SKIPPED}
        emitted = sum(n for (b, _r), n in pages.items() if b == POST_PAGE_EMITTED)
        asked = self.post_pages_asked[site]
        return {
            "requests": self.requests[site],
            "responses": responses,
            "failures": failures,
            "failures_by_reason": dict(sorted(self.failures[site].items())),
            "requests_add_up": self.requests[site] == responses + failures,
            "refused_before_sending": sum(self.refused[site].values()),
            "refused_by_reason": dict(sorted(self.refused[site].items())),
            "post_pages_fetched": asked,
            "posts_emitted": emitted,
            "post_pages_rejected": sum(rejected.values()),
            "post_pages_rejected_by_reason": rejected,
            "post_pages_skipped": sum(skipped.values()),
            "post_pages_skipped_by_reason": skipped,
            "post_pages_add_up": asked == emitted + sum(rejected.values()) + sum(skipped.values()),
        }

    def failed_item(self, site: str, n: int = 1) -> None:
        """A post or comment page of ``site`` could not be read (recorded in the crawl state)."""
        self.failed_items[site] += n

    def item(self, site: str, kind: str) -> None:
        self.items[site][kind] += 1

    def add_written(self, items: Counter[tuple[str, str]], rejected: Counter[tuple[str, str]]) -> None:
        """Add the writer process's counts (records it wrote, rows it rejected) at the end of a crawl."""
        for (site, kind), n in items.items():
            self.items[site][kind] += n
        for (site, reason), n in rejected.items():
            self.rejected[site][reason] += n
        self.live.clear()

    def reject(self, site: str, reason: str) -> None:
        self.rejected[site][reason] += 1

    def as_dict(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        duration = time.monotonic() - self.started
        sites = sorted(set(self.requests) | set(self.items) | set(self.rejected) | set(self.refused)
                       | set(self.post_pages_asked) | set(self.failed_items))
        per_site = {}
        for s in sites:
            responses = sum(self.responses[s].values())
            posts = self.items[s]["post"]
            per_site[s] = {
                "requests": self.requests[s],
                "responses_by_status": dict(sorted(self.responses[s].items())),
                "requests_by_kind": dict(sorted(self.kinds[s].items())),
                "bytes": self.bytes[s],
                "posts": posts,
                "comments": self.items[s]["comment"],
                "rejected_by_reason": dict(sorted(self.rejected[s].items())),
                "failed_items": self.failed_items[s],
                "requests_per_post": round(self.requests[s] / posts, 3) if posts else None,
                "responses": responses,
                "accounting": self.accounting(s),
            }
        total_requests = sum(self.requests.values())
        by_status: Counter[str] = Counter()
        for c in self.responses.values():
            by_status.update(c)
        rejected: Counter[str] = Counter()
        for c in self.rejected.values():
            rejected.update(c)
        out = {
            "duration_s": round(duration, 3),
            "requests": total_requests,
            "responses_by_status": dict(sorted(by_status.items())),
            "pages_per_s": round(sum(by_status.values()) / duration, 2) if duration > 0 else None,
            "posts": sum(c["post"] for c in self.items.values()),
            "comments": sum(c["comment"] for c in self.items.values()),
            "rejected_by_reason": dict(sorted(rejected.items())),
            "failed_items": sum(self.failed_items.values()),
            "accounting_adds_up": all(a["accounting"]["requests_add_up"] and a["accounting"]["post_pages_add_up"]
                                      for a in per_site.values()),
            "sites": per_site,
        }
        out.update(extra or {})
        return out

    def progress_line(self, site: str) -> str:
        posts = self.items[site]["post"] + self.live.get((site, "post"), 0)
        comments = self.items[site]["comment"] + self.live.get((site, "comment"), 0)
        return (f"[crawl] {site}: requests {self.requests[site]}, responses {sum(self.responses[site].values())}, "
                f"posts {posts}, comments {comments}, rejected {sum(self.rejected[site].values())}")
