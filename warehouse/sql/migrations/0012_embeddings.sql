-- 0012_embeddings: one sentence vector per post and comment, for the embeddings topic backend.
--
-- Written by the process stage when the optional [embeddings] extra is installed (all-MiniLM-L6-v2,
-- 384 dimensions, unit length: a dot product is the cosine similarity). Topic refits cluster these
-- stored vectors and never embed a document again. Empty when the extra is not installed.

CREATE TABLE embeddings (
    target_kind  VARCHAR NOT NULL CHECK (target_kind IN ('post', 'comment')),
    target_id    VARCHAR NOT NULL,
    encoder      VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    vector       FLOAT[384] NOT NULL,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (target_kind, target_id, encoder)
);
COMMENT ON TABLE embeddings IS 'Sentence vectors of posts (title + text) and comments, computed once by the process stage (optional [embeddings] extra); the embeddings topic backend clusters them.';
COMMENT ON COLUMN embeddings.target_kind IS 'post | comment.';
COMMENT ON COLUMN embeddings.target_id IS 'post_id or comment_id.';
COMMENT ON COLUMN embeddings.encoder IS 'Sentence-embedding model that made the vector (all-MiniLM-L6-v2).';
COMMENT ON COLUMN embeddings.content_hash IS 'md5 of the embedded text (a post: title, newline, text): a vector whose hash differs from the current text is stale.';
COMMENT ON COLUMN embeddings.vector IS '384 float32 values of unit length (cosine similarity = dot product).';
COMMENT ON COLUMN embeddings.run_id IS 'Run whose process stage computed the vector.';

COMMENT ON COLUMN model_runs.model IS 'nmf | lda (the classic backend) | embeddings (k-means over sentence vectors, [topics] backend = "embeddings").';
