"""Where a blog's posts are found, one module per source, each owning its request URLs and parsing.

- :mod:`.home`: the home page (platform detection, REST root, feeds, comment system);
- :mod:`.wordpress`: the WordPress REST API (post listing pages and each post's comment pages);
- :mod:`.blogger`: Blogger's post feed and each post's comment feed;
- :mod:`.feeds`: RSS/Atom post feeds (WordPress without REST, generic blogs) and the site-wide
  comment feed, the cheap "something new was said" signal;
- :mod:`.sitemaps`: sitemaps (``lastmod``, and candidate post URLs when no API lists them);
- :mod:`.html`: the HTML archive walk from the home page, the last resort;
- :mod:`.listing`: what the platform listings share when a page fails (narrowing, the gap).

Each source holds the :class:`crawl.siterun.SiteRun` it works for (state and bookkeeping) and
sends its requests through it; the parsing of payloads stays pure in :mod:`pipeline.sources`.
"""
