-- Counts for the end-of-run summary printed by `blogscope run` and `blogscope demo`.
SELECT
    (SELECT count(*) FROM sites)                                   AS sites,
    (SELECT count(*) FROM posts)                                   AS posts,
    (SELECT count(*) FROM comments)                                AS comments,
    (SELECT count(DISTINCT author_pseudonym) FROM comments)        AS commenters,
    (SELECT count(*) FROM comments WHERE parent_id IS NOT NULL)    AS replies,
    (SELECT count(*) FROM quarantine)                              AS quarantined,
    (SELECT count(*) FROM crawl_failures)                          AS crawl_failures
