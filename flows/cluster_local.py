"""A whole cluster on one machine, for the demo, the bench and tests.

PostgreSQL (``flows/postgres.py``), a Prefect server on it, a process work pool and N workers
as separate processes (``blogscope worker``) with separate working folders and Prefect homes,
standing for N machines; one shared folder standing for NFS or S3; demo blogs served on
127.0.0.1. Everything listens on 127.0.0.1 on free ports, and everything started here is stopped
when the ``with`` block ends (PostgreSQL too: it is a daemon, so it is stopped explicitly, also
on SIGTERM and Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flows.postgres import PostgresCluster, start_postgres
from flows.server import free_port
from pipeline.proc import die_with_parent
from pipeline.settings import SiteConfig

# How often an idle worker asks the server for runs; Prefect's default is 10 s, which would
# add up to 10 s to every hand-over in a demo measured in tens of seconds.
WORKER_POLL_S = "1"


@dataclass
class LocalCluster:
    root: Path
    pool: str
    api_url: str
    pg: PostgresCluster
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def shared(self) -> Path:
        return self.root / "shared"

    def start_worker(self, name: str) -> subprocess.Popen:
        """``blogscope worker --pool POOL --name NAME`` in its own folder (its own machine)."""
        folder = self.root / name
        (folder / "prefect").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PREFECT_API_URL": self.api_url, "PREFECT_HOME": str(folder / "prefect"),
               "PREFECT_WORKER_QUERY_SECONDS": WORKER_POLL_S, "PREFECT_LOGGING_LEVEL": "WARNING"}
        log = open(folder / "worker.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "worker", "--pool", self.pool, "--name", name],
                                cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                preexec_fn=die_with_parent)  # noqa: PLW1509 - prctl only
        log.close()
        self.workers[name] = proc
        return proc

    def kill_worker(self, name: str) -> None:
        """SIGKILL, as a machine that is lost: its flow run and crawler die with it."""
        proc = self.workers[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop_workers(self) -> None:
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def local_cluster(root: Path, *, pool: str = "blogs") -> Iterator[LocalCluster]:
    """PostgreSQL + Prefect server (+ workers started by the caller); all stopped on exit."""
    from flows.cluster import start_cluster_server, use_api

    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    pg = start_postgres(root / "pg", free_port())
    server = None
    cluster = None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM,)}

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # unwinds through the finally below

    signal.signal(signal.SIGTERM, on_term)
    try:
        server = start_cluster_server(root / "control", pg.sqlalchemy_url)
        use_api(server.url)
        cluster = LocalCluster(root, pool, server.url, pg)
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop_workers()
        if server is not None:
            server.stop()
        pg.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def demo_sites(count: int, *, n_posts: int = 8, seed: int = 7) -> Iterator[tuple[SiteConfig, ...]]:
    """``count`` demo blogs (WordPress- and Blogger-like in turn, each its own seed) on 127.0.0.1."""
    from demoblog.generate import generate
    from demoblog.server import serve

    with contextlib.ExitStack() as stack:
        sites = []
        for i in range(count):
            flavour = "wordpress" if i % 2 == 0 else "blogger"
            server = stack.enter_context(serve(generate(flavour, seed + i, n_posts=n_posts)))
            sites.append(SiteConfig(id=f"demo-{i + 1}", url=server.base_url, platform="auto", allow_private=True))
        yield tuple(sites)


def sites_toml(sites: tuple[SiteConfig, ...]) -> str:
    lines = []
    for site in sites:
        lines += ["[[sites]]", f'id = "{site.id}"', f'url = "{site.url}"', f'platform = "{site.platform}"',
                  f"allow_private = {'true' if site.allow_private else 'false'}", ""]
    return "\n".join(lines)
