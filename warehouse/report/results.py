"""What a report run gives back: a :class:`ReportSummary`, or a :class:`ReportError` to show the user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from warehouse.errors import WarehouseError


class ReportError(WarehouseError):
    """The report cannot be written; the message says what to do."""


@dataclass(frozen=True)
class SectionStatus:
    """What one section of the report showed (for logs, flows and tests)."""

    anchor: str
    title: str
    figures: int
    has_data: bool
    note: str | None = None


@dataclass(frozen=True)
class ReportSummary:
    """What :func:`build_report` wrote."""

    out_path: Path
    bytes_written: int
    period_start: dt.date | None
    period_end: dt.date | None
    sites: tuple[str, ...]
    posts: int  # published in the period
    comments: int  # written in the period
    commenters: int | None  # distinct pseudonyms among those comments
    model_run_id: str | None
    coherence: float | None  # c_v of that model run
    sections: tuple[SectionStatus, ...]
    changes: tuple[str, ...]  # the "what changed" lines
    missing_views: tuple[str, ...]  # views that were absent or lacked columns

    @property
    def empty_sections(self) -> tuple[str, ...]:
        return tuple(s.anchor for s in self.sections if not s.has_data)
