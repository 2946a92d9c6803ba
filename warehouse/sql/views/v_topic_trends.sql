-- v_topic_trends
-- Answers: which topics are gaining or losing attention, month by month?
-- Grain: one row per month x topic of the current model, every month from the first to the last
--   dated post or comment (months without activity have zeros). Posts count in the month they
--   were published, comments in the month they were written (attributed to their post's topic).
-- Columns:
--   month: first day of the month.
--   model_run_id: model run of the topics.
--   topic_id: topic.
--   topic_label: topic label.
--   posts: posts published that month with this dominant topic.
--   comments: comments written that month on posts of this topic.
--   share_of_posts: posts / all posts with a topic that month (0..1; NULL when none).
--   share_of_comments: comments / all comments on posts with a topic that month (0..1; NULL when none).
--   posts_change: posts minus the previous month's.
--   comments_change: comments minus the previous month's.
--   share_of_posts_change: share_of_posts minus the previous month's.
--   share_of_comments_change: share_of_comments minus the previous month's.
CREATE OR REPLACE VIEW v_topic_trends AS
WITH post_months AS (
    SELECT CAST(date_trunc('month', coalesce(p.published_at, p.first_seen_at)) AS DATE) AS month,
           t.model_run_id, t.topic_id
    FROM posts p JOIN v_post_topics t USING (post_id)
    WHERE coalesce(p.published_at, p.first_seen_at) IS NOT NULL
),
comment_months AS (
    SELECT CAST(date_trunc('month', coalesce(c.published_at, c.first_seen_at)) AS DATE) AS month,
           t.model_run_id, t.topic_id
    FROM comments c JOIN v_post_topics t USING (post_id)
    WHERE coalesce(c.published_at, c.first_seen_at) IS NOT NULL
),
bounds AS (
    SELECT min(month) AS lo, max(month) AS hi
    FROM (SELECT month FROM post_months UNION ALL SELECT month FROM comment_months)
),
months AS (
    SELECT CAST(unnest(generate_series(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM bounds WHERE lo IS NOT NULL
),
topic_list AS (
    SELECT DISTINCT model_run_id, topic_id, topic_label FROM v_post_topics
),
grid AS (
    SELECT m.month, t.model_run_id, t.topic_id, t.topic_label FROM months m CROSS JOIN topic_list t
),
post_counts AS (
    SELECT month, model_run_id, topic_id, count(*) AS posts FROM post_months GROUP BY ALL
),
comment_counts AS (
    SELECT month, model_run_id, topic_id, count(*) AS comments FROM comment_months GROUP BY ALL
),
counted AS (
    SELECT g.month, g.model_run_id, g.topic_id, g.topic_label,
           coalesce(pc.posts, 0) AS posts, coalesce(cc.comments, 0) AS comments
    FROM grid g
    LEFT JOIN post_counts pc USING (month, model_run_id, topic_id)
    LEFT JOIN comment_counts cc USING (month, model_run_id, topic_id)
),
shared AS (
    SELECT *,
           posts / nullif(sum(posts) OVER (PARTITION BY month), 0) AS share_of_posts,
           comments / nullif(sum(comments) OVER (PARTITION BY month), 0) AS share_of_comments
    FROM counted
)
SELECT month, model_run_id, topic_id, topic_label, posts, comments,
       round(share_of_posts, 4) AS share_of_posts,
       round(share_of_comments, 4) AS share_of_comments,
       posts - lag(posts) OVER w AS posts_change,
       comments - lag(comments) OVER w AS comments_change,
       round(share_of_posts - lag(share_of_posts) OVER w, 4) AS share_of_posts_change,
       round(share_of_comments - lag(share_of_comments) OVER w, 4) AS share_of_comments_change
FROM shared
WINDOW w AS (PARTITION BY model_run_id, topic_id ORDER BY month);
COMMENT ON VIEW v_topic_trends IS 'Per topic per month: posts and comments, their shares of the month, and the change vs the previous month. Grain: month x topic.';
