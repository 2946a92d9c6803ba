-- Source UTC offsets: published_at stays UTC (comparable across sites); beside it, the offset the
-- source wrote (WordPress date - date_gmt, Atom/RSS/HTML datetime offsets), so an analyst can
-- compute the hour of day in the blog's local time (view v_local_times). NULL when the source
-- wrote a time without a zone (or only epoch milliseconds), and for rows loaded before this
-- migration until their post is re-crawled.
ALTER TABLE posts ADD COLUMN published_utc_offset_minutes SMALLINT;
ALTER TABLE comments ADD COLUMN published_utc_offset_minutes SMALLINT;
COMMENT ON COLUMN posts.published_utc_offset_minutes IS 'UTC offset the source gave with the publication time, in minutes east of UTC (+02:00 = 120, -05:00 = -300); NULL when it gave none. Local time: published_at + to_minutes(published_utc_offset_minutes) (see v_local_times).';
COMMENT ON COLUMN comments.published_utc_offset_minutes IS 'UTC offset the source gave with the comment time, in minutes east of UTC (+02:00 = 120); NULL when it gave none. Local time: published_at + to_minutes(published_utc_offset_minutes) (see v_local_times).';
