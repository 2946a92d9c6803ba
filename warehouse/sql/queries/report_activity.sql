-- The report: comments written per month and topic of their post, with their tone, up to $until.
-- The period's first month is cut at $since to the day ($since_month = its first day); earlier
-- months stay whole (the trends compare them). $site: one site id or NULL. Dates inclusive.
SELECT cast(date_trunc('month', c.published_at) AS date) AS month, p.model_run_id, p.topic_id,
       count(*) AS comments, count(DISTINCT c.author_pseudonym) AS commenters,
       count(*) FILTER (WHERE c.is_reply) AS replies,
       count(s.compound) AS scored, coalesce(sum(s.compound), 0) AS compound_sum,
       count(*) FILTER (WHERE s.compound IS NOT NULL AND s.label = 'negative') AS negative,
       count(*) FILTER (WHERE s.compound IS NOT NULL AND s.label = 'neutral') AS neutral,
       count(*) FILTER (WHERE s.compound IS NOT NULL AND s.label = 'positive') AS positive
FROM v_comment_threads c
JOIN v_post_discussion p USING (post_id)
LEFT JOIN v_current_sentiment s ON s.target_kind = 'comment' AND s.target_id = c.comment_id
WHERE c.published_at IS NOT NULL
  AND ($until IS NULL OR cast(c.published_at AS date) <= $until)
  AND ($site IS NULL OR p.site_id = $site)
  AND ($since IS NULL OR c.published_at < $since_month OR cast(c.published_at AS date) >= $since)
GROUP BY ALL
ORDER BY 1, 2, 3
