"""The WordPress REST API (``/wp-json/wp/v2/...``) as core 6.4 answers anonymous clients.

Fields, paging headers (``X-WP-Total``, ``X-WP-TotalPages``, ``Link``) and error codes follow
core, so a crawler that pages through ``posts`` and ``comments?post=ID`` here works on real
sites. Only approved comments of public posts are ever listed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlencode

from demoblog import text as T
from demoblog.model import Comment, DemoBlog, Post
from demoblog.web import (HttpError, Request, Response, esc, iso_gmt_naive, iso_local_naive, json_response, latest,
                          post_activity, site_zone)
from demoblog.web import int_arg as web_int_arg
from demoblog.wp_common import comment_link, display_title, post_url, term_table, term_url


def rest_error(status: int, code: str, message: str, **data: Any) -> HttpError:
    return HttpError(status, message, {"code": code, "message": message, "data": {"status": status, **data}})


def int_arg(req: Request, name: str, default: int, *, lo: int = 1, hi: int | None = None,
            html_error: bool = False) -> int:
    """An integer argument as WordPress answers a bad one: a 404 page (HTML) or core's JSON 400."""

    def invalid(name: str, raw: str) -> HttpError:
        if html_error:
            return HttpError(404)
        bound = f"between {lo} (inclusive) and {hi} (inclusive)" if hi else f"greater than or equal to {lo}"
        return rest_error(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                          params={name: f"{name} must be {bound}"})

    return web_int_arg(req, name, default, lo=lo, hi=hi, invalid=invalid)


def _date_arg(blog: DemoBlog, req: Request, name: str) -> datetime | None:
    raw = req.arg(name)
    if not raw:
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise rest_error(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                         params={name: "Invalid date."}) from None
    if dt.tzinfo is None:  # WordPress reads zone-less dates in the site's zone
        dt = dt.replace(tzinfo=site_zone(blog))
    return dt


def _id_list(req: Request, name: str) -> list[str] | None:
    raw = [v for values in (req.query.get(name, []) + req.query.get(name + "[]", [])) for v in values.split(",")]
    raw = [v.strip() for v in raw if v.strip()]
    if not raw:
        return None
    if not all(v.isdigit() for v in raw):
        raise rest_error(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                         params={name: f"{name}[0] is not of type integer."})
    return raw


