-- The last runs for `blogscope status`: what ran, what started it (manual or scheduled), how it
-- ended, its counts and error.
SELECT run_id, kind, trigger, status, started_at, finished_at,
       round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
       counts, error
FROM runs
ORDER BY started_at DESC
LIMIT $limit
