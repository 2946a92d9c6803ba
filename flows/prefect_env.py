"""Prefect's environment, set before Prefect is imported (it reads settings at import)."""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect_defaults() -> None:
    """Settings blogscope needs whoever imports the flows (values already set win)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The ephemeral server starts in 9-11 s on an idle 2-core machine; allow for a busy one.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # Library loggers (crawl, pipeline, warehouse) appear in Prefect's run logs.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "pipeline,warehouse,crawl,flows")


def configure_prefect_env(home: Path) -> None:
    """PREFECT_HOME under the blogscope home unless it is set, plus the defaults above."""
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    configure_prefect_defaults()
