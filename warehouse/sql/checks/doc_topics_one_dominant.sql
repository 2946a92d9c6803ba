-- Every document with topic weights under a model run has exactly one dominant topic.
SELECT model_run_id, target_kind, target_id, count(*) FILTER (WHERE is_dominant) AS dominant_rows
FROM doc_topics
GROUP BY ALL
HAVING count(*) FILTER (WHERE is_dominant) <> 1
