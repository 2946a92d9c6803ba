-- 0004_privacy: what the ingest redaction did, and the known commenters' names as keyed hashes.
--
-- Raw names never enter the warehouse. commenter_names holds HMAC-SHA256 hashes (keyed with the
-- pseudonym key, which stays outside the database) of each known commenter's normalised name and
-- name parts, so the process stage of a later run can test whether a word of a new comment is a
-- known commenter's name without anyone being able to read the names back.

CREATE TABLE privacy_replacements (
    run_id       VARCHAR NOT NULL,
    site_id      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('name', 'email', 'phone', 'url')),
    replacements BIGINT NOT NULL,
    texts        BIGINT NOT NULL,
    PRIMARY KEY (run_id, site_id, kind)
);
COMMENT ON TABLE privacy_replacements IS 'Replacements the ingest redaction made in post and comment texts, by kind, per run and site (for an ethics board: what was removed).';
COMMENT ON COLUMN privacy_replacements.run_id IS 'Run whose process stage made the replacements.';
COMMENT ON COLUMN privacy_replacements.site_id IS 'Site of the texts.';
COMMENT ON COLUMN privacy_replacements.kind IS 'name (known commenters'' names and other @handles) | email | phone | url (profile links and URL paths).';
COMMENT ON COLUMN privacy_replacements.replacements IS 'How many replacements of this kind.';
COMMENT ON COLUMN privacy_replacements.texts IS 'How many texts (posts and comments) had at least one replacement of this kind.';

CREATE TABLE commenter_names (
    site_id           VARCHAR NOT NULL,
    name_hash         VARCHAR NOT NULL,
    pseudonym         VARCHAR NOT NULL,
    role              VARCHAR NOT NULL CHECK (role IN ('full', 'head', 'part', 'url')),
    tokens            INTEGER NOT NULL,
    run_id            VARCHAR NOT NULL,
    first_seen_run_id VARCHAR NOT NULL,
    PRIMARY KEY (site_id, name_hash, pseudonym, role)
);
COMMENT ON TABLE commenter_names IS 'Known commenters'' names as keyed hashes (never the names): lets a later run redact an earlier commenter''s name in new texts.';
COMMENT ON COLUMN commenter_names.site_id IS 'Site the commenter wrote on (hashes are per site).';
COMMENT ON COLUMN commenter_names.name_hash IS 'HMAC-SHA256 (first 24 hex, keyed with the pseudonym key) of a normalised name, name part or profile URL.';
COMMENT ON COLUMN commenter_names.pseudonym IS 'The commenter''s pseudonym (as comments.author_pseudonym), which replaces the name in text.';
COMMENT ON COLUMN commenter_names.role IS 'full (whole name or handle) | head (first word of a longer name) | part (first name or surname alone) | url (profile link).';
COMMENT ON COLUMN commenter_names.tokens IS 'Words in the full name that a full or head entry stands for.';
COMMENT ON COLUMN commenter_names.run_id IS 'Last run that saw this name.';
COMMENT ON COLUMN commenter_names.first_seen_run_id IS 'First run that saw this name.';
