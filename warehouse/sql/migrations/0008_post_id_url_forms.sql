-- Post ids that survive URL moves. Posts first loaded from now on get the digest of their URL
-- without scheme and www (pipeline.ids.post_id); posts loaded before keep theirs (the digest of the
-- canonical URL): the process stage matches a re-crawled post to the warehouse's id by site and
-- path, over every URL form in posts.url and post_aliases. No row changes here: only the documentation.
COMMENT ON COLUMN posts.post_id IS 'Post id: digest of the canonical URL without scheme and www (pipeline.ids.post_id); posts loaded before migration 0008 keep the digest of the full canonical URL. A post re-crawled under another URL form (https, no www, a new host) keeps its id.';
COMMENT ON COLUMN posts.url IS 'Canonical URL as last crawled (earlier URL forms and other URLs that served the post are in post_aliases).';
COMMENT ON TABLE post_aliases IS 'Every other URL that served a post: mobile ?m=1, AMP, feed links, old slugs, and the post''s earlier URL forms after a move (http->https, www dropped, new host). One row per URL.';
