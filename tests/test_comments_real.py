"""Comments on real saved blog pages (../shared/data): counts, threads, bylines, and no leaks.

WordPress (two themes), Blogger and a custom WordPress theme from trafilatura-eval, plus
article-extraction-benchmark pages whose gold body excludes their reader comments: comment
text must come out as comments and never inside the main text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import extract_source

WIDGETS = ("Reply", "says:", "Report abuse", "Log in to Reply")

# page -> (comments, of which replies) measured when these tests were written; every comment has
# an author and an ISO time on these pages.
PAGES = {
    "trafilatura-eval/html/eval/foxyfolksy.com.buttercream.html.gz": (80, 41),
    "trafilatura-eval/html/eval/derpapierplanet.de.juni.html.gz": (13, 9),  # Blogger
    "trafilatura-eval/html/eval/thenervousbreakdown.com.loneliest.html.gz": (11, 2),
    "trafilatura-eval/html/eval/hearya.com.metal.html.gz": (38, 0),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_real_blog_comments(shared_data: Path, page: str):
    record = extract_source(str(shared_data / page))
    assert record["status"] == "ok"
    comments = record["comments"]
    total, replies = PAGES[page]
    assert len(comments) == total
    assert sum(1 for c in comments if c["parent_id"]) == replies
    ids = {c["comment_id"] for c in comments}
    assert len(ids) == total
    assert all(c["parent_id"] in ids for c in comments if c["parent_id"])
    assert all(c["author"] and c["published_at"] and c["published_at"][:2] in ("19", "20") for c in comments)
    for c in comments:
        assert c["text"].strip()
        assert not any(line.strip() in WIDGETS for line in c["text"].splitlines())
        if len(c["text"]) > 40:
            assert c["text"][:40] not in record["text"], "comment text leaked into the main text"


@pytest.mark.parametrize(
    "page_id",
    [
        "8e3efab59f48fd29a1e1e7aa135880c4251a9f090f94999668cdbaec59d30b5a",  # profootballtalk, 34 comments
        "ac3c035520461017a7c5b248d8e39ef063cad4c0c7d7b7ecd68aff8f15099485",  # givewell open thread
        "c582d3b772578e8feaa3cfd8f5ae8100bb6f0bc66048204a9a398395841c1164",  # bigbrandsystem
    ],
)
def test_comments_stay_out_of_the_article(shared_data: Path, page_id: str):
    record = extract_source(str(shared_data / "article-extraction-benchmark" / "html" / f"{page_id}.html.gz"))
    assert record["status"] == "ok"
    assert len(record["comments"]) >= 5
    for c in record["comments"]:
        if len(c["text"]) > 50:
            assert c["text"][:50] not in record["text"]
