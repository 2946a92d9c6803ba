"""Pure parsers of what blog platforms publish (feeds, REST JSON, sitemaps, comment markup).

No fetching here: the crawler (``crawl/``) downloads, these modules read bytes. The archive
replay :func:`rebuild_from_warc` rebuilds the crawl's records from its WARC files offline.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator


def rebuild_from_warc(paths: Iterable[Any]) -> Iterator[Any]:
    """Rebuild ``RawPost`` / ``RawComment`` records from WARC files (see :mod:`.warc_replay`)."""
    from pipeline.sources.warc_replay import rebuild_from_warc as _rebuild

    return _rebuild(paths)


__all__ = ["rebuild_from_warc"]
