-- 0001_core: the analysts' core tables.
--
-- Conventions (see docs/schema.md):
-- * Times are TIMESTAMP in UTC (source strings with offsets are converted on load).
-- * Keys are the derived ids of pipeline.ids (hashes of what identifies a thing), so a rerun
--   produces the same keys and every load is an idempotent upsert.
-- * Lineage: every row names the run that last wrote it (run_id); entity tables also keep the
--   run that first saw the row (first_seen_run_id) and the last run that changed its content
--   (updated_run_id).
-- * No FOREIGN KEY constraints: DuckDB forbids updating referenced rows, which upserts need.
--   Referential integrity is enforced by warehouse/sql/checks/*.sql before every commit.

CREATE TABLE runs (
    run_id          VARCHAR PRIMARY KEY,
    kind            VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL
        CHECK (status IN ('running', 'completed', 'completed_with_errors', 'failed', 'crashed')),
    counts          JSON,
    error           VARCHAR,
    config_digest   VARCHAR,
    config          JSON,
    code_version    VARCHAR,
    pid             INTEGER,
    host            VARCHAR,
    process_started DOUBLE,
    attempts        INTEGER NOT NULL DEFAULT 1,
    loaded_at       TIMESTAMP,
    load_counts     JSON
);
COMMENT ON TABLE runs IS 'One row per blogscope run (crawl, process, load, topics, ...): what ran, how it ended, its counts. Every other row names the run that produced it.';
COMMENT ON COLUMN runs.run_id IS 'Run id, sortable by start time (e.g. 20260127T031500Z-3f9a).';
COMMENT ON COLUMN runs.kind IS 'What kind of run: run (crawl to publish), load, topics, import, ...';
COMMENT ON COLUMN runs.started_at IS 'When the run started (UTC). A rerun of the same run id keeps the first start.';
COMMENT ON COLUMN runs.finished_at IS 'When the run ended (UTC); NULL while running or when it crashed.';
COMMENT ON COLUMN runs.status IS 'running | completed | completed_with_errors | failed | crashed (left running by a killed process, marked by the next run).';
COMMENT ON COLUMN runs.counts IS 'Per-stage counts as JSON (seen / forwarded / dropped by reason / errors).';
COMMENT ON COLUMN runs.error IS 'Why the run failed or crashed; NULL otherwise.';
COMMENT ON COLUMN runs.config_digest IS 'sha256 (first 16 hex) of the canonical JSON of the run configuration.';
COMMENT ON COLUMN runs.config IS 'The run configuration as JSON (sites, options); never holds keys or secrets.';
COMMENT ON COLUMN runs.code_version IS 'blogscope version (and git commit when known) that ran.';
COMMENT ON COLUMN runs.pid IS 'Process id of the process that ran it (used to detect crashed runs).';
COMMENT ON COLUMN runs.host IS 'Host name of the process that ran it.';
COMMENT ON COLUMN runs.process_started IS 'Start time of that process (seconds since boot), so a reused pid is not mistaken for it.';
COMMENT ON COLUMN runs.attempts IS 'How many times this run id was started (a resumed run counts again).';
COMMENT ON COLUMN runs.loaded_at IS 'When the last warehouse load of this run committed (UTC).';
COMMENT ON COLUMN runs.load_counts IS 'Rows per table in the processed files of the last load of this run (JSON).';

CREATE TABLE sites (
    site_id           VARCHAR PRIMARY KEY,
    url               VARCHAR,
    platform          VARCHAR,
    comment_system    VARCHAR,
    notes             VARCHAR,
    run_id            VARCHAR NOT NULL,
    first_seen_run_id VARCHAR NOT NULL
);
COMMENT ON TABLE sites IS 'One row per crawled blog.';
COMMENT ON COLUMN sites.site_id IS 'Site id from the site list (readable, e.g. shrink-notes).';
COMMENT ON COLUMN sites.url IS 'Start URL of the site.';
COMMENT ON COLUMN sites.platform IS 'wordpress | blogger | generic.';
COMMENT ON COLUMN sites.comment_system IS 'native | none | closed | disqus | facebook | ... (third-party comment systems are reported, not crawled).';
COMMENT ON COLUMN sites.notes IS 'Crawler notes about the site (detection, limits).';
COMMENT ON COLUMN sites.run_id IS 'Run that last wrote this row.';
COMMENT ON COLUMN sites.first_seen_run_id IS 'Run that first saw this site.';

CREATE TABLE posts (
    post_id           VARCHAR PRIMARY KEY,
    site_id           VARCHAR NOT NULL,
    url               VARCHAR NOT NULL,
    title             VARCHAR,
    author            VARCHAR,
    published_at      TIMESTAMP,
    modified_at       TIMESTAMP,
    language          VARCHAR,
    text              VARCHAR NOT NULL,
    categories        VARCHAR[],
    tags              VARCHAR[],
    word_count        INTEGER,
    content_hash      VARCHAR NOT NULL,
    comment_system    VARCHAR,
    source            VARCHAR,
    fetched_at        TIMESTAMP,
    first_seen_at     TIMESTAMP,
    version           INTEGER NOT NULL DEFAULT 1,
    run_id            VARCHAR NOT NULL,
    first_seen_run_id VARCHAR NOT NULL,
    updated_run_id    VARCHAR NOT NULL
);
COMMENT ON TABLE posts IS 'One CURRENT row per post (canonical URL). Edited posts are upserted in place: the newest fetch wins, first_seen_* are kept, version counts content changes and post_versions keeps every version.';
COMMENT ON COLUMN posts.post_id IS 'hash of the canonical URL (pipeline.ids.post_id).';
COMMENT ON COLUMN posts.site_id IS 'Site the post belongs to (sites.site_id).';
COMMENT ON COLUMN posts.url IS 'Canonical URL (other URLs that served the post are in post_aliases).';
COMMENT ON COLUMN posts.title IS 'Title as extracted (plain text; may contain markup characters: escape before showing in HTML).';
COMMENT ON COLUMN posts.author IS 'Byline of the post as published by the blog (public author name, not a commenter).';
COMMENT ON COLUMN posts.published_at IS 'Publication time (UTC); NULL when the page shows none.';
COMMENT ON COLUMN posts.modified_at IS 'Last modification time the blog reports (UTC).';
COMMENT ON COLUMN posts.language IS 'ISO 639-1 language of the text (detected); sentiment and topics run on configured languages only.';
COMMENT ON COLUMN posts.text IS 'Main text of the post (comments excluded).';
COMMENT ON COLUMN posts.categories IS 'Categories the blog assigns.';
COMMENT ON COLUMN posts.tags IS 'Tags the blog assigns.';
COMMENT ON COLUMN posts.word_count IS 'Words in text.';
COMMENT ON COLUMN posts.content_hash IS 'Hash of title and text of the current version (computed on load when the source gives none).';
COMMENT ON COLUMN posts.comment_system IS 'native | none | closed | disqus | ... for this post.';
COMMENT ON COLUMN posts.source IS 'Where the crawler got the post: wp-rest | blogger-feed | feed | html.';
COMMENT ON COLUMN posts.fetched_at IS 'When the current version was fetched (UTC); a load never replaces a row with an older fetch.';
COMMENT ON COLUMN posts.first_seen_at IS 'When the post was first fetched (UTC); kept across edits.';
COMMENT ON COLUMN posts.version IS 'Number of distinct contents seen for this post (1 = never edited).';
COMMENT ON COLUMN posts.run_id IS 'Run whose data the current row holds.';
COMMENT ON COLUMN posts.first_seen_run_id IS 'Run that first loaded this post; kept across edits.';
COMMENT ON COLUMN posts.updated_run_id IS 'Run that last changed the content (title or text).';

CREATE TABLE post_versions (
    post_id           VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    title             VARCHAR,
    text              VARCHAR,
    modified_at       TIMESTAMP,
    fetched_at        TIMESTAMP,
    run_id            VARCHAR NOT NULL,
    PRIMARY KEY (post_id, content_hash)
);
COMMENT ON TABLE post_versions IS 'Every distinct version (title + text) seen of a post, for edit studies. posts holds the current one.';
COMMENT ON COLUMN post_versions.post_id IS 'The post (posts.post_id).';
COMMENT ON COLUMN post_versions.content_hash IS 'Hash of title and text of this version.';
COMMENT ON COLUMN post_versions.title IS 'Title of this version.';
COMMENT ON COLUMN post_versions.text IS 'Text of this version.';
COMMENT ON COLUMN post_versions.modified_at IS 'Modification time the blog reported for this version (UTC).';
COMMENT ON COLUMN post_versions.fetched_at IS 'When this version was first fetched (UTC).';
COMMENT ON COLUMN post_versions.run_id IS 'Run that first loaded this version.';

CREATE TABLE post_aliases (
    url               VARCHAR PRIMARY KEY,
    post_id           VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    first_seen_run_id VARCHAR NOT NULL
);
COMMENT ON TABLE post_aliases IS 'Other URLs that served a post (mobile ?m=1, AMP, feed links, old slugs): one row per URL.';
COMMENT ON COLUMN post_aliases.url IS 'The alias URL.';
COMMENT ON COLUMN post_aliases.post_id IS 'The post it serves (posts.post_id).';
COMMENT ON COLUMN post_aliases.run_id IS 'Run that last saw this alias.';
COMMENT ON COLUMN post_aliases.first_seen_run_id IS 'Run that first saw this alias.';

CREATE TABLE comments (
    comment_id          VARCHAR PRIMARY KEY,
    post_id             VARCHAR NOT NULL,
    parent_id           VARCHAR,
    author_pseudonym    VARCHAR,
    published_at        TIMESTAMP,
    language            VARCHAR,
    text                VARCHAR NOT NULL,
    depth               INTEGER NOT NULL DEFAULT 0,
    platform_comment_id VARCHAR,
    source              VARCHAR,
    first_seen_at       TIMESTAMP,
    position            INTEGER,
    is_post_author      BOOLEAN NOT NULL DEFAULT false,
    run_id              VARCHAR NOT NULL,
    first_seen_run_id   VARCHAR NOT NULL,
    updated_run_id      VARCHAR NOT NULL
);
COMMENT ON TABLE comments IS 'One row per reader comment, threaded by parent_id. Commenters appear only as keyed-hash pseudonyms; raw names never reach the warehouse.';
COMMENT ON COLUMN comments.comment_id IS 'Derived id: hash of post and native comment id, else of post, author, time and text (pipeline.ids.comment_id).';
COMMENT ON COLUMN comments.post_id IS 'The post commented on (posts.post_id).';
COMMENT ON COLUMN comments.parent_id IS 'The comment replied to (comments.comment_id, same post); NULL for a top-level comment.';
COMMENT ON COLUMN comments.author_pseudonym IS 'Keyed-hash pseudonym of the commenter (reader-<12 hex>), stable per site for one key; NULL when anonymous.';
COMMENT ON COLUMN comments.published_at IS 'Comment time (UTC) as the blog shows it.';
COMMENT ON COLUMN comments.language IS 'ISO 639-1 language of the text (detected).';
COMMENT ON COLUMN comments.text IS 'Comment text (plain). May contain personal data written by the commenter: exports redact it.';
COMMENT ON COLUMN comments.depth IS 'Nesting depth: 0 for top-level, 1 for a reply, ...';
COMMENT ON COLUMN comments.platform_comment_id IS 'The blog platform''s own comment id, when it shows one.';
COMMENT ON COLUMN comments.source IS 'Where the crawler got the comment: wp-rest | blogger-feed | feed | html.';
COMMENT ON COLUMN comments.first_seen_at IS 'When blogscope first saw the comment (UTC); the earliest sighting is kept.';
COMMENT ON COLUMN comments.position IS 'Order on the page or in the feed.';
COMMENT ON COLUMN comments.is_post_author IS 'True when the post''s author wrote the comment (author replies).';
COMMENT ON COLUMN comments.run_id IS 'Run that last loaded this comment.';
COMMENT ON COLUMN comments.first_seen_run_id IS 'Run that first loaded this comment.';
COMMENT ON COLUMN comments.updated_run_id IS 'Run that last changed text, parent or time.';

CREATE TABLE sentiment (
    target_kind     VARCHAR NOT NULL CHECK (target_kind IN ('post', 'comment')),
    target_id       VARCHAR NOT NULL,
    scorer          VARCHAR NOT NULL,
    scorer_version  VARCHAR NOT NULL,
    compound        DOUBLE,
    label           VARCHAR,
    share_positive  DOUBLE,
    share_negative  DOUBLE,
    sentences       INTEGER,
    run_id          VARCHAR NOT NULL,
    PRIMARY KEY (target_kind, target_id, scorer, scorer_version)
);
COMMENT ON TABLE sentiment IS 'Sentiment of posts and comments, one row per target and scorer version. compound is NULL (not 0) for text the scorer cannot judge (not English, empty).';
COMMENT ON COLUMN sentiment.target_kind IS 'post | comment.';
COMMENT ON COLUMN sentiment.target_id IS 'posts.post_id or comments.comment_id.';
COMMENT ON COLUMN sentiment.scorer IS 'Scorer name, e.g. vader-sentences.';
COMMENT ON COLUMN sentiment.scorer_version IS 'Scorer version (library and rule version).';
COMMENT ON COLUMN sentiment.compound IS 'Compound score in [-1, 1]; NULL when not scored.';
COMMENT ON COLUMN sentiment.label IS 'negative | neutral | positive; NULL when not scored.';
COMMENT ON COLUMN sentiment.share_positive IS 'Share of sentences scored positive.';
COMMENT ON COLUMN sentiment.share_negative IS 'Share of sentences scored negative.';
COMMENT ON COLUMN sentiment.sentences IS 'Sentences scored.';
COMMENT ON COLUMN sentiment.run_id IS 'Run that last wrote this score.';

CREATE TABLE model_runs (
    model_run_id          VARCHAR PRIMARY KEY,
    created_at            TIMESTAMP,
    model                 VARCHAR,
    k                     INTEGER,
    seed                  BIGINT,
    params_json           JSON,
    corpus_digest         VARCHAR,
    library_versions_json JSON,
    c_v                   DOUBLE,
    npmi                  DOUBLE,
    diversity             DOUBLE,
    n_docs                INTEGER,
    previous_model_run_id VARCHAR,
    site_id               VARCHAR,
    run_id                VARCHAR NOT NULL
);
COMMENT ON TABLE model_runs IS 'One row per topic model fit: parameters, corpus snapshot and quality. Views use the latest one (v_current_topics).';
COMMENT ON COLUMN model_runs.model_run_id IS 'Hash of parameters, corpus snapshot and seed.';
COMMENT ON COLUMN model_runs.created_at IS 'When the model was fitted (UTC); the latest is the current model.';
COMMENT ON COLUMN model_runs.model IS 'nmf | lda.';
COMMENT ON COLUMN model_runs.k IS 'Number of topics.';
COMMENT ON COLUMN model_runs.seed IS 'Random seed of the fit.';
COMMENT ON COLUMN model_runs.params_json IS 'All fit parameters (JSON).';
COMMENT ON COLUMN model_runs.corpus_digest IS 'Digest of the documents the model was fitted on.';
COMMENT ON COLUMN model_runs.library_versions_json IS 'Versions of gensim / scikit-learn / numpy used (JSON).';
COMMENT ON COLUMN model_runs.c_v IS 'c_v topic coherence (on a sample).';
COMMENT ON COLUMN model_runs.npmi IS 'NPMI topic coherence.';
COMMENT ON COLUMN model_runs.diversity IS 'Topic diversity: share of unique words among all topics'' top words.';
COMMENT ON COLUMN model_runs.n_docs IS 'Documents the model was fitted on.';
COMMENT ON COLUMN model_runs.previous_model_run_id IS 'Model run this one is aligned to (topic_alignment).';
COMMENT ON COLUMN model_runs.site_id IS 'Site the model covers; NULL for a model over all sites (the default).';
COMMENT ON COLUMN model_runs.run_id IS 'Run that produced the model.';

CREATE TABLE topics (
    model_run_id            VARCHAR NOT NULL,
    topic_id                INTEGER NOT NULL,
    label                   VARCHAR,
    top_terms               VARCHAR[],
    term_weights            DOUBLE[],
    representative_post_ids VARCHAR[],
    run_id                  VARCHAR NOT NULL,
    PRIMARY KEY (model_run_id, topic_id)
);
COMMENT ON TABLE topics IS 'Topics of each model run: label and top terms.';
COMMENT ON COLUMN topics.model_run_id IS 'The model run (model_runs.model_run_id).';
COMMENT ON COLUMN topics.topic_id IS 'Topic number within the model run (aligned to the previous model run where possible).';
COMMENT ON COLUMN topics.label IS 'Readable label (top terms joined).';
COMMENT ON COLUMN topics.top_terms IS 'Top terms, most weighted first.';
COMMENT ON COLUMN topics.term_weights IS 'Weights of top_terms, same order.';
COMMENT ON COLUMN topics.representative_post_ids IS 'Posts most typical of the topic.';
COMMENT ON COLUMN topics.run_id IS 'Run that produced the topic.';

CREATE TABLE doc_topics (
    model_run_id VARCHAR NOT NULL,
    target_kind  VARCHAR NOT NULL CHECK (target_kind IN ('post', 'comment')),
    target_id    VARCHAR NOT NULL,
    topic_id     INTEGER NOT NULL,
    weight       DOUBLE,
    is_dominant  BOOLEAN NOT NULL DEFAULT false,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (model_run_id, target_kind, target_id, topic_id)
);
COMMENT ON TABLE doc_topics IS 'Topic weights of each post and comment under a model run; exactly one dominant topic per document. A load replaces all rows of a document it carries.';
COMMENT ON COLUMN doc_topics.model_run_id IS 'The model run (model_runs.model_run_id).';
COMMENT ON COLUMN doc_topics.target_kind IS 'post | comment.';
COMMENT ON COLUMN doc_topics.target_id IS 'posts.post_id or comments.comment_id.';
COMMENT ON COLUMN doc_topics.topic_id IS 'The topic (topics.topic_id).';
COMMENT ON COLUMN doc_topics.weight IS 'Topic weight in the document (0..1).';
COMMENT ON COLUMN doc_topics.is_dominant IS 'True for the document''s highest-weighted topic.';
COMMENT ON COLUMN doc_topics.run_id IS 'Run that inferred these weights.';

CREATE TABLE topic_alignment (
    model_run_id          VARCHAR NOT NULL,
    previous_model_run_id VARCHAR NOT NULL,
    topic_id              INTEGER NOT NULL,
    previous_topic_id     INTEGER NOT NULL,
    similarity            DOUBLE,
    run_id                VARCHAR NOT NULL,
    PRIMARY KEY (model_run_id, previous_model_run_id, topic_id, previous_topic_id)
);
COMMENT ON TABLE topic_alignment IS 'How topics of a model run match those of the previous one, so trends can follow a topic across refits.';
COMMENT ON COLUMN topic_alignment.model_run_id IS 'The newer model run.';
COMMENT ON COLUMN topic_alignment.previous_model_run_id IS 'The model run it is aligned to.';
COMMENT ON COLUMN topic_alignment.topic_id IS 'Topic in the newer model run.';
COMMENT ON COLUMN topic_alignment.previous_topic_id IS 'Matching topic in the previous model run.';
COMMENT ON COLUMN topic_alignment.similarity IS 'Similarity of the two topics'' term distributions (0..1).';
COMMENT ON COLUMN topic_alignment.run_id IS 'Run that produced the alignment.';

CREATE TABLE quarantine (
    run_id   VARCHAR NOT NULL,
    stage    VARCHAR NOT NULL,
    key      VARCHAR NOT NULL,
    reason   VARCHAR NOT NULL,
    detail   VARCHAR,
    site_id  VARCHAR,
    PRIMARY KEY (run_id, stage, key, reason)
);
COMMENT ON TABLE quarantine IS 'Records a stage refused, with a named reason (dead links, too large, not English, parse errors, ...).';
COMMENT ON COLUMN quarantine.run_id IS 'Run in which the record was refused.';
COMMENT ON COLUMN quarantine.stage IS 'Stage that refused it: crawl | extract | comments | dedup | sentiment | topics | ...';
COMMENT ON COLUMN quarantine.key IS 'URL or id of what was refused.';
COMMENT ON COLUMN quarantine.reason IS 'Named reason: empty | non_html | too_large | timeout | not_english | parse_error | ...';
COMMENT ON COLUMN quarantine.detail IS 'More detail (status code, sizes, message).';
COMMENT ON COLUMN quarantine.site_id IS 'Site of the record, when known.';

CREATE TABLE search_index_state (
    index_name  VARCHAR PRIMARY KEY,
    built_at    TIMESTAMP NOT NULL,
    run_id      VARCHAR NOT NULL,
    documents   BIGINT NOT NULL,
    data_digest VARCHAR NOT NULL
);
COMMENT ON TABLE search_index_state IS 'When each full-text index (fts_main_posts, fts_main_comments) was last built and over which rows; a load rebuilds an index only when its rows changed.';
COMMENT ON COLUMN search_index_state.index_name IS 'posts | comments.';
COMMENT ON COLUMN search_index_state.built_at IS 'When the index was built (UTC).';
COMMENT ON COLUMN search_index_state.run_id IS 'Run whose load built it.';
COMMENT ON COLUMN search_index_state.documents IS 'Rows indexed.';
COMMENT ON COLUMN search_index_state.data_digest IS 'Digest of the indexed rows (count and content hashes) used to skip needless rebuilds.';
