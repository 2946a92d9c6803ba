-- Topics and alignments that name a model run not in model_runs.
SELECT 'topics' AS table_name, t.model_run_id FROM topics t ANTI JOIN model_runs m USING (model_run_id)
UNION ALL
SELECT 'topic_alignment', a.model_run_id FROM topic_alignment a ANTI JOIN model_runs m USING (model_run_id)