def _paged(req: Request, items: list[Any], route: str, invalid_page_code: str,
           default_per_page: int = 10) -> tuple[list[Any], list[tuple[str, str]]]:
    per = int_arg(req, "per_page", default_per_page, hi=100)
    page = int_arg(req, "page", 1)
    total = len(items)
    pages = -(-total // per)
    if page > 1 and page > pages:
        raise rest_error(400, invalid_page_code,
                         "The page number requested is larger than the number of pages available.")
    headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
    links = []
    base_q = {k: v for k, v in req.query.items() if k not in ("page", "rest_route")}

    def page_link(n: int) -> str:
        q = urlencode([(k, v) for k, vs in base_q.items() for v in vs] + [("page", str(n))])
        return f"{req.base}/wp-json{route}?{q}"
    if page > 1:
        links.append(f'<{page_link(page - 1)}>; rel="prev"')
    if page < pages:
        links.append(f'<{page_link(page + 1)}>; rel="next"')
    if links:
        headers.append(("Link", ", ".join(links)))
    return items[(page - 1) * per: page * per], headers


def _user_json(blog: DemoBlog, req: Request, author) -> dict[str, Any]:
    digest = hashlib.md5(author.name.lower().encode()).hexdigest()
    return {
        "id": author.user_id, "name": author.name, "url": "", "description": author.bio,
        "link": f"{req.base}/author/{author.slug}/", "slug": author.slug,
        "avatar_urls": {s: f"https://secure.gravatar.com/avatar/{digest}?s={s}&d=mm&r=g" for s in ("24", "48", "96")},
        "meta": [],
        "_links": {"self": [{"href": f"{req.base}/wp-json/wp/v2/users/{author.user_id}"}],
                   "collection": [{"href": f"{req.base}/wp-json/wp/v2/users"}]},
    }


def _term_json(req: Request, kind: str, t: dict[str, Any]) -> dict[str, Any]:
    taxonomy = "category" if kind == "category" else "post_tag"
    route = "categories" if kind == "category" else "tags"
    out = {"id": t["id"], "count": t["count"], "description": "", "link": term_url(req, kind, t["slug"]),
           "name": t["name"], "slug": t["slug"], "taxonomy": taxonomy, "meta": [],
           "_links": {"self": [{"href": f"{req.base}/wp-json/wp/v2/{route}/{t['id']}"}]}}
    if kind == "category":
        out["parent"] = 0
    return out


def _comment_json(blog: DemoBlog, req: Request, c: Comment) -> dict[str, Any]:
    post = blog.posts[c.post_index]
    digest = hashlib.md5(c.author.lower().encode()).hexdigest()
    links: dict[str, Any] = {
        "self": [{"href": f"{req.base}/wp-json/wp/v2/comments/{c.platform_comment_id}"}],
        "collection": [{"href": f"{req.base}/wp-json/wp/v2/comments"}],
        "up": [{"embeddable": True, "post_type": "post",
                "href": f"{req.base}/wp-json/wp/v2/posts/{post.platform_post_id}"}],
    }
    if c.parent_id:
        links["in-reply-to"] = [{"embeddable": True, "href": f"{req.base}/wp-json/wp/v2/comments/{c.parent_id}"}]
    return {
        "id": int(c.platform_comment_id), "post": int(post.platform_post_id),
        "parent": int(c.parent_id) if c.parent_id else 0,
        "author": post.author.user_id if c.by_post_author else 0,
        "author_name": c.author, "author_url": "",
        "date": iso_local_naive(c.published, site_zone(blog)), "date_gmt": iso_gmt_naive(c.published),
        "content": {"rendered": "".join(f"<p>{esc(p)}</p>\n" for p in c.paragraphs)},
        "link": comment_link(blog, req, post, c), "status": "approved", "type": "comment",
        "author_avatar_urls": {s: f"https://secure.gravatar.com/avatar/{digest}?s={s}&d=mm&r=g" for s in ("24", "48", "96")},
        "meta": [], "_links": links,
    }


def _post_json(blog: DemoBlog, req: Request, p: Post, embed: bool) -> dict[str, Any]:
    terms = term_table(blog)
    pid = p.platform_post_id
    out: dict[str, Any] = {
        "id": int(pid), "date": iso_local_naive(p.published, site_zone(blog)), "date_gmt": iso_gmt_naive(p.published),
        "guid": {"rendered": f"{req.base}/?p={pid}"},
        "modified": iso_local_naive(p.modified, site_zone(blog)), "modified_gmt": iso_gmt_naive(p.modified),
        "slug": p.slug, "status": "publish", "type": "post", "link": post_url(blog, req, p),
        "title": {"rendered": esc(display_title(p))},
        "content": {"rendered": "" if p.password else "\n".join(f"<p>{esc(x)}</p>\n" for x in p.paragraphs),
                    "protected": bool(p.password)},
        "excerpt": {"rendered": "" if p.password else f"<p>{esc(T.excerpt(p.text))} [&hellip;]</p>\n",
                    "protected": bool(p.password)},
        "author": p.author.user_id, "featured_media": 0, "comment_status": "open", "ping_status": "open",
        "sticky": False, "template": "", "format": "standard", "meta": {"footnotes": ""},
        "categories": [terms[("category", c)]["id"] for c in p.categories],
        "tags": [terms[("tag", t)]["id"] for t in p.tags],
        "_links": {
            "self": [{"href": f"{req.base}/wp-json/wp/v2/posts/{pid}"}],
            "collection": [{"href": f"{req.base}/wp-json/wp/v2/posts"}],
            "about": [{"href": f"{req.base}/wp-json/wp/v2/types/post"}],
            "author": [{"embeddable": True, "href": f"{req.base}/wp-json/wp/v2/users/{p.author.user_id}"}],
            "replies": [{"embeddable": True, "href": f"{req.base}/wp-json/wp/v2/comments?post={pid}"}],
            "wp:term": [
                {"taxonomy": "category", "embeddable": True, "href": f"{req.base}/wp-json/wp/v2/categories?post={pid}"},
                {"taxonomy": "post_tag", "embeddable": True, "href": f"{req.base}/wp-json/wp/v2/tags?post={pid}"},
            ],
        },
    }
    if embed:
        # Core embeds the first page of comments under "replies" (newest first, 10 at most).
        replies = sorted(p.visible_comments(), key=lambda c: c.published, reverse=True)[:10]
        out["_embedded"] = {
            "author": [_user_json(blog, req, p.author)],
            "wp:term": [[_term_json(req, "category", terms[("category", c)]) for c in p.categories],
                        [_term_json(req, "tag", terms[("tag", t)]) for t in p.tags]],
        }
        if replies:
            out["_embedded"]["replies"] = [[_comment_json(blog, req, c) for c in replies]]
    return out


def _fields(req: Request, obj: dict[str, Any]) -> dict[str, Any]:
    wanted = req.arg("_fields")
    if not wanted:
        return obj
    keys = {k.strip().split(".")[0] for k in wanted.split(",")}
    return {k: v for k, v in obj.items() if k in keys}


def _order(req: Request, items: list[Any], keys: dict[str, Callable[[Any], Any]], default: str,
           default_order: str = "desc") -> list[Any]:
    orderby = req.arg("orderby", default) or default
    order = req.arg("order", default_order) or default_order
    if orderby not in keys:
        raise rest_error(400, "rest_invalid_param", "Invalid parameter(s): orderby",
                         params={"orderby": f"orderby is not one of {', '.join(keys)}."})
    if order not in ("asc", "desc"):
        raise rest_error(400, "rest_invalid_param", "Invalid parameter(s): order",
                         params={"order": "order is not one of asc and desc."})
    return sorted(items, key=keys[orderby], reverse=order == "desc")


def _rest_posts(blog: DemoBlog, req: Request) -> Response:
    if req.arg("context") == "edit":
        raise rest_error(401, "rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type.")
    status = req.arg("status", "publish")
    if status != "publish":
        raise rest_error(400, "rest_invalid_param", "Invalid parameter(s): status",
                         params={"status": "Status is forbidden."})
    posts = blog.listed_posts()
    after, before = _date_arg(blog, req, "after"), _date_arg(blog, req, "before")
    m_after, m_before = _date_arg(blog, req, "modified_after"), _date_arg(blog, req, "modified_before")
    posts = [p for p in posts if (after is None or p.published > after) and (before is None or p.published < before)
             and (m_after is None or p.modified > m_after) and (m_before is None or p.modified < m_before)]
    terms = term_table(blog)
    for kind, arg in (("category", "categories"), ("tag", "tags")):
        wanted = _id_list(req, arg)
        if wanted:
            names = {name for (k, name), t in terms.items() if k == kind and str(t["id"]) in wanted}
            posts = [p for p in posts if names & set(p.categories if kind == "category" else p.tags)]
    for arg, attr in (("include", "platform_post_id"),):
        wanted = _id_list(req, arg)
        if wanted:
            posts = [p for p in posts if getattr(p, attr) in wanted]
    authors = _id_list(req, "author")
    if authors:
        posts = [p for p in posts if str(p.author.user_id) in authors]
    slug = req.arg("slug")
    if slug:
        posts = [p for p in posts if p.slug in slug.split(",")]
    search = (req.arg("search") or "").lower()
    if search:
        posts = [p for p in posts if search in p.title.lower() or (p.public and search in p.text.lower())]
    posts = _order(req, posts, {"date": lambda p: p.published, "modified": lambda p: p.modified,
                                "id": lambda p: int(p.platform_post_id), "title": lambda p: p.title,
                                "slug": lambda p: p.slug}, "date")
    chunk, headers = _paged(req, posts, "/wp/v2/posts", "rest_post_invalid_page_number")
    embed = "_embed" in req.query
    data = [_fields(req, _post_json(blog, req, p, embed)) for p in chunk]
    return json_response(data, latest(*(post_activity(p) for p in chunk)) or blog.clock, headers=headers)


def _rest_post(blog: DemoBlog, req: Request, pid: str) -> Response:
    post = blog.post_by_id(pid)
    if post is None:
        raise rest_error(404, "rest_post_invalid_id", "Invalid post ID.")
    if not post.listed:
        raise rest_error(401, "rest_forbidden", "Sorry, you are not allowed to do that.")
    return json_response(_fields(req, _post_json(blog, req, post, "_embed" in req.query)), post_activity(post))


def _rest_comments(blog: DemoBlog, req: Request) -> Response:
    status = req.arg("status", "approve")
    if status not in ("approve", "approved"):
        raise rest_error(401, "rest_forbidden_param", "Query parameter not permitted: status")
    wanted_posts = _id_list(req, "post")
    if wanted_posts:
        for pid in wanted_posts:
            post = blog.post_by_id(pid)
            if post is not None and not post.public:
                raise rest_error(401, "rest_cannot_read_post",
                                 "Sorry, you are not allowed to read the post for this comment.")
    comments = blog.visible_comments()
    if wanted_posts:
        comments = [c for c in comments if blog.posts[c.post_index].platform_post_id in wanted_posts]
    parents = _id_list(req, "parent")
    if parents:
        comments = [c for c in comments if (c.parent_id or "0") in parents]
    after, before = _date_arg(blog, req, "after"), _date_arg(blog, req, "before")
    comments = [c for c in comments if (after is None or c.published > after)
                and (before is None or c.published < before)]
    comments = _order(req, comments, {"date": lambda c: c.published, "date_gmt": lambda c: c.published,
                                      "id": lambda c: int(c.platform_comment_id),
                                      "parent": lambda c: int(c.parent_id or 0),
                                      "post": lambda c: int(blog.posts[c.post_index].platform_post_id)}, "date_gmt")
    chunk, headers = _paged(req, comments, "/wp/v2/comments", "rest_comment_invalid_page_number")
    data = [_fields(req, _comment_json(blog, req, c)) for c in chunk]
    lm = latest(*(c.recorded_at or c.published for c in comments)) or blog.clock
    return json_response(data, lm, headers=headers)


def _rest_comment(blog: DemoBlog, req: Request, cid: str) -> Response:
    c = blog.comment_by_id(cid)
    if c is None:
        raise rest_error(404, "rest_comment_invalid_id", "Invalid comment ID.")
    if not (c.approved and blog.posts[c.post_index].public):
        raise rest_error(401, "rest_cannot_read", "Sorry, you are not allowed to read this comment.")
    return json_response(_fields(req, _comment_json(blog, req, c)), c.recorded_at or c.published)


def _visible_authors(blog: DemoBlog):
    ids = {p.author.user_id for p in blog.listed_posts()}
    return [a for a in blog.authors if a.user_id in ids]


def _rest_index(blog: DemoBlog, req: Request) -> Response:
    routes = {r: {"namespace": "wp/v2", "methods": ["GET"], "_links": {"self": [{"href": f"{req.base}/wp-json{r}"}]}}
              for r in ("/wp/v2/posts", "/wp/v2/comments", "/wp/v2/users", "/wp/v2/categories", "/wp/v2/tags")}
    data = {"name": blog.site_title, "description": blog.tagline, "url": req.base, "home": req.base,
            "gmt_offset": blog.options.utc_offset_minutes / 60, "timezone_string": "", "namespaces": ["oembed/1.0", "wp/v2"],
            "authentication": [], "routes": routes,
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]}}
    return json_response(data, None)


