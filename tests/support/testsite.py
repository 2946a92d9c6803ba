"""A tiny blog and an "internal" service on 127.0.0.x, for the crawler's own tests.

The bundled demo blog (``demoblog``) is the realistic site; this one is small and hostile on
purpose: robots.txt with ``Crawl-delay``, a robots-disallowed page, links and redirects to a
second server standing in for an internal service (other loopback address or port, decimal IP,
``localhost``), non-http links, a flaky route, a dead link and an oversized page. Stdlib only;
every server counts the requests it receives so tests can assert on them. Never binds or sends
anything outside 127.0.0.0/8.
"""

from __future__ import annotations

import html
import ipaddress
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HitLog:
    hits: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str) -> None:
        with self.lock:
            self.hits.append((time.monotonic(), path))

    def paths(self) -> list[str]:
        with self.lock:
            return [p for _, p in self.hits]


class _Server:
    def __init__(self, host: str, handler: type[BaseHTTPRequestHandler]):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("test servers bind loopback addresses only")
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> _Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def internal_server(host: str = "127.0.0.2") -> tuple[_Server, HitLog]:
    """A server that must never be reached by the crawler: it only counts hits."""
    log = HitLog()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.add(self.path)
            body = b"internal secret"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return _Server(host, Handler).start(), log


def _post_html(n: int, base: str, comments: int) -> str:
    items = []
    for c in range(1, comments + 1):
        cid = n * 100 + c
        reply = ""
        if c == 1 and comments > 1:
            rid = n * 100 + 99
            reply = (f'<ol class="children"><li id="comment-{rid}" class="comment depth-2">'
                     f'<article id="div-comment-{rid}" class="comment-body"><footer class="comment-meta">'
                     f'<div class="comment-author vcard"><b class="fn">Replier</b></div><div class="comment-metadata">'
                     f'<time datetime="2024-03-0{c}T10:00:00+00:00">x</time></div></footer>'
                     f'<div class="comment-content"><p>Reply to {cid}.</p></div></article></li></ol>')
        items.append(f'<li id="comment-{cid}" class="comment depth-1"><article id="div-comment-{cid}" '
                     f'class="comment-body"><footer class="comment-meta"><div class="comment-author vcard">'
                     f'<b class="fn">Reader {c}</b></div><div class="comment-metadata"><time '
                     f'datetime="2024-03-0{c}T09:00:00+00:00">x</time></div></footer><div class="comment-content">'
                     f'<p>Comment {c} on post {n}.</p></div></article>{reply}</li>')
    return (f'<!DOCTYPE html><html><head><title>Post {n}</title><link rel="canonical" href="{base}post-{n}/">'
            f'</head><body class="single"><article class="post type-post hentry"><h1 class="entry-title">Post {n}</h1>'
            f'<div class="entry-content"><p>Body of post {n}.</p></div></article>'
            f'<div id="comments" class="comments-area"><ol class="comment-list">{"".join(items)}</ol></div>'
            f'</body></html>')


