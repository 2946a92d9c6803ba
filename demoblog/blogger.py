"""The Blogger flavour: "The Couch Report" as Blogger's classic "Simple" layout serves it.

HTML follows the Simple theme's widget markup (Blog1, date-outer, post hentry, the threaded
comment holder of the "comments-content" layout) and the feeds follow Blogger's Atom output
(openSearch paging, ``thr:total``, ``rel='replies'``, ``thr:in-reply-to`` and ``rel='related'``
for the parent of a reply). Deliberate differences are listed in demoblog/README.md.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

from demoblog.model import Comment, DemoBlog, Post, Thread, page_count, threads
from demoblog.web import (ATOM, MONTHS, PRIVATE_PATH, HttpError, Request, Response, clock_12h, common_page,
                          epoch_millis, esc, html_response, int_arg, iso, iso_millis, latest, long_date,
                          post_activity, site_zone, weekday_date, xml_response)

_AVATAR_BLANK = "//resources.blogblog.com/img/blank.gif"
_GD_IMAGE = ("<gd:image rel='http://schemas.google.com/g/2005#thumbnail' width='16' height='16' "
             "src='https://img1.blogblog.com/img/b16-rounded.gif'/>")
MAX_RESULTS_CAP = 500


# --------------------------------------------------------------------------- helpers


def _profile_id(name: str) -> str:
    return str(int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:16], 16)).rjust(20, "0")[:20]


def _profile_url(blog: DemoBlog, name: str) -> str | None:
    if name == "Anonymous":
        return None
    author = blog.author_by_name(name)
    return f"https://www.blogger.com/profile/{author.profile_id if author else _profile_id(name)}"


def _post_url(blog: DemoBlog, req: Request, post: Post, mobile: bool = False) -> str:
    return req.base + blog.post_path(post) + ("?m=1" if mobile else "")


def _label_url(req: Request, label: str, mobile: bool = False) -> str:
    return f"{req.base}/search/label/{quote(label, safe='')}" + ("?m=1" if mobile else "")


def _q(params: dict[str, str]) -> str:
    """Query string as Blogger writes it (``+`` of a UTC offset encoded as %2B)."""
    return urlencode(params, quote_via=quote, safe=":")


def _parse_time(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        # A literal "+" in a query string decodes to a space.
        dt = datetime.fromisoformat(raw.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"Invalid {name} value: {raw}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _paragraphs_html(post: Post) -> str:
    return "\n".join(f"<p>{esc(p)}</p>" for p in post.paragraphs)


def _comment_html_text(c: Comment) -> str:
    return "<br><br>".join(esc(p) for p in c.paragraphs)


# --------------------------------------------------------------------------- page shell


def _sidebar(blog: DemoBlog, req: Request, home: bool) -> str:
    listed = blog.listed_posts()
    years: dict[int, dict[int, int]] = {}
    for p in listed:
        years.setdefault(p.published.year, {}).setdefault(p.published.month, 0)
        years[p.published.year][p.published.month] += 1
    archive = []
    for y in sorted(years, reverse=True):
        months = "".join(
            f"<li class='archivedate collapsed'><a class='post-count-link' href='{req.base}/{y}/{m:02d}/'>"
            f"{MONTHS[m - 1]}</a> <span class='post-count' dir='ltr'>({n})</span></li>"
            for m, n in sorted(years[y].items(), reverse=True))
        archive.append(f"<li class='archivedate expanded'><a class='post-count-link' href='{req.base}/{y}/'>{y}</a> "
                       f"<span class='post-count' dir='ltr'>({sum(years[y].values())})</span>"
                       f"<ul class='hierarchy'>{months}</ul></li>")
    labels: dict[str, int] = {}
    for p in listed:
        for label in p.categories:
            labels[label] = labels.get(label, 0) + 1
    label_items = "".join(f"<li><a dir='ltr' href='{esc(_label_url(req, name))}'>{esc(name)}</a>"
                          f"<span dir='ltr'>({n})</span></li>" for name, n in sorted(labels.items(), key=lambda kv: kv[0].lower()))
    contributors = "".join(f"<li><a class='profile-name-link g-profile' href='https://www.blogger.com/profile/"
                           f"{a.profile_id}'>{esc(a.name)}</a></li>" for a in blog.authors)
    links = ""
    if home:
        links = (f"<div class='widget LinkList' data-version='1' id='LinkList1'><h2>Links</h2><div class='widget-content'><ul>"
                 f"<li><a href='{req.base}{PRIVATE_PATH}'>Staff area</a></li></ul></div></div>")
    return f"""<aside>
