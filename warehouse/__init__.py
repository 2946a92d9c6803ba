"""The DuckDB side of blogscope: migrations, views, loads, publishing, safe queries.

Modules (heavy libraries are imported inside functions, so importing these is instant):

- ``db``: connections, migrations (``sql/migrations``), views (``sql/views``), named SQL files
- ``lock``: the writer's OS file lock ``HOME/work/write.lock`` (``writer_lock``)
- ``load``: ``load_run`` (processed Parquet -> working database, one transaction, checks)
- ``runs``: ``record_run_start`` / ``record_run_finish`` / ``mark_stale_runs_crashed``
- ``publish``: ``publish`` (atomic copy of the working database for analysts)
- ``query``: ``query`` / ``query_file`` / ``format_result`` (read-only, locked-down SQL)
- ``search``: full-text search (``search``) and index refresh at load time
- ``export``: ``export`` (pseudonyms only, redacted text, safe file names)
- ``redact``: the redaction rules for personal data in free text
- ``corpus``: ``read_topic_corpus`` for the topic stage
- ``schema_doc``: ``docs/schema.md`` from the live schema
- ``testing``: synthetic runs and subprocess workers for tests
"""
