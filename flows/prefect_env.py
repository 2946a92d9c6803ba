"""Prefect's environment, set before Prefect is imported (it reads settings at import)."""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect_env(home: Path) -> None:
    """Set Prefect's environment before it is imported (its settings are read at import)."""
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    # Library loggers (crawl, pipeline, warehouse) appear in Prefect's run logs.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "pipeline,warehouse,crawl,flows")
