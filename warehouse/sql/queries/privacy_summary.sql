-- Replacements made at ingest for `blogscope status`: the last runs (ids sort by start time),
-- one row per run and kind.
SELECT run_id, kind, replacements, texts
FROM v_privacy_summary
WHERE run_id IN (SELECT DISTINCT run_id FROM privacy_replacements ORDER BY run_id DESC LIMIT $limit)
ORDER BY run_id DESC, kind
