-- v_local_times
-- Answers: at what hour of the blog's own day were posts published and comments written?
-- Grain: one row per post and per comment (target_kind, target_id), dated ones only.
-- Columns:
--   target_kind: post | comment.
--   target_id: posts.post_id or comments.comment_id.
--   post_id: the post (itself, or the post commented on).
--   site_id: the post's site.
--   published_at: publication or comment time (UTC).
--   utc_offset_minutes: offset the source gave beside that time (minutes east of UTC); NULL when it gave none.
--   published_local: published_at in the source's local time (published_at + the offset); NULL without an offset.
--   local_hour: hour of day (0-23) of published_local; NULL without an offset.
--   local_weekday: day of week of published_local (0 = Sunday); NULL without an offset.
CREATE OR REPLACE VIEW v_local_times AS
WITH dated AS (
    SELECT 'post' AS target_kind, post_id AS target_id, post_id, site_id, published_at,
           published_utc_offset_minutes AS utc_offset_minutes
    FROM posts WHERE published_at IS NOT NULL
    UNION ALL
    SELECT 'comment', c.comment_id, c.post_id, p.site_id, c.published_at, c.published_utc_offset_minutes
    FROM comments c LEFT JOIN posts p USING (post_id) WHERE c.published_at IS NOT NULL
)
SELECT target_kind, target_id, post_id, site_id, published_at, utc_offset_minutes,
       published_at + to_minutes(utc_offset_minutes) AS published_local,
       hour(published_at + to_minutes(utc_offset_minutes)) AS local_hour,
       dayofweek(published_at + to_minutes(utc_offset_minutes)) AS local_weekday
FROM dated;
COMMENT ON VIEW v_local_times IS 'Per post and per comment: the UTC time, the offset the source gave, and the time, hour and weekday in the blog''s local time. Grain: post or comment.';
