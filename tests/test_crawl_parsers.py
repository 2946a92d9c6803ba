"""Parsers of platform responses on real third-party feeds, sitemaps and the WordPress export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.sources import blogger, feeds, html_threads, wordpress
from pipeline.sources.detect import detect_comment_system, detect_platform
from pipeline.htmltext import html_to_text


@pytest.fixture(scope="module")
def fs(shared_data: Path) -> Path:
    return shared_data / "feeds-and-sitemaps"


def test_every_real_feed_parses_with_entries(fs: Path) -> None:
    broken = {"allthis-partial.json", "ScriptingNews.json"}  # truncated JSON / not a JSON Feed
    checked = 0
    for path in sorted((fs / "rsparser").iterdir()):
        if path.suffix not in (".rss", ".atom", ".xml", ".json", ".rdf") or path.name in broken:
            continue
        feed = feeds.parse_feed(path.read_bytes())
        assert feed.entries, path.name
        assert sum(1 for e in feed.entries if e.url or e.entry_id) == len(feed.entries), path.name
        checked += 1
    assert checked >= 35
    for name in broken:
        with pytest.raises(feeds.FeedParseError):
            feeds.parse_feed((fs / "rsparser" / name).read_bytes())


def test_wordpress_rss_comment_extensions(fs: Path) -> None:
    feed = feeds.parse_feed((fs / "rsparser" / "natasha.xml").read_bytes())
    assert feed.kind == "rss" and feed.generator.startswith("https://wordpress.org")
    first = feed.entries[0]
    assert first.url == "https://www.natashatherobot.com/url-apple-wallet-passkit-pass/"
    assert first.comments_feed_url == "https://www.natashatherobot.com/url-apple-wallet-passkit-pass/feed/"
    assert first.comment_count == 6
    assert first.published == "2017-07-07T11:06:10+00:00"
    assert first.author == "Natasha Murashev"
    assert first.content_html and "<p>" in first.content_html
    assert all(e.comments_feed_url for e in feeds.parse_feed((fs / "rsparser" / "manton.rss").read_bytes()).entries)


def test_blogger_post_feed_ids_replies_and_paging(fs: Path) -> None:
    data = (fs / "rsparser" / "4fsodonline.atom").read_bytes()
    page = blogger.parse_posts_feed(data)
    assert len(page.items) == 25 and page.total_results == 28
    post = page.items[0]
    assert post.post_id == "425541125763448592" and post.blog_id == "3905741845175603023"
    assert post.url == "http://4fsodonline.blogspot.com/2007/12/4fsod-documentary-bloopers-and-stuff.html"
    assert post.comments_feed_url == "http://4fsodonline.blogspot.com/feeds/425541125763448592/comments/default"
    assert post.published_at == "2007-12-15T07:15:00+00:00"  # -08:00 converted to UTC
    assert all(p.comments_feed_url for p in page.items)
    # rel=next points at www.blogger.com; a polite crawler stays on the blog's host.
    assert "www.blogger.com" in page.next_url
    nxt = blogger.next_page_url("http://4fsodonline.blogspot.com/feeds/posts/default", page, "4fsodonline.blogspot.com")
    assert nxt == "http://4fsodonline.blogspot.com/feeds/posts/default?start-index=26&max-results=25"


BLOGGER_COMMENTS = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'
 xmlns:thr='http://purl.org/syndication/thread/1.0'>
<id>tag:blogger.com,1999:blog-77.post1234comments</id>
<openSearch:totalResults>2</openSearch:totalResults><openSearch:startIndex>1</openSearch:startIndex>
<openSearch:itemsPerPage>25</openSearch:itemsPerPage>
<entry><id>tag:blogger.com,1999:blog-77.post-501</id><published>2024-01-05T10:31:00.000-08:00</published>
<content type='html'>First &lt;b&gt;comment&lt;/b&gt; &amp;amp; more</content>
<link rel='alternate' type='text/html' href='http://b.example/2024/01/p.html?showComment=1704479460000#c501'/>
<author><name>Ann</name></author>
<thr:in-reply-to ref='tag:blogger.com,1999:blog-77.post-1234' href='http://b.example/2024/01/p.html' type='text/html'/>
</entry>
<entry><id>tag:blogger.com,1999:blog-77.post-502</id><published>2024-01-06T10:31:00.000Z</published>
<content type='html'>A reply</content>
<link rel='related' type='application/atom+xml' href='http://b.example/feeds/1234/comments/default/501'/>
<author><name>Bob</name></author>
<thr:in-reply-to ref='tag:blogger.com,1999:blog-77.post-1234' href='http://b.example/2024/01/p.html' type='text/html'/>
</entry></feed>"""


