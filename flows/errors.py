"""The errors the user can act on, in one place.

The CLI prints any of ``ACTIONABLE_ERRORS`` as one line and exits 2 (``flows/cli.py``); the
Prefect log filter drops their tracebacks (``flows/prefect_flows.py``). Everything else is a bug:
traceback, exit 1. Stdlib and light imports only: ``blogscope --help`` must stay instant.
"""

from __future__ import annotations

from pipeline.settings import ConfigError
from pipeline.topics_files import InputError
from warehouse.errors import WarehouseError


class UserError(Exception):
    """Something the user can fix; printed as one line without a traceback."""


class JobError(RuntimeError):
    """A job could not finish; the message says why and what to do."""


class TopicsNotFitted(JobError):
    """The corpus cannot carry a topic model; the previous model (or none) stays."""


# ConfigError: the TOML or a site list; InputError: a corpus file of `topics`; WarehouseError: includes ReportError, QueryRefused,
# ExportError, WarehouseBusy, MigrationError (each message says what to do).
ACTIONABLE_ERRORS: tuple[type[BaseException], ...] = (UserError, JobError, ConfigError, WarehouseError, InputError)
