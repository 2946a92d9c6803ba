"""Structured reader comments from the markup families blogs use (pipeline.comments).

Each fixture is a small page written the way the platform writes it; the checks are on what an
analyst needs: one record per comment, the page's own ids, threading, authors, ISO times, and
text without widgets ("Reply", "says:", dates, votes, "Report abuse").
"""

from __future__ import annotations

import json

import lxml.html
import pytest

from pipeline.comments import extract_comments
from pipeline.htmltext import parse_html
from pipeline.ids import digest

WIDGET_WORDS = ("Reply", "says:", "said...", "Report abuse", "Delete", "Like", "Permalink", "Vote")


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html lang='en'><head><title>Post</title></head><body><article><h1>Post</h1>" \
           f"<p>The post itself, long enough to be a post body for the extractor to find.</p></article>{body}</body></html>"


def _no_widgets(comments) -> None:
    for c in comments:
        for word in WIDGET_WORDS:
            assert word not in c.text, (word, c.text)


WORDPRESS_MODERN = _page("""
<div id="comments" class="comments-area">
 <h2 class="comments-title">2 thoughts on &ldquo;Post&rdquo;</h2>
 <ol class="comment-list">
  <li id="comment-11" class="comment even thread-even depth-1 parent">
   <article id="div-comment-11" class="comment-body">
    <footer class="comment-meta">
     <div class="comment-author vcard"><img class="avatar" src="a.png" alt="">
      <b class="fn"><a href="https://ann.example" rel="external nofollow ugc" class="url">Ann Example</a></b>
      <span class="says">says:</span></div>
     <div class="comment-metadata"><a href="#comment-11"><time datetime="2024-03-05T09:15:00+00:00">March 5, 2024 at 9:15 am</time></a>
      <span class="edit-link"><a class="comment-edit-link" href="#">Edit</a></span></div>
    </footer>
    <div class="comment-content"><p>Therapy groups helped me a lot.</p><p>Second paragraph here.</p></div>
    <div class="reply"><a rel="nofollow" class="comment-reply-link" href="#">Reply</a></div>
   </article>
   <ol class="children">
    <li id="comment-12" class="comment byuser bypostauthor odd alt depth-2">
     <article id="div-comment-12" class="comment-body">
      <footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Bob Author</b> <span class="says">says:</span></div>
       <div class="comment-metadata"><time datetime="2024-03-06T10:00:00+00:00">March 6, 2024</time></div></footer>
      <div class="comment-content"><p>Glad to hear it, Ann.</p></div>
      <div class="reply"><a class="comment-reply-link" href="#">Reply</a></div>
     </article>
    </li>
   </ol>
  </li>
 </ol>
 <div id="respond" class="comment-respond"><h3>Leave a Reply</h3>
  <form id="commentform"><p class="comment-form-comment"><textarea id="comment"></textarea></p></form></div>
</div>""")


def test_wordpress_threaded_comments():
    comments = extract_comments(WORDPRESS_MODERN)
    assert [c.comment_id for c in comments] == ["11", "12"]
    first, reply = comments
    assert first.author == "Ann Example"
    assert first.published_at == "2024-03-05T09:15:00+00:00"
    assert first.text == "Therapy groups helped me a lot.\n\nSecond paragraph here."
    assert first.parent_id is None
    assert reply.parent_id == "11"
    assert reply.author == "Bob Author"
    assert reply.text == "Glad to hear it, Ann."
    _no_widgets(comments)


WORDPRESS_KUBRICK = _page("""
<h3 id="comments">2 Responses to &#8220;Post&#8221;</h3>
<ol class="commentlist">
 <li class="alt" id="comment-301">
  <cite><a href="http://x.example" rel="external nofollow" class="url">Carol</a></cite> Says:<br />
  <small class="commentmetadata"><a href="#comment-301" title="">January 31st, 2011 at 9:59 am</a></small>
  <p>I have met very few people like that.</p>
 </li>
 <li id="comment-302">
  <cite>Dave</cite> Says:<br />
  <small class="commentmetadata"><a href="#comment-302">February 1st, 2011 at 10:12 pm</a></small>
  <p>Agreed.</p><p>Mostly.</p>
 </li>
</ol>""")


def test_wordpress_old_theme_markup():
    comments = extract_comments(WORDPRESS_KUBRICK)
    assert [(c.comment_id, c.author) for c in comments] == [("301", "Carol"), ("302", "Dave")]
    assert comments[0].published_at == "2011-01-31T09:59:00"
    assert comments[1].published_at == "2011-02-01T22:12:00"
    assert comments[0].text == "I have met very few people like that."
    assert comments[1].text == "Agreed.\n\nMostly."
    _no_widgets(comments)


