-- Stored sentence vectors of the given posts or comments (embeddings topic backend): a refit
-- clusters these instead of embedding the texts again.
SELECT target_id, vector
FROM embeddings
WHERE target_kind = $kind AND encoder = $encoder AND target_id IN (SELECT unnest($ids::VARCHAR[]))
