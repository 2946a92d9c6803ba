"""The page's building blocks (sections, figures, tables, cells) that the Jinja template renders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from warehouse.report.links import CsvLink, safe_href


@dataclass
class Cell:
    text: str
    numeric: bool = False
    nowrap: bool = False
    href: str | None = None
    raw_url: str | None = None
    excerpt: str | None = None


@dataclass
class Column:
    name: str
    numeric: bool = False


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Cell]]
    caption: str | None = None
    csv: CsvLink | None = None


@dataclass
class FigureBlock:
    svg: Any
    how_to_read: str
    csv: CsvLink | None
    heading: str | None = None
    extra_csv: CsvLink | None = None
    extra_csv_label: str | None = None


@dataclass
class Section:
    anchor: str
    title: str
    figures: list[FigureBlock] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    nodata: str | None = None


def day_cell(day: dt.date | None) -> Cell:
    return Cell(day.isoformat() if day else "–", nowrap=True)


def link_cell(title: str, url: str | None) -> Cell:
    href = safe_href(url)
    return Cell(title, href=href) if href else Cell(title, raw_url=url or None)
