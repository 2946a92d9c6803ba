-- v_current_topics
-- Answers: which topics does the current topic model have? Other views use only these (older
--   model runs stay in topics / doc_topics for history).
-- Grain: one row per topic of the latest model run of each scope: one model over all sites
--   (scope 'all'), plus the latest model of any site that has its own (scope = site id).
--   "Latest" = most recent created_at (ties: highest model_run_id).
-- Columns:
--   scope: 'all' for the model over all sites, else the site id of a per-site model.
--   model_run_id: the current model run of that scope.
--   created_at: when that model was fitted (UTC).
--   model: nmf | lda.
--   k: number of topics of the model.
--   topic_id: topic number within the model run.
--   label: readable topic label.
--   topic_name: the editors' name for the topic ([topics.names], table topic_names), else label.
--   top_terms: top terms, most weighted first.
--   term_weights: weights of top_terms.
--   representative_post_ids: posts most typical of the topic.
CREATE OR REPLACE VIEW v_current_topics AS
WITH latest AS (
    SELECT model_run_id, site_id, created_at, model, k
    FROM model_runs
    QUALIFY row_number() OVER (PARTITION BY site_id ORDER BY created_at DESC NULLS LAST, model_run_id DESC) = 1
)
SELECT coalesce(l.site_id, 'all') AS scope, l.model_run_id, l.created_at, l.model, l.k,
       t.topic_id, t.label, coalesce(n.name, t.label) AS topic_name, t.top_terms, t.term_weights,
       t.representative_post_ids
FROM latest l
JOIN topics t USING (model_run_id)
LEFT JOIN topic_names n ON n.topic_id = t.topic_id;
COMMENT ON VIEW v_current_topics IS 'Topics of the latest model run (over all sites, and per site where a site has its own model). Grain: scope x topic.';
