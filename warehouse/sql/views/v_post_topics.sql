-- v_post_topics
-- Answers: what is each post about under the current model? (its dominant topic)
-- Grain: one row per post that has topic weights under its current model run: the latest model
--   of the post's site when the site has its own model, else the latest model over all sites.
--   Posts without weights (not English, too short, newer than the model) are absent.
-- Columns:
--   post_id: the post.
--   site_id: the post's site.
--   model_run_id: the model run the topic comes from.
--   topic_id: the post's dominant topic.
--   topic_label: label of that topic.
--   topic_weight: weight of the dominant topic in the post (0..1).
CREATE OR REPLACE VIEW v_post_topics AS
WITH latest AS (
    SELECT model_run_id, site_id
    FROM model_runs
    QUALIFY row_number() OVER (PARTITION BY site_id ORDER BY created_at DESC NULLS LAST, model_run_id DESC) = 1
),
post_model AS (
    SELECT p.post_id, p.site_id, coalesce(own.model_run_id, global.model_run_id) AS model_run_id
    FROM posts p
    LEFT JOIN latest own ON own.site_id = p.site_id
    LEFT JOIN latest global ON global.site_id IS NULL
)
SELECT pm.post_id, pm.site_id, pm.model_run_id, d.topic_id, t.label AS topic_label, d.weight AS topic_weight
FROM post_model pm
JOIN doc_topics d
  ON d.model_run_id = pm.model_run_id AND d.target_kind = 'post' AND d.target_id = pm.post_id AND d.is_dominant
JOIN topics t ON t.model_run_id = d.model_run_id AND t.topic_id = d.topic_id;
COMMENT ON VIEW v_post_topics IS 'Dominant topic of each post under its current model run (site model if any, else the model over all sites). Grain: post.';
