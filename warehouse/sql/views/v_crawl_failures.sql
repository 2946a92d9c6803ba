-- v_crawl_failures
-- Answers: which posts or comment pages could the crawler not collect, why, and since when?
-- Grain: one row per page still failing after the last crawl of its site.
-- Columns:
--   site_id: the site.
--   url: the page or API URL that failed.
--   post_url: canonical URL of the post it belongs to.
--   post_id: that post in the warehouse (NULL when the post itself was never collected).
--   post_title: its title (NULL likewise).
--   kind: post-page | comment-page | comments | wp-rest-comments.
--   reason: http_5xx | timeout | connection_lost | parse_error | ...
--   attempts: runs that tried the page and failed.
--   first_seen: first failure (UTC).
--   last_seen: latest failure (UTC).
--   days_failing: days from first_seen to last_seen.
--   run_id: run whose crawl listed it.
CREATE OR REPLACE VIEW v_crawl_failures AS
SELECT f.site_id, f.url, f.post_url, p.post_id, p.title AS post_title, f.kind, f.reason, f.attempts,
       f.first_seen, f.last_seen,
       round((epoch(f.last_seen) - epoch(f.first_seen)) / 86400.0, 1) AS days_failing,
       f.run_id
FROM crawl_failures f
LEFT JOIN posts p ON p.url = f.post_url;
COMMENT ON VIEW v_crawl_failures IS 'Post and comment pages the crawler could not collect yet, with the post when it is known; empty when every page came through. Grain: failing page.';
