-- The comments table never holds raw commenter names or e-mails: only keyed-hash pseudonyms
-- (pipeline.privacy.pseudonym: a lower-case prefix, a dash and hex digits, e.g. reader-3fa9c2b17d0e),
-- and no comment text that opens with a byline: a first paragraph of two to four capitalised
-- words alone ("Xavier Privatename" then a blank line), as a parser that took the commenter's
-- name for the text's first paragraph leaves it (issue 18).
SELECT comment_id, 'author_pseudonym is not a pseudonym' AS problem
FROM comments
WHERE author_pseudonym IS NOT NULL
  AND NOT regexp_full_match(author_pseudonym, '[a-z]+-[0-9a-f]{8,64}')
UNION ALL
SELECT comment_id, 'text starts with what looks like the commenter''s name' AS problem
FROM comments
WHERE regexp_matches(text, '^\p{Lu}[\p{L}''’.-]*(?: \p{Lu}[\p{L}''’.-]*){1,3}\n\n')