def hostile_blog(internal: _Server, *, crawl_delay: float | None = None, n_posts: int = 3,
                 other_port_url: str | None = None, robots_status: int = 200) -> tuple[_Server, HitLog]:
    """A small generic blog on 127.0.0.1 whose pages point at ``internal`` in many spellings."""
    log = HitLog()
    flaky_state = {"count": 0, "busy": 0}
    iip = ipaddress.IPv4Address(internal.host)

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            log.add(self.path)
            base = f"http://{self.headers.get('Host')}/"
            ip_port = internal.port
            path = self.path
            if path == "/robots.txt" and robots_status != 200:
                return self._send(robots_status, b"robots unavailable", "text/plain")
            if path == "/robots.txt":
                rules = "User-agent: *\nDisallow: /private/\n"
                if crawl_delay:
                    rules += f"Crawl-delay: {crawl_delay}\n"
                rules += f"Sitemap: {base}sitemap.xml\n"
                return self._send(200, rules.encode(), "text/plain")
            if path == "/":
                links = [f'<h2><a href="{base}post-{n}/">Post {n}</a></h2>' for n in range(1, n_posts + 1)]
                evil = [f"http://{internal.host}:{ip_port}/home-link", f"http://{int(iip)}:{ip_port}/decimal",
                        f"http://localhost:{ip_port}/localhost", f"http://[::1]:{ip_port}/v6",
                        "file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", "data:text/html,hi",
                        f"{base}private/secret.html", f"{base}redirect-internal"]
                if other_port_url:
                    evil.append(other_port_url)
                links += [f'<h2><a href="{html.escape(u)}">x</a></h2>' for u in evil]
                body = (f'<!DOCTYPE html><html><head><title>Hostile</title><link rel="alternate" '
                        f'type="application/rss+xml" href="{base}feed/"></head><body>{"".join(links)}</body></html>')
                return self._send(200, body.encode())
            if path == "/feed/":
                items = "".join(f"<item><title>Post {n}</title><link>{base}post-{n}/</link>"
                                f"<pubDate>Mon, 0{n} Jan 2024 10:00:00 +0000</pubDate></item>"
                                for n in range(1, n_posts + 1))
                items += (f"<item><title>Redirect</title><link>{base}redirect-internal</link></item>"
                          f"<item><title>Dead</title><link>{base}dead/</link></item>"
                          f"<item><title>Flaky</title><link>{base}flaky/</link></item>"
                          f"<item><title>Big</title><link>{base}big/</link></item>"
                          f"<item><title>Bomb</title><link>{base}bomb/</link></item>"
                          f"<item><title>Busy</title><link>{base}busy/</link></item>"
                          f"<item><title>Private</title><link>{base}private/secret.html</link></item>"
                          f"<item><title>Offsite</title><link>http://{internal.host}:{ip_port}/feed-item</link></item>")
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>{items}</channel></rss>'
                return self._send(200, body.encode(), "application/rss+xml")
            if path == "/sitemap.xml":
                urls = [f"{base}post-{n}/" for n in range(1, n_posts + 1)]
                urls += [f"http://{int(iip)}:{ip_port}/sitemap-decimal", f"http://localhost:{ip_port}/sm"]
                body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        + "".join(f"<url><loc>{html.escape(u)}</loc></url>" for u in urls) + "</urlset>")
                return self._send(200, body.encode(), "application/xml")
            if path.startswith("/post-"):
                n = int(path.strip("/").split("-")[1])
                return self._send(200, _post_html(n, base, 2).encode())
            if path == "/redirect-internal":
                return self._send(302, b"", headers={"Location": f"http://{internal.host}:{ip_port}/redirected"})
            if path == "/flaky/":
                flaky_state["count"] += 1
                if flaky_state["count"] <= 2:
                    return self._send(503, b"busy")
                return self._send(200, _post_html(90, base, 1).encode())
            if path == "/bomb/":
                import gzip

                bomb = gzip.compress(b"<html>" + b"\0" * 20_000_000, compresslevel=9)
                return self._send(200, bomb, headers={"Content-Encoding": "gzip"})
            if path == "/busy/":
                flaky_state["busy"] += 1
                if flaky_state["busy"] == 1:
                    return self._send(429, b"slow down", headers={"Retry-After": "1"})
                return self._send(200, _post_html(91, base, 1).encode())
            if path == "/big/":
                return self._send(200, b"<html><body>" + b"x" * 300_000 + b"</body></html>")
            return self._send(404, b"not found")

        def log_message(self, *args: Any) -> None:
            pass

    return _Server("127.0.0.1", Handler).start(), log


# --------------------------------------------------------------------------- running crawls in tests

FAST_SETTINGS = {"autothrottle": False, "download_delay": 0.0, "retry_times": 2, "timeout_s": 10.0}


