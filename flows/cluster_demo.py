"""``make cluster-demo``: two workers share the demo sites; one is killed mid-crawl; exact anyway.

On one machine: PostgreSQL, a Prefect server on it, a process work pool, two workers as separate
processes with separate folders (two machines) and a shared folder (NFS/S3). It crawls the
demo blogs (>= 4 sites, each its own port and id), SIGKILLs worker-1 during one of its crawls at
a seeded moment, lets the rest finish, brings worker-1 back and runs the schedule again (one flow
run per site; the killed site's new run marks the lost one Crashed), then runs ``blogscope run``
on the same sites into a separate home and compares post and comment ids. Last line:

``cluster: sites N, workers 2, flow runs R (worker-1 A, worker-2 B), posts P, comments C, equal to single machine: yes``

Exit 0 only when equal (and every count is exact); everything started is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from flows.jobs import JobError
from warehouse.lake import LakeTarget

CONFIG = """[crawl]
# Politeness: what bounds a real crawl, and what gives the seeded kill a crawl to interrupt.
download_delay = {delay}

[warehouse]
# DuckLake: the catalog in the demo's PostgreSQL, Parquet files on the shared path.
catalog = "{catalog}"
data_path = "{data_path}"
"""


def ids_and_counts(db: Path | LakeTarget) -> tuple[set[str], set[str], dict[str, int]]:
    """Post and comment ids and row counts (rows > distinct ids would be a duplicate) of a warehouse:
    the single-machine DuckDB file or the cluster's DuckLake, read as analysts read them."""
    from warehouse.query import connect_readonly

    with connect_readonly(db) as conn:
        posts = {r[0] for r in conn.execute("SELECT post_id FROM posts").fetchall()}
        comments = {r[0] for r in conn.execute("SELECT comment_id FROM comments").fetchall()}
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("posts", "comments")}
    return posts, comments, counts


