-- v_late_comments
-- Answers: which posts keep drawing comments long after publication (more than 30 days)?
-- Grain: one row per comment written more than 30 days after its post was published.
-- Columns:
--   comment_id: the comment.
--   post_id: its post.
--   site_id: the post's site.
--   post_title: post title.
--   post_published_at: post publication time (UTC).
--   comment_published_at: comment time (UTC).
--   days_after_post: days between the two.
--   author_pseudonym: commenter pseudonym.
--   is_reply: true when it replies to another comment.
--   model_run_id: model run of the topic.
--   topic_id: the post's dominant topic (NULL when none).
--   topic_label: label of that topic.
CREATE OR REPLACE VIEW v_late_comments AS
SELECT c.comment_id, c.post_id, p.site_id, p.title AS post_title,
       p.published_at AS post_published_at, c.published_at AS comment_published_at,
       round((epoch(c.published_at) - epoch(p.published_at)) / 86400.0, 1) AS days_after_post,
       c.author_pseudonym,
       c.parent_id IS NOT NULL AS is_reply,
       t.model_run_id, t.topic_id, t.topic_label
FROM comments c
JOIN posts p USING (post_id)
LEFT JOIN v_post_topics t USING (post_id)
WHERE c.published_at > p.published_at + INTERVAL 30 DAY;
COMMENT ON VIEW v_late_comments IS 'Comments written more than 30 days after their post (the long tail of discussion), with the post topic. Grain: comment.';
