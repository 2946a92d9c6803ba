-- Document-topic rows whose model run, topic or document is missing.
SELECT d.model_run_id, d.target_kind, d.target_id, d.topic_id, 'no such topic' AS problem
FROM doc_topics d ANTI JOIN topics t ON t.model_run_id = d.model_run_id AND t.topic_id = d.topic_id
UNION ALL
SELECT d.model_run_id, d.target_kind, d.target_id, d.topic_id, 'no such post'
FROM doc_topics d ANTI JOIN posts p ON p.post_id = d.target_id
WHERE d.target_kind = 'post'
UNION ALL
SELECT d.model_run_id, d.target_kind, d.target_id, d.topic_id, 'no such comment'
FROM doc_topics d ANTI JOIN comments c ON c.comment_id = d.target_id
WHERE d.target_kind = 'comment'
