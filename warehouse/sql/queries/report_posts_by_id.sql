-- Posts the interactive report names: $ids is a list of post ids (older posts that drew comments
-- in the period, beside the period's own posts).
SELECT post_id, site_id, url, title, published_at, model_run_id, topic_id, comments, replies, commenters,
       max_depth, hours_to_first_comment, mean_comment_sentiment
FROM v_post_discussion
WHERE list_contains($ids, post_id)