def crawl_command(sites: list[dict[str, Any]], workdir: Any, *, settings: dict[str, Any] | None = None,
                  out: str = "out", allow_private: bool = True, now: str | None = None) -> list[str]:
    """The ``python -m crawl.run`` command line for a crawl of ``sites`` under ``workdir``."""
    import json
    import sys
    from pathlib import Path

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "sites.json").write_text(json.dumps(sites), encoding="utf-8")
    (work / "settings.json").write_text(json.dumps({**FAST_SETTINGS, **(settings or {})}), encoding="utf-8")
    cmd = [sys.executable, "-m", "crawl.run", "--sites", str(work / "sites.json"), "--out", str(work / out),
           "--state", str(work / "state"), "--archive", str(work / "archive"),
           "--settings-json", str(work / "settings.json")]
    if allow_private:
        cmd.append("--allow-private")
    if now:
        cmd += ["--now", now]
    return cmd


def read_raw(path: Any) -> list[dict[str, Any]]:
    """Records of a ``raw.jsonl`` (a torn last line from a killed run is skipped)."""
    import json
    from pathlib import Path

    out = []
    p = Path(path)
    if not p.exists():
        return out
    # Split on "\n" only: records are written with ensure_ascii=False, so page text may hold
    # U+2028, U+0085 or other characters that str.splitlines() also treats as line breaks.
    for line in p.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def disqus_blog(n_posts: int = 2) -> tuple[_Server, HitLog]:
    """A generic blog whose comments are drawn by Disqus' script: none are in the HTML."""
    log = HitLog()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.add(self.path)
            base = f"http://{self.headers.get('Host')}/"
            if self.path == "/feed/":
                items = "".join(f"<item><title>D{n}</title><link>{base}d-{n}/</link></item>" for n in range(n_posts))
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>D</title>{items}</channel></rss>'
                ctype = "application/rss+xml"
            elif self.path.startswith("/d-"):
                body = (f'<html><head><title>{self.path}</title></head><body><article class="post hentry">'
                        f'<h1 class="entry-title">{self.path}</h1><div class="entry-content"><p>Text.</p></div>'
                        '</article><div id="disqus_thread"></div><script>var disqus_config = function () {};'
                        '(function() { var d = document, s = d.createElement("script");'
                        ' s.src = "https://example.disqus.com/embed.js"; })();</script></body></html>')
                ctype = "text/html; charset=utf-8"
            elif self.path == "/":
                body = (f'<html><head><link rel="alternate" type="application/rss+xml" href="{base}feed/">'
                        "</head><body>home</body></html>")
                ctype = "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return _Server("127.0.0.1", Handler).start(), log


