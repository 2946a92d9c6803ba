-- The report: columns of a view or table ($name), to tell a missing or old view from a usable one.
SELECT column_name FROM information_schema.columns
WHERE table_name = $name AND table_schema = current_schema()
