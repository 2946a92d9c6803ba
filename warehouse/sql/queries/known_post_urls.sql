-- Every URL form under which the warehouse knows a post of the given sites (the current URL and
-- every alias), for the process stage: a post re-crawled under another form (https, no www, a new
-- host) keeps the id it was first loaded under. The first-loaded post comes first, so of two posts
-- on one path (a duplicate an older version made) the older id wins.
SELECT p.site_id, u.url, p.post_id
FROM posts p
JOIN (SELECT post_id, url FROM posts UNION SELECT post_id, url FROM post_aliases) u USING (post_id)
WHERE p.site_id IN (SELECT unnest($site_ids::VARCHAR[]))
ORDER BY p.first_seen_run_id, p.first_seen_at NULLS LAST, p.post_id, u.url