<div class='sidebar section' id='sidebar-right-1'>
<div class='widget Profile' data-version='1' id='Profile1'><h2>Contributors</h2><div class='widget-content'><ul>{contributors}</ul></div></div>
<div class='widget BlogArchive' data-version='1' id='BlogArchive1'><h2>Blog Archive</h2><div class='widget-content'><div id='ArchiveList'><div id='BlogArchive1_ArchiveList'><ul class='hierarchy'>{''.join(archive)}</ul></div></div></div></div>
<div class='widget Label' data-version='1' id='Label1'><h2>Labels</h2><div class='widget-content list-label-widget-content'><ul>{label_items}</ul></div></div>
<div class='widget Text' data-version='1' id='Text1'><h2 class='title'>About this blog</h2><div class='widget-content'>{esc(blog.about)}</div></div>
{links}
</div>
</aside>"""


def _shell(blog: DemoBlog, req: Request, *, title: str, main: str, canonical: str, head_extra: str = "",
           home: bool = False, mobile: bool = False, error: bool = False) -> str:
    """Simple theme around the Blog1 widget; ``title`` is plain text."""
    desktop_alt = ("" if mobile or error else
                   f"<link href='{esc(canonical)}?m=1' rel='alternate' media='only screen and (max-width: 640px)'/>\n"
                   if "?" not in canonical else "")
    columns = (f"<div class='main-outer'><div class='main-inner'>{main}</div></div>" if mobile else
               f"""<div class='main-outer'><div class='columns fauxcolumns'><div class='columns-inner'>
<div class='column-center-outer'><div class='column-center-inner'>{main}</div></div>
<div class='column-right-outer'><div class='column-right-inner'>{_sidebar(blog, req, home)}</div></div>
</div></div></div>""")
    web_version = (f"<div class='mobile-link-button' id='mobile-desktop-link'><a class='home-link' href='{esc(canonical)}?m=0'>"
                   f"View web version</a></div>" if mobile else "")
    return f"""<!DOCTYPE html>
<html class='v2' dir='ltr' lang='en' xmlns='http://www.w3.org/1999/xhtml' xmlns:b='http://www.google.com/2005/gml/b' xmlns:data='http://www.google.com/2005/gml/data' xmlns:expr='http://www.google.com/2005/gml/expr'>
<head>
<meta content='width=1100' name='viewport'/>
<meta content='text/html; charset=UTF-8' http-equiv='Content-Type'/>
<meta content='blogger' name='generator'/>
<link href='{esc(canonical)}' rel='canonical'/>
{desktop_alt}<link rel="alternate" type="application/atom+xml" title="{esc(blog.site_title)} - Atom" href="{req.base}/feeds/posts/default" />
<link rel="service.post" type="application/atom+xml" title="{esc(blog.site_title)} - Atom" href="https://www.blogger.com/feeds/{blog.blog_id}/posts/default" />
{head_extra}<title>{esc(title)}</title>
<meta content='{esc(canonical)}' property='og:url'/>
<meta content='{esc(title)}' property='og:title'/>
</head>
<body class='{"mobile " if mobile else ""}loading variant-simplysimple'>
<div class='content'><div class='content-outer'><div class='content-inner'>
<header><div class='header-outer'><div class='header section' id='header'><div class='widget Header' data-version='1' id='Header1'>
<div id='header-inner'><div class='titlewrapper'><h1 class='title'><a href='{req.base}/{"?m=1" if mobile else ""}'>{esc(blog.site_title)}</a></h1></div>
<div class='descriptionwrapper'><p class='description'><span>{esc(blog.tagline)}</span></p></div></div>
</div></div></div></header>
{columns}
<footer><div class='footer-outer'><div class='foot section' id='footer-1'><div class='widget Attribution' data-version='1' id='Attribution1'>
<div class='widget-content' style='text-align: center;'>{web_version}Simple theme. Powered by <a href='https://www.blogger.com' target='_blank'>Blogger</a>.</div>
</div></div></div></footer>
</div></div></div>
</body>
</html>
"""


# --------------------------------------------------------------------------- posts


def _post_block(blog: DemoBlog, req: Request, post: Post, *, single: bool, mobile: bool) -> str:
    url = _post_url(blog, req, post)
    link = _post_url(blog, req, post, mobile)
    pid = post.platform_post_id
    labels = ", ".join(f"<a href='{esc(_label_url(req, name, mobile))}' rel='tag'>{esc(name)}</a>"
                       for name in post.categories)
    n = len(post.visible_comments())
    comment_label = "No comments:" if n == 0 else ("1 comment:" if n == 1 else f"{n} comments:")
    title = (f"<h3 class='post-title entry-title' itemprop='name'>{esc(post.title)}</h3>" if single else
             f"<h3 class='post-title entry-title' itemprop='name'><a href='{esc(link)}'>{esc(post.title)}</a></h3>")
    outer = "mobile-post-outer" if mobile else "post-outer"
    return f"""<div class='{outer}'>
