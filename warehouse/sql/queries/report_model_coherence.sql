-- The report: topic coherence (c_v) of one model run.
SELECT c_v FROM model_runs WHERE model_run_id = $model_run_id
