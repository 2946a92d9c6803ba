-- Comments whose post is not in posts (every comment belongs to a loaded post).
SELECT c.comment_id, c.post_id
FROM comments c ANTI JOIN posts p ON p.post_id = c.post_id
