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
