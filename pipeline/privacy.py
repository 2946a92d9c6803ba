"""Commenter pseudonyms: a keyed hash, stable for one key, useless without it.

Health talk is sensitive: raw commenter names stay in the raw archive only. Analysts see
``author_pseudonym``; the key lives in ``HOME/secret.key`` (or the config), never in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
import unicodedata
from pathlib import Path

_PREFIX = "reader-"


def load_or_create_key(home: Path, configured: str = "") -> bytes:
    """The configured key, else ``HOME/secret.key`` (created once, mode 0600)."""
    if configured:
        return configured.encode("utf-8")
    path = home / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def normalise_name(name: str) -> str:
    """Case, width and spacing variants of one name give one pseudonym."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def pseudonym(name: str | None, key: bytes, site_id: str = "") -> str | None:
    """``reader-<12 hex>`` for a commenter name, per site; None for no name.

    Per-site so two blogs' "Anonymous" readers are not one person.
    """
    if name is None or not name.strip():
        return None
    msg = f"{site_id}\x1f{normalise_name(name)}".encode("utf-8")
    return _PREFIX + hmac.new(key, msg, hashlib.sha256).hexdigest()[:12]


def drop_expired_archives(archive_dir: Path, keep_days: int, now: float | None = None) -> list[Path]:
    """Delete WARC files (``*.warc.gz``) last written more than ``keep_days`` ago; 0 keeps all.

    The archive is the only place raw names stay; a retention period bounds how long. A file's
    modification time is when its last response was archived.
    """
    if keep_days <= 0 or not archive_dir.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    dropped = []
    for path in sorted(archive_dir.rglob("*.warc.gz")):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            dropped.append(path)
    return dropped
