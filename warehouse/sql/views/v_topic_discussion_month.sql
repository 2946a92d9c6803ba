-- v_topic_discussion_month
-- Answers: which topics draw discussion, month by month? (One grain per view:
--   v_topic_discussion_week has the same columns per week, so sums never count a comment twice.)
-- Grain: one row per month x topic of the current model.
--   Posts are placed in the period they were published (first seen when undated); their
--   comments are counted with them whenever they arrived (a cohort view: see v_topic_trends for
--   activity by the month comments were written). Comments are attributed to their post's
--   dominant topic.
-- Columns:
--   period_start: first day of the month.
--   model_run_id: model run of the topics.
--   topic_id: topic.
--   topic_label: topic label.
--   posts: posts published in the period with this dominant topic.
--   comments: comments on those posts.
--   unique_commenters: distinct commenter pseudonyms among those comments.
--   replies: those comments that reply to another comment.
--   comments_per_post: comments / posts.
--   median_hours_to_first_comment: median over the posts with comments of the hours to their first comment.
--   share_posts_without_comments: share of the posts that have no comment (0..1).
--   mean_comment_sentiment: mean compound score of the scored comments.
CREATE OR REPLACE VIEW v_topic_discussion_month AS
WITH post_base AS (
    SELECT CAST(date_trunc('month', coalesce(p.published_at, p.first_seen_at)) AS DATE) AS period_start,
           d.post_id, d.model_run_id, d.topic_id, d.topic_label, d.comments, d.hours_to_first_comment
    FROM v_post_discussion d
    JOIN posts p USING (post_id)
    WHERE d.topic_id IS NOT NULL AND coalesce(p.published_at, p.first_seen_at) IS NOT NULL
),
post_agg AS (
    SELECT period_start, model_run_id, topic_id, topic_label,
           count(*) AS posts,
           median(hours_to_first_comment) AS median_hours_to_first_comment,
           avg(CASE WHEN comments = 0 THEN 1.0 ELSE 0.0 END) AS share_posts_without_comments
    FROM post_base
    GROUP BY ALL
),
comment_agg AS (
    SELECT b.period_start, b.model_run_id, b.topic_id,
           count(*) AS comments,
           count(DISTINCT c.author_pseudonym) AS unique_commenters,
           count(*) FILTER (WHERE c.parent_id IS NOT NULL) AS replies,
           avg(s.compound) AS mean_comment_sentiment
    FROM post_base b
    JOIN comments c USING (post_id)
    LEFT JOIN v_current_sentiment s ON s.target_kind = 'comment' AND s.target_id = c.comment_id
    GROUP BY ALL
)
SELECT pa.period_start, pa.model_run_id, pa.topic_id, pa.topic_label, pa.posts,
       coalesce(ca.comments, 0) AS comments,
       coalesce(ca.unique_commenters, 0) AS unique_commenters,
       coalesce(ca.replies, 0) AS replies,
       round(coalesce(ca.comments, 0) / pa.posts, 3) AS comments_per_post,
       round(pa.median_hours_to_first_comment, 2) AS median_hours_to_first_comment,
       round(pa.share_posts_without_comments, 3) AS share_posts_without_comments,
       round(ca.mean_comment_sentiment, 4) AS mean_comment_sentiment
FROM post_agg pa
LEFT JOIN comment_agg ca USING (period_start, model_run_id, topic_id);
COMMENT ON VIEW v_topic_discussion_month IS 'Which topics draw discussion, per month and topic: posts, comments, unique commenters, replies, comments per post, median hours to first comment, share of posts without comments, mean comment sentiment. Grain: month x topic.';
