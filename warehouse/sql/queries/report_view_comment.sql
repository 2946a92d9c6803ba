-- The report: a view's documented comment (v_late_comments says after how many days a comment is late).
SELECT comment FROM duckdb_views() WHERE view_name = $view
