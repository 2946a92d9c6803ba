"""The home page: the platform (``auto`` detection), the WordPress REST root, feeds and comment system."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.http import Response

from pipeline.sources import feeds
from pipeline.sources.detect import detect_comment_system, detect_platform

from crawl.responses import response_headers
from crawl.traps import same_site

if TYPE_CHECKING:
    from crawl.siterun import SiteRun


def read_home(run: SiteRun, html: str | None, response: Response | None) -> None:
    """What the home page says about the site, saved in the state for the runs without it.

    Without a page (not modified, failed) the state's record of the last one stands.
    """
    if html is None:
        if run.info.get("home_comment_system"):
            run.comment_systems[run.info["home_comment_system"]] += 1
        return
    run.home_html = html
    url = response.url if response else run.base
    det = detect_platform(html, url, response_headers(response) if response else None)
    if run.config.platform == "auto":
        run.platform = det.platform
    run.info.update(platform=run.platform, wp_api_root=det.wp_api_root, blog_id=det.blogger_blog_id,
                    evidence=det.evidence)
    third = detect_comment_system(html)
    if third:
        run.comment_systems[third] += 1
    run.info["home_comment_system"] = third
    run.info["feeds"] = [f.url for f in feeds.discover_feeds(html, url) if same_site(f.url, run.netloc)]
    run.ctx.state.save_site_info(run.id, run.info)
