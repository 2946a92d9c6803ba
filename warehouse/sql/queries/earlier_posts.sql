-- Byline and language of posts loaded by earlier runs, for the process stage: a late comment on
-- an unchanged post arrives without its post (is it an author reply? which language to fall back on?).
SELECT post_id, author, language
FROM posts
WHERE post_id IN (SELECT unnest($post_ids::VARCHAR[]))
