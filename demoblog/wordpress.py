"""The WordPress flavour's HTML pages, RSS feeds and URL routing ("Shrink Notes" as WordPress 6.4
with an underscores/twenty-*-style theme would serve it). The REST API is in ``wp_rest``.

Markup follows WordPress core output where core produces it (comment list walker, comment
classes, comment pagination, RSS 2.0 feeds, REST API v2 fields, headers and error codes), so a
crawler built against this site meets the same shapes on real blogs. Deliberate differences
are listed in demoblog/README.md.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from demoblog import text as T
from demoblog.model import Comment, DemoBlog, Post, Thread, page_count
from demoblog.web import (MONTHS, PRIVATE_PATH, RSS, HttpError, Request, Response, clock_12h, esc,
                          html_response, iso, json_response, latest, long_date, post_activity,
                          redirect, rfc822, site_zone, xml_response, common_page)
from demoblog.wp_common import (WP_VERSION, comment_link, comment_page_url, comment_pages, display_title,
                                post_url, term_url, term_table)
from demoblog.wp_rest import handle_rest, int_arg

STYLESHEET_PATH = "/wp-content/themes/shrinknotes/style.css"
_STYLESHEET = "body{font-family:Georgia,serif;max-width:72rem;margin:auto}.widget-area{font-size:.9em}\n"

# --------------------------------------------------------------------------- small parts


def _avatar(name: str, size: int = 56) -> str:
    digest = hashlib.md5(name.lower().encode("utf-8")).hexdigest()
    src = f"https://secure.gravatar.com/avatar/{digest}?s={size}&#038;d=mm&#038;r=g"
    src2 = f"https://secure.gravatar.com/avatar/{digest}?s={size * 2}&#038;d=mm&#038;r=g"
    return (f"<img alt='' src='{src}' srcset='{src2} 2x' class='avatar avatar-{size} photo' "
            f"height='{size}' width='{size}' loading='lazy' decoding='async'/>")


def _excerpt_html(post: Post) -> str:
    """WordPress's automatic excerpt (escaped HTML)."""
    if post.password:
        return "There is no excerpt because this is a protected post."
    return esc(T.excerpt(post.text)) + " [&hellip;]"


# --------------------------------------------------------------------------- page shell


def _shell(blog: DemoBlog, req: Request, *, title: str, body_class: str, main: str,
           head_extra: str = "", canonical: str | None = None, robots: str | None = None,
           home: bool = False) -> str:
    """The theme around ``main``; ``title`` is already-escaped HTML (it carries entities)."""
    listed = blog.listed_posts()
    recent = "".join(f'<li><a href="{esc(post_url(blog, req, p))}">{esc(display_title(p))}</a></li>'
                     for p in listed[:5])
    months = sorted({(p.published.year, p.published.month) for p in listed}, reverse=True)
    archives = "".join(f"<li><a href='{req.base}/{y:04d}/{m:02d}/'>{MONTHS[m - 1]} {y}</a></li>"
                       for y, m in months)
    terms = term_table(blog)
    cats = "".join(
        f'<li class="cat-item cat-item-{t["id"]}"><a href="{term_url(req, "category", t["slug"])}">'
        f'{esc(name)}</a> ({t["count"]})</li>'
        for (kind, name), t in sorted(terms.items()) if kind == "category" and t["count"])
    menu = "".join(
        f'<li class="menu-item menu-item-type-taxonomy menu-item-object-category"><a href="'
        f'{term_url(req, "category", terms[("category", c)]["slug"])}">{esc(c)}</a></li>'
        for c in sorted({p.categories[0] for p in listed}))
    api = (f'<link rel="https://api.w.org/" href="{req.base}/wp-json/" />\n'
           if blog.options.rest_api else "")
    staff = (f'<li class="menu-item"><a href="{req.base}{PRIVATE_PATH}">Staff area</a></li>'
             if home else "")
    return f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name='robots' content='{robots or "max-image-preview:large"}' />