BLOGGER_THREADED = _page("""
<div class="comments" id="comments"><h4>3 comments:</h4>
<div class="comments-content"><div id="comment-holder"><div class="comment-thread toplevel-thread"><ol id="top-ra">
 <li class="comment" id="c1001"><div class="avatar-image-container"><img src="a.png"></div>
  <div class="comment-block" id="c1368053093029873036">
   <div class="comment-header"><cite class="user"><a href="https://www.blogger.com/profile/1" rel="nofollow">Anna Reader</a></cite>
    <span class="icon user"></span><span class="datetime secondary-text"><a href="#c1368053093029873036">26 October 2012 17:38</a></span></div>
   <p class="comment-content">You got a bargain.<br><br>Well done!</p>
   <span class="comment-actions secondary-text"><a kind="i" href="javascript:;">Reply</a>
    <span class="item-control blog-admin"><a href="#">Delete</a></span></span>
  </div>
  <div class="comment-replies"><div class="comment-thread inline-thread"><span class="thread-count"><a>Replies</a></span>
   <ol class="thread-chrome thread-expanded"><div>
    <li class="comment" id="c1002"><div class="comment-block" id="c8436238744929443858">
     <div class="comment-header"><cite class="user blog-author"><a href="#">The Blogger</a></cite>
      <span class="datetime secondary-text"><a href="#">27 October 2012 08:01</a></span></div>
     <p class="comment-content">Thanks Anna!</p>
     <span class="comment-actions secondary-text"><a href="#">Delete</a></span></div></li>
   </div></ol></div></div>
  <div class="comment-replybox-single" id="c1001_box"></div>
 </li>
 <li class="comment" id="c1003"><div class="comment-block" id="c5555555555555555555">
   <div class="comment-header"><cite class="user">Anonymous</cite><span class="datetime secondary-text"><a>28 October 2012 10:00</a></span></div>
   <p class="comment-content">Lovely post.</p></div></li>
</ol></div></div></div>
<p class="comment-footer"><a href="#">Post a Comment</a></p></div>""")


def test_blogger_threaded_comments():
    comments = extract_comments(BLOGGER_THREADED)
    assert [c.comment_id for c in comments] == ["1368053093029873036", "8436238744929443858", "5555555555555555555"]
    assert [c.author for c in comments] == ["Anna Reader", "The Blogger", "Anonymous"]
    assert comments[0].text == "You got a bargain.\n\nWell done!"
    assert comments[0].published_at == "2012-10-26T17:38:00"
    assert comments[1].parent_id == comments[0].comment_id
    assert comments[2].parent_id is None
    _no_widgets(comments)


BLOGGER_CLASSIC = _page("""
<div class="comments" id="comments"><h4>2 comments:</h4>
<div id="Blog1_comments-block-wrapper"><dl class="avatar-comment-indent" id="comments-block">
 <dt class="comment-author " id="c3027514677981726030"><a name="c3027514677981726030"></a>
  <div class="avatar-image-container vcard"><img src="x.png"></div>
  <a href="https://www.blogger.com/profile/04875957849112651931" rel="nofollow">tRiSh</a> said...</dt>
 <dd class="comment-body " id="Blog1_cmt-3027514677981726030"><p>That's exactly what I need. Thanks.</p></dd>
 <dd class="comment-footer"><span class="comment-timestamp"><a href="#c3027514677981726030" title="comment permalink">September 10, 2012 4:45 AM</a>
  <span class="item-control blog-admin"><a href="#"><img src="del.gif"></a></span></span></dd>
 <dt class="comment-author " id="c6052590614813557455"><a name="c6052590614813557455"></a>Ankita said...</dt>
 <dd class="comment-body"><p>Wish I could think this way more often :)</p></dd>
 <dd class="comment-footer"><span class="comment-timestamp"><a href="#">September 10, 2012 6:14 AM</a></span></dd>
</dl></div></div>""")


def test_old_blogger_comment_block():
    comments = extract_comments(BLOGGER_CLASSIC)
    assert [(c.comment_id, c.author, c.published_at) for c in comments] == [
        ("3027514677981726030", "tRiSh", "2012-09-10T04:45:00"),
        ("6052590614813557455", "Ankita", "2012-09-10T06:14:00"),
    ]
    assert comments[0].text == "That's exactly what I need. Thanks."
    assert comments[1].text == "Wish I could think this way more often :)"


