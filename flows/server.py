"""The Prefect server blogscope runs against: started and supervised by blogscope, or reused.

- ``schedule`` starts a full server (``prefect server start``: API, UI, scheduler services) on
  127.0.0.1 with its database under ``HOME/prefect``, writes ``HOME/prefect/server.json`` (url,
  pid) and serves the deployments against it, so crons fire with nobody triggering them.
- ``run`` uses, in this order: ``PREFECT_API_URL`` when set; the server ``schedule`` started for
  this home when it answers its health check; else a temporary API-only server of its own
  (what Prefect's ephemeral mode does, but started here so that it dies with us).

Every server blogscope starts is a child with ``PR_SET_PDEATHSIG``: a ``kill -9`` of blogscope
ends it too. Prefect's own ephemeral mode starts its server without that, so it is never used.
No Prefect import here: this module only starts processes and speaks HTTP to 127.0.0.1.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from flows.errors import JobError
from flows.prefect_env import prefect_child_env
from pipeline.proc import die_with_parent

log = logging.getLogger(__name__)

SERVER_FILE = "server.json"
HEALTH_TIMEOUT_S = 0.5


@dataclass
class ServerProcess:
    url: str  # the API URL, http://127.0.0.1:PORT/api
    process: subprocess.Popen
    info_file: Path | None = None

    @property
    def ui_url(self) -> str:
        return self.url.removesuffix("/api")

    def stop(self) -> None:
        """Terminate politely, then kill; forget the server file if it is ours."""
        if self.info_file is not None:
            try:
                if json.loads(self.info_file.read_text(encoding="utf-8")).get("pid") == self.process.pid:
                    self.info_file.unlink()
            except (OSError, ValueError):
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def is_healthy(api_url: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """Does a Prefect API answer its health check at ``api_url``? Only loopback URLs are asked."""
    if not is_loopback_url(api_url):
        return False
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout_s) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def is_loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def server_file(home: Path) -> Path:
    return home / "prefect" / SERVER_FILE


def running_server_url(home: Path) -> str | None:
    """The API URL of the server ``schedule`` started for this home, if it is alive and healthy."""
    from warehouse.runs import pid_alive

    try:
        info = json.loads(server_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url, pid = info.get("url"), info.get("pid")
    if not isinstance(url, str) or not isinstance(pid, int) or not pid_alive(pid):
        return None
    return url if is_healthy(url) else None


def start_server(home: Path, *, full: bool, port: int | None = None, startup_timeout_s: float = 180.0,
                 extra_env: dict[str, str] | None = None) -> ServerProcess:
    """Start a Prefect server on 127.0.0.1 as a child that dies with us; wait until it is healthy.

    ``full``: ``prefect server start`` with the UI and the scheduler services (for ``schedule``);
    otherwise an API-only server like Prefect's ephemeral one (for ``run``). ``extra_env``: server
    settings, e.g. ``PREFECT_API_DATABASE_CONNECTION_URL`` for PostgreSQL (``flows/cluster.py``).
    """
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = prefect_child_env(home)
    env.update(extra_env or {})
    if full:
        cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    else:
        # The command Prefect's ephemeral mode runs (prefect/server/api/server.py SubprocessASGIServer).
        import importlib.util

        prefect_dir = Path(importlib.util.find_spec("prefect").origin).parent  # type: ignore[arg-type, union-attr]
        env.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})
        cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_dir.parent), "--factory",
               "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "error", "--lifespan", "on"]
    log_path = prefect_home / ("server.log" if full else "api-server.log")
    with open(log_path, "ab") as log_file:
        # Its own process group: a Ctrl-C in the terminal goes to blogscope, which still needs the
        # server to record how the run ended, and stops it last. A kill -9 of blogscope ends it
        # through the death signal.
        process = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                                   process_group=0, preexec_fn=die_with_parent)  # noqa: PLW1509 - prctl only
    server = ServerProcess(f"http://127.0.0.1:{port}/api", process)
    deadline = time.monotonic() + startup_timeout_s
    while not is_healthy(server.url):
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            raise JobError(f"the Prefect server exited with {process.returncode} at start: {tail[0][:300]} "
                           f"(log: {log_path})")
        if time.monotonic() > deadline:
            server.stop()
            raise JobError(f"the Prefect server did not answer within {startup_timeout_s:.0f} s (log: {log_path})")
        time.sleep(0.1)
    if full:
        server.info_file = server_file(home)
        tmp = server.info_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": server.url, "pid": process.pid, "started_by": "blogscope schedule"}),
                       encoding="utf-8")
        os.replace(tmp, server.info_file)
    atexit.register(server.stop)
    return server


def use_server_for_run(home: Path) -> str:
    """Point this process's Prefect client at a server (see the module docstring); returns its
    API URL. Call before Prefect is imported."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    url = running_server_url(home)
    if url is None:
        url = start_server(home, full=False).url
    else:
        log.info("using the Prefect server of 'blogscope schedule' at %s", url)
    os.environ["PREFECT_API_URL"] = url
    return url