<title>{title}</title>
<link rel="alternate" type="application/rss+xml" title="{esc(blog.site_title)} &raquo; Feed" href="{req.base}/feed/" />
<link rel="alternate" type="application/rss+xml" title="{esc(blog.site_title)} &raquo; Comments Feed" href="{req.base}/comments/feed/" />
{head_extra}{api}<meta name="generator" content="WordPress {WP_VERSION}" />
{f'<link rel="canonical" href="{esc(canonical)}" />' if canonical else ''}
<link rel='stylesheet' id='shrinknotes-style-css' href='{req.base}{STYLESHEET_PATH}?ver=1.2' media='all' />
</head>
<body class="{body_class}">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header" role="banner">
<div class="site-branding">
<p class="site-title"><a href="{req.base}/" rel="home">{esc(blog.site_title)}</a></p>
<p class="site-description">{esc(blog.tagline)}</p>
</div>
<nav id="site-navigation" class="primary-navigation" aria-label="Primary menu">
<div class="primary-menu-container"><ul id="primary-menu-list" class="menu-wrapper">
<li class="menu-item menu-item-home"><a href="{req.base}/">Home</a></li>{menu}
<li class="menu-item"><a href="{req.base}/#about">About</a></li>
</ul></div>
</nav>
</header>
<div id="content" class="site-content">
<div id="primary" class="content-area">
<main id="main" class="site-main">
{main}
</main>
</div>
<aside id="secondary" class="widget-area" role="complementary" aria-label="Blog Sidebar">
<section id="search-2" class="widget widget_search"><form role="search" method="get" class="search-form" action="{req.base}/">
<label><span class="screen-reader-text">Search for:</span><input type="search" class="search-field" placeholder="Search &hellip;" value="" name="s" /></label>
<input type="submit" class="search-submit" value="Search" /></form></section>
<section id="recent-posts-2" class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><nav aria-label="Recent Posts"><ul>{recent}</ul></nav></section>
<section id="archives-2" class="widget widget_archive"><h2 class="widget-title">Archives</h2><nav aria-label="Archives"><ul>{archives}</ul></nav></section>
<section id="categories-2" class="widget widget_categories"><h2 class="widget-title">Categories</h2><nav aria-label="Categories"><ul>{cats}</ul></nav></section>
<section id="text-2" class="widget widget_text"><h2 class="widget-title" id="about">About</h2><div class="textwidget"><p>{esc(blog.about)}</p></div></section>
</aside>
</div>
<footer id="colophon" class="site-footer" role="contentinfo">
<nav aria-label="Secondary menu" class="footer-navigation"><ul class="footer-navigation-wrapper">
<li class="menu-item"><a href="{req.base}/#about">About us</a></li>
<li class="menu-item"><a href="{req.base}/feed/">RSS</a></li>{staff}
</ul></nav>
<div class="site-info">
<div class="site-name">&copy; 2023&ndash;2025 {esc(blog.site_title)}. Opinions are the authors&#8217; own and are not medical advice.</div>
<div class="powered-by">Proudly powered by <a href="https://wordpress.org/">WordPress</a>.</div>
</div>
</footer>
</div>
</body>
</html>
"""


def _entry_meta(blog: DemoBlog, req: Request, post: Post) -> str:
    url = post_url(blog, req, post)
    updated = ""
    if post.modified != post.published:
        updated = f'<time class="updated" datetime="{iso(post.modified, site_zone(blog))}">{long_date(post.modified)}</time>'
    return (f'<div class="entry-meta"><span class="posted-on">Posted on <a href="{esc(url)}" rel="bookmark">'
            f'<time class="entry-date published" datetime="{iso(post.published, site_zone(blog))}">{long_date(post.published)}'
            f'</time>{updated}</a></span><span class="byline"> by <span class="author vcard">'
            f'<a class="url fn n" href="{req.base}/author/{post.author.slug}/">{esc(post.author.name)}</a>'
            f'</span></span></div>')


def _post_classes(blog: DemoBlog, post: Post) -> str:
    terms = term_table(blog)
    cats = " ".join(f"category-{terms[('category', c)]['slug']}" for c in post.categories)
    tags = " ".join(f"tag-{terms[('tag', t)]['slug']}" for t in post.tags)
    pw = " post-password-required" if post.password else ""
    return (f"post-{post.platform_post_id} post type-post status-publish format-standard{pw} hentry "
            f"{cats} {tags}".strip() + " entry")


def _taxonomy_links(blog: DemoBlog, req: Request, post: Post) -> str:
    terms = term_table(blog)
    cats = ", ".join(f'<a href="{term_url(req, "category", terms[("category", c)]["slug"])}" rel="category tag">'
                     f'{esc(c)}</a>' for c in post.categories)
    out = f'<span class="cat-links">Posted in {cats}</span>'
    if post.tags:
        tags = ", ".join(f'<a href="{term_url(req, "tag", terms[("tag", t)]["slug"])}" rel="tag">{esc(t)}</a>'
                         for t in post.tags)
        out += f' <span class="tags-links">Tagged {tags}</span>'
    return out


def _comments_link(blog: DemoBlog, req: Request, post: Post) -> str:
    url = esc(post_url(blog, req, post))
    if post.password:
        return ""
    n = len(post.visible_comments())
    if n == 0:
        return f'<span class="comments-link"><a href="{url}#respond">Leave a comment</a></span>'
    label = "1 Comment" if n == 1 else f"{n} Comments"
    return (f'<span class="comments-link"><a href="{url}#comments">{label}'
            f'<span class="screen-reader-text"> on {esc(display_title(post))}</span></a></span>')


# --------------------------------------------------------------------------- archives


def _archive(blog: DemoBlog, req: Request, posts: list[Post], page: int, base_path: str,
             heading: str | None, body_class: str, title: str, home: bool = False,
             allow_empty: bool = False) -> Response:
    """A paged list of posts. Existing terms answer 200 even when empty (core does not 404 them)."""
    per = blog.options.posts_per_page
    pages = page_count(len(posts), per)
    if page < 1 or page > pages or (not posts and not (home or allow_empty)):
        raise HttpError(404)
    chunk = posts[(page - 1) * per: page * per]
    items = []
    for p in chunk:
        url = esc(post_url(blog, req, p))
        items.append(f"""<article id="post-{p.platform_post_id}" class="{_post_classes(blog, p)}">