<div class='post hentry uncustomized-post-template' itemprop='blogPost' itemscope='itemscope' itemtype='http://schema.org/BlogPosting'>
<meta content='{blog.blog_id}' itemprop='blogId'/>
<meta content='{pid}' itemprop='postId'/>
<a name='{pid}'></a>
{title}
<div class='post-header'><div class='post-header-line-1'></div></div>
<div class='post-body entry-content' id='post-body-{pid}' itemprop='description articleBody'>
{_paragraphs_html(post)}
<div style='clear: both;'></div>
</div>
<div class='post-footer'>
<div class='post-footer-line post-footer-line-1'>
<span class='post-author vcard'>Posted by <span class='fn'>{esc(post.author.name)}</span></span>
<span class='post-timestamp'>at <meta content='{esc(url)}' itemprop='url'/><a class='timestamp-link' href='{esc(link)}' rel='bookmark' title='permanent link'><abbr class='published' itemprop='datePublished' title='{iso(post.published, site_zone(blog))}'>{clock_12h(post.published, upper=True)}</abbr></a></span>
<span class='post-comment-link'>{'' if single else f"<a class='comment-link' href='{esc(link)}#comment-form' onclick=''>{comment_label}</a>"}</span>
</div>
<div class='post-footer-line post-footer-line-2'><span class='post-labels'>Labels: {labels}</span></div>
</div>
</div>
"""


def _date_groups(posts: list[Post]) -> list[list[Post]]:
    groups: list[list[Post]] = []
    for p in posts:
        if groups and groups[-1][0].published.date() == p.published.date():
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def _blog_posts(blog: DemoBlog, req: Request, posts: list[Post], *, single: bool, mobile: bool,
                after_post: str = "") -> str:
    out = []
    outer = "mobile-date-outer date-outer" if mobile else "date-outer"
    for group in _date_groups(posts):
        items = "".join(_post_block(blog, req, p, single=single, mobile=mobile) + after_post + "</div>"
                        for p in group)
        out.append(f"<div class=\"{outer}\"><h2 class='date-header'><span>{weekday_date(group[0].published)}</span></h2>"
                   f"<div class=\"date-posts\">{items}</div></div>")
    return "<div class='blog-posts hfeed'>" + "\n".join(out) + "</div>"


# --------------------------------------------------------------------------- comments


class _CommentRenderer:
    def __init__(self, blog: DemoBlog, req: Request, post: Post):
        self.blog, self.req, self.post = blog, req, post
        self.url = _post_url(blog, req, post)

    def li(self, node: Thread) -> str:
        c = node.comment
        cid = c.platform_comment_id
        profile = _profile_url(self.blog, c.author)
        user = (f"<cite class=\"user\"><a href=\"{profile}\" rel=\"nofollow\">{esc(c.author)}</a></cite>"
                if profile else f"<cite class=\"user\">{esc(c.author)}</cite>")
        icon = "<span class=\"icon user blog-author\"></span>" if c.by_post_author else "<span class=\"icon user \"></span>"
        when = (f"<span class=\"datetime secondary-text\"><a rel=\"nofollow\" href=\"{esc(self.url)}?showComment="
                f"{epoch_millis(c.published)}#c{cid}\">{long_date(c.published)} at {clock_12h(c.published, upper=True)}</a></span>")
        reply = (f"<a class=\"comment-reply\" target=\"_self\" data-comment-id=\"{cid}\">Reply</a>"
                 if c.depth < self.blog.options.thread_depth else "")
        actions = (f"<span class=\"comment-actions secondary-text\">{reply}<span class=\"item-control blog-admin "
                   f"blog-admin pid-{int(cid) % 2000000000}\"><a target=\"_self\" href=\"https://www.blogger.com/"
                   f"delete-comment.g?blogID={self.blog.blog_id}&amp;postID={cid}\">Delete</a></span></span>")
        children = "".join(self.li(r) for r in node.replies)
        hidden = "" if node.replies else " hidden"
        replies = (f"<div class=\"comment-replies\"><div id=\"c{cid}-rt\" class=\"comment-thread inline-thread{hidden}\">"
                   f"<span class=\"thread-toggle thread-expanded\"><span class=\"thread-arrow\"></span><span class=\"thread-count\">"
                   f"<a target=\"_self\">Replies</a></span></span><ol id=\"c{cid}-ra\" class=\"thread-chrome thread-expanded\">"
                   f"<div>{children}</div><div id=\"c{cid}-continue\" class=\"continue\"><a class=\"comment-reply\" target=\"_self\" "
                   f"data-comment-id=\"{cid}\">Reply</a></div></ol></div></div>")
        return (f"<li class=\"comment\" id=\"c{cid}\"><div class=\"avatar-image-container\"><img src=\"{_AVATAR_BLANK}\" alt=\"\"/></div>"
                f"<div class=\"comment-block\"><div class=\"comment-header\">{user}{icon}{when}</div>"
                f"<p class=\"comment-content\">{_comment_html_text(c)}</p>{actions}</div>{replies}"
                f"<div class=\"comment-replybox-single\" id=\"c{cid}-ce\"></div></li>")


def _comment_paging(url: str, page: int, n_pages: int) -> str:
    if n_pages <= 1:
        return ""
    parts = []
    if page > 1:
        parts.append(f"<a class=\"comment-paging\" href=\"{esc(url)}?commentPage=1#comments\">&#171; Oldest</a>")
        parts.append(f"<a class=\"comment-paging\" href=\"{esc(url)}?commentPage={page - 1}#comments\">&#8249; Older</a>")
    if page < n_pages:
        parts.append(f"<a class=\"comment-paging\" href=\"{esc(url)}?commentPage={page + 1}#comments\">Newer &#8250;</a>")
        parts.append(f"<a class=\"comment-paging\" href=\"{esc(url)}?commentPage={n_pages}#comments\">Newest &#187;</a>")
    return f"<div class=\"paging-control-container\">{' '.join(parts)}</div>"


def _comments_block(blog: DemoBlog, req: Request, post: Post, page: int) -> str:
    roots = threads(post.visible_comments())
    per = blog.options.comments_per_page
    n_pages = page_count(len(roots), per)
    if page > n_pages:
        raise HttpError(404)
    chunk = roots[(page - 1) * per: page * per]
    renderer = _CommentRenderer(blog, req, post)
    url = renderer.url
    n = len(post.visible_comments())
    heading = "No comments:" if n == 0 else ("1 comment:" if n == 1 else f"{n} comments:")
    paging = _comment_paging(url, page, n_pages)
    more = ""
    if page < n_pages:
        more = (f"<div class=\"loadmore\" data-post-id=\"{post.platform_post_id}\"><a target=\"_self\" class=\"comment-paging\" "
                f"href=\"{esc(url)}?commentPage={page + 1}#comments\">Load more...</a></div>")
    else:
        more = f"<div class=\"loadmore hidden\" data-post-id=\"{post.platform_post_id}\"><a target=\"_self\">Load more...</a></div>"
    thread = ""
    if chunk:
        thread = (f"<div class=\"comment-thread toplevel-thread\"><ol id=\"top-ra\">{''.join(renderer.li(r) for r in chunk)}</ol>"
                  f"<div id=\"top-continue\" class=\"continue\"><a class=\"comment-reply\" target=\"_self\">Add comment</a></div>"
                  f"<div class=\"comment-replybox-thread\" id=\"top-ce\"></div>{more}</div>")
    return f"""<div class='comments' id='comments'>
