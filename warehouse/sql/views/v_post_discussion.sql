-- v_post_discussion
-- Answers: how much discussion did each post draw, how fast, in what mood, on what topic?
-- Grain: one row per post (posts without comments included, with zero counts).
-- Columns:
--   post_id: the post.
--   site_id: the post's site.
--   title: post title.
--   url: canonical URL of the post.
--   published_at: post publication time (UTC).
--   comments: comments on the post.
--   commenters: distinct commenter pseudonyms (anonymous comments not counted).
--   replies: comments that reply to another comment.
--   author_replies: comments written by the post's author.
--   max_depth: deepest nesting level (0 = only top-level comments; NULL = no comments).
--   first_comment_at: time of the first comment (UTC).
--   last_comment_at: time of the last comment (UTC).
--   hours_to_first_comment: hours from publication to the first comment.
--   model_run_id: model run of the topic (current model).
--   topic_id: dominant topic of the post (NULL when it has no topic weights).
--   topic_label: label of that topic.
--   topic_weight: weight of the dominant topic.
--   mean_comment_sentiment: mean compound score of its scored comments.
--   scored_comments: comments with a sentiment score (not NULL).
--   post_sentiment: compound score of the post itself.
CREATE OR REPLACE VIEW v_post_discussion AS
WITH per_post AS (
    SELECT post_id,
           count(*) AS comments,
           count(DISTINCT author_pseudonym) AS commenters,
           count(*) FILTER (WHERE parent_id IS NOT NULL) AS replies,
           count(*) FILTER (WHERE is_post_author) AS author_replies,
           max(depth) AS max_depth,
           min(published_at) AS first_comment_at,
           max(published_at) AS last_comment_at
    FROM comments
    GROUP BY post_id
),
mood AS (
    SELECT c.post_id, avg(s.compound) AS mean_comment_sentiment, count(s.compound) AS scored_comments
    FROM comments c
    JOIN v_current_sentiment s ON s.target_kind = 'comment' AND s.target_id = c.comment_id
    GROUP BY c.post_id
)
SELECT p.post_id, p.site_id, p.title, p.url, p.published_at,
       coalesce(pp.comments, 0) AS comments,
       coalesce(pp.commenters, 0) AS commenters,
       coalesce(pp.replies, 0) AS replies,
       coalesce(pp.author_replies, 0) AS author_replies,
       pp.max_depth,
       pp.first_comment_at,
       pp.last_comment_at,
       round((epoch(pp.first_comment_at) - epoch(p.published_at)) / 3600.0, 2) AS hours_to_first_comment,
       t.model_run_id, t.topic_id, t.topic_label, t.topic_weight,
       round(m.mean_comment_sentiment, 4) AS mean_comment_sentiment,
       coalesce(m.scored_comments, 0) AS scored_comments,
       ps.compound AS post_sentiment
FROM posts p
LEFT JOIN per_post pp USING (post_id)
LEFT JOIN mood m USING (post_id)
LEFT JOIN v_post_topics t USING (post_id)
LEFT JOIN v_current_sentiment ps ON ps.target_kind = 'post' AND ps.target_id = p.post_id;
COMMENT ON VIEW v_post_discussion IS 'Per post: comments, commenters, replies, depth, first/last comment, hours to first comment, dominant topic, mean comment sentiment. Grain: post.';
