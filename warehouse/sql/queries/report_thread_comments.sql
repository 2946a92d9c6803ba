-- The interactive report's comments: every comment on a post published in the period, and every
-- comment written in the period (on older posts too), with its place in the thread and its tone.
-- Pseudonyms only (never a raw name); the text only when $allow_text ([privacy] report_comment_text). $since / $until are inclusive days or NULL; $site a site id or NULL.
SELECT c.comment_id, c.post_id, c.parent_id, coalesce(c.thread_depth, c.depth, 0) AS depth,
       c.author_pseudonym, c.published_at, c.hours_after_post, s.compound, s.label AS tone_label,
       CASE WHEN $allow_text THEN cm.text END AS text
FROM v_comment_threads c
JOIN v_post_discussion p USING (post_id)
LEFT JOIN comments cm ON cm.comment_id = c.comment_id
LEFT JOIN v_current_sentiment s ON s.target_kind = 'comment' AND s.target_id = c.comment_id
WHERE ($site IS NULL OR p.site_id = $site)
  AND ((($since IS NULL OR cast(p.published_at AS date) >= $since)
        AND ($until IS NULL OR cast(p.published_at AS date) <= $until))
       OR (c.published_at IS NOT NULL
           AND ($since IS NULL OR cast(c.published_at AS date) >= $since)
           AND ($until IS NULL OR cast(c.published_at AS date) <= $until)))
ORDER BY c.post_id, c.published_at NULLS LAST, c.comment_id
