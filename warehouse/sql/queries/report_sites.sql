-- The report: the database's sites.
SELECT site_id FROM sites ORDER BY site_id
