-- The comments table never holds raw commenter names or e-mails: only keyed-hash pseudonyms
-- (pipeline.privacy.pseudonym: a lower-case prefix, a dash and hex digits, e.g. reader-3fa9c2b17d0e).
SELECT comment_id, 'author_pseudonym is not a pseudonym' AS problem
FROM comments
WHERE author_pseudonym IS NOT NULL
  AND NOT regexp_full_match(author_pseudonym, '[a-z]+-[0-9a-f]{8,64}')
