-- Replies whose parent comment sits on another post, or that reply to themselves.
SELECT c.comment_id, c.post_id, c.parent_id, p.post_id AS parent_post_id
FROM comments c JOIN comments p ON p.comment_id = c.parent_id
WHERE p.post_id <> c.post_id OR c.parent_id = c.comment_id