THESIS_DT_DD = _page("""
<div id="comments"><dl id="comment_list">
 <dt class="comment even thread-even depth-1" id="comment-850015"><span class="avatar"><img src="g.png" class="avatar"></span>
  <span class="comment_author">Maria</span> <span class="comment_time">July 7, 2012 at 2:31 pm</span></dt>
 <dd class="comment even thread-even depth-1"><div class="format_text" id="comment-body-850015"><p>Thank you for your words.</p>
  <p class="reply"><a class="comment-reply-link" href="#">Reply</a></p></div></dd>
 <dt class="comment odd alt depth-2" id="comment-850016"><span class="comment_author">Paulo</span>
  <span class="comment_time">July 8, 2012 at 9:00 am</span></dt>
 <dd class="comment odd alt depth-2"><div class="format_text" id="comment-body-850016"><p>You are welcome.</p></div></dd>
</dl></div>""")


def test_dt_dd_pairs_and_depth_classes():
    comments = extract_comments(THESIS_DT_DD)
    assert [(c.comment_id, c.author, c.text) for c in comments] == [
        ("850015", "Maria", "Thank you for your words."),
        ("850016", "Paulo", "You are welcome."),
    ]
    assert comments[0].published_at == "2012-07-07T14:31:00"
    # Flat markup that shows the thread only with depth-N classes.
    assert comments[1].parent_id == "850015"


SCHEMA_MICRODATA = _page("""
<section class="discussion">
 <div itemprop="comment" itemscope itemtype="https://schema.org/Comment" id="note-1">
  <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Erin</span></span>
  <meta itemprop="dateCreated" content="2023-11-02T08:30:00Z">
  <div itemprop="text"><p>Microdata comment text.</p></div>
 </div>
 <div itemprop="comment" itemscope itemtype="https://schema.org/Comment" id="note-2">
  <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Frank</span></span>
  <div itemprop="text">Second one.</div>
 </div>
</section>""")


def test_schema_org_microdata_comments():
    comments = extract_comments(SCHEMA_MICRODATA)
    assert [(c.author, c.text) for c in comments] == [("Erin", "Microdata comment text."), ("Frank", "Second one.")]
    assert comments[0].published_at == "2023-11-02T08:30:00+00:00"


def test_json_ld_comments_when_markup_has_none():
    data = {"@context": "https://schema.org", "@type": "BlogPosting", "headline": "Post",
            "comment": [{"@type": "Comment", "@id": "#c1", "text": "From JSON-LD.", "dateCreated": "2022-01-02",
                         "author": {"@type": "Person", "name": "Gina"},
                         "comment": [{"@type": "Comment", "@id": "#c2", "text": "A reply.", "author": "Hal"}]}]}
    page = _page(f"<script type='application/ld+json'>{json.dumps(data)}</script>")
    comments = extract_comments(page)
    assert [(c.comment_id, c.parent_id, c.author, c.text) for c in comments] == [
        ("#c1", None, "Gina", "From JSON-LD."),
        ("#c2", "#c1", "Hal", "A reply."),
    ]
    assert comments[0].published_at == "2022-01-02"


MICROFORMATS = _page("""
<div class="h-entry"><div class="e-content">Post.</div>
 <div class="p-comment h-cite" id="mention-1"><a class="p-author h-card" href="https://ivy.example">Ivy</a>
  <time class="dt-published" datetime="2021-05-06T07:08:09Z">May 6</time><p class="e-content p-name">Webmention reply.</p></div>
 <div class="p-comment h-cite" id="mention-2"><span class="p-author h-card"><span class="p-name">Jay</span></span>
  <p class="e-content">Another mention.</p></div>
</div>""")


def test_microformats_comments():
    comments = extract_comments(MICROFORMATS)
    assert [(c.author, c.text) for c in comments] == [("Ivy", "Webmention reply."), ("Jay", "Another mention.")]
    assert comments[0].published_at == "2021-05-06T07:08:09+00:00"



# schema.org UserComments (the older type): no comment class, id or itemprop on the item itself,
# only its properties creator / commentTime / commentText say what it is.
def _user_comment(author: str, text: str, replies: str = "", attrs: str = "") -> str:
    return (f'<div {attrs} itemscope itemtype="http://schema.org/UserComments">'
            f'<span itemprop="creator" itemscope itemtype="http://schema.org/Person"><span itemprop="name">{author}'
            f'</span></span> <time itemprop="commentTime" datetime="2022-03-04T05:06:07Z">March 4</time>'
            f'<div itemprop="commentText"><p>{text}</p></div>{replies}</div>')


