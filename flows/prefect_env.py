"""Prefect's environment, set before Prefect is imported (it reads settings at import).

Hygiene: no telemetry, no analytics, no look-ups beyond the crawled sites. Prefect 3.9 sends
anonymous usage events from the client unless ``DO_NOT_TRACK`` is set, from the server unless
``PREFECT_SERVER_ANALYTICS_ENABLED`` is false, prints a telemetry notice in terminals, collects
resource metrics in flow-run processes, and its UI shows promotional content fetched online.
"""

from __future__ import annotations

import os
from pathlib import Path

# Values already in the environment win (setdefault), except for the privacy ones below, which
# are forced: nothing blogscope starts may phone home.
PRIVACY = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
}

DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # A server starts in 9-11 s on an idle 2-core machine; allow for a busy one.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # Library loggers (crawl, pipeline, warehouse) appear in Prefect's run logs.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "pipeline,warehouse,crawl,flows",
    # The server's own log (HOME/prefect/*.log): warnings and errors only.
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


def configure_prefect_defaults() -> None:
    """Settings blogscope needs whoever imports the flows."""
    os.environ.update(PRIVACY)
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)


def configure_prefect_env(home: Path) -> None:
    """PREFECT_HOME under the blogscope home unless it is set, plus the settings above."""
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    configure_prefect_defaults()


def prefect_child_env(home: Path) -> dict[str, str]:
    """The environment of a Prefect server blogscope starts: this one plus the settings above.

    ``PREFECT_API_URL`` is dropped: the server is the API, not a client of another one.
    """
    configure_prefect_env(home)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return env
