"""Failures are classified by exception type (crawl.failures), with the labels the warehouse stores."""

from __future__ import annotations

import gzip
import socket

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web.client import ResponseNeverReceived

from crawl.failures import Refused, classify_failure


@pytest.mark.parametrize(("exc", "reason"), [
    (DownloadTimeoutError("Getting http://127.0.0.1:1/ took longer than 3.0 seconds."), "timeout"),
    (tx_error.TCPTimedOutError(), "timeout"),
    (CannotResolveHostError("no such host"), "dns_or_blocked"),
    (tx_error.DNSLookupError("invalid."), "dns_or_blocked"),
    (DownloadConnectionRefusedError("Connection was refused by other side"), "connection_refused"),
    (tx_error.ConnectionRefusedError(), "connection_refused"),
    (ResponseNeverReceived([Failure(tx_error.ConnectionDone())]), "connection_lost"),
    (tx_error.ConnectionLost(), "connection_lost"),
    (ResponseDataLossError(), "connection_lost"),
    (DownloadFailedError("lost"), "connection_lost"),
    (tx_error.ConnectionAborted(), "error"),  # aborted by this side, not lost by the server
    (DownloadCancelledError("Received 30000000 bytes which is larger than download max size (1000)"), "too_large"),
    (Refused("robots", "forbidden by robots.txt"), "robots"),
    (Refused("blocked_address", "10.0.0.1 is private"), "blocked_address"),
    (ValueError("something else"), "error"),
])
def test_failures_are_classified_by_type(exc: BaseException, reason: str) -> None:
    assert classify_failure(exc)[0] == reason


def test_the_class_name_alone_decides_nothing() -> None:
    class SomethingTimeoutRefusedDNS(Exception):  # the old substring rules would have matched all three
        pass

    assert classify_failure(SomethingTimeoutRefusedDNS("timed out"))[0] == "error"


def test_details_keep_the_label_and_text() -> None:
    assert classify_failure(Refused("trap", "calendar page"))[1] == "calendar page"
    reason, detail = classify_failure(tx_error.ConnectionLost("gone"))
    assert reason == "connection_lost" and detail.startswith("ConnectionLost: ")
    assert len(classify_failure(DownloadTimeoutError("x" * 1000))[1]) == 300


def test_a_real_gzip_bomb_refused_by_scrapy_is_too_large() -> None:
    # Scrapy's HttpCompressionMiddleware raises a plain IgnoreRequest; its cause says why.
    middleware = HttpCompressionMiddleware.from_crawler(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 10_000}))
    request = Request("http://127.0.0.1:1/bomb")
    response = Response(request.url, body=gzip.compress(b"\0" * 1_000_000), request=request,
                        headers={"Content-Encoding": "gzip"})
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, response)
    assert classify_failure(raised.value)[0] == "too_large"
    assert classify_failure(IgnoreRequest("Ignored response: larger than download max size"))[0] == "error"


def test_real_socket_errors_from_a_local_port() -> None:
    # A port this test bound and closed: the connection is refused by 127.0.0.1 itself.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ConnectionRefusedError) as refused:
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert classify_failure(refused.value)[0] == "connection_refused"
    # A listener that never answers: reading times out.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=0.05) as client:
            with pytest.raises(TimeoutError) as timed_out:
                client.recv(1)
    assert classify_failure(timed_out.value)[0] == "timeout"
