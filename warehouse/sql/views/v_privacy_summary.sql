-- v_privacy_summary
-- Answers: what did the ingest redaction remove from the texts, run by run?
-- Grain: one row per run and kind of replacement (all sites together).
-- Columns:
--   run_id: the run whose process stage redacted the texts.
--   started_at: when that run started (UTC; NULL if the run is not recorded).
--   kind: name | email | phone | url.
--   replacements: replacements of this kind in the run.
--   texts: posts and comments with at least one replacement of this kind.
--   sites: sites whose texts the run processed.
CREATE OR REPLACE VIEW v_privacy_summary AS
SELECT p.run_id, r.started_at, p.kind,
       sum(p.replacements)::BIGINT AS replacements,
       sum(p.texts)::BIGINT AS texts,
       count(DISTINCT p.site_id) AS sites
FROM privacy_replacements p
LEFT JOIN runs r USING (run_id)
GROUP BY p.run_id, r.started_at, p.kind;
COMMENT ON VIEW v_privacy_summary IS 'Replacements of commenters'' names, e-mails, phones and URLs made at ingest, by run and kind (what an ethics board asks). Grain: run x kind.';
