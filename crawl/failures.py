"""Why a request failed without an HTTP answer, classified by exception type.

As Scrapy's retry middleware does with ``RETRY_EXCEPTIONS``, a failure is matched with
``isinstance`` against tuples of Scrapy and Twisted exception classes. The reasons are the labels
the rejected rows and the run accounting already store (``timeout``, ``connection_refused``, ...):
they must not change.

Both the spider's errback (:mod:`crawl.spider`) and the archive middleware
(:mod:`crawl.middlewares`) classify here, so neither imports the other.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.web.client import ResponseFailed

try:  # raised inside HttpCompressionMiddleware, which re-raises it as a plain IgnoreRequest
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded
except ImportError:  # pragma: no cover - a Scrapy without it: the cause check just never matches
    _DecompressionMaxSizeExceeded = ()  # type: ignore[assignment,misc]

DETAIL_CHARS = 300  # of the exception's text kept in the rejected row's detail

# Scrapy's HTTP/1.1 and HTTP/2 handlers cancel a download only when its body passes
# DOWNLOAD_MAXSIZE (a timeout is raised as DownloadTimeoutError, not as a cancel).
TOO_LARGE = (DownloadCancelledError,)
# Python's own TimeoutError (asyncio's too) and ConnectionRefusedError: what a download handler on
# the asyncio reactor may let through unwrapped.
TIMEOUT = (DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError, defer.TimeoutError, TimeoutError)
DNS = (CannotResolveHostError, tx_error.DNSLookupError)
CONNECTION_REFUSED = (DownloadConnectionRefusedError, tx_error.ConnectionRefusedError, ConnectionRefusedError)
# The server went away mid-answer, or never answered (ResponseNeverReceived is a ResponseFailed).
CONNECTION_LOST = (ResponseFailed, DownloadFailedError, ResponseDataLossError, tx_error.ConnectionLost,
                   tx_error.ConnectionDone)
# A ConnectionLost that this side caused (abortConnection): not the server's doing, a plain error.
LOCAL_ABORT = (tx_error.ConnectionAborted,)


class Refused(IgnoreRequest):
    """A request the crawler refused to send; ``reason`` becomes the rejected row's reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _decompressed_too_large(exc: BaseException) -> bool:
    """A gzip/brotli body that passed DOWNLOAD_MAXSIZE once decompressed (an IgnoreRequest from it)."""
    return isinstance(exc, IgnoreRequest) and isinstance(exc.__cause__, _DecompressionMaxSizeExceeded)


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """``(reason, detail)`` for a request that ended in ``exc`` instead of an HTTP answer."""
    if isinstance(exc, Refused):
        return exc.reason, exc.detail
    text = str(exc)[:DETAIL_CHARS]
    if isinstance(exc, TOO_LARGE) or _decompressed_too_large(exc):
        return "too_large", text
    if isinstance(exc, TIMEOUT):
        return "timeout", text
    if isinstance(exc, DNS):
        return "dns_or_blocked", text
    if isinstance(exc, CONNECTION_REFUSED):
        return "connection_refused", text
    name = type(exc).__name__
    if isinstance(exc, CONNECTION_LOST) and not isinstance(exc, LOCAL_ABORT):
        return "connection_lost", f"{name}: {text}"
    return "error", f"{name}: {text}"
