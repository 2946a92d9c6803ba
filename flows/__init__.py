"""blogscope's edge: the CLI and the Prefect flows that compose crawl, pipeline and warehouse."""
