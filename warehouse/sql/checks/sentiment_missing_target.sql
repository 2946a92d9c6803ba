-- Sentiment scores of posts or comments that are not in the warehouse.
SELECT s.target_kind, s.target_id, s.scorer
FROM sentiment s ANTI JOIN posts p ON p.post_id = s.target_id
WHERE s.target_kind = 'post'
UNION ALL
SELECT s.target_kind, s.target_id, s.scorer
FROM sentiment s ANTI JOIN comments c ON c.comment_id = s.target_id
WHERE s.target_kind = 'comment'
