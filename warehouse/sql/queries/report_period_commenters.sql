-- The report: distinct commenters (pseudonyms) of the comments written in the period.
SELECT count(DISTINCT c.author_pseudonym) AS n
FROM v_comment_threads c JOIN v_post_discussion p USING (post_id)
WHERE c.author_pseudonym IS NOT NULL
  AND ($since IS NULL OR cast(c.published_at AS date) >= $since)
  AND ($until IS NULL OR cast(c.published_at AS date) <= $until)
  AND ($site IS NULL OR p.site_id = $site)
