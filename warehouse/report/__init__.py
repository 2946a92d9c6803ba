"""The editors' report: one self-contained HTML file built from the discussion views.

Editors do not write SQL. They open ``HOME/report.html`` to see which topics draw discussion,
how that changes over time, which posts started the liveliest threads and how the tone moves.

Where the numbers come from (the analysts' views of the published database, opened read-only):

- ``v_comment_threads`` (one row per comment) joined to ``v_post_discussion`` (the post's site
  and dominant topic) and ``v_current_sentiment``: comments *written* per month and topic, their
  tone, the rising and falling topics. Reading comment rows, not a monthly aggregate, lets
  ``--since`` / ``--until`` cut on the exact day and ``--site`` apply (``v_topic_trends`` and
  ``v_sentiment_by_topic`` have no site column); over the whole database the numbers equal those
  two views (the tests check it).
- ``v_post_discussion``: posts published in the period, their comments, replies, commenters.
- ``v_topic_discussion_month``: the per-month cohort table (posts published that month and all their
  comments), offered as a CSV download beside the comments-per-post chart.
- ``v_late_comments``: comments on old posts. ``v_current_topics`` (+ ``model_runs``): topic
  labels, the model run id and its coherence.

Design choices, and why:

- A missing view or column becomes a "no data" note in its section, never a crash, so an empty
  or half-migrated database still gives a readable report.
- Offline: styles inlined, static plots as inline SVG from matplotlib (what prints, and what a
  browser without script shows), CSV downloads as ``data:`` links, system fonts only, and a strict
  Content-Security-Policy that forbids every fetch and lets only the page's own script, the
  inlined Vega-Lite library and its one style run, by SHA-256 hash (``page``, ``vega``).
- Interactive (``explore`` + ``templates/explore.js``): the period's posts and comments as JSON;
  the page filters them by site and dates, draws Vega-Lite charts with tooltips, and drills from a
  topic to its posts to a post's thread outline. Every post of the period is in that data.
- Scraped titles, topic labels and pseudonyms are hostile input: Jinja2 autoescapes them,
  matplotlib escapes SVG text (every SVG is checked again before it is inlined), only absolute
  ``http(s)`` URLs become links, CSV cells cannot start a spreadsheet formula.
- Health talk is sensitive: commenters appear only as pseudonyms (the report selects named
  columns, never a raw name) and verbatim comment text is left out unless
  ``allow_comment_text=True``.
- Heavy libraries (duckdb, matplotlib, jinja2) are imported inside functions, so importing this
  package, or ``blogscope --help``, stays instant.

SQL: every query is a file ``warehouse/sql/queries/report_*.sql``.

Layout: ``views`` reads the database into ``data``; ``explore`` turns it into the interactive part's
JSON; ``charts`` (via ``svg``) and ``sections`` turn it into page ``blocks``; ``page`` renders the
template; ``build`` writes the file. The command line, ``blogscope report``, is
``flows/commands/report.py``.
"""

from __future__ import annotations

from warehouse.report.build import DEFAULT_TITLE, build_report
from warehouse.report.data import ReportData
from warehouse.report.links import CsvLink, csv_link, safe_href
from warehouse.report.page import CSP, VERSION, render_html
from warehouse.report.results import ReportError, ReportSummary, SectionStatus
from warehouse.report.views import gather

__all__ = [
    "CSP", "DEFAULT_TITLE", "VERSION", "CsvLink", "ReportData", "ReportError", "ReportSummary", "SectionStatus",
    "build_report", "csv_link", "gather", "render_html", "safe_href",
]
