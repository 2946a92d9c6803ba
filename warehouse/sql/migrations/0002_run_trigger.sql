-- Which runs a schedule started and which a person did (`blogscope status` shows it).
ALTER TABLE runs ADD COLUMN trigger VARCHAR DEFAULT 'manual';
COMMENT ON COLUMN runs.trigger IS 'What started the run: manual (a command, or a deployment run started by hand) or scheduled (a cron of `blogscope schedule`, fired by the Prefect scheduler).';
