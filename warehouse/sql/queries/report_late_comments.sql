-- The report: late comments written in the period, newest first; the comment text only when
-- $allow_text ([privacy] report_comment_text), pseudonyms only.
SELECT l.comment_id, l.post_id, l.post_title, l.post_published_at, l.comment_published_at,
       l.days_after_post, l.author_pseudonym, l.model_run_id, l.topic_id, p.url,
       CASE WHEN $allow_text THEN cm.text END AS text
FROM v_late_comments l
LEFT JOIN v_post_discussion p USING (post_id)
LEFT JOIN comments cm ON cm.comment_id = l.comment_id
WHERE ($since IS NULL OR cast(l.comment_published_at AS date) >= $since)
  AND ($until IS NULL OR cast(l.comment_published_at AS date) <= $until)
  AND ($site IS NULL OR l.site_id = $site)
ORDER BY l.comment_published_at DESC, l.comment_id
