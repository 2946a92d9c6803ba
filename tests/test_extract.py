"""pipeline.extract on single pages: statuses, bad content, charsets, metadata, files and URLs.

Bad-content rows of ../shared/docs/reliability.md: empty page, binary or PDF served as HTML,
charset lie, NUL and control characters, deep nesting, 30 MB page, malformed HTML, the same
document twice. Every page ends with a status and a reason; none raises.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import json
import threading
import unicodedata
from pathlib import Path

import pytest

from pipeline.extract import extract_page, extract_page_and_comments, extract_paths, extract_source
from pipeline.metadata import page_metadata
from flows.cli import main as blogscope_main
from pipeline.dates import parse_date
from pipeline.htmltext import decode_html, parse_html, repair_mojibake

ARTICLE = (
    "Group therapy gives people a place to say out loud what they have carried alone for years. "
    "In our weekly meetings we share strategies for sleep, for panic and for the long afternoons. "
    "Nobody has to speak, but most people do after a few weeks, and that is when things change. "
)
MOJIBAKE_MARKERS = ("Ã", "â€", "Â", "\ufffd")


def blog_page(title: str = "Gruppentherapie – Größe zählt nicht", body: str = ARTICLE * 4, head: str = "",
              charset: str | None = "utf-8", comments: str = "") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"""<!DOCTYPE html><html lang="en"><head>{meta}<title>{title} | Mind Blog</title>{head}</head>