def test_blogger_comment_feed_parent_links() -> None:
    page = blogger.parse_comments_feed(BLOGGER_COMMENTS)
    first, reply = page.items
    assert (first.comment_id, first.parent_id, first.post_id) == ("501", None, "1234")
    assert (reply.comment_id, reply.parent_id) == ("502", "501")
    assert first.post_url == "http://b.example/2024/01/p.html"
    assert first.text == "First comment & more"
    assert first.published_at == "2024-01-05T18:31:00+00:00"
    assert blogger.next_page_url("http://b.example/feeds/1234/comments/default", page, "b.example") is None


def test_sitemaps_plain_gzip_index(fs: Path) -> None:
    plain = feeds.parse_sitemap((fs / "trafilatura" / "sitemap.xml").read_bytes())
    gz = feeds.parse_sitemap((fs / "trafilatura" / "sitemap.xml.gz").read_bytes())
    assert len(plain.urls) == 84 and len(gz.urls) == 84
    index = feeds.parse_sitemap((fs / "trafilatura" / "sitemap2.xml").read_bytes())
    assert [s.loc for s in index.sitemaps] == ["http://www.example.com/sitemap1.xml.gz",
                                               "http://www.example.com/sitemap2.xml.gz"]
    assert index.sitemaps[1].lastmod.startswith("2005-01-01")
    with pytest.raises(feeds.FeedParseError):
        feeds.parse_sitemap((fs / "rsparser" / "manton.rss").read_bytes())


def test_opml_lists_feeds(fs: Path) -> None:
    subs = feeds.parse_opml((fs / "rsparser" / "Subs.opml").read_bytes())
    bare = feeds.parse_opml((fs / "rsparser" / "SubsNoTitleAttributes.opml").read_bytes())
    assert len(subs) == len(bare) == 207
    assert subs[0].xml_url == "http://daringfireball.net/feeds/main"


def test_feed_discovery_in_real_pages(fs: Path) -> None:
    found = feeds.discover_feeds((fs / "rsparser" / "DaringFireball.html").read_text("utf-8", "replace"),
                                 "https://daringfireball.net/")
    assert any(f.type == "application/atom+xml" for f in found)
    assert all(f.url.startswith("http") for f in found)