<header class="entry-header"><h2 class="entry-title"><a href="{url}" rel="bookmark">{esc(display_title(p))}</a></h2>
{_entry_meta(blog, req, p)}</header>
<div class="entry-summary"><p>{_excerpt_html(p)}</p></div>
<footer class="entry-footer">{_taxonomy_links(blog, req, p)} {_comments_link(blog, req, p)}</footer>
</article>""")

    def link(n: int) -> str:
        return f"{req.base}{base_path}" if n == 1 else f"{req.base}{base_path}page/{n}/"

    nav = ""
    if pages > 1:
        parts = []
        if page > 1:
            parts.append(f'<a class="prev page-numbers" href="{link(page - 1)}">&laquo; Previous</a>')
        for n in range(1, pages + 1):
            if n == page:
                parts.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
            else:
                parts.append(f'<a class="page-numbers" href="{link(n)}">{n}</a>')
        if page < pages:
            parts.append(f'<a class="next page-numbers" href="{link(page + 1)}">Next &raquo;</a>')
        nav = ('<nav class="navigation pagination" aria-label="Posts"><h2 class="screen-reader-text">'
               f'Posts navigation</h2><div class="nav-links">{"".join(parts)}</div></nav>')
    header = f'<header class="page-header"><h1 class="page-title">{esc(heading)}</h1></header>' if heading else ""
    main = header + "\n".join(items) + nav
    if not posts:
        main = header + '<section class="no-results not-found"><p>Nothing here yet.</p></section>'
    page_title = title if page == 1 else f"{title} &#8211; Page {page}"
    lm = latest(*(post_activity(p) for p in chunk))
    body = _shell(blog, req, title=page_title, body_class=body_class + (" paged" if page > 1 else ""),
                  main=main, canonical=link(page), home=home and page == 1)
    return html_response(body, lm)


# --------------------------------------------------------------------------- single post


class _Walker:
    """WordPress's Walker_Comment (html5 format), with its even/odd counters."""

    def __init__(self, blog: DemoBlog, req: Request, post: Post):
        self.blog, self.req, self.post = blog, req, post
        # Core builds reply links on the post permalink, whatever comment page is shown.
        self.reply_base = post_url(blog, req, post)
        self.comment_alt = 0
        self.thread_alt = 0

    def classes(self, c: Comment, has_children: bool) -> str:
        out = ["comment"]
        if c.by_post_author:
            out += ["byuser", f"comment-author-{self.post.author.slug}", "bypostauthor"]
        out += ["odd", "alt"] if self.comment_alt % 2 else ["even"]
        self.comment_alt += 1
        if c.depth == 1:
            out += ["thread-odd", "thread-alt"] if self.thread_alt % 2 else ["thread-even"]
            self.thread_alt += 1
        out.append(f"depth-{c.depth}")
        if has_children:
            out.append("parent")
        return " ".join(out)

    def render(self, node: Thread) -> str:
        c = node.comment
        cid = c.platform_comment_id
        name = esc(c.author)
        if c.by_post_author:
            fn = (f"<b class=\"fn\"><a href='{self.req.base}/author/{self.post.author.slug}/' "
                  f"rel='external nofollow ugc' class='url'>{name}</a></b>")
        else:
            fn = f'<b class="fn">{name}</b>'
        paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in c.paragraphs)
        reply = ""
        if c.depth < self.blog.options.thread_depth:
            reply = (f"<div class=\"reply\"><a rel='nofollow' class='comment-reply-link' "
                     f"href='{esc(self.reply_base)}?replytocom={cid}#respond' data-commentid=\"{cid}\" "
                     f"data-postid=\"{self.post.platform_post_id}\" data-belowelement=\"div-comment-{cid}\" "
                     f"data-respondelement=\"respond\" data-replyto=\"Reply to {name}\" "
                     f"aria-label='Reply to {name}'>Reply</a></div>")
        link = comment_link(self.blog, self.req, self.post, c)
        head = f"""<li id="comment-{cid}" class="{self.classes(c, bool(node.replies))}">
<article id="div-comment-{cid}" class="comment-body">
<footer class="comment-meta">
<div class="comment-author vcard">
{_avatar(c.author)} {fn} <span class="says">says:</span></div>
<div class="comment-metadata"><a href="{esc(link)}"><time datetime="{iso(c.published, site_zone(self.blog))}">{long_date(c.published)} at {clock_12h(c.published, upper=False)}</time></a></div>
</footer>
<div class="comment-content">
{paragraphs}
</div>
{reply}
</article>"""
        children = ""
        if node.replies:
            children = '\n<ol class="children">\n' + "\n".join(self.render(r) for r in node.replies) + "\n</ol>"
        return head + children + "\n</li>"


