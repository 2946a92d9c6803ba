-- A search term's mentions over time, month by site, as a table macro any DuckDB client can call
-- without the fts extension (attention charts, like Media Cloud's):
--   SELECT * FROM mentions_by_month('lithium');
--   SELECT * FROM mentions_by_month('sleep diary') WHERE site_id = 'shrink-notes';
-- The term is matched as written (case-insensitive, whole words; spaces match any whitespace), in
-- post titles and texts and in comments: no stemming and no ranking. `blogscope search TERMS
-- --by-month` is the ranked counterpart (BM25 words, stemmed, plus "quoted phrases").
-- Columns: month, site_id, posts, comments (matching ones written that month; undated ones left
-- out), share_of_posts, share_of_comments (of all the site's posts / comments that month).
-- A table macro binds its tables when created, so it cannot read the fts index (rebuilt by loads).
CREATE OR REPLACE MACRO mentions_by_month(term) AS TABLE
WITH pattern AS (
    SELECT '(?i)(^|\W)' || regexp_replace(regexp_replace(trim(term), '([.^$*+?()\[\]{}|\\])', '\\\1', 'g'),
                                          '\s+', '\\s+', 'g') || '($|\W)' AS re
),
documents AS (
    SELECT 'post' AS kind, site_id, CAST(date_trunc('month', coalesce(published_at, first_seen_at)) AS DATE) AS month,
           coalesce(title, '') || ' ' || text AS body
    FROM posts
    UNION ALL
    SELECT 'comment', p.site_id, CAST(date_trunc('month', coalesce(c.published_at, c.first_seen_at)) AS DATE), c.text
    FROM comments c JOIN posts p USING (post_id)
),
per_month AS (
    SELECT month, site_id,
           count(*) FILTER (WHERE kind = 'post' AND regexp_matches(body, (SELECT re FROM pattern))) AS posts,
           count(*) FILTER (WHERE kind = 'comment' AND regexp_matches(body, (SELECT re FROM pattern))) AS comments,
           count(*) FILTER (WHERE kind = 'post') AS all_posts,
           count(*) FILTER (WHERE kind = 'comment') AS all_comments
    FROM documents WHERE month IS NOT NULL AND length(trim(term)) > 0
    GROUP BY ALL
)
SELECT month, site_id, posts, comments,
       round(posts / nullif(all_posts, 0), 3) AS share_of_posts,
       round(comments / nullif(all_comments, 0), 3) AS share_of_comments
FROM per_month WHERE posts + comments > 0
ORDER BY month, site_id;
