"""``blogscope migrate``: create or upgrade the warehouse schema, then publish."""

from __future__ import annotations

import argparse

from flows.commands.common import add_home, ensure_writable_home
from pipeline.settings import Settings

NAME = "migrate"
HELP = "create or upgrade the warehouse schema"
EXAMPLES = """\
example:
  blogscope migrate --home ~/blogs"""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from flows import jobs

    ensure_writable_home(settings.home)
    with jobs.writer_lock(settings):
        jobs.migrate(settings)
        where = jobs.publish(settings)  # the published file, or the DuckLake (nothing to publish)
    print(f"schema up to date: {where}")
    return 0
