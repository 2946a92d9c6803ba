"""Errors of the warehouse; each message says what happened and what to do about it."""

from __future__ import annotations


class WarehouseError(RuntimeError):
    """Base of every warehouse error (the CLI prints the message and exits non-zero)."""


class MigrationError(WarehouseError):
    """The schema cannot be brought up to date (edited or unknown migration, failed SQL)."""


class IntegrityError(WarehouseError):
    """An integrity check returned rows: the load was rolled back."""

    def __init__(self, message: str, failures: dict[str, list[tuple]] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or {}


class LoadError(WarehouseError):
    """A load could not finish (bad input, disk full, ...); the previous state is intact."""


class WarehouseBusy(WarehouseError):
    """Another writer holds the write lock longer than we were willing to wait."""


class PublishError(WarehouseError):
    """The analysts' copy could not be published; the previous copy is intact."""


class DamagedDatabase(WarehouseError):
    """The working database file is not a DuckDB database (damaged, or written by something else)."""
