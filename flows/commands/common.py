"""What several commands share: the ``--home`` options, the site list from the arguments, the
home's writability check and the published database they read."""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from flows.errors import UserError
from pipeline.settings import Settings, SiteConfig, check_unique_ids, load_sites, read_toml, url_problem

if TYPE_CHECKING:
    from warehouse.lake import LakeTarget

FORMATTER = argparse.RawDescriptionHelpFormatter


def add_home(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument("--home", default=default or os.environ.get("BLOGSCOPE_HOME", "blogscope-home"),
                        help="blogscope home folder (database, runs, archive, report); env BLOGSCOPE_HOME "
                             "(default: %(default)s)")
    parser.add_argument("--config", help="TOML config file (default: HOME/blogscope.toml when present)")


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """``URL...``, ``--sites`` and ``--allow-private`` (run, crawl)."""
    parser.add_argument("urls", nargs="*", metavar="URL", help="blog start URLs (in addition to --sites)")
    add_home(parser)
    parser.add_argument("--sites", help="site list TOML ([[sites]] id, url, platform, allow_private, ...)")
    parser.add_argument("--allow-private", action="store_true",
                        help="let the crawl reach blogs on loopback/private addresses (tests, intranets)")


def sites_from_args(settings: Settings, args: argparse.Namespace) -> tuple[SiteConfig, ...]:
    """The config's sites, then ``--sites FILE``'s, then the URLs given (one site each, unless
    already listed); ``--allow-private`` applies to all. Bad input raises ``UserError``."""
    from pipeline.ids import site_id_for

    sites = list(settings.sites)
    if getattr(args, "sites", None):
        sites.extend(_sites_file(Path(args.sites)))
    listed = {s.id for s in sites}
    for url in getattr(args, "urls", []) or []:
        problem = url_problem(url)  # checked before any flow starts: one line, not three tracebacks
        if problem:
            raise UserError(problem)
        site = SiteConfig(id=site_id_for(url), url=url)
        if site.id not in listed:  # a URL also in the site list is that site, not a second one
            listed.add(site.id)
            sites.append(site)
    if getattr(args, "allow_private", False):
        sites = [SiteConfig(**{**s.__dict__, "allow_private": True}) for s in sites]
    check_unique_ids(sites, "site list")
    return tuple(sites)


def _sites_file(path: Path) -> tuple[SiteConfig, ...]:
    if not path.exists():
        raise UserError(f"site list {path} does not exist")
    data = read_toml(path)
    if not data.get("sites"):
        found = sorted(data)
        raise UserError(f"{path}: a site list is [[sites]] tables (id, url, platform, ...); "
                        + (f"found only {found}" if found else "the file is empty")
                        + " (see README: Site list and configuration)")
    return load_sites(data["sites"], str(path))


_HOME_PROBE_BYTES = 1 << 20  # the Prefect server and DuckDB need a few MB to start at all


def ensure_writable_home(home: Path) -> None:
    """Fail at once, in one line, when the home cannot be written (before Prefect, DuckDB or
    the crawler try, each in its own way: a retry loop, a traceback)."""
    import tempfile

    if home.exists() and not home.is_dir():
        raise UserError(f"the home {home} is a file, not a folder; choose a folder with --home")
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-test-") as probe:
            # Real bytes, flushed to the disk: an empty file still fits on a full disk, where the
            # Prefect server and DuckDB would then fail without saying why.
            probe.write(b"\0" * _HOME_PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UserError(f"the disk holding the home {home} is full ({exc.strerror}); "
                            "free some space or choose another folder with --home") from exc
        raise UserError(f"cannot write to the home {home} ({exc.strerror or exc}); "
                        "choose a writable folder with --home") from exc


def require_published(settings: Settings) -> "Path | LakeTarget":
    """The analysts' database: the published file, or the DuckLake of ``[warehouse] catalog`` (readers
    see its latest snapshot); a ``UserError`` saying how to make one when there is none."""
    from warehouse.lake import lake_target

    lake = lake_target(settings)
    if lake is not None:
        return lake
    if not settings.published_db.exists():
        raise UserError(f"no database at {settings.published_db}; run 'blogscope run URL --home {settings.home}' "
                        "or 'blogscope demo' first")
    return settings.published_db


__all__ = ["FORMATTER", "add_home", "add_site_options", "ensure_writable_home", "require_published",
           "sites_from_args"]