def _respond_form(blog: DemoBlog, req: Request, post: Post, page_url: str) -> str:
    return f"""<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Reply <small><a rel="nofollow" id="cancel-comment-reply-link" href="{esc(page_url)}#respond" style="display:none;">Cancel reply</a></small></h3>
<form action="{req.base}/wp-comments-post.php" method="post" id="commentform" class="comment-form" novalidate>
<p class="comment-notes"><span id="email-notes">Your email address will not be published.</span> <span class="required-field-message">Required fields are marked <span class="required">*</span></span></p>
<p class="comment-form-comment"><label for="comment">Comment <span class="required">*</span></label> <textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required></textarea></p>
<p class="comment-form-author"><label for="author">Name <span class="required">*</span></label> <input id="author" name="author" type="text" value="" size="30" maxlength="245" autocomplete="name" required /></p>
<p class="comment-form-email"><label for="email">Email <span class="required">*</span></label> <input id="email" name="email" type="email" value="" size="30" maxlength="100" aria-describedby="email-notes" autocomplete="email" required /></p>
<p class="comment-form-url"><label for="url">Website</label> <input id="url" name="url" type="url" value="" size="30" maxlength="200" autocomplete="url" /></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment" /> <input type='hidden' name='comment_post_ID' value='{post.platform_post_id}' id='comment_post_ID' />
<input type='hidden' name='comment_parent' id='comment_parent' value='0' /></p>
</form>
</div><!-- #respond -->"""


def _comment_nav(blog: DemoBlog, req: Request, post: Post, page: int, n_pages: int) -> str:
    if n_pages <= 1:
        return ""
    parts = []
    if page > 1:
        parts.append(f'<div class="nav-previous"><a href="{esc(comment_page_url(blog, req, post, page - 1, n_pages))}#comments">Older Comments</a></div>')
    if page < n_pages:
        parts.append(f'<div class="nav-next"><a href="{esc(comment_page_url(blog, req, post, page + 1, n_pages))}#comments">Newer Comments</a></div>')
    return ('<nav class="navigation comment-navigation" aria-label="Comments"><h2 class="screen-reader-text">'
            f'Comments navigation</h2><div class="nav-links">{"".join(parts)}</div></nav>')


