"""Shared fixtures: where the shared data lives, and the project root."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The unpacked language model is cached per user (pipeline.language.model_cache_dir); the tests,
# and the CLI subprocesses they start, use a cache of their own instead of the user's.
os.environ.setdefault("BLOGSCOPE_CACHE_DIR", tempfile.mkdtemp(prefix="blogscope-test-cache-"))


def shared_data_dir() -> Path:
    """``../shared/data`` beside the project root, or ``BLOGSCOPE_SHARED_DATA``."""
    return Path(os.environ.get("BLOGSCOPE_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data not found at {path} (set BLOGSCOPE_SHARED_DATA)")
        pytest.skip(f"shared data not found at {path} (set BLOGSCOPE_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def shared_prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """One API-only Prefect server on 127.0.0.1 for the whole session, named by ``PREFECT_API_URL``.

    Every ``blogscope run`` without a server starts its own (7-20 s on 2 cores); with dozens of
    runs in the suite that was most of its time. A run named a server by ``PREFECT_API_URL`` uses
    it, as it would a researcher's running ``schedule`` server. Tests of the start-up path itself
    (the demo end to end, kill -9 and Ctrl-C of a run, ``schedule``) strip ``PREFECT_*`` from the
    environment of what they start, so they still start and supervise their own server.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from flows.server import start_server

    server = start_server(tmp_path_factory.mktemp("prefect-session-server"), full=False)
    os.environ["PREFECT_API_URL"] = server.url
    try:
        yield server.url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
