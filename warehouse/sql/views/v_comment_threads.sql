-- v_comment_threads
-- Answers: how do conversations unfold? Where does each comment sit in its thread, and does the
--   post's author answer?
-- Grain: one row per comment. Threads are walked from top-level comments through parent_id
--   (at most 200 levels deep).
-- Columns:
--   comment_id: the comment.
--   post_id: its post.
--   parent_id: the comment it replies to (NULL for top-level).
--   author_pseudonym: commenter pseudonym.
--   published_at: comment time (UTC).
--   depth: nesting depth as stored (0 = top-level).
--   thread_depth: nesting depth found by walking parent links (NULL if the chain is broken).
--   root_comment_id: top-level comment that starts the thread.
--   reply_chain_length: comments from the root down to this one, both included (1 for a top-level comment).
--   direct_replies: comments that reply to this one.
--   thread_size: comments in the whole thread (root included).
--   is_reply: true when the comment replies to another comment.
--   is_reply_by_post_author: true when the post's author wrote this reply.
--   hours_after_post: hours from post publication to this comment.
--   hours_after_parent: hours from the parent comment to this reply.
CREATE OR REPLACE VIEW v_comment_threads AS
WITH RECURSIVE walk(comment_id, root_comment_id, level) AS (
    SELECT comment_id, comment_id, 0 FROM comments WHERE parent_id IS NULL
    UNION ALL
    SELECT c.comment_id, w.root_comment_id, w.level + 1
    FROM comments c JOIN walk w ON c.parent_id = w.comment_id
    WHERE w.level < 200
),
direct AS (
    SELECT parent_id AS comment_id, count(*) AS direct_replies FROM comments WHERE parent_id IS NOT NULL GROUP BY parent_id
),
threads AS (
    SELECT root_comment_id, count(*) AS thread_size FROM walk GROUP BY root_comment_id
)
SELECT c.comment_id, c.post_id, c.parent_id, c.author_pseudonym, c.published_at, c.depth,
       w.level AS thread_depth,
       w.root_comment_id,
       w.level + 1 AS reply_chain_length,
       coalesce(d.direct_replies, 0) AS direct_replies,
       t.thread_size,
       c.parent_id IS NOT NULL AS is_reply,
       c.parent_id IS NOT NULL AND c.is_post_author AS is_reply_by_post_author,
       round((epoch(c.published_at) - epoch(p.published_at)) / 3600.0, 2) AS hours_after_post,
       round((epoch(c.published_at) - epoch(pc.published_at)) / 3600.0, 2) AS hours_after_parent
FROM comments c
LEFT JOIN walk w USING (comment_id)
LEFT JOIN direct d USING (comment_id)
LEFT JOIN threads t ON t.root_comment_id = w.root_comment_id
LEFT JOIN posts p ON p.post_id = c.post_id
LEFT JOIN comments pc ON pc.comment_id = c.parent_id;
COMMENT ON VIEW v_comment_threads IS 'Per comment: depth, root comment, reply chain length, direct replies, thread size, whether the post author replies, delays after post and parent. Grain: comment.';