def _comments_area(blog: DemoBlog, req: Request, post: Post, page: int | None) -> tuple[str, int]:
    """The #comments block for comment page ``page`` (None: the default page)."""
    roots, n_pages = comment_pages(blog, post)
    default = n_pages if blog.options.default_comments_page == "newest" else 1
    page = default if page is None else page
    if page < 1 or page > n_pages:
        raise HttpError(404)
    page_url = req.base + req.path
    per = blog.options.comments_per_page
    chunk = roots[(page - 1) * per: page * per]
    n = len(post.visible_comments())
    out = ['<div id="comments" class="comments-area">']
    if n:
        label = "One thought" if n == 1 else f"{n} thoughts"
        out.append(f'<h2 class="comments-title">{label} on &ldquo;<span>{esc(post.title)}</span>&rdquo;</h2>')
        nav = _comment_nav(blog, req, post, page, n_pages)
        walker = _Walker(blog, req, post)
        out.append(nav)
        out.append('<ol class="comment-list">\n' + "\n".join(walker.render(r) for r in chunk) + "\n</ol>")
        out.append(nav)
    out.append(_respond_form(blog, req, post, page_url))
    out.append("</div><!-- #comments -->")
    return "\n".join(out), page


def _single(blog: DemoBlog, req: Request, post: Post, comment_page: int | None) -> Response:
    url = post_url(blog, req, post)
    listed = blog.listed_posts()
    pos = listed.index(post)
    older = listed[pos + 1] if pos + 1 < len(listed) else None
    newer = listed[pos - 1] if pos > 0 else None
    nav_parts = []
    if older:
        nav_parts.append(f'<div class="nav-previous"><a href="{esc(post_url(blog, req, older))}" rel="prev"><span class="meta-nav">Previous post</span> <span class="post-title">{esc(display_title(older))}</span></a></div>')
    if newer:
        nav_parts.append(f'<div class="nav-next"><a href="{esc(post_url(blog, req, newer))}" rel="next"><span class="meta-nav">Next post</span> <span class="post-title">{esc(display_title(newer))}</span></a></div>')
    post_nav = ('<nav class="navigation post-navigation" aria-label="Posts"><h2 class="screen-reader-text">'
                f'Post navigation</h2><div class="nav-links">{"".join(nav_parts)}</div></nav>')
    if post.password:
        content = (f'<form action="{req.base}/wp-login.php?action=postpass" class="post-password-form" method="post">'
                   '<p>This content is password protected. To view it please enter your password below:</p>'
                   f'<p><label for="pwbox-{post.platform_post_id}">Password: <input name="post_password" '
                   f'id="pwbox-{post.platform_post_id}" type="password" spellcheck="false" size="20" /></label> '
                   '<input type="submit" name="Submit" value="Enter" /></p></form>')
        comments_html = ""
    else:
        content = "\n".join(f"<p>{esc(p)}</p>" for p in post.paragraphs)
        comments_html, comment_page = _comments_area(blog, req, post, comment_page)
    article = f"""<article id="post-{post.platform_post_id}" class="{_post_classes(blog, post)}">
<header class="entry-header">
<h1 class="entry-title">{esc(display_title(post))}</h1>
{_entry_meta(blog, req, post)}
</header>
<div class="entry-content">
{content}
</div>
<footer class="entry-footer">{_taxonomy_links(blog, req, post)}</footer>
</article>
{post_nav}
{comments_html}"""
    _, n_pages = comment_pages(blog, post)
    default_page = n_pages if blog.options.default_comments_page == "newest" else 1
    canonical = url if comment_page in (None, default_page) or post.password else f"{url}comment-page-{comment_page}/"
    head = (f'<link rel="alternate" type="application/rss+xml" title="{esc(blog.site_title)} &raquo; '
            f'{esc(post.title)} Comments Feed" href="{esc(url)}feed/" />\n')
    if blog.options.rest_api:
        head += (f'<link rel="alternate" type="application/json" title="JSON" '
                 f'href="{req.base}/wp-json/wp/v2/posts/{post.platform_post_id}" />\n')
    head += f"<link rel='shortlink' href='{req.base}/?p={post.platform_post_id}' />\n"
    head += f'<link rel="amphtml" href="{esc(url)}amp/" />\n'
    robots = "noindex, follow" if "replytocom" in req.query else None
    body = _shell(blog, req, title=f"{esc(display_title(post))} &#8211; {esc(blog.site_title)}",
                  body_class=f"post-template-default single single-post postid-{post.platform_post_id} single-format-standard",
                  main=article, head_extra=head, canonical=canonical, robots=robots)
    return html_response(body, post_activity(post))


