-- Posts of an unknown site, and aliases of an unknown post.
SELECT 'posts' AS table_name, p.post_id AS key, p.site_id AS missing
FROM posts p ANTI JOIN sites s USING (site_id)
UNION ALL
SELECT 'post_aliases', a.url, a.post_id
FROM post_aliases a ANTI JOIN posts p USING (post_id)
