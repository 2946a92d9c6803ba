-- Blogger labels are the blog's categories (Blogger has no other kind of term). Until now the
-- crawler stored them in posts.tags and left posts.categories empty; new loads put them in
-- categories. Move them in posts loaded before, so every Blogger post reads the same way.
UPDATE posts SET categories = tags, tags = []
WHERE site_id IN (SELECT site_id FROM sites WHERE platform = 'blogger')
  AND coalesce(len(categories), 0) = 0 AND coalesce(len(tags), 0) > 0;
COMMENT ON COLUMN posts.categories IS 'Categories the blog assigns (Blogger labels included).';
COMMENT ON COLUMN posts.tags IS 'Tags the blog assigns (WordPress tags; Blogger has labels only, stored as categories).';
