-- v_current_sentiment
-- Answers: what is the sentiment of each post and comment, by the most recent scorer?
-- Grain: one row per scored post or comment: among its scores (scorer versions), the one
--   written by the most recently started run (ties: highest scorer, scorer_version).
-- Columns:
--   target_kind: post | comment.
--   target_id: posts.post_id or comments.comment_id.
--   scorer: scorer name.
--   scorer_version: scorer version.
--   compound: compound score in [-1, 1]; NULL when the text could not be scored (not 0).
--   label: negative | neutral | positive; NULL when not scored.
CREATE OR REPLACE VIEW v_current_sentiment AS
SELECT s.target_kind, s.target_id, s.scorer, s.scorer_version, s.compound, s.label
FROM sentiment s
LEFT JOIN runs r USING (run_id)
QUALIFY row_number() OVER (PARTITION BY s.target_kind, s.target_id
                           ORDER BY r.started_at DESC NULLS LAST, s.scorer DESC, s.scorer_version DESC) = 1;
COMMENT ON VIEW v_current_sentiment IS 'One sentiment score per post and comment: the newest scorer run. compound NULL = not scored. Grain: target.';
