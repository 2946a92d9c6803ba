"""Writing the report file: open the database read-only, gather, render, replace the file atomically."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from warehouse.report.format import month_end
from warehouse.report.page import render_html
from warehouse.report.results import ReportError, ReportSummary, SectionStatus
from warehouse.report.views import gather

# The package's name, not this module's: log filters and -v output keep saying "warehouse.report".
log = logging.getLogger(__package__)

DEFAULT_TITLE = "Reader discussion report"


def _parse_day(value: str | dt.date | None, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ReportError(f"--{what} {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31") from exc


def _connect_read_only(db_path: Any) -> Any:  # Path, or warehouse.lake.LakeTarget
    """The analysts' locked-down connection: read-only, no file or network access, UTC."""
    from warehouse.query import QueryRefused, connect_readonly

    from warehouse.lake import LakeTarget

    if isinstance(db_path, LakeTarget):
        try:
            return connect_readonly(db_path)
        except QueryRefused as exc:
            raise ReportError(str(exc)) from exc
    if not db_path.is_file():
        raise ReportError(f"no database at {db_path}: run `blogscope run` (or `blogscope demo`) for this home first "
                          "(the report reads the published HOME/blogscope.duckdb)")
    try:
        return connect_readonly(db_path)
    except QueryRefused as exc:
        raise ReportError(f"{exc}. If a load is publishing right now, wait for it and try again.") from exc


def check_report_target(out_path: Path) -> None:
    """Refuse an output path the atomic rename would wrongly replace: a folder, a symlink, a device, a FIFO.

    The report is written to a temp file and renamed over ``out_path``; a rename replaces whatever
    is there, so ``--out /dev/null`` swapped a character device for a regular file. Only a missing
    path or a regular file is acceptable.
    """
    import stat

    try:
        mode = out_path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ReportError(f"--out {out_path}: cannot check it ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(mode):
        raise ReportError(f"--out {out_path} is a folder: give a file name, e.g. {out_path / 'report.html'}")
    if stat.S_ISLNK(mode):
        raise ReportError(f"--out {out_path} is a symbolic link: give the path of a regular file")
    if not stat.S_ISREG(mode):
        raise ReportError(f"--out {out_path} is not a regular file (a device, FIFO or socket): "
                          "give the path of a regular file")


def build_report(db_path: str | Path, out_path: str | Path, *, since: str | dt.date | None = None,
                 until: str | dt.date | None = None, site: str | None = None, allow_comment_text: bool = False,
                 title: str = DEFAULT_TITLE, topic_names: Mapping[int, str] | None = None,
                 interactive: bool = True) -> ReportSummary:
    """Write the editors' report for ``db_path`` to ``out_path`` (atomically) and summarise it.

    ``since`` / ``until`` are inclusive days (``YYYY-MM-DD`` or dates): comments written and
    posts published in between. ``site`` keeps one site id. ``topic_names`` ([topics.names]: stable
    topic id -> editor's name) label topics instead of the model's terms. ``interactive`` adds the
    Explore part (needs vl-convert-python; without it the report is static). Raises :class:`ReportError` when the
    database is missing or unreadable, a date is malformed or the site is unknown.
    """
    from warehouse.lake import LakeTarget

    # db_path may be a DuckLake (warehouse.lake.LakeTarget): the report reads its latest snapshot.
    if not isinstance(db_path, LakeTarget):
        db_path = Path(db_path)
    out_path = Path(out_path)
    check_report_target(out_path)
    since_day, until_day = _parse_day(since, "since"), _parse_day(until, "until")
    if since_day and until_day and since_day > until_day:
        raise ReportError(f"--since {since_day} is after --until {until_day}: swap them")
    con = _connect_read_only(db_path)
    try:
        data = gather(con, since=since_day, until=until_day, site=site or None,
                      allow_comment_text=allow_comment_text, topic_names=topic_names)
    finally:
        con.close()
    for view, why in sorted(data.missing.items()):
        log.warning("report: %s is unusable (%s); its section shows a no-data note", view, why)
    db_name = db_path.name if isinstance(db_path, Path) else "DuckLake"
    html, sections, changes = render_html(data, title=title, db_name=db_name,
                                          allow_comment_text=allow_comment_text, interactive=interactive)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    try:
        check_report_target(out_path)  # again: the path may have changed while the report was built
    except ReportError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out_path)  # editors never open a half-written report
    size = out_path.stat().st_size
    statuses = tuple(SectionStatus(s.anchor, s.title, len(s.figures), bool(s.figures), s.nodata) for s in sections)
    log.info("report: wrote %s (%d bytes; sections without data: %s)", out_path, size,
             ", ".join(s.anchor for s in statuses if not s.has_data) or "none")
    return ReportSummary(
        out_path=out_path, bytes_written=size, period_start=data.since or data.period_first,
        period_end=data.until or (month_end(data.period_last) if data.period_last else None),
        sites=tuple(data.sites), posts=len(data.posts), comments=sum(m.comments for m in data.in_period()),
        commenters=data.commenters, model_run_id=data.model.run_id if data.model else None,
        coherence=data.model.coherence if data.model else None, sections=statuses, changes=tuple(changes),
        missing_views=tuple(sorted(data.missing)))