def wait_for_running(shared: Path, worker: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for path in (shared / "flow-runs").glob("*.json"):
            try:
                info = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if info["worker"] == worker and info["state"] == "running":
                return info
        time.sleep(0.2)
    raise JobError(f"{worker} started no crawl within {timeout_s:.0f} s")


def crawl_lines(shared: Path, site_id: str) -> int:
    """Lines of the site's newest ``raw.jsonl`` (its crawl's records so far)."""
    files = sorted((shared / "sites" / site_id / "runs").glob("*/crawl/raw.jsonl"))
    try:
        return sum(1 for _ in files[-1].open("rb")) if files else 0
    except OSError:
        return 0


def wait_for_records(shared: Path, site_id: str, timeout_s: float) -> int:
    """Until the site's crawl has written records: the kill then lands mid-crawl, not at start-up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = crawl_lines(shared, site_id)
        if lines:
            return lines
        time.sleep(0.1)
    raise JobError(f"the crawl of {site_id} wrote no records within {timeout_s:.0f} s")


def single_machine(home: Path, shared: Path, sites_file: Path, api_url: str) -> None:
    """``blogscope run`` of the same sites into its own home, with the same key and crawl config."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shared / "warehouse" / "secret.key", home / "secret.key")
    # The same config without its [warehouse] section: one machine loads its single DuckDB file.
    config = (shared / "warehouse" / "blogscope.toml").read_text(encoding="utf-8")
    (home / "blogscope.toml").write_text(config.split("\n[warehouse]")[0] + "\n", encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": api_url}
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--home", str(home), "--sites", str(sites_file),
                           "--allow-private", "--no-report"], env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 3):  # 3: the topic model of a small corpus may not fit; posts are in
        raise JobError(f"the single-machine run exited with {proc.returncode}: "
                       f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.cluster_demo", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".cluster", help="working folder (replaced; default .cluster)")
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--delay", type=float, default=0.3, help="[crawl] download_delay, seconds")
    args = parser.parse_args(argv)
    if args.sites < 2:
        parser.error("--sites: at least 2")
    try:
        return run_demo(Path(args.root), args.sites, args.seed, args.delay)
    except JobError as exc:
        print(f"cluster-demo: error: {exc}", file=sys.stderr)
        return 1


def run_demo(root: Path, n_sites: int, seed: int, delay: float) -> int:
    from flows import cluster, site_job
    from flows.cluster_local import demo_sites, local_cluster, sites_toml

    rng = random.Random(seed)
    root = root.resolve()
    if root.exists():
        shutil.rmtree(root)
    start = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - start:6.1f} s] {text}", flush=True)

    with demo_sites(n_sites) as sites, local_cluster(root) as lc:
        say(f"PostgreSQL on 127.0.0.1:{lc.pg.port}, Prefect server {lc.api_url}, {n_sites} demo sites")
        (lc.shared / "warehouse").mkdir(parents=True, exist_ok=True)
        lake = LakeTarget(lc.pg.create_database("lake"), str(lc.shared / "lake"))
        (lc.shared / "warehouse" / "blogscope.toml").write_text(
            CONFIG.format(delay=delay, catalog=lake.catalog, data_path=lake.data_path), encoding="utf-8")
        site_job.prepare_shared(lc.shared)
        names = cluster.register_sites(lc.pool, lc.shared, sites, allow_private=True)
        for name in ("worker-1", "worker-2"):
            lc.start_worker(name)
        say(f"work pool '{lc.pool}', {len(names)} deployments, workers worker-1 and worker-2 started")
        first = cluster.trigger_round(names)
        victim = wait_for_running(lc.shared, "worker-1", timeout_s=300)
        records = wait_for_records(lc.shared, victim["site"], timeout_s=300)
        pause = rng.uniform(0.5, 3.0)
        time.sleep(pause)
        lc.kill_worker("worker-1")
        say(f"SIGKILL worker-1 {pause:.1f} s after its crawl of {victim['site']} wrote its first records "
            f"({records} lines then, {crawl_lines(lc.shared, victim['site'])} now)")
        lost = [victim["flow_run_id"]]
        states = cluster.wait_for_runs([f for f in first if f not in lost], timeout_s=900)
        say("round 1 without the lost run: " + ", ".join(f"{s.name} {s.state}" for s in states))
        lc.start_worker("worker-1")
        second = cluster.trigger_round(names)
        states = cluster.wait_for_runs(second, timeout_s=900)
        say("round 2 (the schedule again): " + ", ".join(f"{s.name} {s.state}" for s in states))
        failed = [s for s in states if s.state != "COMPLETED"]
        # The site's next run took the lost run's place and marked it Crashed (its lease ran out).
        failed += [s for s in cluster.run_states(lost) if s.state != "CRASHED"]
        if failed:
            raise JobError("runs not as expected (round 2 COMPLETED, the lost run CRASHED): "
                           + ", ".join(f"{s.name} {s.state}" for s in failed))
        sites_file = root / "sites.toml"
        sites_file.write_text(sites_toml(sites), encoding="utf-8")
        single_machine(root / "single", lc.shared, sites_file, lc.api_url)
        say("single-machine run done")
        by_worker = site_job.flow_runs_by_worker(lc.shared)
        c_posts, c_comments, c_counts = ids_and_counts(lake)  # while PostgreSQL still runs
    s_posts, s_comments, s_counts = ids_and_counts(root / "single" / "blogscope.duckdb")
    exact = c_counts == {"posts": len(c_posts), "comments": len(c_comments)}
    equal = exact and c_posts == s_posts and c_comments == s_comments and bool(c_posts)
    if not equal:
        print(f"cluster-demo: posts missing {len(s_posts - c_posts)}, extra {len(c_posts - s_posts)}; comments "
              f"missing {len(s_comments - c_comments)}, extra {len(c_comments - s_comments)}", file=sys.stderr)
    runs = sum(by_worker.values())
    print(f"cluster: sites {n_sites}, workers 2, flow runs {runs} (worker-1 {by_worker.get('worker-1', 0)}, "
          f"worker-2 {by_worker.get('worker-2', 0)}), posts {len(c_posts)}, comments {len(c_comments)}, "
          f"equal to single machine: {'yes' if equal else 'no'}", flush=True)
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
