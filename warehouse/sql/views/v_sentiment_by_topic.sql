-- v_sentiment_by_topic
-- Answers: what is the mood of posts and of their comments, topic by topic?
-- Grain: one row per topic of the current model x target kind (post | comment). Comments are
--   attributed to their post's dominant topic. Unscored texts (not English, empty) are counted
--   apart and never averaged as 0.
-- Columns:
--   model_run_id: model run of the topics.
--   topic_id: topic.
--   topic_label: topic label.
--   target_kind: post | comment.
--   documents: posts (or comments) of the topic.
--   scored: those with a sentiment score.
--   not_scored: those without one (compound NULL).
--   mean_compound: mean compound score of the scored ones.
--   median_compound: median compound score.
--   share_positive: share of scored ones labelled positive (0..1).
--   share_neutral: share labelled neutral.
--   share_negative: share labelled negative.
CREATE OR REPLACE VIEW v_sentiment_by_topic AS
WITH docs AS (
    SELECT t.model_run_id, t.topic_id, t.topic_label, 'post' AS target_kind, s.compound, s.label
    FROM v_post_topics t
    LEFT JOIN v_current_sentiment s ON s.target_kind = 'post' AND s.target_id = t.post_id
    UNION ALL
    SELECT t.model_run_id, t.topic_id, t.topic_label, 'comment', s.compound, s.label
    FROM comments c
    JOIN v_post_topics t USING (post_id)
    LEFT JOIN v_current_sentiment s ON s.target_kind = 'comment' AND s.target_id = c.comment_id
)
SELECT model_run_id, topic_id, topic_label, target_kind,
       count(*) AS documents,
       count(compound) AS scored,
       count(*) - count(compound) AS not_scored,
       round(avg(compound), 4) AS mean_compound,
       round(median(compound), 4) AS median_compound,
       round(count(*) FILTER (WHERE compound IS NOT NULL AND label = 'positive') / nullif(count(compound), 0), 4) AS share_positive,
       round(count(*) FILTER (WHERE compound IS NOT NULL AND label = 'neutral') / nullif(count(compound), 0), 4) AS share_neutral,
       round(count(*) FILTER (WHERE compound IS NOT NULL AND label = 'negative') / nullif(count(compound), 0), 4) AS share_negative
FROM docs
GROUP BY ALL;
COMMENT ON VIEW v_sentiment_by_topic IS 'Sentiment of posts and of their comments per topic: scored / not scored, mean and median compound, label shares. Grain: topic x target kind.';
