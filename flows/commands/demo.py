"""``blogscope demo``: serve the generated demo blogs on 127.0.0.1 and run the whole pipeline."""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from flows.commands.common import add_home, ensure_writable_home
from flows.commands.run import run_as_flow
from flows.commands.summary import print_run_summary, report_exit
from flows.errors import UserError
from pipeline.settings import Settings, SiteConfig, with_sites

NAME = "demo"
HELP = "run the whole pipeline on the bundled offline demo blog"
EXAMPLES = """\
example:
  blogscope demo --home demo-home
Serves a generated psychiatry group blog (WordPress-like and Blogger-like) on 127.0.0.1,
crawls it over HTTP, processes, loads DuckDB, publishes and writes a report."""

DEMO_MARKER = ".blogscope-demo"
DEMO_OUTPUTS = ("runs", "work", "archive", "state", "models", "blogscope.duckdb", "report.html", "truth")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_home(parser, "demo-home")
    parser.add_argument("--seed", type=int, default=7, help="demo blog generator seed (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep earlier runs in HOME (default: start fresh)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from demoblog.generate import generate, truth_dict
    from demoblog.server import serve

    home = settings.home
    prepare_demo_home(home, keep=args.keep)
    start = time.perf_counter()
    blogs = {flavour: generate(flavour, seed=args.seed) for flavour in ("wordpress", "blogger")}
    print("blogscope demo: serving the bundled demo blog on 127.0.0.1 ...", flush=True)
    with serve(blogs["wordpress"]) as wp, serve(blogs["blogger"]) as bl:
        sites = (
            SiteConfig(id="shrink-notes", url=wp.base_url, platform="auto", allow_private=True),
            SiteConfig(id="couch-report", url=bl.base_url, platform="auto", allow_private=True),
        )
        truth_dir = home / "truth"
        truth_dir.mkdir(exist_ok=True)
        for flavour, running in (("wordpress", wp), ("blogger", bl)):
            (truth_dir / f"{flavour}.json").write_text(json.dumps(truth_dict(blogs[flavour], running.base_url), indent=1),
                                                     encoding="utf-8")
        print(f"  WordPress-like: {wp.base_url}\n  Blogger-like:   {bl.base_url}", flush=True)
        settings = with_sites(settings, sites)
        summary = run_as_flow(settings, args.config, sites, allow_private=True)
    print_run_summary(settings, summary, time.perf_counter() - start, truth_dir=truth_dir)
    return report_exit(summary, NAME)


def prepare_demo_home(home: Path, *, keep: bool) -> None:
    """``demo`` writes only into a home it created (marked by ``.blogscope-demo``) or an empty
    folder, and refuses anything else, so pointing it at a real home can never delete data.
    Without ``--keep`` it starts afresh by removing only its own earlier outputs."""
    ensure_writable_home(home)
    marker = home / DEMO_MARKER
    # Demo homes made before the marker existed are known by the demo's truth files.
    made_by_demo = marker.exists() or all((home / "truth" / f"{f}.json").exists() for f in ("wordpress", "blogger"))
    if not made_by_demo and any(home.iterdir()):
        raise UserError(f"{home} is not empty and was not made by 'blogscope demo': it is left untouched; "
                        "use a new or empty folder, e.g. --home demo-home")
    marker.write_text("made by 'blogscope demo'; demo may replace its own files here\n", encoding="utf-8")
    if keep:
        return
    for name in DEMO_OUTPUTS:
        target = home / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