USER_COMMENTS = _page('<section id="comments">' + _user_comment(
    "Noor", "An older vocabulary.", '<div class="replies">' + _user_comment("Omar", "A reply to it.") + "</div>")
    + _user_comment("Pia", "Second thread.") + "</section>")


@pytest.mark.parametrize("attrs", ["", 'class="user-comment"'])
def test_schema_org_user_comments_with_creator_as_author(attrs):
    html = USER_COMMENTS if not attrs else USER_COMMENTS.replace("<div  itemscope", f"<div {attrs} itemscope")
    assert html.count(attrs) >= 3
    comments = extract_comments(html, fallback=False)
    # The item's own class ("user-comment": the author word "user") never makes its text the author.
    assert [(c.author, c.text) for c in comments] == [
        ("Noor", "An older vocabulary."), ("Omar", "A reply to it."), ("Pia", "Second thread.")]
    assert [c.parent_id for c in comments] == [None, comments[0].comment_id, None]
    assert {c.published_at for c in comments} == {"2022-03-04T05:06:07+00:00"}


def _plain_comment(number: int, author: str, text: str) -> str:
    return (f'<div class="comment" id="comment-{number}"><span class="comment-author">{author}</span>'
            f'<div class="comment-text">{text}</div><a class="reply-link" href="#respond">Reply</a></div>')


# Replies in a list beside the comment, tied to it only by a list entry with no class or id.
BARE_LIST_ENTRIES = _page(
    '<section id="comments"><ol class="comment-list">'
    f'<li>{_plain_comment(1, "Quin", "First.")}<ol class="replies">'
    f'<li>{_plain_comment(2, "Rae", "Answer to first.")}<ol class="replies">'
    f'<li>{_plain_comment(3, "Sol", "Answer to the answer.")}</li></ol></li>'
    f'<li>{_plain_comment(4, "Tam", "Another answer to first.")}</li></ol></li>'
    f'<li>{_plain_comment(5, "Uma", "Second thread.")}</li>'
    # One entry holding two comments side by side is a flat list, not a thread.
    f'<li>{_plain_comment(6, "Vic", "Side by side one.")}{_plain_comment(7, "Wes", "Side by side two.")}</li>'
    "</ol></section>")


def test_bare_list_entry_ties_replies_beside_a_comment_to_it():
    comments = extract_comments(BARE_LIST_ENTRIES, fallback=False)
    assert [(c.comment_id, c.parent_id, c.author, c.text) for c in comments] == [
        ("1", None, "Quin", "First."), ("2", "1", "Rae", "Answer to first."), ("3", "2", "Sol", "Answer to the answer."),
        ("4", "1", "Tam", "Another answer to first."), ("5", None, "Uma", "Second thread."),
        ("6", None, "Vic", "Side by side one."), ("7", None, "Wes", "Side by side two.")]
    _no_widgets(comments)


GENERIC_WITH_WIDGETS = _page("""
<div class="user-comments">
 <div class="comment-item"><div class="comment-header"><span class="comment-user">Kim</span>
   <span class="comment-date">2020-02-03 14:05</span></div>
  <div class="comment-text">Generic list comment.</div>
  <div class="comment-votes"><a class="vote-up">Up</a> 12 <a class="vote-down">Down</a></div>
  <a class="report-link" href="#">Report abuse</a></div>
 <div class="comment-item"><div class="comment-header"><span class="comment-user">Lee</span></div>
  <div class="comment-text">No date on this one.</div><a class="report-link" href="#">Report abuse</a></div>
</div>""")


def test_generic_comment_list_without_widgets_and_hash_ids():
    comments = extract_comments(GENERIC_WITH_WIDGETS)
    assert [(c.author, c.text) for c in comments] == [("Kim", "Generic list comment."), ("Lee", "No date on this one.")]
    assert comments[0].published_at == "2020-02-03T14:05:00"
    # No ids on the page: a stable hash of what the reader sees.
    assert comments[0].comment_id == digest("comment", "Kim", "2020-02-03T14:05:00", "Generic list comment.")
    assert extract_comments(GENERIC_WITH_WIDGETS) == comments
    _no_widgets(comments)


