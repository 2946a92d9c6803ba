"""The bundled demo blogs: generator guarantees, served markup, hidden content, HTTP validators.

Everything runs against the real server on 127.0.0.1 (urllib, no mocks). The fidelity tests
compare our markup and feeds with the real WordPress/Blogger pages in ../shared/data
(``BLOGSCOPE_SHARED_DATA``, through the ``shared_data`` fixture).
"""

from __future__ import annotations

import ast
import csv
import gzip
import html
import json
import queue
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections import Counter, deque
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from demoblog import text as T
from demoblog.generate import add_comment, generate, truth_dict, with_options, write_truth
from demoblog.model import DemoBlog, page_count, threads
from demoblog.server import serve
from demoblog.web import site_zone
from pipeline.ids import canonical_url

ROOT = Path(__file__).resolve().parents[1]
FLAVOURS = ("wordpress", "blogger")
ATOM_NS = "{http://www.w3.org/2005/Atom}"

# urllib without proxies (env proxies must never see loopback traffic) and without redirects.


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[override]
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET",
          data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with _OPENER.open(req, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def full() -> dict[str, DemoBlog]:
    return {f: generate(f) for f in FLAVOURS}


@pytest.fixture(scope="module")
def small() -> dict[str, DemoBlog]:
    return {f: generate(f, n_posts=8) for f in FLAVOURS}


def max_depth(blog: DemoBlog) -> int:
    return max(c.depth for c in blog.visible_comments())


def comment_pages(blog: DemoBlog) -> list[int]:
    per = blog.options.comments_per_page
    return [page_count(len(threads(p.visible_comments())), per) for p in blog.posts if p.public]


# --------------------------------------------------------------------------- generator


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_full_blog_meets_the_content_spec(full, flavour):
    blog = full[flavour]
    public = [p for p in blog.posts if p.public]
    visible = blog.visible_comments()
    assert blog.site_title == {"wordpress": "Shrink Notes", "blogger": "The Couch Report"}[flavour]
    assert len(public) >= 40
    assert len(visible) >= 300
    assert len({p.author.name for p in public}) >= 4
    # Two full years of posting, at varied hours of the day.
    assert min(p.published for p in public).strftime("%Y-%m") == "2023-01"
    assert max(p.published for p in public).strftime("%Y-%m") == "2024-12"
    assert len({p.published.hour for p in public}) >= 6
    # One planted topic per post, every topic well represented, unique titles.
    assert Counter(p.topic for p in public).keys() == set(T.TOPICS)
    assert min(Counter(p.topic for p in public).values()) >= 6
    assert len({p.title for p in blog.posts}) == len(blog.posts)
    for p in public:
        assert 3 <= len(p.paragraphs) <= 7
        assert 150 <= T.word_count(p.text) <= 500, p.title
    # Comments: threads up to depth 5, depth >= 4 several times, paged posts, empty posts.
    assert max_depth(blog) == 5
    assert sum(1 for c in visible if c.depth >= 4) >= 3
    assert sum(1 for n in comment_pages(blog) if n >= 3) >= 2
    assert any(not p.visible_comments() for p in public)
    assert max(len(p.visible_comments()) for p in public) <= 30
    authors = {c.author for c in visible}
    assert 20 <= len(authors) < len(visible)
    assert any(c.by_post_author for c in visible)
    assert Counter(c.sentiment for c in visible).keys() >= {"positive", "negative", "neutral"}
    # Comments come after their post and their parent; some arrive weeks or months later.
    by_id = {c.platform_comment_id: c for c in blog.all_comments()}
    for c in blog.all_comments():
        post = blog.posts[c.post_index]
        assert c.published > post.published
        if c.parent_id:
            parent = by_id[c.parent_id]
            assert parent.post_index == c.post_index and parent.published < c.published
            assert c.depth == parent.depth + 1
    late = [c for c in visible if c.published - blog.posts[c.post_index].published > timedelta(days=21)]
    assert len(late) >= 10
    # Hidden things: ~10 spam/held comments (some replies, none with public replies), one draft.
    hidden = [c for c in blog.all_comments() if not c.approved]
    assert 8 <= len(hidden) <= 12
    assert {c.status for c in hidden} == {"spam", "hold"}
    assert any(c.parent_id for c in hidden)
    hidden_ids = {c.platform_comment_id for c in hidden}
    assert not any(c.parent_id in hidden_ids for c in blog.all_comments())
    assert [p.status for p in blog.posts].count("draft") == 1
    # Escaping gets exercised: apostrophes, double quotes and ampersands occur in public text.
    corpus = " ".join([p.title for p in public] + [p.text for p in public] + [c.text for c in visible])
    assert "'" in corpus and '"' in corpus and "&" in corpus
    assert corpus.isascii()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_small_mode_still_exercises_the_hard_cases(small, flavour):
    blog = small[flavour]
    assert sum(p.public for p in blog.posts) == 8
    assert max_depth(blog) >= 5
    assert max(comment_pages(blog)) >= 3
    assert any(not c.approved for c in blog.all_comments())
    assert any(p.status == "draft" for p in blog.posts)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_generation_is_deterministic_for_a_seed(flavour):
    base = "http://127.0.0.1:9/"
    first = truth_dict(generate(flavour, 7), base)
    assert first == truth_dict(generate(flavour, 7), base)
    assert first != truth_dict(generate(flavour, 8), base)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_posts_on_one_topic_are_not_near_duplicates(full, flavour):
    """The dedup stage must not merge distinct posts: 5-word shingle Jaccard stays low."""

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z']+", text.lower())
        return {tuple(words[i:i + 5]) for i in range(len(words) - 4)}

    posts = [p for p in full[flavour].posts if p.public]
    sets = [shingles(p.text) for p in posts]
    worst = max(len(a & b) / len(a | b) for i, a in enumerate(sets) for b in sets[i + 1:])
    assert worst < 0.5


def test_truth_file_format(tmp_path, small):
    blog = small["wordpress"]
    base = "http://127.0.0.1:8123/"
    path = write_truth(blog, tmp_path / "truth.json", base)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["flavour"] == "wordpress" and data["site_title"] == "Shrink Notes"
    post_urls = {}
    for post in data["posts"]:
        assert {"url", "path", "platform_post_id", "title", "author", "published_at", "topic", "text",
                "public", "categories", "tags"} <= post.keys()
        assert post["url"] == canonical_url(post["url"]) and post["url"].startswith(base)
        assert post["url"].endswith(post["path"])
        assert datetime.fromisoformat(post["published_at"]).utcoffset() == timedelta(0)
        post_urls[post["platform_post_id"]] = post["url"]
    comments = {c["platform_comment_id"]: c for c in data["comments"]}
    for c in data["comments"]:
        assert {"platform_comment_id", "post_platform_id", "post_url", "parent_platform_comment_id", "author",
                "published_at", "text", "approved", "depth"} <= c.keys()
        assert c["post_url"] == post_urls[c["post_platform_id"]]
        parent = c["parent_platform_comment_id"]
        if parent is None:
            assert c["depth"] == 1
        else:
            assert comments[parent]["post_platform_id"] == c["post_platform_id"]
            assert c["depth"] == comments[parent]["depth"] + 1
    assert sum(not p["public"] for p in data["posts"]) == 1
    assert any(not c["approved"] for c in data["comments"])


def test_demoblog_imports_only_pipeline_and_stdlib():
    allowed_prefixes = ("demoblog", "pipeline", "__future__")
    stdlib = set(sys.stdlib_module_names)
    for path in (ROOT / "demoblog").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or name.startswith(allowed_prefixes), f"{path.name} imports {name}"


# --------------------------------------------------------------------------- the served site


def _links(url: str, ctype: str, body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    found: list[str] = []
    if "json" in ctype:
        found += re.findall(r'"(https?://[^"\s]+)"', text)
    else:
        found += [html.unescape(h) for h in re.findall(r"""href\s*=\s*["']([^"']+)["']""", text)]
        found += [html.unescape(h) for h in re.findall(r"<(?:loc|link)>([^<]+)</(?:loc|link)>", text)]
    return [urljoin(url, f).split("#")[0] for f in found]


def crawl_everything(base: str, seeds: list[str], limit: int = 4000) -> dict[str, tuple[int, str, bytes]]:
    """Fetch every same-host URL reachable from ``seeds`` (robots.txt obeyed), incl. API paging."""
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(base + "robots.txt")[2].decode().splitlines())
    host = urlsplit(base).netloc
    todo = deque(base + s.lstrip("/") for s in seeds)
    seen: set[str] = set()
    out: dict[str, tuple[int, str, bytes]] = {}
    while todo:
        url = todo.popleft()
        parts = urlsplit(url)
        if url in seen or parts.netloc != host or not robots.can_fetch("*", url):
            continue
        # Same page as the post itself: worth one visit each, not hundreds.
        if "replytocom=" in parts.query or "showComment=" in parts.query:
            continue
        seen.add(url)
        assert len(seen) < limit, "link explosion: the demo site has a crawler trap it should not have"
        status, headers, body = fetch(url)
        if status in (301, 302):
            todo.append(urljoin(url, headers["Location"]))
            continue
        ctype = headers.get("Content-Type", "")
        out[url] = (status, ctype, body)
        todo.extend(_links(url, ctype, body))
        link_header = headers.get("Link", "")
        todo.extend(m for m in re.findall(r'<([^>]+)>;\s*rel="next"', link_header))
    return out


def _all_text(ctype: str, body: bytes) -> str:
    """What a reader of this response can see, whatever the escaping (HTML, XML, JSON)."""
    text = body.decode("utf-8", "replace")
    if "json" in ctype:
        strings: list[str] = []

        def walk(v):
            if isinstance(v, str):
                strings.append(v)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(json.loads(text))
        text = "\n".join(strings)
    text = html.unescape(html.unescape(text))  # Atom content is escaped twice
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_served_site_shows_every_visible_comment_and_nothing_hidden(full, flavour):
    blog = full[flavour]
    seeds = ["/", "/robots.txt", "/sitemap.xml"]
    if flavour == "wordpress":
        seeds += ["/feed/", "/comments/feed/", "/wp-json/", "/wp-json/wp/v2/posts?per_page=100&_embed",
                  "/wp-json/wp/v2/comments?per_page=100", "/wp-json/wp/v2/users",
                  "/wp-json/wp/v2/categories?per_page=100", "/wp-json/wp/v2/tags?per_page=100"]
    else:
        seeds += ["/feeds/posts/default", "/feeds/posts/summary", "/feeds/comments/default", "/?m=1"]
    with serve(blog) as server:
        pages = crawl_everything(server.base_url, seeds)
        stats = server.stats()
    base = server.base_url.rstrip("/")

    # No broken internal links and no server errors anywhere on the site.
    bad = {u: s for u, (s, _, _) in pages.items() if s != 200}
    assert not bad
    assert stats["by_status"].get("500") is None
    # Well-formed XML and JSON everywhere.
    for _url, (_, ctype, body) in pages.items():
        if "xml" in ctype:
            ET.fromstring(body)
        elif "json" in ctype:
            json.loads(body)
    # robots.txt keeps the private area out although the home page links to it.
    home = pages[base + "/"][2].decode()
    assert "/private/secret.html" in home
    assert not any("/private/" in u for u in pages)
    assert stats["by_path"].get("/private/secret.html") is None

    texts = {u: _all_text(ctype, body) for u, (_, ctype, body) in pages.items()}
    everything = "\n".join(texts.values())
    # Hidden comments, spammer names, hidden comment ids and the draft never show.
    for c in blog.all_comments():
        if c.approved:
            continue
        for para in c.paragraphs:
            assert _norm(para) not in everything, f"hidden comment leaked: {para}"
        if c.status == "spam":
            assert c.author not in everything
        cid = c.platform_comment_id
        raw = "\n".join(b.decode("utf-8", "replace") for _, _, b in pages.values())
        marker = cid if flavour == "blogger" else f"comment-{cid}\""
        assert marker not in raw
    draft = next(p for p in blog.posts if p.status == "draft")
    assert draft.title not in everything
    assert T.DRAFT_NOTES[0] not in everything
    assert f"{base}{blog.post_path(draft)}" not in pages

    # Every public post and every visible comment can be read in the post's HTML pages.
    def is_page_of(url: str, path: str) -> bool:  # the post URL, its comment pages, not ?m=1
        return re.fullmatch(re.escape(path) + r"(comment-page-\d+/)?", urlsplit(url).path) is not None \
            and "m=1" not in urlsplit(url).query

    post_html = {p.index: "\n".join(t for u, t in texts.items() if is_page_of(u, blog.post_path(p)))
                 for p in blog.posts if p.public}
    for p in blog.posts:
        if not p.public:
            continue
        assert _norm(p.paragraphs[-1]) in post_html[p.index]
        for c in p.visible_comments():
            for para in c.paragraphs:
                assert _norm(para) in post_html[p.index], (p.title, para)
    # ... and in the API or feeds, which must list each visible comment once.
    machine = "\n".join(t for u, t in texts.items() if "/wp-json/" in u or "/feeds/" in u)
    for c in blog.visible_comments():
        assert _norm(c.paragraphs[0]) in machine


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_robots_txt_and_sitemap(small, flavour):
    blog = small[flavour]
    with serve(blog) as server:
        status, headers, body = fetch(server.base_url + "robots.txt")
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(body.decode().splitlines())
        sitemap = fetch(server.base_url + "sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert not robots.can_fetch("*", server.base_url + "private/secret.html")
    assert robots.can_fetch("*", server.base_url + blog.post_path(blog.listed_posts()[0]).lstrip("/"))
    if flavour == "wordpress":
        assert not robots.can_fetch("*", server.base_url + "wp-admin/")
    else:
        assert robots.can_fetch("*", server.base_url + "search?updated-max=2024-01-01T00:00:00%2B00:00")
    assert f"Sitemap: {server.base_url}sitemap.xml" in body.decode()
    root = ET.fromstring(sitemap[2])
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = {u.findtext(f"{ns}loc"): u.findtext(f"{ns}lastmod") for u in root}
    for p in blog.listed_posts():
        assert datetime.fromisoformat(locs[server.base_url.rstrip("/") + blog.post_path(p)]) == p.modified


# --------------------------------------------------------------------------- WordPress specifics


def _lxml(body: bytes):
    from lxml import html as lxml_html
    return lxml_html.fromstring(body)


def _hot_post(blog: DemoBlog):
    return max((p for p in blog.posts if p.public), key=lambda p: len(threads(p.visible_comments())))


def test_wordpress_comment_pages_threading_and_traps(small):
    blog = small["wordpress"]
    post = _hot_post(blog)
    roots = threads(post.visible_comments())
    n_pages = page_count(len(roots), 5)
    assert n_pages >= 3
    with serve(blog) as server:
        url = server.base_url.rstrip("/") + blog.post_path(post)
        default = _lxml(fetch(url)[2])
        pages = {n: _lxml(fetch(f"{url}comment-page-{n}/")[2]) for n in range(1, n_pages + 1)}
        beyond = fetch(f"{url}comment-page-{n_pages + 1}/")[0]
        trap_status, _, trap_body = fetch(f"{url}?replytocom={roots[0].comment.platform_comment_id}")
    # "newest" default: the post URL shows the last page, which links back to older pages.
    assert default.xpath('//link[@rel="canonical"]/@href') == [url]
    last_ids = default.xpath('//ol[@class="comment-list"]/li/@id')
    assert last_ids == pages[n_pages].xpath('//ol[@class="comment-list"]/li/@id')
    older = default.xpath('//nav[contains(@class,"comment-navigation")]//div[@class="nav-previous"]/a/@href')
    assert older and f"comment-page-{n_pages - 1}/" in older[0]
    assert pages[1].xpath('//link[@rel="canonical"]/@href') == [f"{url}comment-page-1/"]
    # Pages hold 5 top-level threads each, oldest first, and together every comment once.
    seen = []
    for n in range(1, n_pages + 1):
        tops = pages[n].xpath('//ol[@class="comment-list"]/li')
        assert len(tops) == (5 if n < n_pages else len(roots) - 5 * (n_pages - 1))
        assert all("depth-1" in li.get("class") for li in tops)
        seen += pages[n].xpath('//ol[@class="comment-list"]//li[starts-with(@id,"comment-")]/@id')
    assert sorted(seen) == sorted(f"comment-{c.platform_comment_id}" for c in post.visible_comments())
    assert beyond == 404
    # ?replytocom= serves the same comments (a trap to avoid), marked noindex.
    assert trap_status == 200 and b"noindex, follow" in trap_body
    assert (_lxml(trap_body).xpath('//ol[@class="comment-list"]//li/@id') == last_ids
            or _lxml(trap_body).xpath('//ol[@class="comment-list"]/li/@id') == last_ids)
    # With "oldest", the post URL shows page 1.
    oldest = with_options(blog, default_comments_page="oldest")
    with serve(oldest) as server:
        url = server.base_url.rstrip("/") + blog.post_path(post)
        first = _lxml(fetch(url)[2])
    assert first.xpath('//ol[@class="comment-list"]/li/@id') == pages[1].xpath('//ol[@class="comment-list"]/li/@id')


def test_wordpress_thread_markup_matches_core(small):
    blog = small["wordpress"]
    post = next(p for p in blog.posts if p.public and max((c.depth for c in p.visible_comments()), default=0) == 5)
    with serve(blog) as server:
        url = server.base_url.rstrip("/") + blog.post_path(post)
        roots_on = {}
        for n in range(1, 10):
            status, _, body = fetch(f"{url}comment-page-{n}/")
            if status != 200:
                break
            roots_on[n] = _lxml(body)
    deep = [doc for doc in roots_on.values() if doc.xpath('//li[contains(@class,"depth-5")]')]
    assert deep
    doc = deep[0]
    li = doc.xpath('//li[contains(@class,"depth-5")]')[0]
    # depth-5 sits in four nested ol.children, and has no reply link (thread depth reached).
    assert len(li.xpath('ancestor::ol[@class="children"]')) == 4
    assert not li.xpath('.//a[contains(@class,"comment-reply-link")]')
    top = doc.xpath('//ol[@class="comment-list"]/li')[0]
    assert re.fullmatch(r"comment-\d+", top.get("id"))
    assert top.xpath('./article[@class="comment-body"]/footer[@class="comment-meta"]'
                     '/div[@class="comment-author vcard"]/b[@class="fn"]')
    assert top.xpath('.//div[@class="comment-metadata"]/a/time/@datetime')
    assert top.xpath('./article//div[@class="reply"]/a[@class="comment-reply-link"]/@data-commentid')
    assert "even thread-even depth-1" in top.get("class")
    for author_li in doc.xpath('//li[contains(@class,"bypostauthor")]'):
        assert author_li.xpath('.//b[@class="fn"]//text()')[0] == post.author.name


def test_wordpress_rest_api(small):
    blog = small["wordpress"]
    listed = blog.listed_posts()
    with serve(blog) as server:
        api = server.base_url + "wp-json/wp/v2/"
        s1, h1, b1 = fetch(api + "posts?per_page=3&page=1&_embed")
        s_end, _, b_end = fetch(api + "posts?per_page=3&page=99")
        post = _hot_post(blog)
        pid = post.platform_post_id
        comments = []
        page = 1
        while True:
            s, h, b = fetch(api + f"comments?post={pid}&per_page=4&page={page}")
            assert s == 200
            comments += json.loads(b)
            if page >= int(h["X-WP-TotalPages"]):
                break
            page += 1
        draft = next(p for p in blog.posts if p.status == "draft")
        s_draft, _, b_draft = fetch(api + f"posts/{draft.platform_post_id}")
        hidden = next(c for c in blog.all_comments() if not c.approved)
        s_hidden = fetch(api + f"comments/{hidden.platform_comment_id}")[0]
        s_user, _, b_user = fetch(api + f"users/{post.author.user_id}")
        s_cats, _, b_cats = fetch(api + "categories")
        s_bad = fetch(api + "posts?per_page=500")[0]
    assert s1 == 200 and h1["X-WP-Total"] == str(len(listed)) and h1["X-WP-TotalPages"] == str(-(-len(listed) // 3))
    assert 'rel="next"' in h1["Link"]
    first = json.loads(b1)
    assert [p["id"] for p in first] == [int(p.platform_post_id) for p in listed[:3]]
    assert first[0]["status"] == "publish" and first[0]["title"]["rendered"]
    assert first[0]["_embedded"]["author"][0]["name"] == listed[0].author.name
    assert first[0]["date_gmt"] == listed[0].published.replace(tzinfo=None).isoformat()
    assert s_end == 400 and json.loads(b_end)["code"] == "rest_post_invalid_page_number"
    assert sorted(c["id"] for c in comments) == sorted(int(c.platform_comment_id) for c in post.visible_comments())
    assert all(c["status"] == "approved" and c["post"] == int(pid) for c in comments)
    by_id = {c.platform_comment_id: c for c in post.visible_comments()}
    for c in comments:
        assert c["parent"] == int(by_id[str(c["id"])].parent_id or 0)
        assert c["author_name"] == by_id[str(c["id"])].author
    assert s_draft == 401 and json.loads(b_draft)["code"] == "rest_forbidden"
    assert s_hidden == 401
    assert s_user == 200 and json.loads(b_user)["name"] == post.author.name
    assert s_cats == 200 and {c["name"] for c in json.loads(b_cats)} >= {"Medication", "Insurance & Billing"}
    assert s_bad == 400


def test_wordpress_rest_api_can_be_disabled(small):
    blog = with_options(small["wordpress"], rest_api=False)
    with serve(blog) as server:
        home = fetch(server.base_url)[2]
        status = fetch(server.base_url + "wp-json/wp/v2/posts")[0]
        index = fetch(server.base_url + "wp-json/")[0]
    assert b"https://api.w.org/" not in home
    assert status == 404 and index == 404


def test_wordpress_feeds_redirects_and_variants(full):
    blog = full["wordpress"]
    listed = blog.listed_posts()
    post = _hot_post(blog)
    with serve(blog) as server:
        base = server.base_url.rstrip("/")
        url = base + blog.post_path(post)
        s_p, h_p, _ = fetch(f"{base}/?p={post.platform_post_id}")
        s_amp, _, amp = fetch(url + "amp/")
        feed1 = ET.fromstring(fetch(base + "/feed/")[2])
        feed2 = ET.fromstring(fetch(base + "/feed/?paged=2")[2])
        beyond = fetch(base + f"/feed/?paged={len(listed) // 10 + 2}")[0]
        cfeed = ET.fromstring(fetch(url + "feed/")[2])
        home = _lxml(fetch(base + "/")[2])
        s_nosl, h_nosl, _ = fetch(base + "/feed")
    assert s_p == 301 and h_p["Location"] == url
    assert s_amp == 200 and _lxml(amp).xpath('//link[@rel="canonical"]/@href') == [url]
    items = feed1.findall("channel/item")
    assert [i.findtext("link") for i in items] == [base + blog.post_path(p) for p in listed[:10]]
    assert [i.findtext("link") for i in feed2.findall("channel/item")] == [base + blog.post_path(p) for p in listed[10:20]]
    assert beyond == 404
    dc, slash, wfw = ("{http://purl.org/dc/elements/1.1/}", "{http://purl.org/rss/1.0/modules/slash/}",
                      "{http://wellformedweb.org/CommentAPI/}")
    first = items[0]
    assert first.findtext(f"{dc}creator") == listed[0].author.name
    assert first.findtext(f"{slash}comments") == str(len(listed[0].visible_comments()))
    assert first.findtext(f"{wfw}commentRss") == base + blog.post_path(listed[0]) + "feed/"
    citems = cfeed.findall("channel/item")
    newest = sorted(post.visible_comments(), key=lambda c: c.published, reverse=True)[:10]
    assert [i.findtext(f"{dc}creator") for i in citems] == [c.author for c in newest]
    assert home.xpath('//meta[@name="generator"]/@content') == ["WordPress 6.4.2"]
    assert home.xpath('//link[@rel="https://api.w.org/"]/@href') == [base + "/wp-json/"]
    assert home.xpath('//a[contains(@class,"next page-numbers")]/@href') == [base + "/page/2/"]
    assert s_nosl == 301 and h_nosl["Location"] == base + "/feed/"


def test_wordpress_protected_post_hides_text_and_comments():
    blog = generate("wordpress", n_posts=8, protected_post=True)
    post = next(p for p in blog.posts if p.password)
    assert post.comments and not post.visible_comments()
    with serve(blog) as server:
        base = server.base_url.rstrip("/")
        status, _, page = fetch(base + blog.post_path(post))
        api = json.loads(fetch(f"{base}/wp-json/wp/v2/posts/{post.platform_post_id}")[2])
        s_comments = fetch(f"{base}/wp-json/wp/v2/comments?post={post.platform_post_id}")[0]
    text = _all_text("text/html", page)
    assert status == 200 and f"Protected: {post.title}" in text
    assert _norm(post.paragraphs[1]) not in text
    assert all(_norm(c.paragraphs[0]) not in text for c in post.comments)
    assert api["content"] == {"rendered": "", "protected": True}
    assert s_comments == 401
    assert truth_dict(blog, base)["posts"][post.index]["public"] is False


# --------------------------------------------------------------------------- Blogger specifics


def test_blogger_feeds_follow_blogger_conventions(full):
    blog = full["blogger"]
    listed = blog.listed_posts()
    post = max((p for p in blog.posts if p.public), key=lambda p: max((c.depth for c in p.visible_comments()), default=0))
    with serve(blog) as server:
        base = server.base_url.rstrip("/")
        entries, url = [], base + "/feeds/posts/default"
        while url:
            feed = ET.fromstring(fetch(url)[2])
            entries += feed.findall(f"{ATOM_NS}entry")
            total = int(feed.findtext("{http://a9.com/-/spec/opensearchrss/1.0/}totalResults"))
            nxt = [link.get("href") for link in feed.findall(f"{ATOM_NS}link") if link.get("rel") == "next"]
            url = nxt[0] if nxt else None
        comments, url = [], f"{base}/feeds/{post.platform_post_id}/comments/default?max-results=5"
        while url:
            feed = ET.fromstring(fetch(url)[2])
            comments += feed.findall(f"{ATOM_NS}entry")
            nxt = [link.get("href") for link in feed.findall(f"{ATOM_NS}link") if link.get("rel") == "next"]
            url = nxt[0] if nxt else None
        raw = fetch(base + "/feeds/posts/default")[2].decode()
    assert total == len(listed) == len(entries)
    for entry, p in zip(entries, listed):
        assert entry.findtext(f"{ATOM_NS}id") == f"tag:blogger.com,1999:blog-{blog.blog_id}.post-{p.platform_post_id}"
        assert datetime.fromisoformat(entry.findtext(f"{ATOM_NS}published")) == p.published
        links = {(link.get("rel"), link.get("type")): link.get("href") for link in entry.findall(f"{ATOM_NS}link")}
        assert links[("alternate", "text/html")] == base + blog.post_path(p)
        assert links[("replies", "application/atom+xml")] == f"{base}/feeds/{p.platform_post_id}/comments/default"
        assert entry.findtext("{http://purl.org/syndication/thread/1.0}total") == str(len(p.visible_comments()))
        assert {c.get("term") for c in entry.findall(f"{ATOM_NS}category")} == set(p.categories)
    for ns in ("xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'",
               "xmlns:thr='http://purl.org/syndication/thread/1.0'", 'xmlns:gd="http://schemas.google.com/g/2005"'):
        assert ns in raw
    by_id = {c.platform_comment_id: c for c in post.visible_comments()}
    assert len(comments) == len(by_id)
    thr = "{http://purl.org/syndication/thread/1.0}"
    for entry in comments:
        cid = entry.findtext(f"{ATOM_NS}id").rsplit("post-", 1)[1]
        c = by_id[cid]
        related = [link.get("href") for link in entry.findall(f"{ATOM_NS}link") if link.get("rel") == "related"]
        assert related == ([f"{base}/feeds/{post.platform_post_id}/comments/default/{c.parent_id}"] if c.parent_id else [])
        reply_to = entry.find(f"{thr}in-reply-to")
        assert reply_to.get("ref") == f"tag:blogger.com,1999:blog-{blog.blog_id}.post-{post.platform_post_id}"
        assert reply_to.get("href") == base + blog.post_path(post)
        assert entry.findtext(f"{ATOM_NS}author/{ATOM_NS}name") == c.author


def test_blogger_html_paging_mobile_and_comment_pages(small):
    blog = small["blogger"]
    listed = blog.listed_posts()
    post = _hot_post(blog)
    roots = threads(post.visible_comments())
    n_pages = page_count(len(roots), 10)
    with serve(blog) as server:
        base = server.base_url.rstrip("/")
        # Follow "Older Posts" from the home page through /search?updated-max=...
        seen, url = [], base + "/?max-results=3"
        while url:
            doc = _lxml(fetch(url)[2])
            seen += doc.xpath('//div[contains(@class,"post hentry")]//h3/a/@href')
            older = doc.xpath('//a[@class="blog-pager-older-link"]/@href')
            url = older[0] if older else None
        post_url = base + blog.post_path(post)
        desktop = _lxml(fetch(post_url)[2])
        mobile = _lxml(fetch(post_url + "?m=1")[2])
        pages = {n: _lxml(fetch(f"{post_url}?commentPage={n}")[2]) for n in range(1, n_pages + 1)}
        label = listed[0].categories[0]
        label_doc = _lxml(fetch(f"{base}/search/label/{label}")[2])
    assert seen == [base + blog.post_path(p) for p in listed]
    assert desktop.xpath("//meta[@name='generator']/@content") == ["blogger"]
    assert desktop.xpath("//h3[contains(@class,'post-title')]/text()") == [post.title]
    assert desktop.xpath("//span[@class='post-author vcard']/span[@class='fn']/text()") == [post.author.name]
    # The same instant, written in the blog's own zone (-05:00), as Blogger writes it.
    assert desktop.xpath("//abbr[@class='published']/@title") == [post.published.astimezone(site_zone(blog)).isoformat()]
    assert desktop.xpath(f"//div[@id='post-body-{post.platform_post_id}']")
    assert mobile.xpath("//link[@rel='canonical']/@href") == [post_url]
    assert mobile.xpath("//div[@class='mobile-post-outer']") and not desktop.xpath("//div[@class='mobile-post-outer']")
    assert _norm(post.paragraphs[0]) in _all_text("text/html", _serialize(mobile))
    ids = []
    for n, doc in pages.items():
        tops = doc.xpath("//ol[@id='top-ra']/li[@class='comment']")
        assert len(tops) == (10 if n < n_pages else len(roots) - 10 * (n_pages - 1))
        ids += doc.xpath("//li[@class='comment']/@id")
        if n < n_pages:
            assert doc.xpath(f"//a[@class='comment-paging' and contains(@href,'commentPage={n + 1}')]")
    assert sorted(ids) == sorted(f"c{c.platform_comment_id}" for c in post.visible_comments())
    deepest = max(post.visible_comments(), key=lambda c: c.depth)
    for doc in pages.values():
        li = doc.xpath(f"//li[@id='c{deepest.platform_comment_id}']")
        if li:
            assert len(li[0].xpath("ancestor::li[@class='comment']")) == deepest.depth - 1
    assert label_doc.xpath('//div[contains(@class,"post hentry")]')
    assert all(label in p.categories for p in listed if base + blog.post_path(p) in
               label_doc.xpath('//div[contains(@class,"post hentry")]//h3/a/@href'))


def _serialize(doc) -> bytes:
    from lxml import html as lxml_html
    return lxml_html.tostring(doc)


# --------------------------------------------------------------------------- HTTP validators


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_conditional_get_and_late_comments(small, flavour):
    blog = generate(flavour, n_posts=8)  # mutated below: not the shared fixture
    old = next(p for p in blog.posts if p.public and p.visible_comments())
    other = next(p for p in blog.posts if p.public and p is not old)
    with serve(blog) as server:
        base = server.base_url.rstrip("/")
        feed = (blog.post_path(old) + "feed/" if flavour == "wordpress"
                else f"/feeds/{old.platform_post_id}/comments/default")
        urls = [blog.post_path(old), blog.post_path(other), feed, "/sitemap.xml"]
        if flavour == "wordpress":
            urls += ["/feed/", f"/wp-json/wp/v2/comments?post={old.platform_post_id}"]
        first = {u: fetch(base + u) for u in urls}
        for u, (status, headers, _) in first.items():
            assert status == 200 and re.fullmatch(r'"[0-9a-f]{32}"', headers["ETag"]), u
            assert "Last-Modified" in headers, u
            etag, lm = headers["ETag"], headers["Last-Modified"]
            s304, h304, b304 = fetch(base + u, {"If-None-Match": etag})
            assert (s304, b304) == (304, b"") and h304["ETag"] == etag
            assert fetch(base + u, {"If-Modified-Since": lm})[0] == 304
            assert fetch(base + u, {"If-None-Match": '"other"', "If-Modified-Since": lm})[0] == 200
        server.reset_stats()
        comment = add_comment(blog, old.index, text="A late thought & a \"quoted\" question, weeks afterwards?")
        after = {u: fetch(base + u, {"If-None-Match": first[u][1]["ETag"],
                                     "If-Modified-Since": first[u][1]["Last-Modified"]}) for u in urls}
        stats = server.stats()
    assert after[blog.post_path(old)][0] == 200
    assert "weeks afterwards?" in _all_text("text/html", after[blog.post_path(old)][2])
    assert after[blog.post_path(other)][0] == 304
    assert after[feed][0] == 200 and "A late thought" in _all_text("xml", after[feed][2])
    if flavour == "wordpress":
        assert after["/feed/"][0] == 200  # slash:comments changed
        assert after[urls[-1]][0] == 200 and "A late thought" in _all_text("json", after[urls[-1]][2])
    assert after["/sitemap.xml"][0] == 304  # sitemap lastmod follows post edits, not comments
    new_lm = after[blog.post_path(old)][1]["Last-Modified"]
    assert new_lm != first[blog.post_path(old)][1]["Last-Modified"]
    assert stats["total"] == len(urls) and stats["by_path"][blog.post_path(old)] == 1
    truth = truth_dict(blog, base)
    row = next(c for c in truth["comments"] if c["platform_comment_id"] == comment.platform_comment_id)
    assert row["approved"] and row["depth"] == 1 and row["post_url"] == base + blog.post_path(old)


@pytest.mark.parametrize("validators", ["etag", "last-modified", "none"])
def test_servers_with_fewer_validators(small, validators):
    blog = small["wordpress"]
    path = blog.post_path(blog.listed_posts()[0])
    with serve(blog, validators=validators) as server:
        status, headers, _ = fetch(server.base_url.rstrip("/") + path)
        # A crawler sends back what it got; with nothing, only a far-future date (must not 304).
        conditional = {name: headers[key] for key, name in (("ETag", "If-None-Match"),
                                                            ("Last-Modified", "If-Modified-Since"))
                       if key in headers} or {"If-Modified-Since": "Mon, 01 Jan 2035 00:00:00 GMT"}
        again = fetch(server.base_url.rstrip("/") + path, conditional)[0]
    assert status == 200
    assert ("ETag" in headers) == (validators == "etag")
    assert ("Last-Modified" in headers) == (validators == "last-modified")
    assert again == (200 if validators == "none" else 304)


def test_add_comment_validates_its_input(small):
    blog = generate("wordpress", n_posts=8)
    draft = next(p for p in blog.posts if p.status == "draft")
    public = next(p for p in blog.posts if p.public and p.visible_comments())
    with pytest.raises(ValueError, match="not public"):
        add_comment(blog, draft.index)
    with pytest.raises(ValueError, match="not a visible comment"):
        add_comment(blog, public.index, parent_id="999999")
    with pytest.raises(ValueError, match="older than its post"):
        add_comment(blog, public.index, published_at="2020-01-01T00:00:00+00:00")
    deepest = max(public.visible_comments(), key=lambda c: c.depth)
    reply = add_comment(blog, public.index, parent_id=deepest.platform_comment_id) if deepest.depth < 5 else None
    if reply:
        assert reply.depth == deepest.depth + 1


def test_serve_refuses_non_loopback_addresses(small):
    with pytest.raises(ValueError, match="loopback"):
        serve(small["wordpress"], host="0.0.0.0")


# --------------------------------------------------------------------------- subprocess CLI


@pytest.mark.timeout(90)
def test_cli_serves_both_flavours_until_killed(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "demoblog.server", "--flavour", "both", "--small", "--admin",
         "--truth", str(tmp_path / "truth.json")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        ready = {}
        while len(ready) < 2:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                pytest.fail(f"server did not print READY lines; stderr: {proc.stderr.read() if proc.poll() is not None else ''}")
            word, flavour, url = line.split()
            assert word == "READY"
            ready[flavour] = url
        assert set(ready) == set(FLAVOURS) and ready["wordpress"] != ready["blogger"]
        for flavour, url in ready.items():
            truth = json.loads((tmp_path / f"truth.{flavour}.json").read_text())
            assert truth["flavour"] == flavour and truth["posts"][0]["url"].startswith(url)
            status, _, home = fetch(url)
            generator = b"WordPress 6.4.2" if flavour == "wordpress" else b"content='blogger' name='generator'"
            assert status == 200 and generator in home
        wp = ready["wordpress"]
        truth = json.loads((tmp_path / "truth.wordpress.json").read_text())
        target = next(p for p in truth["posts"] if p["public"])
        status, _, body = fetch(wp + "__admin/add-comment", {"Content-Type": "application/json"}, "POST",
                                json.dumps({"post_platform_id": target["platform_post_id"],
                                            "text": "Added over HTTP between two crawls."}).encode())
        assert status == 201 and json.loads(body)["post_url"] == target["url"]
        assert "Added over HTTP between two crawls." in fetch(target["url"])[2].decode()
        new_truth = json.loads(fetch(wp + "__admin/truth")[2])
        assert len(new_truth["comments"]) == len(truth["comments"]) + 1
        stats = json.loads(fetch(wp + "__stats")[2])
        assert stats["by_path"]["/"] == 1 and stats["by_path"][urlsplit(target["url"]).path] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert proc.returncode == 0


# --------------------------------------------------------------------------- fidelity to real pages


def _real_pages(shared: Path, platform: str, column: str) -> list[Path]:
    """Saved real pages of a platform with reader comments (pages_index.csv heuristics)."""
    with (shared / "trafilatura-eval" / "pages_index.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["platform"] == platform and int(r[column] or 0) > 0]
    return [shared / "trafilatura-eval" / r["file"] for r in rows]


def _comment_classes(doc, xpath: str) -> set[str]:
    out: set[str] = set()
    for el in doc.xpath(xpath):
        for sub in el.iter():
            if isinstance(sub.tag, str):
                out.update((sub.get("class") or "").split())
    return out


@pytest.mark.parametrize("flavour,platform,column,xpath,share", [
    ("wordpress", "wordpress", "wp_comment_ids", '//li[starts-with(@id,"comment-")]', 0.4),
    ("blogger", "blogger", "blogger_comment_ids", '//li[contains(concat(" ",@class," ")," comment ")]', 0.6),
])
def test_comment_markup_uses_the_classes_real_blogs_use(shared_data, small, flavour, platform, column, xpath,
                                                        share):
    """Every class that most real pages of the platform use around comments, we use too."""
    real = []
    for path in _real_pages(shared_data, platform, column):
        classes = _comment_classes(_lxml(gzip.open(path).read()), xpath)
        if classes:
            real.append(classes)
    assert len(real) >= 3
    counts = Counter(c for classes in real for c in classes)
    common = {c for c, n in counts.items() if n >= share * len(real) and not re.search(r"\d{3,}", c)}
    blog = small[flavour]
    ours: set[str] = set()
    with serve(blog) as server:
        for post in blog.posts:
            if post.public and post.visible_comments():
                page = "comment-page-1/" if flavour == "wordpress" else "?commentPage=1"
                ours |= _comment_classes(_lxml(fetch(server.base_url.rstrip("/") + blog.post_path(post) + page)[2]), xpath)
    assert common and common <= ours, sorted(common - ours)


def test_feeds_carry_the_elements_real_platform_feeds_carry(shared_data, small):
    folder = shared_data / "feeds-and-sitemaps"
    with (folder / "files_index.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    wp_feeds = [folder / r["file"] for r in rows if "wordpress" in r["generator"].lower()
                and r["root"] == "rss" and int(r["comment_markers"] or 0) > 0]
    bg_feeds = [folder / r["file"] for r in rows if r["generator"] == "Blogger"]
    assert wp_feeds and bg_feeds

    def child_tags(path_or_bytes, item_path):
        root = ET.fromstring(path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes())
        return [({c.tag for c in item}, {(link.get("rel"), link.get("type")) for link in item.findall(f"{ATOM_NS}link")})
                for item in root.iter(item_path)]

    wp_common = set.intersection(*[tags for f in wp_feeds for tags, _ in child_tags(f, "item")])
    bg_entries = [x for f in bg_feeds for x in child_tags(f, f"{ATOM_NS}entry")]
    bg_common = set.intersection(*[tags for tags, _ in bg_entries])
    # Enclosures exist only on posts with media files; every other link rel is structural.
    bg_links = {link for link in set.intersection(*[links for _, links in bg_entries]) if link[0] != "enclosure"}
    with serve(small["wordpress"]) as wp, serve(small["blogger"]) as bg:
        ours_wp = child_tags(fetch(wp.base_url + "feed/")[2], "item")
        ours_bg = child_tags(fetch(bg.base_url + "feeds/posts/default")[2], f"{ATOM_NS}entry")
    for tags, _ in ours_wp:
        assert wp_common <= tags, sorted(wp_common - tags)
    for tags, links in ours_bg:
        assert bg_common <= tags, sorted(bg_common - tags)
        assert bg_links <= links, sorted(bg_links - links)
