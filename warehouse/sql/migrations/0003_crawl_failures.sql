-- Crawl failures: post and comment pages the crawler could not collect (issue 12, item 3).
-- Each run's snapshot (runs/RUN/crawl/failures.jsonl, through processed/crawl_failures.parquet)
-- replaces the rows of the sites it crawled, so a failure fixed by a later run disappears.
CREATE TABLE crawl_failures (
    url        VARCHAR PRIMARY KEY,
    site_id    VARCHAR NOT NULL,
    post_url   VARCHAR,
    kind       VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL,
    attempts   INTEGER NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    run_id     VARCHAR NOT NULL
);
COMMENT ON TABLE crawl_failures IS 'Post and comment pages still uncollected after the last crawl of their site (retried by every run, removed once collected).';
COMMENT ON COLUMN crawl_failures.url IS 'The page or API URL that failed.';
COMMENT ON COLUMN crawl_failures.site_id IS 'Site of the page.';
COMMENT ON COLUMN crawl_failures.post_url IS 'Canonical URL of the post the page belongs to.';
COMMENT ON COLUMN crawl_failures.kind IS 'What failed: post-page | comment-page | comments (API and HTML pages) | wp-rest-comments (unreadable API answer).';
COMMENT ON COLUMN crawl_failures.reason IS 'Why: http_5xx | http_4xx | timeout | connection_lost | parse_error | ...';
COMMENT ON COLUMN crawl_failures.attempts IS 'Runs that tried the page and failed.';
COMMENT ON COLUMN crawl_failures.first_seen IS 'Run time of the first failure (UTC).';
COMMENT ON COLUMN crawl_failures.last_seen IS 'Run time of the latest failure (UTC).';
COMMENT ON COLUMN crawl_failures.run_id IS 'Run whose crawl snapshot listed the failure.';