<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><article class="post"><h1 class="entry-title">{title}</h1>
<div class="entry-meta">By <span class="author vcard"><a class="url fn n" rel="author" href="/author/dana">Dana Writer</a></span>
<time class="entry-date published" datetime="2024-02-10T08:00:00+01:00">February 10, 2024</time></div>
<div class="entry-content"><p>{body}</p><p>Second paragraph: {ARTICLE}</p></div>
<footer class="entry-footer"><a href="/category/groups/" rel="category tag">Groups</a>
<a href="/tag/anxiety/" rel="tag">anxiety</a> <a href="/tag/sleep/" rel="tag">sleep</a></footer></article>
{comments}</main><footer><p>© 2024 Mind Blog · Impressum</p></footer></body></html>"""


COMMENTS = """<div id="comments"><ol class="comment-list">
<li id="comment-1" class="comment"><article id="div-comment-1" class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Reader One</b> <span class="says">says:</span></div>
<div class="comment-metadata"><time datetime="2024-02-11T10:00:00+00:00">Feb 11</time></div></footer>
<div class="comment-content"><p>This helped me with my own panic attacks, thank you for writing it.</p></div>
<div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></article></li></ol></div>"""


def test_article_text_metadata_and_no_comments_in_body():
    result = extract_page_and_comments(blog_page(comments=COMMENTS).encode("utf-8"), "https://blog.example/p/1")
    page = result.extracted
    assert page.status == "ok" and page.reason == ""
    assert "Group therapy gives people" in page.text
    assert "panic attacks" not in page.text  # the comment stays out of the body
    assert "Impressum" not in page.text
    assert page.title == "Gruppentherapie – Größe zählt nicht"
    assert page.author == "Dana Writer"
    assert page.published_at == "2024-02-10T08:00:00+01:00"
    assert page.categories == ("Groups",)
    assert page.tags == ("anxiety", "sleep")
    assert page.sitename == "Mind Blog"
    assert page.language == "en"
    assert page.url == "https://blog.example/p/1"
    assert "\n\n" in page.text and "<" not in page.text
    assert [(c.comment_id, c.author) for c in result.comments] == [("1", "Reader One")]


def test_metadata_prefers_what_the_site_declares():
    ld = {"@context": "https://schema.org", "@type": "BlogPosting", "headline": "Declared headline",
          "author": [{"@type": "Person", "name": "Ada One"}, {"@type": "Person", "name": "Bo Two"}],
          "datePublished": "2023-05-06T07:08:09Z", "publisher": {"@type": "Organization", "name": "Declared Site"},
          "keywords": "therapy, groups"}
    head = (f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
            "<meta property='article:section' content='Wellbeing'><link rel='canonical' href='https://declared.example/x'>")
    meta = page_metadata(parse_html(blog_page(head=head)))
    assert meta["title"] == "Declared headline"
    assert meta["author"] == "Ada One; Bo Two"
    assert meta["date"] == "2023-05-06T07:08:09+00:00"
    assert meta["sitename"] == "Declared Site"
    assert meta["url"] == "https://declared.example/x"
    assert meta["categories"][:2] == ["Wellbeing", "Groups"]
    # Tags that repeat a category are dropped (JSON-LD's "groups" is the "Groups" category).
    assert {t.lower() for t in meta["tags"]} == {"therapy", "anxiety", "sleep"}


def test_comment_authors_are_not_the_post_author():
    page = blog_page(comments=COMMENTS).replace('rel="author" ', "").replace("author vcard", "x")
    meta = page_metadata(parse_html(page))
    assert meta["author"] != "Reader One"


@pytest.mark.parametrize(
    "data, status",
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        ("", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "non_html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "non_html"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(300), "non_html"),
        (bytes(range(256)) * 20, "non_html"),
        (b"<html><body></body></html>", "empty"),
        (b"<html><head><script>var x = 1;</script></head><body><div><img src='a.png'></div></body></html>", "empty"),
    ],
)
def test_bad_pages_get_a_status_and_a_reason(data, status):
    page = extract_page(data)
    assert page.status == status
    assert page.reason
    assert page.text == ""


def test_too_large_pages_and_gzip_bombs():
    big = blog_page(body=ARTICLE * 120_000).encode("utf-8")  # ~30 MB
    assert len(big) > 30_000_000
    page = extract_page(big)
    assert page.status == "too_large" and "33,0" in page.reason
    bomb = gzip.compress(b"<html><body>" + b"a" * 20_000_000 + b"</body></html>")
    assert extract_page(bomb, max_bytes=1_000_000).status == "too_large"
    assert extract_page(gzip.compress(blog_page().encode())).status == "ok"


@pytest.mark.parametrize(
    "declared, encoding",
    [
        ("iso-8859-1", "utf-8"),  # the page lies: it is UTF-8
        ("utf-8", "cp1252"),  # the page lies the other way
        ("windows-1252", "cp1252"),
        (None, "cp1252"),
        ("koi8-r", "utf-8"),
    ],
)
def test_charset_lies_give_no_mojibake(declared, encoding):
    text = "Größe, “quoted” – naïve café"
    data = blog_page(title=text, body=f"{text}. {ARTICLE}", charset=declared).encode(encoding)
    page = extract_page(data)
    assert page.status == "ok"
    assert page.title == text
    assert text in page.text
    for marker in MOJIBAKE_MARKERS:
        assert marker not in page.text


def test_other_encodings_are_read():
    russian = "Групповая терапия помогает людям говорить о тревоге. " * 20
    page = extract_page(blog_page(title="Терапия", body=russian, charset="windows-1251").encode("cp1251"))
    assert "Групповая терапия" in page.text
    utf16 = blog_page(charset=None).encode("utf-16")  # with BOM
    assert "Group therapy" in extract_page(utf16).text
    assert decode_html("<p>h\u00e9</p>".encode("utf-16-le"))[0] == "<p>h\u00e9</p>"


def test_double_encoded_text_is_repaired():
    broken = "It\u00e2\u20ac\u2122s the caf\u00c3\u00a9 \u00e2\u20ac\u201c really"
    assert repair_mojibake(broken) == "It’s the café – really"
    assert repair_mojibake("Ã is a letter in SÃO PAULO") == "Ã is a letter in SÃO PAULO"
    page = extract_page(blog_page(body=f"{broken}. {ARTICLE}"))
    assert "It’s the café – really" in page.text


def test_nul_and_control_characters():
    dirty = blog_page(title="Con\x00trol\x85 title", body="Null\x00 byte\x01 and\x1b escape\x7f and C1\x85 control. "
                      + ARTICLE, comments=COMMENTS.replace("Reader One", "Reader\x07 One"))
    for data in (dirty, dirty.encode("utf-8")):
        result = extract_page_and_comments(data)
        page = result.extracted
        assert page.status == "ok"
        assert "Null byte and escape" in page.text.replace("  ", " ")
        assert page.title == "Control title"
        assert result.comments[0].author == "Reader One"
        for value in (page.text, page.title, result.comments[0].text):
            assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value)


def test_deeply_nested_and_malformed_html_do_not_crash():
    nested = "<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000 + "</body></html>"
    page = extract_page(nested)
    assert page.status in ("ok", "empty") and page.reason is not None
    malformed = ("<html><body><article><h1>Title<p>Unclosed <b>bold <i>italic</b> text</i> " + ARTICLE
                 + "<table><tr><td>cell<p>para in cell</div></span></article><p>tail " + ARTICLE)
    page = extract_page(malformed)
    assert page.status == "ok"
    assert "Group therapy" in page.text


def test_same_document_twice_gives_identical_results():
    data = blog_page(comments=COMMENTS).encode("utf-8")
    results = [extract_page_and_comments(data) for _ in range(6)]  # trafilatura's dedup cache bites from the 4th call
    assert all(r == results[0] for r in results)
    assert results[0].extracted.status == "ok"


def test_script_text_is_never_markup():
    page = extract_page(blog_page(body="Use &lt;script&gt;alert(1)&lt;/script&gt; as text. " + ARTICLE
                                  + "<script>document.write('<b>x</b>')</script>"))
    assert "<b>" not in page.text and "document.write" not in page.text


def test_parse_date_formats():
    assert parse_date("January 31, 2011 at 9:59 am") == "2011-01-31T09:59:00"
    assert parse_date("31. Januar 2011 um 10:12") == "2011-01-31T10:12:00"
    assert parse_date("11.05.12 at 5:02 pm") == "2012-05-11T17:02:00"
    assert parse_date("09/22/2012 at 08:40 AM") == "2012-09-22T08:40:00"
    assert parse_date("2024-03-05T09:15:00Z") == "2024-03-05T09:15:00+00:00"
    assert parse_date("3 days ago") is None
    assert parse_date("in 1066") is None


# --------------------------------------------------------------------------- files, URLs, CLI


@pytest.fixture()
def pages(tmp_path: Path) -> list[Path]:
    plain = tmp_path / "post.html"
    plain.write_text(blog_page(comments=COMMENTS), encoding="utf-8")
    packed = tmp_path / "other post.html.gz"
    packed.write_bytes(gzip.compress(blog_page(title="Second").encode("utf-8")))
    pdf = tmp_path / "fake.html"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(500))
    return [plain, packed, pdf, tmp_path / "missing.html"]


def test_extract_source_reads_files(pages):
    records = [extract_source(str(p)) for p in pages]
    assert [r["status"] for r in records] == ["ok", "ok", "non_html", "error"]
    assert records[0]["path"] == str(pages[0])
    assert records[0]["comments"][0]["author"] == "Reader One"
    assert records[1]["title"] == "Second"
    assert "check the path" in records[3]["reason"]
    for key in ("url", "title", "author", "published_at", "language", "text", "comments", "status", "reason",
                "path", "sitename", "categories", "tags"):
        assert key in records[0]


class _BlogHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # http.server's naming
        if self.path == "/post/":
            body = gzip.compress(blog_page(comments=COMMENTS).encode("utf-8"))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/huge/":
            self.send_response(200)
            self.send_header("Content-Length", str(50_000_000))
            self.end_headers()
            self.wfile.write(b"<html>")
        else:
            self.send_error(404)

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture()
def blog_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BlogHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_over_real_http(blog_server):
    ok = extract_source(f"{blog_server}/post/")
    assert ok["status"] == "ok" and ok["url"] == f"{blog_server}/post/" and ok["path"] is None
    assert ok["comments"] and "Group therapy" in ok["text"]
    missing = extract_source(f"{blog_server}/nope/")
    assert missing["status"] == "error" and "404" in missing["reason"]
    assert extract_source(f"{blog_server}/huge/")["status"] == "too_large"


def test_extract_paths_keeps_input_order(pages, blog_server):
    sources = [str(p) for p in pages] + [f"{blog_server}/post/"]
    records = list(extract_paths(sources, workers=2, timeout=30))
    assert [r["status"] for r in records] == ["ok", "ok", "non_html", "error", "ok"]
    assert records[0]["language"] == "en"


def extract_main(argv: list[str]) -> int:
    return blogscope_main(["extract", *argv])


def test_cli_writes_one_json_object_per_page(pages):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert extract_main([str(p) for p in pages[:2]] + ["--workers", "1", "--format", "jsonl"]) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["title"] == "Gruppentherapie – Größe zählt nicht"
    assert first["comments"][0]["text"] == "This helped me with my own panic attacks, thank you for writing it."
    with pytest.raises(SystemExit):
        extract_main(["--workers", "2"])
