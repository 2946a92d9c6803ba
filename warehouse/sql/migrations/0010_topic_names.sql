-- Editors' names for topics ([topics.names] in blogscope.toml), keyed by the stable topic id that
-- alignment keeps across refits, so a name stays on its topic. Written from the config before each
-- publish (warehouse.topic_names.sync_topic_names); v_current_topics.topic_name reads it.
CREATE TABLE IF NOT EXISTS topic_names (
    topic_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    updated_at TIMESTAMP
);
COMMENT ON TABLE topic_names IS 'Editors'' names for topics ([topics.names] of the config), by stable topic id; replaced from the config before each publish.';
COMMENT ON COLUMN topic_names.topic_id IS 'Stable topic id (kept across refits by alignment).';
COMMENT ON COLUMN topic_names.name IS 'The name editors gave the topic.';
COMMENT ON COLUMN topic_names.updated_at IS 'When the config last set this name (UTC).';
