-- Known commenters of these sites as keyed name hashes, for the process stage of a later run
-- (a new comment may name a reader who commented only in earlier runs).
SELECT site_id, name_hash, pseudonym, role, tokens
FROM commenter_names
WHERE site_id IN (SELECT unnest($site_ids::VARCHAR[]))
