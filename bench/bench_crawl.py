"""Crawl speed: blogscope's crawler against a download-only Scrapy spider, same site, same run.

The site is the bundled WordPress demo blog with ``N_POSTS`` posts (REST API on), about 2,000
pages for a crawl: every post page plus its REST comment page(s), and a dozen listings. The demo
server renders each page from Python objects under one lock (~20 ms for a post page at this
size), which would make *both* crawlers measure the server. So a snapshot server (its own
process, stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive) renders each URL once through
``demoblog.wordpress.handle`` and then answers from memory; an untimed warm-up crawl fills it.
The server reports its CPU time per crawl, so one can see it is not the bottleneck.

Both crawlers run in their own subprocess (the Twisted reactor cannot restart), with politeness
off (no download delay, AutoThrottle off, ``CONCURRENCY`` requests per site) and the same Scrapy
settings, fresh state each time (a first crawl):

- **blogscope**: ``python -m crawl.run`` as the flows layer runs it: robots.txt, platform
  detection, REST discovery, planning, post pages and comments, parsing, ``raw.jsonl``, sqlite
  state and the WARC archive.
- **download-only**: a minimal ``scrapy.Spider`` that follows the same links (robots.txt, home,
  REST post listings, site comment feed, sitemap, each post page and its REST comment pages) and
  only downloads, reading nothing but the listings' JSON to find the links.

Pages/s = responses / elapsed time, best of ``REPEATS`` runs each, runs interleaved. For the
download-only spider the time is Scrapy's ``elapsed_time_seconds`` (spider open to close); for
blogscope it runs from spider open until its writer process (:mod:`crawl.sink`: WARC, records,
their state) has written the last record, so work handed to the second process is counted.
Target: blogscope >= 0.8x the download-only spider.
Pages per CPU second is reported too; for blogscope it counts *both* processes (the crawler over
the crawl, the writer from its start), so it shows what the speed costs in CPU: blogscope does
several times the work of a spider that only downloads, and uses the second core to do it.
A third, informational figure runs the download-only spider on Scrapy's stock settings
(``CONCURRENT_ITEMS`` 100, ``WARN_ON_GENERATOR_RETURN_VALUE`` on), which cost ~1-2 ms per
response with callbacks that are fresh bound methods; blogscope's settings turn both off.

    python -m bench crawl          (or: python bench/bench_crawl.py [N_POSTS])
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: import this checkout's packages
    sys.path.insert(0, str(ROOT))

N_POSTS = 1000  # ~2 pages per post (page + REST comments) -> ~2,000 pages per crawl
REPEATS = 2
CONCURRENCY = 8
TARGET_RATIO = 0.8
CRAWL_TIMEOUT_S = 600
# Politeness off for a speed test on our own loopback server (robots.txt is still obeyed: the
# demo's has no Crawl-delay, and asking it is part of every real crawl).
CRAWL_SETTINGS = {"autothrottle": False, "download_delay": 0.0, "concurrency_per_domain": CONCURRENCY,
                  "retry_times": 1, "timeout_s": 30.0}
STATS_PATH = "/__bench/stats"


# --------------------------------------------------------------------------- snapshot server


def serve_snapshot(n_posts: int, seed: int = 7, host: str = "127.0.0.1") -> None:
    """Serve the demo WordPress blog from a render-once cache until stdin closes or SIGTERM."""
    import signal
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, unquote, urlsplit

    from demoblog import wordpress
    from demoblog.generate import generate
    from demoblog.web import Request as DemoRequest
    from demoblog.web import etag_for, http_date

    blog = generate("wordpress", seed, n_posts=n_posts)
    cache: dict[str, bytes] = {}  # request target -> whole HTTP response head + body
    render_lock = threading.Lock()
    counts: Counter[str] = Counter()

    class SnapshotServer(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64

    httpd = SnapshotServer((host, 0), BaseHTTPRequestHandler)
    base = f"http://{host}:{httpd.server_address[1]}"

    def render(target: str) -> bytes:
        """One response as bytes, headers as the demo server sends them (ETag, Last-Modified, Link)."""
        parts = urlsplit(target)
        req = DemoRequest(method="GET", path=unquote(parts.path) or "/",
                          query=parse_qs(parts.query, keep_blank_values=True), base=base)
        with blog.lock:
            resp = wordpress.handle(blog, req)
        headers = list(resp.headers)
        if resp.status == 200:
            headers.append(("ETag", etag_for(resp.body)))
            if resp.last_modified:
                headers.append(("Last-Modified", http_date(resp.last_modified.replace(microsecond=0))))
            if resp.content_type.startswith(("text/html", "application/json")):
                links = [v for k, v in headers if k == "Link"] + [f'<{base}/wp-json/>; rel="https://api.w.org/"']
                headers = [h for h in headers if h[0] != "Link"] + [("Link", ", ".join(links))]
        body = resp.body if resp.status not in (204, 304) else b""
        lines = [f"HTTP/1.1 {resp.status} X", "Server: nginx", f"Content-Type: {resp.content_type}",
                 f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # stdlib naming
            if self.path == STATS_PATH:
                body = json.dumps({**counts, "cpu_s": time.process_time()}).encode()
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
                return
            raw = cache.get(self.path)
            if raw is None:
                with render_lock:
                    raw = cache.get(self.path)
                    if raw is None:
                        raw = cache[self.path] = render(self.path)
                        counts["misses"] += 1
            counts["requests"] += 1
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    httpd.RequestHandlerClass = Handler
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.shutdown, daemon=True).start())
    print(f"READY {base}/ {sum(1 for p in blog.posts if p.public)}", flush=True)
    httpd.serve_forever(poll_interval=0.1)


def _server_stats(base_url: str) -> dict[str, float]:
    from urllib.request import urlopen

    with urlopen(base_url.rstrip("/") + STATS_PATH, timeout=10) as resp:  # our loopback server
        return json.loads(resp.read())


# --------------------------------------------------------------------------- download-only spider


def run_download_only(base_url: str, out: Path, stock: bool = False) -> None:
    """Crawl ``base_url`` with a minimal spider in this process and write its stats to ``out``.

    ``stock``: Scrapy's own defaults (only concurrency, delay and logging set) instead of
    blogscope's Scrapy settings; a secondary figure, to show what those settings are worth.
    """
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawl.run import load_crawl_settings, scrapy_settings, track_crawl_cpu
    from crawl.discovery.wordpress import rest_root, rest_url
    from pipeline.sources.wordpress import total_pages

    root = rest_root(base_url)

    def pages_of(response: Any) -> int:
        return total_pages({k.decode(): v[-1].decode() for k, v in response.headers.items() if v}) or 1

    class DownloadOnlySpider(scrapy.Spider):
        """The same links as blogscope's WordPress REST path; downloads, reads only listing JSON."""

        name = "download-only"

        async def start(self) -> Any:
            yield scrapy.Request(base_url + "robots.txt", callback=self.ignore, priority=10)
            yield scrapy.Request(base_url, callback=self.ignore, priority=10)
            yield scrapy.Request(rest_url(root, "wp/v2/posts", per_page=100, page=1, _embed=1),
                                 callback=self.on_posts, cb_kwargs={"page": 1})
            yield scrapy.Request(base_url + "comments/feed/", callback=self.ignore)
            yield scrapy.Request(base_url + "sitemap.xml", callback=self.ignore)

        def ignore(self, response: Any) -> None:
            return None

        def on_posts(self, response: Any, page: int) -> Any:
            if page == 1:
                for n in range(2, pages_of(response) + 1):
                    yield scrapy.Request(rest_url(root, "wp/v2/posts", per_page=100, page=n, _embed=1),
                                         callback=self.on_posts, cb_kwargs={"page": n})
            for post in json.loads(response.body):
                yield scrapy.Request(post["link"], callback=self.ignore)
                yield scrapy.Request(rest_url(root, "wp/v2/comments", post=post["id"], per_page=100, page=1),
                                     callback=self.on_comments, cb_kwargs={"post": post["id"]})

        def on_comments(self, response: Any, post: Any) -> Any:
            for n in range(2, pages_of(response) + 1):
                yield scrapy.Request(rest_url(root, "wp/v2/comments", post=post, per_page=100, page=n),
                                     callback=self.ignore)

    # blogscope's own Scrapy settings, minus its middlewares, extensions and resolver.
    settings = scrapy_settings(load_crawl_settings(_settings_file(out.parent)))
    for key in ("DOWNLOADER_MIDDLEWARES", "EXTENSIONS", "TWISTED_DNS_RESOLVER"):
        settings.pop(key, None)
    if stock:
        keep = ("USER_AGENT", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
                "AUTOTHROTTLE_ENABLED")
        settings = {key: settings[key] for key in keep}
    settings.update({"EXTENSIONS": {"scrapy.extensions.telnet.TelnetConsole": None},
                     "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DownloadOnlySpider)
    cpu = track_crawl_cpu(crawler)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    by_status = {k.rsplit("/", 1)[-1]: v for k, v in stats.items()
                 if k.startswith("downloader/response_status_count/")}
    out.write_text(json.dumps({"elapsed_s": stats.get("elapsed_time_seconds"), "cpu_s": cpu.get("seconds"),
                               "responses_by_status": by_status,
                               "requests": stats.get("downloader/request_count", 0),
                               "finish_reason": stats.get("finish_reason")}), encoding="utf-8")


def _settings_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crawl-settings.json"
    path.write_text(json.dumps(CRAWL_SETTINGS), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- one timed crawl each


def _run(cmd: list[str], what: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall


def crawl_blogscope(base_url: str, work: Path) -> dict[str, Any]:
    (work / "sites.json").parent.mkdir(parents=True, exist_ok=True)
    (work / "sites.json").write_text(json.dumps([{"id": "bench", "url": base_url, "platform": "auto"}]))
    cmd = [sys.executable, "-m", "crawl.run", "--sites", str(work / "sites.json"), "--out", str(work / "out"),
           "--state", str(work / "state"), "--archive", str(work / "archive"),
           "--settings-json", str(_settings_file(work)), "--allow-private"]
    wall = _run(cmd, "blogscope crawl")
    stats = json.loads((work / "out" / "stats.json").read_text(encoding="utf-8"))
    site = stats["sites"]["bench"]
    pages = sum(stats["responses_by_status"].values())
    # Spider open until the writer process wrote the last record: the whole crawl, not just Scrapy's part.
    elapsed = stats["crawl_elapsed_s"]
    # Both processes: the crawler's CPU over the crawl and the writer's (its start-up included).
    cpu = stats["crawl_cpu_s"] + stats["writer_cpu_s"]
    return {"pages": pages, "requests": stats["requests"], "elapsed_s": round(elapsed, 3), "wall_s": round(wall, 2),
            "pages_per_s": round(pages / elapsed, 1), "cpu_s": round(cpu, 3),
            "crawler_cpu_s": stats["crawl_cpu_s"], "writer_cpu_s": stats["writer_cpu_s"],
            "pages_per_cpu_s": round(pages / cpu, 1),
            "posts": site["posts"], "comments": site["comments"],
            "requests_per_post": site["requests_per_post"], "responses_by_status": stats["responses_by_status"],
            "accounting": site.get("accounting")}


def crawl_download_only(base_url: str, work: Path, stock: bool = False) -> dict[str, Any]:
    out = work / "download-only.json"
    mode = "download-only-stock" if stock else "download-only"
    wall = _run([sys.executable, str(Path(__file__).resolve()), mode, base_url, str(out)], f"{mode} spider")
    stats = json.loads(out.read_text(encoding="utf-8"))
    pages = sum(stats["responses_by_status"].values())
    return {"pages": pages, "requests": stats["requests"], "elapsed_s": round(stats["elapsed_s"], 3),
            "wall_s": round(wall, 2), "pages_per_s": round(pages / stats["elapsed_s"], 1), "cpu_s": stats["cpu_s"],
            "pages_per_cpu_s": round(pages / stats["cpu_s"], 1),
            "responses_by_status": stats["responses_by_status"]}


def _timed(kind: str, base_url: str, work: Path) -> dict[str, Any]:
    before = _server_stats(base_url)
    if kind == "blogscope":
        result = crawl_blogscope(base_url, work)
    else:
        result = crawl_download_only(base_url, work, stock=kind == "download_only_stock")
    after = _server_stats(base_url)
    result["server_cpu_s"] = round(after["cpu_s"] - before["cpu_s"], 2)
    result["server_renders"] = int(after.get("misses", 0) - before.get("misses", 0))
    return result


def run(shared_data_dir: Path | None = None, n_posts: int = N_POSTS) -> dict[str, Any]:
    """Start the snapshot server, warm it, then time both crawlers ``REPEATS`` times, interleaved."""
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "serve", str(n_posts)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.startswith("READY "):
            raise RuntimeError(f"snapshot server did not start (said {line!r})")
        _, base_url, public_posts = line.split()
        kinds = ("blogscope", "download_only", "download_only_stock")
        runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
            work = Path(tmp)
            warm = _timed("blogscope", base_url, work / "warmup")  # renders every page once, untimed
            print(f"   site: {public_posts} posts on {base_url} ({warm['server_renders']} pages rendered in warm-up)")
            for i in range(REPEATS):
                for kind in kinds[i % 3:] + kinds[:i % 3]:  # rotate the order: no kind always runs first
                    result = _timed(kind, base_url, work / f"{kind}-{i}")
                    runs[kind].append(result)
                    print(f"   {kind:<19} run {i + 1}: {result['pages']} pages in {result['elapsed_s']:.2f} s = "
                          f"{result['pages_per_s']:.0f} pages/s; CPU {result['cpu_s']:.2f} s = "
                          f"{result['pages_per_cpu_s']:.0f} pages/CPU-s (process {result['wall_s']:.1f} s, "
                          f"server CPU {result['server_cpu_s']:.1f} s, renders {result['server_renders']})",
                          flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    best = {kind: max(results, key=lambda r: r["pages_per_s"]) for kind, results in runs.items()}
    ratio = best["blogscope"]["pages_per_s"] / best["download_only"]["pages_per_s"]
    best_cpu = {kind: max(r["pages_per_cpu_s"] for r in results) for kind, results in runs.items()}
    cpu_ratio = best_cpu["blogscope"] / best_cpu["download_only"]
    ours = best["blogscope"]
    out = {
        "n_posts": int(public_posts), "concurrency_per_site": CONCURRENCY, "repeats": REPEATS,
        "blogscope_pages": ours["pages"], "download_only_pages": best["download_only"]["pages"],
        "blogscope_posts": ours["posts"], "blogscope_comments": ours["comments"],
        "requests_per_post": ours["requests_per_post"],
        "blogscope_pages_per_s": ours["pages_per_s"], "download_only_pages_per_s": best["download_only"]["pages_per_s"],
        "ratio": round(ratio, 3), "target_ratio": TARGET_RATIO, "meets_target": ratio >= TARGET_RATIO,
        "blogscope_pages_per_cpu_s": best_cpu["blogscope"], "download_only_pages_per_cpu_s": best_cpu["download_only"],
        "cpu_ratio": round(cpu_ratio, 3),
        "download_only_stock_scrapy_pages_per_s": best["download_only_stock"]["pages_per_s"],
        "ratio_vs_stock_scrapy": round(ours["pages_per_s"] / best["download_only_stock"]["pages_per_s"], 3),
        "accounting": ours["accounting"], "runs": runs,
    }
    print(f"   requests per post: {ours['requests_per_post']} ({ours['requests']} requests, {ours['posts']} posts, "
          f"{ours['comments']} comments)")
    print(f"   blogscope {ours['pages_per_s']:.0f} pages/s vs download-only {out['download_only_pages_per_s']:.0f} "
          f"pages/s = {ratio:.2f}x (target >= {TARGET_RATIO}x: {'ok' if out['meets_target'] else 'MISSED'})")
    print(f"   per CPU second (blogscope: crawler + writer process): blogscope {best_cpu['blogscope']:.0f} vs "
          f"download-only {best_cpu['download_only']:.0f} pages/CPU-s = {cpu_ratio:.2f}x")
    stock = out["download_only_stock_scrapy_pages_per_s"]
    print(f"   (the same download-only spider on Scrapy's stock settings: {stock:.0f} pages/s; "
          f"blogscope = {out['ratio_vs_stock_scrapy']:.2f}x of it)")
    return out


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve_snapshot(int(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] in ("download-only", "download-only-stock"):
        run_download_only(sys.argv[2], Path(sys.argv[3]), stock=sys.argv[1].endswith("stock"))
    else:
        print(json.dumps(run(None, int(sys.argv[1]) if len(sys.argv) > 1 else N_POSTS), indent=2))
