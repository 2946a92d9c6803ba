"""A throwaway PostgreSQL cluster for tests: initdb into a temporary folder, started on 127.0.0.1.

``start_postgres(folder)`` runs ``initdb`` (trust authentication, no fsync: a test cluster is
thrown away) and ``pg_ctl start`` on a free port of 127.0.0.1, with its Unix socket inside the
folder. PostgreSQL refuses to run as root: as root, the cluster runs as the ``postgres`` user
(or ``nobody``) and the folder is handed to that user. ``stop()`` is ``pg_ctl stop -m immediate``.

Binaries come from PATH, else Debian's ``/usr/lib/postgresql/*/bin``. ``postgres_bin_dir()``
returns None when there are none, so a test can skip (outside CI) with a clear reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path


def postgres_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The user to run PostgreSQL as when we are root (it refuses root), else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


@dataclass
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    port: int
    user: str | None  # OS user the server runs as (None: us)

    superuser: str = "blogscope"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        # cwd: the data folder (as root, our own working folder may be closed to the server's user).
        done = subprocess.run([str(a) for a in args], capture_output=True, text=True, user=self.user,
                              group=self._group(), cwd=self.data_dir.parent, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(str(args[0])).name} failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
        return done

    def _group(self) -> int | None:
        return pwd.getpwnam(self.user).pw_gid if self.user else None

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        self._run(self.bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.superuser, name)
        return self.url(name)

    def stop(self) -> None:
        subprocess.run([str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"],
                       capture_output=True, user=self.user, timeout=60)


def start_postgres(folder: Path) -> PostgresServer:
    """initdb into ``folder/pgdata`` and start it on 127.0.0.1 (see the module docstring)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")
    user = _run_as()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        os.chmod(folder, 0o755)
        # Every parent must be traversable by that user (pytest's tmp folders are 0700).
        for parent in folder.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
    data = folder / "pgdata"
    server = PostgresServer(bin_dir, data, _free_port(), user)
    server._run(bin_dir / "initdb", "-D", data, "-U", server.superuser, "-A", "trust", "--no-sync",
                "-E", "UTF8", "--locale=C")
    options = f"-h 127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c full_page_writes=off"
    try:
        server._run(bin_dir / "pg_ctl", "start", "-D", data, "-w", "-t", "60", "-l", folder / "postgres.log",
                    "-o", options)
    except RuntimeError as exc:
        log = folder / "postgres.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        raise RuntimeError(f"PostgreSQL did not start: {exc}\n{tail}") from exc
    return server
