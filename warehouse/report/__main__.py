"""``python -m warehouse.report``: the same as ``blogscope report``."""

from __future__ import annotations

import sys

from warehouse.report.cli import cli_main

sys.exit(cli_main())
