-- Topics drawing the most discussion (current model), for the end-of-run summary.
SELECT topic_id, topic_label AS label,
       count(*) AS posts,
       sum(comments) AS comments,
       round(sum(mean_comment_sentiment * scored_comments) / nullif(sum(scored_comments), 0), 3) AS mean_sentiment
FROM v_post_discussion
WHERE topic_id IS NOT NULL
GROUP BY ALL
ORDER BY comments DESC, posts DESC, topic_id
LIMIT $limit
