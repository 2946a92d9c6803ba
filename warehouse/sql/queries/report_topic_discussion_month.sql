-- The report: v_topic_discussion_month rows of the shown months (a CSV download).
SELECT period_start, model_run_id, topic_id, topic_label, posts, comments, unique_commenters, replies,
       comments_per_post, median_hours_to_first_comment, share_posts_without_comments, mean_comment_sentiment
FROM v_topic_discussion_month
WHERE period_start BETWEEN $first AND $last
ORDER BY period_start, topic_id
