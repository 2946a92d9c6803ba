-- The report: comments without a date ($site: one site id or NULL).
SELECT count(*) AS n
FROM v_comment_threads c JOIN v_post_discussion p USING (post_id)
WHERE c.published_at IS NULL AND ($site IS NULL OR p.site_id = $site)
