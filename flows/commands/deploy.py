"""``blogscope deploy``: one Prefect deployment per site in a work pool (many machines, ``flows/cluster.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.settings import Settings

NAME = "deploy"
HELP = "register one deployment per site in a work pool (many machines)"
EXAMPLES = """\
example:
  PREFECT_API_URL=http://prefect-host:4200/api blogscope deploy --pool blogs \\
      --shared /mnt/blogscope --sites sites.toml --cron '0 3 * * *'
Workers ('blogscope worker --pool blogs') then crawl the sites; see the README, 'Many machines'."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pool", required=True, help="the work pool's name (created when missing, type process)")
    parser.add_argument("--shared", required=True, metavar="DIR",
                        help="the shared path every worker mounts at the same place (warehouse, crawl state, archive)")
    parser.add_argument("--sites", help="site list TOML ([[sites]] id, url, platform, allow_private, ...)")
    parser.add_argument("--config", help="TOML config file (default: SHARED/warehouse/blogscope.toml when present)")
    parser.add_argument("--cron", help="a schedule for every site (default: runs only when triggered)")
    parser.add_argument("--allow-private", action="store_true",
                        help="let the crawl reach blogs on loopback/private addresses (tests, intranets)")


def run(args: argparse.Namespace, settings: Settings | None) -> int:
    from flows.cluster import deploy
    from flows.commands.common import sites_from_args
    from pipeline.settings import load_settings

    shared = Path(args.shared).expanduser().resolve()
    # The shared warehouse's home holds the config every worker reads: it is this command's home.
    settings = load_settings(home=shared / "warehouse", config=args.config)
    sites = sites_from_args(settings, args)
    for name in deploy(args.pool, shared, sites, config=args.config, allow_private=args.allow_private, cron=args.cron):
        print(f"deployed {name} (work pool {args.pool})")
    return 0
