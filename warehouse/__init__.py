"""The DuckDB side of blogscope: migrations, views, loads, publishing, safe queries."""