def test_xml_entities_are_not_resolved() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <rss version="2.0"><channel><title>t</title><item><title>&x;</title><link>http://a.example/1</link></item>
    </channel></rss>"""
    feed = feeds.parse_feed(evil)
    assert "root:" not in (feed.entries[0].title or "")


def test_wxr_export_threads_and_moderation(shared_data: Path) -> None:
    items = wordpress.parse_wxr((shared_data / "wp-theme-unit-test" / "themeunittestdata.wordpress.xml").read_bytes())
    comments = [c for i in items for c in i.comments]
    assert len(comments) == 32
    assert sum(1 for c in comments if c.parent_id) == 10
    assert sum(1 for c in comments if c.status == "approved") == 29
    public = [c for c in comments if c.public]
    assert len(public) == 25  # approved and not a pingback/trackback
    ids = {c.comment_id for c in comments}
    assert all(c.parent_id in ids for c in comments if c.parent_id)
    posts = [i for i in items if i.post_type == "post"]
    assert sum(1 for p in posts if p.status == "publish") == 49


def test_rest_posts_and_comments_keep_only_public() -> None:
    posts = json.dumps([
        {"id": 7, "status": "publish", "link": "http://w.example/2024/01/02/a/", "date_gmt": "2024-01-02T03:04:05",
         "modified_gmt": "2024-01-03T00:00:00", "title": {"rendered": "A &amp; B"},
         "content": {"rendered": "<p>x</p>", "protected": False}, "excerpt": {"rendered": ""},
         "_embedded": {"author": [{"name": "Dr X"}], "wp:term": [[{"taxonomy": "category", "name": "Sleep"}],
                                                               [{"taxonomy": "post_tag", "name": "insomnia"}]]}},
        {"id": 8, "status": "publish", "link": "http://w.example/p8/", "title": {"rendered": "Protected: P"},
         "content": {"rendered": "", "protected": True}},
        {"id": 9, "status": "draft", "link": "http://w.example/?p=9", "title": {"rendered": "D"}, "content": {}},
    ])
    parsed = wordpress.parse_rest_posts(posts)
    assert [p.public for p in parsed] == [True, True, False]
    assert parsed[0].title == "A & B" and parsed[0].author == "Dr X"
    assert parsed[0].published_at == "2024-01-02T03:04:05+00:00"
    assert parsed[0].categories == ("Sleep",) and parsed[0].tags == ("insomnia",)
    assert parsed[1].protected
    comments = json.dumps([
        {"id": 3, "post": 7, "parent": 0, "author_name": "Ann", "date_gmt": "2024-01-02T05:00:00",
         "content": {"rendered": "<p>One</p><p>Two</p>"}, "status": "approved"},
        {"id": 4, "post": 7, "parent": 3, "author_name": "Bob", "date_gmt": "2024-01-02T06:00:00",
         "content": {"rendered": "<p>Re</p>"}, "status": "approved"},
        {"id": 5, "post": 7, "parent": 0, "author_name": "Spam", "content": {"rendered": "buy"}, "status": "hold"},
    ])
    parsed_c = wordpress.parse_rest_comments(comments)
    assert [(c.comment_id, c.parent_id, c.public) for c in parsed_c] == [("3", None, True), ("4", "3", True),
                                                                        ("5", None, False)]
    assert parsed_c[0].text == "One\n\nTwo"
    assert wordpress.total_pages({"X-WP-TotalPages": "3"}) == 3


WP_THREAD = """<html><body><div id="comments" class="comments-area"><ol class="comment-list">
<li id="comment-1" class="comment even thread-even depth-1 parent"><article id="div-comment-1" class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><img class="avatar"><b class="fn"><a class="url" href="http://ann.example/">Ann</a></b>
<span class="says">says:</span></div><div class="comment-metadata"><a href="#comment-1"><time datetime="2024-01-02T10:00:00+00:00">Jan 2</time></a></div></footer>
<div class="comment-content"><p>Top &amp; first.</p><p>Second para.</p></div><div class="reply"><a class="comment-reply-link" href="?replytocom=1#respond">Reply</a></div></article>
<ol class="children"><li id="comment-2" class="comment byuser bypostauthor odd alt depth-2"><article id="div-comment-2" class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Dr Who</b></div><div class="comment-metadata"><time datetime="2024-01-02T11:00:00+00:00">x</time></div></footer>
<div class="comment-content"><p>Reply.</p></div></article></li>
<li id="comment-3" class="comment depth-2"><article id="div-comment-3" class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Mod</b></div>
<em class="comment-awaiting-moderation">Your comment is awaiting moderation.</em></footer><div class="comment-content"><p>hidden</p></div></article></li></ol></li>
<li id="comment-4" class="pingback even depth-1"><div class="comment-body">Pingback: <a href="http://x.example/">X</a></div></li>
</ol><div class="nav-links"><div class="nav-previous"><a href="http://w.example/2024/01/02/a/comment-page-1/#comments">Older Comments</a></div>
<div class="nav-next"><a href="http://w.example/2024/01/02/a/comment-page-3/#comments">Newer</a></div></div></div></body></html>"""


def test_wordpress_html_threads() -> None:
    found = html_threads.parse_wordpress_comments(WP_THREAD, "http://w.example/2024/01/02/a/comment-page-2/")
    assert [(c.comment_id, c.parent_id, c.depth) for c in found] == [("1", None, 1), ("2", "1", 2)]
    assert found[0].author == "Ann" and found[0].author_url == "http://ann.example/"
    assert found[0].text == "Top & first.\n\nSecond para."
    assert found[1].by_post_author
    pages = html_threads.wordpress_comment_pages(WP_THREAD, "http://w.example/2024/01/02/a/comment-page-2/")
    assert pages == ["http://w.example/2024/01/02/a/comment-page-1/", "http://w.example/2024/01/02/a/comment-page-3/"]


BLOGGER_THREAD = """<div class="comments" id="comments"><h4>2 comments:</h4><div class="comments-content"><div class="comment-thread"><ol>
<li class="comment" id="c501"><div class="avatar-image-container"><img></div><div class="comment-block"><div class="comment-header">
<cite class="user"><a href="https://www.blogger.com/profile/1">Ann</a></cite><span class="datetime secondary-text">
<a rel="nofollow" href="http://b.example/2024/01/p.html?showComment=1704479460000#c501">January 5, 2024 at 10:31 AM</a></span></div>
<p class="comment-content">Hello<br>there</p><span class="comment-actions secondary-text"><a class="comment-reply" data-comment-id="501">Reply</a></span></div>
<div class="comment-replies"><div class="comment-thread inline-thread"><ol class="thread-chrome thread-expanded"><div>
<li class="comment" id="c502"><div class="comment-block"><div class="comment-header"><cite class="user">Bob</cite><span class="icon user blog-author"></span>
<span class="datetime secondary-text"><a href="http://b.example/2024/01/p.html?showComment=1704565860000#c502">x</a></span></div>
<p class="comment-content">Reply</p></div></li></div></ol></div></div></li></ol></div></div>
<a class="comment-paging" href="http://b.example/2024/01/p.html?commentPage=2">Load more...</a></div>"""


def test_blogger_html_threads() -> None:
    found = html_threads.parse_blogger_comments(BLOGGER_THREAD, "http://b.example/2024/01/p.html")
    assert [(c.comment_id, c.parent_id) for c in found] == [("501", None), ("502", "501")]
    assert found[0].published_at == "2024-01-05T18:31:00+00:00"
    assert found[0].text == "Hello\nthere"
    assert found[1].by_post_author
    assert html_threads.blogger_comment_pages(BLOGGER_THREAD, "http://b.example/2024/01/p.html") == [
        "http://b.example/2024/01/p.html?commentPage=2"]


def test_platform_and_comment_system_detection(fs: Path) -> None:
    wp = '<link rel="https://api.w.org/" href="http://w.example/wp-json/"><meta name="generator" content="WordPress 6.4.2">'
    assert detect_platform(wp, "http://w.example/").platform == "wordpress"
    assert detect_platform(wp, "http://w.example/").wp_api_root == "http://w.example/wp-json/"
    assert detect_platform('<meta name="generator" content="WordPress 6.4">', "http://w.example/").wp_api_root is None
    blog = "<meta content='blogger' name='generator'/><link href='https://www.blogger.com/feeds/123456789/posts/default'>"
    det = detect_platform(blog, "http://b.example/")
    assert det.platform == "blogger" and det.blogger_blog_id == "123456789"
    assert detect_platform((fs / "rsparser" / "DaringFireball.html").read_text("utf-8", "replace"),
                           "https://daringfireball.net/").platform == "generic"
    assert detect_comment_system('<div id="disqus_thread"></div><script src="//x.disqus.com/embed.js">') == "disqus"
    assert detect_comment_system('<div class="fb-comments" data-href="x"></div>') == "facebook"
    assert detect_comment_system('<div id="hyvor-talk-view"></div>') == "hyvor"
    assert detect_comment_system("<p>No comments here</p>") is None


def test_html_to_text_paragraphs_and_scripts() -> None:
    assert html_to_text("<p>a &amp; b</p><script>alert(1)</script><p>c<br>d</p>") == "a & b\n\nc\nd"
    assert html_to_text("") == ""


def test_html_to_text_of_plain_text_matches_the_lxml_path() -> None:
    """Text without markup skips lxml; the result must be what lxml (or its fallback) gives."""
    import random
    import re
    import string

    from lxml import html as lxml_html

    from pipeline import htmltext

    def through_lxml(fragment: str) -> str:
        try:
            root = lxml_html.fragment_fromstring(fragment, create_parent="div")
        except Exception:  # noqa: BLE001 - control characters: html_to_text's own fallback
            return htmltext.normalize_breaks(re.sub(r"<[^>]+>", " ", fragment))
        return htmltext.element_text((root,))

    rng = random.Random(7)
    alphabet = string.ascii_letters + " \t\n\f\v\u00a0\u2028\x85\x1f\ufeffé—'\"/>;#"
    checked = 0
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        if htmltext._MARKUP.search(text) or not text.strip():
            continue
        checked += 1
        assert html_to_text(text) == through_lxml(text), repr(text)
    assert checked > 4000
    assert html_to_text("Tom &amp; Jerry") == "Tom & Jerry"  # entities still go through lxml