def _amp(blog: DemoBlog, req: Request, post: Post) -> Response:
    url = post_url(blog, req, post)
    terms = term_table(blog)
    cats = ", ".join(f'<a href="{term_url(req, "category", terms[("category", c)]["slug"])}">{esc(c)}</a>'
                     for c in post.categories)
    content = ("<p>This content is password protected.</p>" if post.password
               else "\n".join(f"<p>{esc(p)}</p>" for p in post.paragraphs))
    body = f"""<!doctype html>
<html amp lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<title>{esc(display_title(post))} &#8211; {esc(blog.site_title)}</title>
<link rel="canonical" href="{esc(url)}">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<style amp-custom>body{{font-family:Georgia,serif}} .amp-wp-article{{max-width:840px;margin:1.5em auto}}</style>
</head>
<body class="">
<header id="top" class="amp-wp-header"><div><a href="{req.base}/"><span class="amp-site-title">{esc(blog.site_title)}</span></a></div></header>
<article class="amp-wp-article">
<header class="amp-wp-article-header">
<h1 class="amp-wp-title">{esc(display_title(post))}</h1>
<div class="amp-wp-meta amp-wp-byline"><span class="amp-wp-author author vcard">{esc(post.author.name)}</span></div>
<div class="amp-wp-meta amp-wp-posted-on"><time datetime="{iso(post.published, site_zone(blog))}">{long_date(post.published)}</time></div>
</header>
<div class="amp-wp-article-content">
{content}
</div>
<footer class="amp-wp-article-footer">
<div class="amp-wp-meta amp-wp-tax-category">Categories: {cats}</div>
<div class="amp-wp-meta amp-wp-comments-link"><a href="{esc(url)}#respond">Leave a Comment</a></div>
</footer>
</article>
<footer class="amp-wp-footer"><div><h2>{esc(blog.site_title)}</h2><a href="#top" class="back-to-top">Back to top</a></div></footer>
</body>
</html>
"""
    return html_response(body, post.modified)


# --------------------------------------------------------------------------- feeds