TYPEPAD_ANCHORS = _page("""
<h2><a id="comments"></a>Comments</h2>
<a id="c65581830"></a>
<p>If I had money I'd hire you.</p>
<p>Write another book?</p>
<p class="posted">Posted by: <a href="http://x.example">Reed Hedges</a> | Apr 6, 2007 1:11:01 PM</p>
<a id="c65582610"></a>
<p>Way to go!</p>
<p class="posted">Posted by: <a href="http://y.example">Amy Gahran</a> | Apr 6, 2007 1:21:27 PM</p>
<h2>Post a comment</h2>""")


def test_flat_comments_delimited_by_anchors():
    comments = extract_comments(TYPEPAD_ANCHORS)
    assert [(c.comment_id, c.author, c.published_at) for c in comments] == [
        ("65581830", "Reed Hedges", "2007-04-06T13:11:01"),
        ("65582610", "Amy Gahran", "2007-04-06T13:21:27"),
    ]
    assert comments[0].text == "If I had money I'd hire you.\n\nWrite another book?"
    assert "Posted by" not in comments[1].text


def test_page_without_comments_gives_none():
    page = _page("<div id='comments'><div id='respond'><h3>Leave a Reply</h3><form><textarea></textarea></form></div></div>"
                 "<aside><ul><li class='recentcomments'>Someone on <a href='#comment-5'>Other post</a></li></ul></aside>")
    assert extract_comments(page) == []
    assert extract_comments("") == []
    assert extract_comments(b"\x00\x01binary") == []


def test_byline_widget_named_comment_is_not_a_comment():
    page = _page("<div class='Comment'>Written by Ed</div><div class='Comment'>Published on May 1 - One Comment</div>"
                 "<ol class='commentlist'><li id='comment-7'><cite>Jo</cite> Says: <p>Real one.</p></li></ol>")
    assert [(c.comment_id, c.text) for c in extract_comments(page)] == [("7", "Real one.")]


def test_tree_input_is_not_modified_and_results_are_stable():
    tree = parse_html(WORDPRESS_MODERN)
    before = lxml.html.tostring(tree)
    first = extract_comments(tree)
    assert lxml.html.tostring(tree) == before
    assert extract_comments(tree) == first == extract_comments(WORDPRESS_MODERN.encode("utf-8"))


def test_trafilatura_is_the_last_resort_for_unstructured_sections():
    page = _page("""<div id="comments" class="comments"><h3>Reader comments</h3>
      <div class="box"><p>I found this post really useful for my own recovery journey, thank you so much.</p>
      <p>&mdash; a grateful reader from somewhere far away who has been reading for years</p></div>
      <div class="box"><p>Same here, the section on group therapy was exactly what I needed to read today.</p></div>
    </div>""")
    comments = extract_comments(page)
    assert len(comments) >= 1
    assert "really useful" in " ".join(c.text for c in comments)
    assert extract_comments(page, fallback=False) == [] or all("useful" in c.text or "Same here" in c.text for c in comments)


@pytest.mark.parametrize("name", ["WORDPRESS_MODERN", "BLOGGER_THREADED", "THESIS_DT_DD"])
def test_parent_ids_point_at_comments_of_the_page(name):
    comments = extract_comments(globals()[name])
    ids = {c.comment_id for c in comments}
    assert len(ids) == len(comments)
    assert all(c.parent_id is None or c.parent_id in ids for c in comments)


def test_thousands_of_comments_each_once_with_threads():
    items = []
    for i in range(2000):
        reply = (f'<ol class="children"><li id="comment-{10_000 + i}" class="comment depth-2">'
                 f'<div class="comment-author"><cite class="fn">R{i}</cite></div>'
                 f'<div class="comment-content"><p>Reply {i}.</p></div></li></ol>') if i % 4 == 0 else ""
        items.append(f'<li id="comment-{i}" class="comment depth-1"><div class="comment-author"><cite class="fn">U{i}</cite>'
                     f'</div><div class="comment-content"><p>Comment {i}.</p></div>{reply}</li>')
    comments = extract_comments(_page('<ol class="comment-list">' + "".join(items) + "</ol>"))
    assert len(comments) == 2500
    assert len({c.comment_id for c in comments}) == 2500
    replies = [c for c in comments if c.parent_id]
    assert len(replies) == 500
    assert all(c.parent_id == str(int(c.comment_id) - 10_000) for c in replies)
    assert comments[0].text == "Comment 0." and comments[1].text == "Reply 0."
