"""``raw.jsonl`` writer and crawl statistics.

Each record is one JSON line written with a single ``os.write`` on an ``O_APPEND`` descriptor, so
a ``kill -9`` leaves whole lines (at most one torn last line, which :class:`RawWriter` trims
when it reopens the file for a rerun). Nothing is buffered in Python: when :meth:`emit` returns,
the line is in the kernel and survives the process.
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
    def __init__(self, path: Path | str):
        self.path = Path(path)
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
        view = memoryview(line)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.counts[kind] += 1

    def close(self) -> None:
        os.close(self.fd)


class CrawlStats:
    """Counts per site for ``stats.json`` and the progress lines on stderr."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.responses: dict[str, Counter[str]] = defaultdict(Counter)
        self.items: dict[str, Counter[str]] = defaultdict(Counter)
        self.rejected: dict[str, Counter[str]] = defaultdict(Counter)
        self.kinds: dict[str, Counter[str]] = defaultdict(Counter)
        self.bytes: Counter[str] = Counter()

    def request(self, site: str, kind: str) -> None:
        self.requests[site] += 1
        self.kinds[site][kind] += 1

    def response(self, site: str, status: int, size: int) -> None:
        self.responses[site][str(status)] += 1
        self.bytes[site] += size

    def item(self, site: str, kind: str) -> None:
        self.items[site][kind] += 1

    def reject(self, site: str, reason: str) -> None:
        self.rejected[site][reason] += 1

    def as_dict(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        duration = time.monotonic() - self.started
        sites = sorted(set(self.requests) | set(self.items) | set(self.rejected))
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
                "requests_per_post": round(self.requests[s] / posts, 3) if posts else None,
                "responses": responses,
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
            "sites": per_site,
        }
        out.update(extra or {})
        return out

    def progress_line(self, site: str) -> str:
        return (f"[crawl] {site}: requests {self.requests[site]}, responses {sum(self.responses[site].values())}, "
                f"posts {self.items[site]['post']}, comments {self.items[site]['comment']}, "
                f"rejected {sum(self.rejected[site].values())}")