_RSS_HEAD = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>
"""


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _channel(title: str, self_url: str, link: str, description: str, build: datetime | None) -> str:
    return (f"<channel>\n\t<title>{esc(title)}</title>\n"
            f'\t<atom:link href="{esc(self_url)}" rel="self" type="application/rss+xml" />\n'
            f"\t<link>{esc(link)}</link>\n\t<description>{esc(description)}</description>\n"
            + (f"\t<lastBuildDate>{rfc822(build)}</lastBuildDate>\n" if build else "")
            + "\t<language>en-US</language>\n\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n"
            "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
            f"\t<generator>https://wordpress.org/?v={WP_VERSION}</generator>\n")


def _posts_feed(blog: DemoBlog, req: Request) -> Response:
    per = blog.options.feed_items
    posts = blog.listed_posts()
    page = int_arg(req, "paged", 1, html_error=True)
    if page < 1 or (page - 1) * per >= len(posts):
        raise HttpError(404)
    chunk = posts[(page - 1) * per: page * per]
    build = max(p.modified for p in posts)
    items = []
    for p in chunk:
        url = post_url(blog, req, p)
        cats = "\n".join(f"\t\t<category>{_cdata(c)}</category>" for c in p.categories + p.tags)
        if p.password:
            desc = content = "There is no excerpt because this is a protected post."
        else:
            desc = _excerpt_html(p)
            content = "\n".join(f"<p>{esc(x)}</p>" for x in p.paragraphs)
        n = "0" if p.password else str(len(p.visible_comments()))
        items.append(f"""	<item>
		<title>{esc(display_title(p))}</title>
		<link>{esc(url)}</link>
		<comments>{esc(url)}#comments</comments>
		<dc:creator>{_cdata(p.author.name)}</dc:creator>
		<pubDate>{rfc822(p.published, site_zone(blog))}</pubDate>
{cats}
		<guid isPermaLink="false">{req.base}/?p={p.platform_post_id}</guid>
		<description>{_cdata(desc)}</description>
		<content:encoded>{_cdata(content)}</content:encoded>
		<wfw:commentRss>{esc(url)}feed/</wfw:commentRss>
		<slash:comments>{n}</slash:comments>
	</item>""")
    self_url = f"{req.base}/feed/" + (f"?paged={page}" if page > 1 else "")
    body = (_RSS_HEAD + _channel(blog.site_title, self_url, req.base, blog.tagline, build)
            + "\n".join(items) + "\n\t</channel>\n</rss>\n")
    return xml_response(body, RSS, max([build] + [post_activity(p) for p in chunk]))


def _comment_items(blog: DemoBlog, req: Request, comments: list[Comment], site_wide: bool) -> str:
    items = []
    for c in comments:
        post = blog.posts[c.post_index]
        title = f"Comment on {display_title(post)} by {c.author}" if site_wide else f"By: {c.author}"
        items.append(f"""	<item>
		<title>{esc(title)}</title>
		<link>{esc(comment_link(blog, req, post, c))}</link>
		<dc:creator>{_cdata(c.author)}</dc:creator>
		<pubDate>{rfc822(c.published, site_zone(blog))}</pubDate>
		<guid isPermaLink="false">{req.base}/?p={post.platform_post_id}#comment-{c.platform_comment_id}</guid>
		<description>{_cdata(" ".join(c.paragraphs))}</description>
		<content:encoded>{_cdata("".join(f"<p>{esc(p)}</p>" for p in c.paragraphs))}</content:encoded>
	</item>""")
    return "\n".join(items)


def _post_comments_feed(blog: DemoBlog, req: Request, post: Post) -> Response:
    url = post_url(blog, req, post)
    # Core shows only the newest posts_per_rss comments; "paged" does not page comment feeds.
    comments = sorted(post.visible_comments(), key=lambda c: c.published, reverse=True)[: blog.options.feed_items]
    build = max([post.modified] + [c.published for c in comments])
    body = (_RSS_HEAD + _channel(f"Comments on: {display_title(post)}", f"{url}feed/", url, blog.tagline, build)
            + _comment_items(blog, req, comments, site_wide=False) + "\n\t</channel>\n</rss>\n")
    return xml_response(body, RSS, post_activity(post))


def _site_comments_feed(blog: DemoBlog, req: Request) -> Response:
    comments = sorted(blog.visible_comments(), key=lambda c: c.published, reverse=True)[: blog.options.feed_items]
    build = max((c.published for c in comments), default=None)
    lm = max((c.recorded_at or c.published for c in blog.visible_comments()), default=None)
    body = (_RSS_HEAD + _channel(f"Comments for {blog.site_title}", f"{req.base}/comments/feed/", req.base,
                                 blog.tagline, build)
            + _comment_items(blog, req, comments, site_wide=True) + "\n\t</channel>\n</rss>\n")
    return xml_response(body, RSS, lm)


# --------------------------------------------------------------------------- routing

_POST_RE = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([a-z0-9-]+)/(?:(comment-page-(\d+)/)|(amp/)|(feed/))?$")
_DATE_RE = re.compile(r"^/(\d{4})/(?:(\d{2})/)?(?:(\d{2})/)?(?:page/(\d+)/)?$")
_TERM_RE = re.compile(r"^/(category|tag|author)/([a-z0-9-]+)/(?:page/(\d+)/)?$")


def _find_post(blog: DemoBlog, y: str, m: str, d: str, slug: str) -> Post:
    for p in blog.posts:
        if p.slug == slug and p.listed and p.published.strftime("%Y%m%d") == f"{y}{m}{d}":
            return p
    raise HttpError(404)


def not_found_page(blog: DemoBlog, req: Request) -> Response:
    main = ('<section class="error-404 not-found"><header class="page-header"><h1 class="page-title">'
            'Oops! That page can&rsquo;t be found.</h1></header><div class="page-content"><p>It looks like nothing '
            'was found at this location. Maybe try a search?</p></div></section>')
    body = _shell(blog, req, title=f"Page not found &#8211; {esc(blog.site_title)}", body_class="error404",
                  main=main, robots="noindex, follow")
    return html_response(body, None, status=404)


def handle(blog: DemoBlog, req: Request) -> Response:
    """Answer one GET/HEAD request for the WordPress flavour."""
    try:
        return _route(blog, req)
    except HttpError as err:
        if err.payload is not None:
            return json_response(err.payload, None, status=err.status)
        if err.status == 404:
            return not_found_page(blog, req)
        return html_response(f"<h1>{err.status}</h1>", None, status=err.status)


def _route(blog: DemoBlog, req: Request) -> Response:
    path = req.path
    rest_enabled = blog.options.rest_api
    if (page := common_page(blog, req)) is not None:
        return page
    if path == STYLESHEET_PATH:
        return Response(body=_STYLESHEET.encode(), content_type="text/css; charset=UTF-8")
    if path.startswith("/wp-json"):
        if not rest_enabled:
            raise HttpError(404)
        return handle_rest(blog, req, path[len("/wp-json"):])
    if path == "/":
        if req.arg("rest_route") is not None:
            if not rest_enabled:
                raise HttpError(404)
            return handle_rest(blog, req, req.arg("rest_route") or "/")
        if req.arg("p"):
            post = blog.post_by_id(req.arg("p") or "")
            if post is None or not post.listed:
                raise HttpError(404)
            return redirect(post_url(blog, req, post))
        if req.arg("s") is not None:
            term = (req.arg("s") or "").lower()
            hits = [p for p in blog.listed_posts()
                    if term and (term in p.title.lower() or (p.public and term in p.text.lower()))]
            return _archive(blog, req, hits, 1, "/", f"Search Results for: {req.arg('s')}", "search",
                            f"Search Results for &#8220;{esc(req.arg('s'))}&#8221; &#8211; {esc(blog.site_title)}", home=True)
        page = int_arg(req, "paged", 1, html_error=True)
        return _archive(blog, req, blog.listed_posts(), page, "/", None, "home blog",
                        f"{esc(blog.site_title)} &#8211; {esc(blog.tagline)}", home=True)
    if m := re.fullmatch(r"/page/(\d+)/", path):
        return _archive(blog, req, blog.listed_posts(), int(m.group(1)), "/", None, "home blog",
                        f"{esc(blog.site_title)} &#8211; {esc(blog.tagline)}")
    if path == "/feed/":
        return _posts_feed(blog, req)
    if path == "/comments/feed/":
        return _site_comments_feed(blog, req)
    if m := _POST_RE.match(path):
        post = _find_post(blog, *m.group(1, 2, 3, 4))
        if m.group(7):
            return _amp(blog, req, post)
        if m.group(8):
            return _post_comments_feed(blog, req, post)
        cpage = int(m.group(6)) if m.group(6) else None
        if cpage is not None and cpage < 1:
            raise HttpError(404)
        return _single(blog, req, post, cpage)
    if m := _TERM_RE.match(path):
        kind, slug, page = m.group(1), m.group(2), int(m.group(3) or 1)
        if kind == "author":
            author = next((a for a in blog.authors if a.slug == slug), None)
            if author is None:
                raise HttpError(404)
            posts = [p for p in blog.listed_posts() if p.author is author]
            return _archive(blog, req, posts, page, f"/author/{slug}/", f"Author: {author.name}",
                            f"archive author author-{slug}", f"{esc(author.name)} &#8211; {esc(blog.site_title)}")
        terms = {t["slug"]: name for (k, name), t in term_table(blog).items() if k == kind}
        if slug not in terms:
            raise HttpError(404)
        name = terms[slug]
        posts = [p for p in blog.listed_posts() if name in (p.categories if kind == "category" else p.tags)]
        label = "Category" if kind == "category" else "Tag"
        return _archive(blog, req, posts, page, f"/{kind}/{slug}/", f"{label}: {name}",
                        f"archive {kind} {kind}-{slug}", f"{esc(name)} &#8211; {esc(blog.site_title)}",
                        allow_empty=True)
    if m := _DATE_RE.match(path):
        y, mo, d, page = m.group(1), m.group(2), m.group(3), int(m.group(4) or 1)
        if d and not mo:
            raise HttpError(404)
        fmt = "%Y" + ("%m" if mo else "") + ("%d" if d else "")
        key = y + (mo or "") + (d or "")
        posts = [p for p in blog.listed_posts() if p.published.strftime(fmt) == key]
        base_path = f"/{y}/" + (f"{mo}/" if mo else "") + (f"{d}/" if d else "")
        if d:
            heading = f"Day: {long_date(datetime(int(y), int(mo), int(d)))}"
        elif mo:
            heading = f"Month: {MONTHS[int(mo) - 1]} {y}" if 1 <= int(mo) <= 12 else ""
        else:
            heading = f"Year: {y}"
        if mo and not 1 <= int(mo) <= 12:
            raise HttpError(404)
        return _archive(blog, req, posts, page, base_path, heading, "archive date",
                        f"{esc(heading.split(': ', 1)[1])} &#8211; {esc(blog.site_title)}")
    # WordPress adds the missing trailing slash with a redirect (redirect_canonical).
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        probe = Request(req.method, path + "/", req.query, req.base)
        try:
            if _route(blog, probe).status == 200:
                return redirect(req.base + path + "/")
        except HttpError:
            pass
    raise HttpError(404)

