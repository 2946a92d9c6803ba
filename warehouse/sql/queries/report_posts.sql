-- The report: posts published in the period ($since / $until inclusive days or NULL; $site or NULL),
-- with the shape of their threads.
SELECT p.post_id, p.site_id, p.url, p.title, p.published_at, p.model_run_id, p.topic_id, p.comments,
       p.replies, p.commenters, p.max_depth, p.hours_to_first_comment, p.mean_comment_sentiment,
       t.threads, t.largest_thread
FROM v_post_discussion p
LEFT JOIN (SELECT post_id, count(DISTINCT root_comment_id) AS threads, max(thread_size) AS largest_thread
           FROM v_comment_threads GROUP BY post_id) t USING (post_id)
WHERE ($since IS NULL OR cast(p.published_at AS date) >= $since)
  AND ($until IS NULL OR cast(p.published_at AS date) <= $until)
  AND ($site IS NULL OR p.site_id = $site)
