-- Duplicate keys in any table (primary keys forbid them; this guards against a schema change
-- that drops one).
SELECT 'sites' AS table_name, site_id AS key, count(*) AS n FROM sites GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'posts', post_id, count(*) FROM posts GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'post_aliases', url, count(*) FROM post_aliases GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'comments', comment_id, count(*) FROM comments GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'sentiment', concat_ws('/', target_kind, target_id, scorer, scorer_version), count(*)
FROM sentiment GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'model_runs', model_run_id, count(*) FROM model_runs GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'topics', concat_ws('/', model_run_id, topic_id), count(*) FROM topics GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'doc_topics', concat_ws('/', model_run_id, target_kind, target_id, topic_id), count(*)
FROM doc_topics GROUP BY ALL HAVING count(*) > 1
