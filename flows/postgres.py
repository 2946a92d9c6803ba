"""A PostgreSQL cluster of our own on 127.0.0.1, for the Prefect server of ``cluster-demo``.

A real deployment points Prefect at a PostgreSQL it already runs (README, "Many machines"); the
demo and the bench start one with Debian's binaries (``initdb`` + ``pg_ctl``), data under a
folder of the clone, on a free port, and stop it when they end. PostgreSQL refuses to run as
root, so as root the cluster runs as the ``postgres`` user (made by Debian's package) through
``runuser``. When the binaries are missing, Debian's ``postgresql`` package is installed
(``apt-get update`` first; CI runs as root on a possibly bare machine).
No Prefect import here.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from flows.jobs import JobError

log = logging.getLogger(__name__)

DB_NAME = "prefect"
DB_USER = "blogscope"


@dataclass
class PostgresCluster:
    data_dir: Path
    port: int
    bin_dir: Path
    run_as: str | None  # a user name when we are root, else None

    @property
    def sqlalchemy_url(self) -> str:
        """The URL Prefect's server takes (``PREFECT_API_DATABASE_CONNECTION_URL``)."""
        return f"postgresql+asyncpg://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def stop(self) -> None:
        """Fast shutdown (active connections are closed); a no-op when it is not running."""
        if not (self.data_dir / "postmaster.pid").exists():
            return
        _run(self.as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w",
                             "-t", "60", "stop"]), check=False)

    def create_database(self, name: str) -> str:
        """A new empty database (the DuckLake catalog of the demo); returns its libpq URL."""
        _run(self.as_owner([str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER,
                            name]))
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/{name}"

    def as_owner(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd


def find_bin_dir() -> Path | None:
    """Debian's versioned binaries (``/usr/lib/postgresql/N/bin``), newest first, else ``PATH``."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def ensure_postgres_installed() -> Path:
    """The binaries' folder; installs Debian's ``postgresql`` package when they are missing."""
    bin_dir = find_bin_dir()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise JobError("PostgreSQL is not installed: install Debian's 'postgresql' package "
                       "(apt-get install postgresql) and run again")
    log.warning("installing Debian's postgresql package (apt-get) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"], env=env)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise JobError("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql")
    return bin_dir


def start_postgres(data_dir: Path, port: int, *, startup_timeout_s: float = 60.0) -> PostgresCluster:
    """``initdb`` (once) and ``pg_ctl start`` on 127.0.0.1:``port``; creates the Prefect database.

    Trust authentication is safe only because it listens on 127.0.0.1 alone and lives for one
    demo; a real deployment uses its own PostgreSQL with passwords (README).
    """
    bin_dir = ensure_postgres_installed()
    run_as = _owner_when_root()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    cluster = PostgresCluster(data_dir, port, bin_dir, run_as)
    if run_as:
        _give_to(data_dir, run_as)
    if not (data_dir / "PG_VERSION").exists():
        _run(cluster.as_owner([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", DB_USER, "-A", "trust",
                                "-E", "UTF8", "--no-sync"]))
    socket_dir = data_dir  # the socket stays in the data folder, not /var/run/postgresql
    log_file = data_dir / "server.log"
    _run(cluster.as_owner([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-w",
                            "-t", str(int(startup_timeout_s)),
                            "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir} "
                                  "-c max_connections=200 -c fsync=off -c full_page_writes=off", "start"]))
    deadline = time.monotonic() + startup_timeout_s
    while True:
        done = _run(cluster.as_owner([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER,
                                       "-d", "postgres", "-tAc",
                                       f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"]), check=False)
        if done.returncode == 0:
            break
        if time.monotonic() > deadline:
            cluster.stop()
            raise JobError(f"PostgreSQL did not accept connections on 127.0.0.1:{port} (log: {log_file})")
        time.sleep(0.2)
    if done.stdout.strip() != "1":
        _run(cluster.as_owner([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER,
                                DB_NAME]))
    return cluster


def _owner_when_root() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"])
    return "postgres"


def _give_to(data_dir: Path, user: str) -> None:
    """The data folder belongs to ``user`` (mode 0700), and every folder above it lets it pass."""
    entry = pwd.getpwnam(user)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    os.chmod(data_dir, 0o700)
    for parent in data_dir.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)  # search only, not read: names stay private


def _run(cmd: list[str], *, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise JobError(f"{Path(cmd[0]).name if cmd[0] != 'runuser' else Path(cmd[4]).name} failed "
                       f"({proc.returncode}): {tail[0][:300]}")
    return proc
