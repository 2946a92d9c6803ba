"""Serve demo blogs over real HTTP on a loopback address.

In-process (tests, ``blogscope demo``)::

    blog = generate("wordpress")
    with serve(blog) as server:          # background thread, ephemeral port
        crawl(server.base_url)
        add_comment(blog, 3)             # the running site shows it at once
        server.requests_to("/feed/")     # how often a path was fetched

As a subprocess (integration tests)::

    python -m demoblog.server --flavour both --truth /tmp/truth.json
    # prints "READY wordpress http://127.0.0.1:PORT/" and "READY blogger ..." and serves until killed

Every response is rendered from the blog object on request. Successful GETs carry a strong
ETag (hash of the body) and, where the content has a date, Last-Modified; ``If-None-Match`` and
``If-Modified-Since`` are answered with 304. ``/__stats`` returns request counts as JSON;
``/__admin/*`` (add a comment, read the truth, reset counters, switch faults) exists only with
``admin=True``. ``serve(blog, faults=Faults(...))`` makes the site misbehave on purpose
(:mod:`demoblog.faults`).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from demoblog import blogger, faults as fault_rules, wordpress
from demoblog.faults import Faults
from demoblog.model import DemoBlog
from demoblog.web import Request, Response, etag_for, http_date

log = logging.getLogger(__name__)

STATS_PATH = "/__stats"
ADMIN_PREFIX = "/__admin/"
# Which validators responses carry: real servers differ, and crawlers must cope with each.
VALIDATORS = ("both", "etag", "last-modified", "none")


class RequestStats:
    """Thread-safe request counters (the stats and admin endpoints are not counted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_path: Counter[str] = Counter()
            self.by_target: Counter[str] = Counter()
            self.by_status: Counter[int] = Counter()

    def record(self, path: str, target: str, status: int) -> None:
        with self._lock:
            self.total += 1
            self.by_path[path] += 1
            self.by_target[target] += 1
            self.by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_path": dict(self.by_path),
                "by_target": dict(self.by_target),
                "by_status": {str(k): v for k, v in self.by_status.items()},
            }


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], blog: DemoBlog, admin: bool, validators: str,
                 faults: Faults | None = None):
        self.blog = blog
        self.admin = admin
        self.validators = validators
        self.faults = faults or Faults()  # replaced whole (never mutated), so handlers read one value
        self.stats = RequestStats()
        super().__init__(address, _Handler)
        host, port = self.server_address[:2]
        self.base = f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a crawler's timeout on a stalled page) is normal, not an error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _DemoHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as crawlers expect
    timeout = 30  # idle keep-alive connections do not pin a thread forever

    def version_string(self) -> str:
        return "nginx" if self.server.blog.flavour == "wordpress" else "GSE"

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    # -- verbs ---------------------------------------------------------------------------
    def do_GET(self) -> None:  # stdlib naming
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.server.admin and parts.path.startswith(ADMIN_PREFIX):
            self._send(self._admin(parts.path, raw), head=False)
        else:
            self._send(Response(status=405, body=b"Method not allowed\n", content_type="text/plain; charset=UTF-8",
                                headers=[("Allow", "GET, HEAD")]), head=False)

    # -- internals -----------------------------------------------------------------------
    def _dispatch(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        if path == STATS_PATH:
            body = json.dumps(self.server.stats.snapshot(), sort_keys=True).encode()
            self._send(Response(body=body, content_type="application/json; charset=UTF-8"), head)
            return
        if path.startswith(ADMIN_PREFIX) and self.server.admin:
            self._send(self._admin(path, b""), head)
            return
        req = Request(method="HEAD" if head else "GET", path=path,
                      query=parse_qs(parts.query, keep_blank_values=True), base=self._base())
        blog = self.server.blog
        faults = self.server.faults
        delay_s = 0.0
        try:
            with blog.lock:
                resp = fault_rules.before(blog, req, faults) if faults else None
                if resp is None:
                    resp = (wordpress.handle if blog.flavour == "wordpress" else blogger.handle)(blog, req)
                    if faults:
                        outcome = fault_rules.after(blog, req, resp, faults)
                        resp, delay_s = outcome.response, outcome.delay_s
        except Exception:  # noqa: BLE001 - a renderer bug must show up in test logs, not hang the client
            log.error("demo blog failed on %s\n%s", self.path, traceback.format_exc())
            resp = Response(status=500, body=b"Internal error in the demo blog\n",
                            content_type="text/plain; charset=UTF-8")
        if delay_s:
            time.sleep(delay_s)  # outside the blog's lock: a stalled page must not stall the site
        resp = self._conditional(resp)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.server.stats.record(path, target, resp.status)
        self._send(resp, head)

    def _conditional(self, resp: Response) -> Response:
        if resp.status != 200:
            return resp
        mode = self.server.validators
        etag = etag_for(resp.body) if mode in ("both", "etag") else None
        if etag:
            resp.headers.append(("ETag", etag))
        last_modified = None
        if resp.last_modified and mode in ("both", "last-modified"):
            last_modified = resp.last_modified.replace(microsecond=0)
            resp.headers.append(("Last-Modified", http_date(last_modified)))
        if (self.server.blog.flavour == "wordpress" and self.server.blog.options.rest_api
                and resp.content_type.startswith(("text/html", "application/json"))):
            # WordPress sends this on every page; merged into one Link header (RFC 8288 allows
            # both forms) so clients that keep one header per name still see the paging links.
            api_link = f'<{self._base()}/wp-json/>; rel="https://api.w.org/"'
            links = [v for k, v in resp.headers if k == "Link"] + [api_link]
            resp.headers = [h for h in resp.headers if h[0] != "Link"] + [("Link", ", ".join(links))]
        validators = [h for h in resp.headers if h[0] in ("ETag", "Last-Modified")]
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            # RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since (weak comparison).
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            if "*" in tags or (etag is not None and etag in tags):
                return Response(status=304, content_type=resp.content_type, headers=validators)
            return resp
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return resp
            if since.tzinfo is not None and last_modified <= since:
                return Response(status=304, content_type=resp.content_type, headers=validators)
        return resp

    def _base(self) -> str:
        """The blog's address: ``http://localhost:PORT`` when the client named this server so, else
        ``http://127.0.0.1:PORT``. Both are loopback; the second name stands for a blog that moved
        host (every link it serves follows the new name), which tests crawl for stable post ids."""
        host = (self.headers.get("Host") or "").strip().lower()
        if host == f"localhost:{self.server.server_address[1]}":
            return f"http://{host}"
        return self.server.base

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        if resp.status not in (204, 304):  # neither may carry a body or its length
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()
        if not head and resp.status not in (204, 304):
            self.wfile.write(resp.body)

    def _admin(self, path: str, raw: bytes) -> Response:
        from demoblog.generate import add_comment, add_post, truth_dict

        blog = self.server.blog
        try:
            if path == ADMIN_PREFIX + "truth":
                return _json(truth_dict(blog, self.server.base + "/"))
            if path == ADMIN_PREFIX + "faults":
                # POST a JSON object to set the faults (an empty one clears them); GET reads them.
                if raw:
                    self.server.faults = Faults.from_dict(json.loads(raw))
                return _json(self.server.faults.as_dict())
            if path == ADMIN_PREFIX + "reset-stats":
                self.server.stats.reset()
                return Response(status=204, content_type="text/plain; charset=UTF-8")
            if path == ADMIN_PREFIX + "add-comment":
                data = json.loads(raw or b"{}")
                index = data.pop("post_index", None)
                if index is None and "post_platform_id" in data:
                    post = blog.post_by_id(str(data.pop("post_platform_id")))
                    index = post.index if post else None
                if index is None:
                    raise ValueError("give post_index or post_platform_id")
                fields = {k: data[k] for k in ("text", "author", "parent_id", "published_at", "approved") if k in data}
                comment = add_comment(blog, int(index), **fields)
                truth = truth_dict(blog, self.server.base + "/")
                row = next(c for c in truth["comments"] if c["platform_comment_id"] == comment.platform_comment_id)
                return _json(row, status=201)
            if path == ADMIN_PREFIX + "add-post":
                post = add_post(blog, topic=json.loads(raw or b"{}").get("topic"))
                truth = truth_dict(blog, self.server.base + "/")
                return _json(next(p for p in truth["posts"] if p["platform_post_id"] == post.platform_post_id),
                             status=201)
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            return _json({"error": str(exc)}, status=400)
        return _json({"error": f"unknown admin endpoint {path}"}, status=404)


def _json(data: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
                    content_type="application/json; charset=UTF-8")


class RunningServer:
    """A demo blog served from a background thread; stop it with ``stop()`` or ``with``."""

    def __init__(self, httpd: _DemoHTTPServer):
        self._httpd = httpd
        # A short poll interval makes stop() quick (tests start and stop many servers).
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"demoblog-{httpd.blog.flavour}", daemon=True)
        self._thread.start()

    @property
    def blog(self) -> DemoBlog:
        return self._httpd.blog

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/`` (with the trailing slash)."""
        return self._httpd.base + "/"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def stats(self) -> dict[str, Any]:
        return self._httpd.stats.snapshot()

    def reset_stats(self) -> None:
        self._httpd.stats.reset()

    @property
    def faults(self) -> Faults:
        return self._httpd.faults

    def set_faults(self, faults: Faults | None = None) -> None:
        """Switch faults on (``Faults(...)``) or off (``None``) while the server runs."""
        self._httpd.faults = faults or Faults()

    def requests_to(self, path: str) -> int:
        """How many requests asked for ``path`` (query strings ignored)."""
        return self._httpd.stats.snapshot()["by_path"].get(path, 0)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _check_loopback(host: str) -> None:
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"the demo blog only listens on loopback addresses (127.0.0.x); got {host!r}")


def serve(blog: DemoBlog, host: str = "127.0.0.1", port: int = 0, *, admin: bool = False,
          validators: str = "both", faults: Faults | None = None) -> RunningServer:
    """Start serving ``blog`` on ``host:port`` (0: a free port) in a background thread.

    ``admin`` enables the ``/__admin/*`` endpoints; ``validators`` ("both", "etag",
    "last-modified", "none") chooses which cache validators responses carry, to imitate servers
    that send fewer (conditional requests are then answered only from what was sent).
    """
    _check_loopback(host)
    if validators not in VALIDATORS:
        raise ValueError(f"validators must be one of {VALIDATORS}, not {validators!r}")
    return RunningServer(_DemoHTTPServer((host, port), blog, admin, validators, faults))


# --------------------------------------------------------------------------- command line


def _truth_path(template: str, flavour: str, both: bool) -> Path:
    if "{flavour}" in template:
        return Path(template.format(flavour=flavour))
    path = Path(template)
    return path.with_name(f"{path.stem}.{flavour}{path.suffix}") if both else path


def _faults_arg(text: str) -> Faults:
    try:
        return Faults.from_dict(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"not a faults object: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demoblog.server",
        description="Serve the bundled demo blogs on 127.0.0.1 until killed.",
        epilog="example: python -m demoblog.server --flavour both --truth /tmp/truth.json",
    )
    parser.add_argument("--flavour", choices=["wordpress", "blogger", "both"], default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="0 picks free ports; with --flavour both, PORT and PORT+1")
    parser.add_argument("--truth", metavar="FILE",
                        help="write the ground truth here; with both flavours FILE.<flavour>.json "
                             "unless FILE contains {flavour}")
    parser.add_argument("--small", action="store_true", help="8 posts instead of 44 (fast tests)")
    parser.add_argument("--n-posts", type=int, default=None)
    parser.add_argument("--admin", action="store_true",
                        help="enable POST /__admin/add-comment, POST /__admin/add-post, GET /__admin/truth, POST /__admin/reset-stats")
    parser.add_argument("--no-rest-api", action="store_true", help="WordPress: /wp-json/ answers 404")
    parser.add_argument("--protected-post", action="store_true", help="WordPress: add a password-protected post")
    parser.add_argument("--default-comments-page", choices=["newest", "oldest"], default="newest")
    parser.add_argument("--validators", choices=VALIDATORS, default="both",
                        help="cache validators to send (default both: ETag and Last-Modified)")
    parser.add_argument("--faults", metavar="JSON", type=_faults_arg, default=None,
                        help='switchable faults (demoblog.faults), e.g. \'{"broken_posts": ["12"]}\'; '
                             "with --admin, POST /__admin/faults changes them at run time")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        _check_loopback(args.host)
    except ValueError as exc:
        parser.error(str(exc))

    from demoblog.generate import generate, write_truth

    flavours = ["wordpress", "blogger"] if args.flavour == "both" else [args.flavour]
    n_posts = args.n_posts or (8 if args.small else 44)
    servers: list[RunningServer] = []
    for i, flavour in enumerate(flavours):
        blog = generate(flavour, args.seed, n_posts=n_posts,
                        protected_post=args.protected_post and flavour == "wordpress",
                        rest_api=not args.no_rest_api, default_comments_page=args.default_comments_page)
        port = args.port + i if args.port else 0
        try:
            server = serve(blog, args.host, port, admin=args.admin, validators=args.validators, faults=args.faults)
        except OSError as exc:
            print(f"cannot listen on {args.host}:{port}: {exc}; pick another --port or use 0", file=sys.stderr)
            return 2
        servers.append(server)
        if args.truth:
            path = write_truth(blog, _truth_path(args.truth, flavour, len(flavours) > 1), server.base_url)
            log.info("truth for %s written to %s", flavour, path)
    for server in servers:
        print(f"READY {server.blog.flavour} {server.base_url}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    for server in servers:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
