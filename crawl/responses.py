"""Small readers of Scrapy responses shared by the crawl's sources."""

from __future__ import annotations

import hashlib

from scrapy.http import Response

from pipeline.htmltext import html_to_unicode

from crawl.state import Validators


def validators_of(response: Response) -> Validators:
    etag = response.headers.get("ETag")
    modified = response.headers.get("Last-Modified")
    return Validators(etag.decode("latin-1") if etag else None, modified.decode("latin-1") if modified else None,
                      hashlib.sha256(response.body).hexdigest())


def response_headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): v[-1].decode("latin-1") for k, v in response.headers.items() if v}


def page_text(response: Response) -> str:
    """A post or comment page as text, decoded from its bytes as ``blogscope extract`` decodes them.

    Not ``response.text``: Scrapy trusts the declared charset, so Windows-1252 bytes served as
    UTF-8 became U+FFFD and UTF-8 served as ISO-8859-1 became mojibake (issue 18). The page's
    bytes (the ones the archive keeps) decide, with one function for every path.
    """
    return html_to_unicode(response.body)[0]