<a name='comments'></a>
<h4>{heading}</h4>
{paging}
<div class='comments-content'>
<div id='comment-holder'>
{thread}
</div>
</div>
{paging}
<p class='comment-footer'>
<div class='comment-form'>
<a name='comment-form'></a>
<h4 id='comment-post-message'>Post a Comment</h4>
<p>Comments are moderated; anything identifying is removed before it appears.</p>
<a href='https://www.blogger.com/comment/frame/{blog.blog_id}?po={post.platform_post_id}&amp;hl=en' id='comment-editor-src'></a>
<iframe allowtransparency='true' class='blogger-iframe-colorize blogger-comment-from-post' frameborder='0' height='410px' id='comment-editor' name='comment-editor' src='' width='100%'></iframe>
</div>
</p>
</div>"""


def _single(blog: DemoBlog, req: Request, post: Post) -> Response:
    mobile = req.arg("m") == "1"
    page = int_arg(req, "commentPage", 1)
    url = _post_url(blog, req, post)
    listed = blog.listed_posts()
    pos = listed.index(post)
    newer = listed[pos - 1] if pos > 0 else None
    older = listed[pos + 1] if pos + 1 < len(listed) else None
    pager = ["<div class='blog-pager' id='blog-pager'>"]
    if newer:
        pager.append(f"<span id='blog-pager-newer-link'><a class='blog-pager-newer-link' href='{esc(_post_url(blog, req, newer, mobile))}' "
                     "id='Blog1_blog-pager-newer-link' title='Newer Post'>Newer Post</a></span>")
    if older:
        pager.append(f"<span id='blog-pager-older-link'><a class='blog-pager-older-link' href='{esc(_post_url(blog, req, older, mobile))}' "
                     "id='Blog1_blog-pager-older-link' title='Older Post'>Older Post</a></span>")
    pager.append(f"<a class='home-link' href='{req.base}/{'?m=1' if mobile else ''}'>Home</a></div>")
    comments = _comments_block(blog, req, post, page)
    posts_html = _blog_posts(blog, req, [post], single=True, mobile=mobile, after_post=comments)
    feed_links = (f"<div class='post-feeds'><div class='feed-links'>Subscribe to: <a class='feed-link' "
                  f"href='{req.base}/feeds/{post.platform_post_id}/comments/default' target='_blank' "
                  f"type='application/atom+xml'>Post Comments (Atom)</a></div></div>")
    main = (f"<div class='main section' id='main' name='Main'><div class='widget Blog' data-version='1' id='Blog1'>"
            f"{posts_html}{''.join(pager)}{feed_links}</div></div>")
    head = (f"<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{esc(blog.site_title)} - Atom\" "
            f"href=\"{req.base}/feeds/{post.platform_post_id}/comments/default\" />\n")
    body = _shell(blog, req, title=f"{blog.site_title}: {post.title}", main=main, canonical=url,
                  head_extra=head, mobile=mobile)
    return html_response(body, post_activity(post))


# --------------------------------------------------------------------------- listings


def _listing(blog: DemoBlog, req: Request, posts: list[Post], base_path: str, title: str,
             heading: str | None, extra_params: dict[str, str] | None = None, home: bool = False) -> Response:
    """A page of posts (newest first) paged the Blogger way: ``updated-max`` / ``updated-min``."""
    mobile = req.arg("m") == "1"
    per = min(int_arg(req, "max-results", blog.options.posts_per_page), MAX_RESULTS_CAP)
    upd_max = _parse_time(req.arg("updated-max"), "updated-max")
    upd_min = _parse_time(req.arg("updated-min"), "updated-min")
    query = (req.arg("q") or "").lower()
    if query:
        posts = [p for p in posts if query in p.title.lower() or query in p.text.lower()]
    selected = [p for p in posts if (upd_max is None or p.published < upd_max)
                and (upd_min is None or p.published > upd_min)]
    if req.arg("reverse-paginate") == "true":
        chunk = sorted(selected, key=lambda p: p.published)[:per]
        chunk.sort(key=lambda p: p.published, reverse=True)
    else:
        chunk = selected[:per]
    m = {"m": "1"} if mobile else {}
    pager = ["<div class='blog-pager' id='blog-pager'>"]
    if chunk and any(p.published > chunk[0].published for p in posts) and (upd_max or upd_min):
        params = {**(extra_params or {}), "updated-min": iso(chunk[0].published),
                  "max-results": str(per), "reverse-paginate": "true", **m}
        pager.append(f"<span id='blog-pager-newer-link'><a class='blog-pager-newer-link' href='{esc(req.base + base_path)}?"
                     f"{esc(_q(params))}' id='Blog1_blog-pager-newer-link' title='Newer Posts'>Newer Posts</a></span>")
    if chunk and any(p.published < chunk[-1].published for p in posts):
        older_base = "/search" if base_path == "/" else base_path
        params = {**(extra_params or {}), "updated-max": iso(chunk[-1].published), "max-results": str(per), **m}
        pager.append(f"<span id='blog-pager-older-link'><a class='blog-pager-older-link' href='{esc(req.base + older_base)}?"
                     f"{esc(_q(params))}' id='Blog1_blog-pager-older-link' title='Older Posts'>Older Posts</a></span>")
    pager.append(f"<a class='home-link' href='{req.base}/{'?m=1' if mobile else ''}'>Home</a></div>")
    status = ""
    if heading:
        status = f"<div class='status-msg-wrap'><div class='status-msg-body'>{esc(heading)}</div><div class='status-msg-border'></div></div>"
    if not chunk:
        status = "<div class='status-msg-wrap'><div class='status-msg-body'>No posts.</div></div>"
    main = (f"<div class='main section' id='main' name='Main'><div class='widget Blog' data-version='1' id='Blog1'>"
            f"{status}{_blog_posts(blog, req, chunk, single=False, mobile=mobile)}{''.join(pager)}"
            f"<div class='post-feeds'><div class='feed-links'>Subscribe to: <a class='feed-link' href='{req.base}/feeds/posts/default' "
            f"target='_blank' type='application/atom+xml'>Posts (Atom)</a></div></div></div></div>")
    canonical = req.base + base_path
    body = _shell(blog, req, title=title, main=main, canonical=canonical, home=home and not (upd_max or upd_min),
                  mobile=mobile)
    return html_response(body, latest(*(post_activity(p) for p in chunk)))


# --------------------------------------------------------------------------- feeds

_FEED_OPEN = ("<?xml version='1.0' encoding='UTF-8'?><?xml-stylesheet href=\"http://www.blogger.com/styles/atom.css\" "
              "type=\"text/css\"?><feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/' "
              "xmlns:blogger='http://schemas.google.com/blogger/2008' xmlns:georss='http://www.georss.org/georss' "
              "xmlns:gd=\"http://schemas.google.com/g/2005\" xmlns:thr='http://purl.org/syndication/thread/1.0'>")
_ENTRY_NS = ("xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2008' "
             "xmlns:gd=\"http://schemas.google.com/g/2005\" xmlns:thr='http://purl.org/syndication/thread/1.0'")


def _author_xml(blog: DemoBlog, name: str) -> str:
    profile = _profile_url(blog, name)
    uri = f"<uri>{profile}</uri>" if profile else ""
    return f"<author><name>{esc(name)}</name>{uri}<email>noreply@blogger.com</email>{_GD_IMAGE}</author>"


def _post_entry(blog: DemoBlog, req: Request, p: Post, summary: bool, ns: str = "") -> str:
    pid = p.platform_post_id
    url = _post_url(blog, req, p)
    cats = "".join(f"<category scheme='http://www.blogger.com/atom/ns#' term='{esc(c)}'/>" for c in p.categories)
    n = len(p.visible_comments())
    if summary:
        text = p.text.replace("\n\n", " ")
        body = f"<summary type='text'>{esc(text[:400])}</summary>"
    else:
        body = f"<content type='html'>{esc(_paragraphs_html(p))}</content>"
    return (f"<entry{(' ' + ns) if ns else ''}><id>tag:blogger.com,1999:blog-{blog.blog_id}.post-{pid}</id>"
            f"<published>{iso_millis(p.published, site_zone(blog))}</published><updated>{iso_millis(p.modified, site_zone(blog))}</updated>{cats}"
            f"<title type='text'>{esc(p.title)}</title>{body}"
            f"<link rel='replies' type='application/atom+xml' href='{req.base}/feeds/{pid}/comments/default' title='Post Comments'/>"
            f"<link rel='replies' type='text/html' href='{esc(url)}#comment-form' title='{n} Comments'/>"
            f"<link rel='edit' type='application/atom+xml' href='https://www.blogger.com/feeds/{blog.blog_id}/posts/default/{pid}'/>"
            f"<link rel='self' type='application/atom+xml' href='{req.base}/feeds/posts/default/{pid}'/>"
            f"<link rel='alternate' type='text/html' href='{esc(url)}' title='{esc(p.title)}'/>"
            f"{_author_xml(blog, p.author.name)}<thr:total>{n}</thr:total></entry>")


def _comment_entry(blog: DemoBlog, req: Request, c: Comment, ns: str = "") -> str:
    p = blog.posts[c.post_index]
    pid, cid = p.platform_post_id, c.platform_comment_id
    url = _post_url(blog, req, p)
    plain = " ".join(c.paragraphs)
    title = plain if len(plain) <= 60 else plain[:57].rsplit(" ", 1)[0] + "..."
    related = (f"<link rel='related' type='application/atom+xml' href='{req.base}/feeds/{pid}/comments/default/{c.parent_id}'/>"
               if c.parent_id else "")
    display = f"{long_date(c.published)} at {clock_12h(c.published, upper=True)}"
    return (f"<entry{(' ' + ns) if ns else ''}><id>tag:blogger.com,1999:blog-{blog.blog_id}.post-{cid}</id>"
            f"<published>{iso_millis(c.published, site_zone(blog))}</published><updated>{iso_millis(c.published, site_zone(blog))}</updated>"
            f"<title type='text'>{esc(title)}</title><content type='html'>{esc(_comment_html_text(c))}</content>"
            f"<link rel='edit' type='application/atom+xml' href='https://www.blogger.com/feeds/{blog.blog_id}/{pid}/comments/default/{cid}'/>"
            f"<link rel='self' type='application/atom+xml' href='{req.base}/feeds/{pid}/comments/default/{cid}'/>"
            f"<link rel='alternate' type='text/html' href='{esc(url)}?showComment={epoch_millis(c.published)}#c{cid}' title=''/>"
            f"{related}{_author_xml(blog, c.author)}"
            f"<thr:in-reply-to href='{esc(url)}' ref='tag:blogger.com,1999:blog-{blog.blog_id}.post-{pid}' "
            f"source='https://www.blogger.com/feeds/{blog.blog_id}/posts/default/{pid}' type='text/html'/>"
            f"<gd:extendedProperty name='blogger.itemClass' value='pid-{int(cid) % 2000000000}'/>"
            f"<gd:extendedProperty name='blogger.displayTime' value='{display}'/></entry>")


def _check_alt(req: Request) -> None:
    alt = req.arg("alt", "atom")
    if alt != "atom":
        raise HttpError(400, f"The demo blog serves alt=atom only (got alt={alt}).")


def _feed(blog: DemoBlog, req: Request, *, feed_id: str, title: str, path: str, alternate: str,
          entries: list[str], total: int, start: int, per: int, updated: datetime | None,
          categories: str = "") -> str:
    extra = {k: v[0] for k, v in req.query.items() if k not in ("start-index", "max-results")}

    def href(s: int) -> str:
        return esc(f"{req.base}{path}?" + _q({**extra, "start-index": str(s), "max-results": str(per)}))

    links = (f"<link rel='http://schemas.google.com/g/2005#feed' type='application/atom+xml' href='{req.base}{path}'/>"
             f"<link rel='self' type='application/atom+xml' href='{href(start)}'/>"
             f"<link rel='alternate' type='text/html' href='{esc(alternate)}'/>")
    if start > 1:
        links += f"<link rel='previous' type='application/atom+xml' href='{href(max(1, start - per))}'/>"
    if start - 1 + per < total:
        links += f"<link rel='next' type='application/atom+xml' href='{href(start + per)}'/>"
    owner = blog.authors[0].name
    return (_FEED_OPEN + f"<id>{feed_id}</id><updated>{iso_millis(updated) if updated else ''}</updated>{categories}"
            f"<title type='text'>{esc(title)}</title><subtitle type='html'>{esc(blog.tagline)}</subtitle>{links}"
            f"{_author_xml(blog, owner)}<generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>"
            f"<openSearch:totalResults>{total}</openSearch:totalResults><openSearch:startIndex>{start}</openSearch:startIndex>"
            f"<openSearch:itemsPerPage>{per}</openSearch:itemsPerPage>{''.join(entries)}</feed>")


def _window(req: Request, default: int = 25) -> tuple[int, int]:
    start = int_arg(req, "start-index", 1)
    per = min(int_arg(req, "max-results", default), MAX_RESULTS_CAP)
    return start, per


def _time_filter(req: Request, items: list, published, updated) -> list:
    bounds = {name: _parse_time(req.arg(name), name)
              for name in ("published-min", "published-max", "updated-min", "updated-max")}
    out = []
    for it in items:
        pub, upd = published(it), updated(it)
        if bounds["published-min"] and pub < bounds["published-min"]:
            continue
        if bounds["published-max"] and pub >= bounds["published-max"]:
            continue
        if bounds["updated-min"] and upd < bounds["updated-min"]:
            continue
        if bounds["updated-max"] and upd >= bounds["updated-max"]:
            continue
        out.append(it)
    return out


def _posts_feed(blog: DemoBlog, req: Request, label: str | None, summary: bool) -> Response:
    _check_alt(req)
    posts = blog.listed_posts()
    if label is not None:
        posts = [p for p in posts if label in p.categories]
    posts = _time_filter(req, posts, lambda p: p.published, lambda p: p.modified)
    if req.arg("orderby") == "updated":
        posts.sort(key=lambda p: p.modified, reverse=True)
    start, per = _window(req)
    chunk = posts[start - 1: start - 1 + per]
    all_labels = sorted({c for p in blog.listed_posts() for c in p.categories}, key=str.lower)
    cats = "".join(f"<category term='{esc(c)}'/>" for c in all_labels)
    kind = "summary" if summary else "default"
    path = f"/feeds/posts/{kind}" + (f"/-/{quote(label, safe='')}" if label is not None else "")
    body = _feed(blog, req, feed_id=f"tag:blogger.com,1999:blog-{blog.blog_id}", title=blog.site_title,
                 path=path, alternate=req.base + "/", entries=[_post_entry(blog, req, p, summary) for p in chunk],
                 total=len(posts), start=start, per=per,
                 updated=max((p.modified for p in blog.listed_posts()), default=None), categories=cats)
    lm = latest(*(p.modified for p in blog.listed_posts()), *(post_activity(p) for p in chunk))
    return xml_response(body, ATOM, lm)


def _comments_feed(blog: DemoBlog, req: Request, post: Post | None) -> Response:
    _check_alt(req)
    if post is not None and not post.public:
        raise HttpError(404)
    comments = post.visible_comments() if post else blog.visible_comments()
    comments = _time_filter(req, comments, lambda c: c.published, lambda c: c.published)
    reverse = req.arg("reverse", "true") != "false"  # Blogger lists newest first unless reverse=false
    comments = sorted(comments, key=lambda c: (c.published, c.platform_comment_id), reverse=reverse)
    start, per = _window(req)
    chunk = comments[start - 1: start - 1 + per]
    if post:
        feed_id = f"tag:blogger.com,1999:blog-{blog.blog_id}.post{post.platform_post_id}..comments"
        title = f"Comments on {blog.site_title}: {post.title}"
        path, alternate = f"/feeds/{post.platform_post_id}/comments/default", _post_url(blog, req, post)
        visible = post.visible_comments()
    else:
        feed_id = f"tag:blogger.com,1999:blog-{blog.blog_id}.comments"
        title, path, alternate = blog.site_title, "/feeds/comments/default", req.base + "/"
        visible = blog.visible_comments()
    updated = max((c.published for c in visible), default=post.modified if post else None)
    body = _feed(blog, req, feed_id=feed_id, title=title, path=path, alternate=alternate,
                 entries=[_comment_entry(blog, req, c) for c in chunk], total=len(comments),
                 start=start, per=per, updated=updated)
    lm = latest(*(c.recorded_at or c.published for c in visible), post.modified if post else None)
    return xml_response(body, ATOM, lm)


# --------------------------------------------------------------------------- routing

_POST_RE = re.compile(r"^/(\d{4})/(\d{2})/([a-z0-9_-]+)\.html$")
_ARCHIVE_RE = re.compile(r"^/(\d{4})/(?:(\d{2})/)?$")


def not_found_page(blog: DemoBlog, req: Request) -> Response:
    main = ("<div class='main section' id='main'><div class='widget Blog' id='Blog1'><div class='status-msg-wrap'>"
            "<div class='status-msg-body'>Sorry, the page you were looking for in this blog does not exist.</div>"
            "<div class='status-msg-border'></div></div></div></div>")
    body = _shell(blog, req, title=blog.site_title, main=main, canonical=req.base + req.path, error=True)
    return html_response(body, None, status=404)


def handle(blog: DemoBlog, req: Request) -> Response:
    """Answer one GET/HEAD request for the Blogger flavour."""
    try:
        return _route(blog, req)
    except HttpError as err:
        if err.status == 404:
            return not_found_page(blog, req)
        return Response(status=err.status, body=(str(err) or "Bad request").encode(),
                        content_type="text/plain; charset=UTF-8")


def _route(blog: DemoBlog, req: Request) -> Response:
    path = req.path
    if (page := common_page(blog, req)) is not None:
        return page
    if path == "/":
        return _listing(blog, req, blog.listed_posts(), "/", blog.site_title, None, home=True)
    if path == "/search":
        q = req.arg("q")
        return _listing(blog, req, blog.listed_posts(), "/search", blog.site_title,
                        f"Showing posts matching the search for {q}" if q else None,
                        extra_params={"q": q} if q else None)
    if path.startswith("/search/label/"):
        label = path[len("/search/label/"):]
        if label not in {c for p in blog.listed_posts() for c in p.categories}:
            raise HttpError(404)
        posts = [p for p in blog.listed_posts() if label in p.categories]
        return _listing(blog, req, posts, f"/search/label/{quote(label, safe='')}",
                        f"{blog.site_title}: {label}", f"Showing posts with the label {label}")
    if m := _POST_RE.match(path):
        for p in blog.listed_posts():
            if blog.post_path(p) == path:
                return _single(blog, req, p)
        raise HttpError(404)
    if m := _ARCHIVE_RE.match(path):
        year, month = m.group(1), m.group(2)
        fmt, key = ("%Y%m", year + month) if month else ("%Y", year)
        posts = [p for p in blog.listed_posts() if p.published.strftime(fmt) == key]
        if not posts:
            raise HttpError(404)
        when = f"{MONTHS[int(month) - 1]} {year}" if month else year
        return _listing(blog, req, posts, path, f"{blog.site_title}: {when}", None)
    if m := re.fullmatch(r"/feeds/posts/(default|summary)(?:/-/(.+))?", path):
        return _posts_feed(blog, req, m.group(2), summary=m.group(1) == "summary")
    if m := re.fullmatch(r"/feeds/posts/default/(\d+)", path):
        post = blog.post_by_id(m.group(1))
        if post is None or not post.listed:
            raise HttpError(404)
        return xml_response("<?xml version='1.0' encoding='UTF-8'?>" + _post_entry(blog, req, post, False, _ENTRY_NS),
                            ATOM, post_activity(post))
    if path == "/feeds/comments/default":
        return _comments_feed(blog, req, None)
    if m := re.fullmatch(r"/feeds/(\d+)/comments/default", path):
        post = blog.post_by_id(m.group(1))
        if post is None:
            raise HttpError(404)
        return _comments_feed(blog, req, post)
    if m := re.fullmatch(r"/feeds/(\d+)/comments/default/(\d+)", path):
        post = blog.post_by_id(m.group(1))
        c = blog.comment_by_id(m.group(2))
        if post is None or c is None or c not in post.visible_comments():
            raise HttpError(404)
        return xml_response("<?xml version='1.0' encoding='UTF-8'?>" + _comment_entry(blog, req, c, _ENTRY_NS),
                            ATOM, c.recorded_at or c.published)
    raise HttpError(404)