def handle_rest(blog: DemoBlog, req: Request, route: str) -> Response:
    route = "/" + route.strip("/")
    if route == "/":
        return _rest_index(blog, req)
    if route == "/wp/v2":
        return json_response({"namespace": "wp/v2", "routes": {}}, None)
    if route == "/wp/v2/types/post":
        return json_response({"description": "", "hierarchical": False, "has_archive": False, "name": "Posts",
                              "slug": "post", "taxonomies": ["category", "post_tag"], "rest_base": "posts",
                              "rest_namespace": "wp/v2"}, None)
    if route == "/wp/v2/posts":
        return _rest_posts(blog, req)
    if m := re.fullmatch(r"/wp/v2/posts/(\d+)", route):
        return _rest_post(blog, req, m.group(1))
    if route == "/wp/v2/comments":
        return _rest_comments(blog, req)
    if m := re.fullmatch(r"/wp/v2/comments/(\d+)", route):
        return _rest_comment(blog, req, m.group(1))
    if route == "/wp/v2/users":
        users, headers = _paged(req, _visible_authors(blog), route, "rest_user_invalid_page_number")
        return json_response([_fields(req, _user_json(blog, req, a)) for a in users], None, headers=headers)
    if m := re.fullmatch(r"/wp/v2/users/(\d+)", route):
        author = next((a for a in _visible_authors(blog) if a.user_id == int(m.group(1))), None)
        if author is None:
            raise rest_error(401, "rest_user_cannot_view", "Sorry, you are not allowed to list users.")
        return json_response(_fields(req, _user_json(blog, req, author)), None)
    if route in ("/wp/v2/categories", "/wp/v2/tags"):
        kind = "category" if route.endswith("categories") else "tag"
        terms = [t for (k, _), t in sorted(term_table(blog).items(), key=lambda kv: kv[1]["name"].lower()) if k == kind]
        post_filter = _id_list(req, "post")
        if post_filter:
            p = blog.post_by_id(post_filter[0])
            names = set((p.categories if kind == "category" else p.tags) if p and p.listed else [])
            terms = [t for t in terms if t["name"] in names]
        chunk, headers = _paged(req, terms, route, "rest_invalid_page_number")
        return json_response([_fields(req, _term_json(req, kind, t)) for t in chunk], None, headers=headers)
    if m := re.fullmatch(r"/wp/v2/(categories|tags)/(\d+)", route):
        kind = "category" if m.group(1) == "categories" else "tag"
        t = next((t for (k, _), t in term_table(blog).items() if k == kind and t["id"] == int(m.group(2))), None)
        if t is None:
            raise rest_error(404, "rest_term_invalid", "Term does not exist.")
        return json_response(_term_json(req, kind, t), None)
    raise rest_error(404, "rest_no_route", "No route was found matching the URL and request method.")