def run_crawl(sites: list[dict[str, Any]], workdir: Any, out: str = "out", **kwargs: Any) -> list[dict[str, Any]]:
    """Run one crawl subprocess (as the flows layer does), check it ended well, return its records."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(crawl_command(sites, workdir, out=out, **kwargs), cwd=root, capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0 or "[crawl] done" not in proc.stderr:
        raise AssertionError(f"crawl failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return read_raw(Path(workdir) / out / "raw.jsonl")


# --------------------------------------------------------------------------- hostile content

# The commenter's real name on the body-less comment page: it must never reach any output.
RAW_COMMENTER_NAME = "Xavier Privatename"
# How deep the nesting page goes (libxml2 stops at 256 levels without XML_PARSE_HUGE).
DEEP_NESTING = 100_000


def _content_page(slug: str, title: str, body: str, comments: str = "", charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="{charset}"><title>{title}</title></head>'
            f'<body class="single"><article class="post type-post hentry"><h1 class="entry-title">{title}</h1>'
            f'<div class="entry-content">{body}</div></article>'
            f'<div id="comments" class="comments-area"><ol class="comment-list">{comments}</ol></div></body></html>')


def _bodyless_comment_page() -> bytes:
    """A comment marked up without a body element: the name sits beside the text (issue 18, defect 1)."""
    comment = (f'<li id="comment-21" class="comment"><b class="fn">{RAW_COMMENTER_NAME}</b>'
               "<p>Therapy helped me more than the pills ever did, and I say so to anyone who asks.</p></li>")
    body = ("<p>Readers wrote in about what helped them through the winter. We print the first answers here "
            "and keep the thread open for more stories about therapy, medication and long walks.</p>")
    return _content_page("bodyless", "What helped you", body, comment).encode("utf-8")


_GREETING = ("Viele herzliche Grüße aus München an alle Leserinnen und Leser, die über ihre Erfahrungen mit "
             "Psychotherapie schreiben. Größere Gruppen treffen sich jede Woche im Gemeindesaal.")


def _mislabelled_page(title: str, page_charset: str) -> str:
    comment = ('<li id="comment-31" class="comment"><article class="comment-body"><footer class="comment-meta">'
               '<div class="comment-author vcard"><b class="fn">Jürgen</b></div></footer>'
               '<div class="comment-content"><p>Schöne Grüße zurück, ich komme nächste Woche gern wieder.</p>'
               '</div></article></li>')
    return _content_page("", title, f"<p>{_GREETING}</p><p>{_GREETING}</p>", comment, charset=page_charset)


def _deep_page() -> bytes:
    """A post whose body is nested ``DEEP_NESTING`` elements deep, with a comment after it."""
    head = _content_page("deep", "Deep thoughts", "{BODY}", (
        '<li id="comment-41" class="comment"><article class="comment-body"><footer class="comment-meta">'
        '<div class="comment-author vcard"><b class="fn">Deep Reader</b></div></footer>'
        '<div class="comment-content"><p>I got lost somewhere in the middle of this.</p></div></article></li>'))
    before, after = head.split("{BODY}")
    nested = "<div>" * DEEP_NESTING + "<p>The bottom of the rabbit hole.</p>" + "</div>" * DEEP_NESTING
    return (before + nested + after).encode("utf-8")


# path -> (body, Content-Type). Each one broke the crawl's processing while `extract` was right.
CONTENT_PAGES: dict[str, tuple[bytes, str]] = {
    "/bodyless/": (_bodyless_comment_page(), "text/html; charset=utf-8"),
    # Windows-1252 bytes (ü = 0xfc) served and declared as UTF-8.
    "/cp1252-as-utf8/": (_mislabelled_page("Grüße aus Köln", "utf-8").encode("cp1252"), "text/html; charset=utf-8"),
    # UTF-8 bytes served and declared as ISO-8859-1.
    "/utf8-as-latin1/": (_mislabelled_page("Grüße aus Wien", "iso-8859-1").encode("utf-8"),
                         "text/html; charset=iso-8859-1"),
    "/deep/": (_deep_page(), "text/html; charset=utf-8"),
    "/empty/": (b"", "text/html; charset=utf-8"),
}


def hostile_content_blog() -> tuple[_Server, HitLog]:
    """A generic blog on 127.0.0.1 whose feed lists the pages of ``CONTENT_PAGES``.

    The same URLs go to ``blogscope run`` and ``blogscope extract``: both read the very same bytes.
    """
    log = HitLog()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: bytes, ctype: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            log.add(self.path)
            base = f"http://{self.headers.get('Host')}/"
            if self.path == "/robots.txt":
                return self._send(b"User-agent: *\nAllow: /\n", "text/plain")
            if self.path == "/":
                body = (f'<html><head><link rel="alternate" type="application/rss+xml" href="{base}feed/">'
                        "</head><body>hostile content</body></html>")
                return self._send(body.encode(), "text/html; charset=utf-8")
            if self.path == "/feed/":
                items = "".join(f"<item><title>{path.strip('/')}</title><link>{base}{path.lstrip('/')}</link>"
                                f"<pubDate>Mon, 0{n + 1} Jan 2024 10:00:00 +0000</pubDate></item>"
                                for n, path in enumerate(CONTENT_PAGES))
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>C</title>{items}</channel></rss>'
                return self._send(body.encode(), "application/rss+xml")
            if self.path in CONTENT_PAGES:
                return self._send(*CONTENT_PAGES[self.path])
            return self._send(b"not found", "text/plain", 404)

        def log_message(self, *args: Any) -> None:
            pass

    return _Server("127.0.0.1", Handler).start(), log
