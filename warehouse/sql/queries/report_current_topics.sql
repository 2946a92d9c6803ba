-- The report: labels of the current topics (every scope) and their model runs.
SELECT scope, model_run_id, created_at, model, k, topic_id, label
FROM v_current_topics
ORDER BY scope, topic_id
