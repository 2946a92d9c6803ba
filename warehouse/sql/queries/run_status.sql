-- The last runs for `blogscope status`: what ran, how it ended, its counts and error.
SELECT run_id, kind, status, started_at, finished_at,
       round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
       counts, error
FROM runs
ORDER BY started_at DESC
LIMIT $limit
