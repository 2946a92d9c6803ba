-- A search's mentions per month and site (warehouse.search.mentions_by_month): the matching posts
-- and comments written that month (undated ones left out) and their share of all the site's posts
-- and comments that month, so a busier month does not look like more attention.
-- Reads `matches` (kind, site_id, written_at, ...), the CTE of the matching documents that
-- warehouse.search puts in front of this query.
SELECT f.month, f.site_id, f.posts, f.comments,
       round(f.posts / nullif(t.posts, 0), 3) AS share_of_posts,
       round(f.comments / nullif(t.comments, 0), 3) AS share_of_comments
FROM (SELECT CAST(date_trunc('month', written_at) AS DATE) AS month, site_id,
             count(*) FILTER (WHERE kind = 'post') AS posts,
             count(*) FILTER (WHERE kind = 'comment') AS comments
      FROM matches WHERE written_at IS NOT NULL GROUP BY ALL) f
JOIN (SELECT month, site_id,
             count(*) FILTER (WHERE kind = 'post') AS posts,
             count(*) FILTER (WHERE kind = 'comment') AS comments
      FROM (SELECT CAST(date_trunc('month', coalesce(published_at, first_seen_at)) AS DATE) AS month, site_id,
                   'post' AS kind
            FROM posts
            UNION ALL
            SELECT CAST(date_trunc('month', coalesce(c.published_at, c.first_seen_at)) AS DATE), p.site_id,
                   'comment'
            FROM comments c JOIN posts p USING (post_id))
      GROUP BY ALL) t USING (month, site_id)
ORDER BY f.month, f.site_id
