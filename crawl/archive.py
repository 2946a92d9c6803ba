"""The raw archive: every HTTP exchange of a crawl in gzip WARC files (warcio).

One file series per run (``blogscope-<run stamp>-<pid>-00000.warc.gz``), rotated when a file
passes ``max_bytes``. Each response is stored as it came off the wire (compressed bodies stay
compressed, ``Content-Encoding`` kept; readers decode), with a ``request`` record beside it, the
request URL, the fetch time (``WARC-Date``) and blogscope headers naming what the response is:

- ``WARC-Blogscope-Kind``: post-page, comment-page, wp-rest-posts, wp-rest-comments, feed,
  comment-feed, site-comment-feed, blogger-posts-feed, blogger-comment-feed, sitemap, home, robots...
- ``WARC-Blogscope-Site``, ``WARC-Blogscope-Platform``, ``WARC-Blogscope-Post`` (canonical post
  URL for post and comment sources) and ``WARC-Blogscope-Meta`` (JSON: what the listing said
  about the post, so a replay builds the same records without the network).

Every record is its own gzip member and is flushed at once, so a ``kill -9`` leaves readable
files (at most the last member truncated, which :func:`pipeline.sources.rebuild_from_warc`
tolerates).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# One definition of the archive's own headers, shared with the offline replay.
from pipeline.sources.warc_replay import (  # noqa: E402, F401 - crawl.sink imports them from here
    HEADER_KIND,
    HEADER_META,
    HEADER_PLATFORM,
    HEADER_POST,
    HEADER_SITE,
)

_HOP_BY_HOP = {"transfer-encoding", "connection", "keep-alive"}
# warcio compresses at level 9; on blog HTML level 3 costs ~half the CPU for ~7 % more bytes, and
# the archive is written on the crawl's hot path (crawl.sink).
GZIP_LEVEL = 3


class WarcArchive:
    """Append-only WARC writer for one run."""

    def __init__(self, archive_dir: Path | str, run_stamp: str | None = None, max_bytes: int = 512 * 1024 * 1024):
        self.dir = Path(archive_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.stamp = run_stamp or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.max_bytes = max_bytes
        self._index = 0
        self._fh: Any = None
        self._writer: Any = None
        self.records = 0
        self.paths: list[Path] = []

    def _open(self) -> None:
        from warcio.warcwriter import WARCWriter

        while True:
            path = self.dir / f"blogscope-{self.stamp}-{os.getpid()}-{self._index:05d}.warc.gz"
            self._index += 1
            if not path.exists():
                break
        self._fh = open(path, "ab")  # kept open for the run, closed in close()
        # warcio serialises each record into a buffer; _put compresses it as its own gzip member.
        self._buf = io.BytesIO()
        self._writer = WARCWriter(self._buf, gzip=False)
        self.paths.append(path)
        info = self._writer.create_warcinfo_record(path.name, {
            "software": "blogscope crawler (Scrapy)", "format": "WARC File Format 1.1",
            "description": "blogscope raw archive: responses as received, see crawl/archive.py",
        })
        self._put(info)
        self._fh.flush()

    def _put(self, record: Any) -> None:
        """Append ``record`` as one gzip member (what makes a ``.warc.gz`` readable record by record)."""
        self._writer.write_record(record)
        data = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        gz = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        self._fh.write(gz.compress(data) + gz.flush())

    def write(self, *, url: str, status: int, reason: str, response_headers: list[tuple[str, str]],
              body: bytes, request_method: str, request_headers: list[tuple[str, str]],
              fetched_at: datetime, extra: dict[str, str], flush: bool = True) -> None:
        """Append one response and its request; ``flush=False`` leaves the bytes to :meth:`flush`."""
        from warcio.statusandheaders import StatusAndHeaders

        if self._writer is None or (self._fh.tell() > self.max_bytes):
            self.close()
            self._open()
        date = fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = [(k, v) for k, v in response_headers if k.lower() not in _HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {reason or 'OK'}".strip(), headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": date, **{k: v for k, v in extra.items() if v is not None},
                        **_digests(http_headers, body)}
        response = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                   http_headers=http_headers, warc_headers_dict=warc_headers)
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        req_headers = StatusAndHeaders(f"{request_method} {path} HTTP/1.1",
                                       [("Host", parts.netloc), *request_headers], is_http_request=True)
        request = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0, http_headers=req_headers,
            warc_headers_dict={"WARC-Date": date, **_digests(req_headers, b""),
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})
        self._put(response)
        self._put(request)
        if flush:
            self._fh.flush()
        self.records += 1

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = None
        self._writer = None


def _digests(http_headers: Any, body: bytes) -> dict[str, str]:
    """WARC block and payload digests, as warcio computes them, in two hashlib calls.

    Given the digests and the length, warcio neither streams the body through its Python-level
    digesters nor spools it to a temporary file (it did both for every record: about a quarter of
    the crawl writer's time). Readers check them like any others (``tests/test_crawl_units.py``).
    """
    http_headers.compute_headers_buffer()  # the bytes warcio writes before the body
    block = hashlib.sha1(http_headers.headers_buff)
    block.update(body)
    return {"WARC-Block-Digest": "sha1:" + base64.b32encode(block.digest()).decode("ascii"),
            "WARC-Payload-Digest": "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")}


def archive_files(archive_dir: Path | str) -> list[Path]:
    """The WARC files of an archive folder, oldest run first."""
    return sorted(Path(archive_dir).glob("*.warc.gz"))


def meta_header(meta: dict[str, Any] | None) -> str | None:
    return json.dumps(meta, sort_keys=True, separators=(",", ":")) if meta else None
