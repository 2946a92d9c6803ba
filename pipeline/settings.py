"""One configuration, read once at the edge (the CLI) and passed down.

Sources, later ones winning: built-in defaults < the TOML file (``--config``, else
``HOME/blogscope.toml`` when present) < environment variables ``BLOGSCOPE_<SECTION>_<KEY>``
(for example ``BLOGSCOPE_CRAWL_USER_AGENT``) < command-line flags.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SiteConfig:
    """One blog in the site list (``[[sites]]`` in the config or ``sites.toml``)."""

    id: str
    url: str
    platform: str = "auto"  # auto | wordpress | blogger | generic
    allow_private: bool = False
    max_pages: int | None = None
    max_posts: int | None = None


@dataclass(frozen=True)
class CrawlSettings:
    user_agent: str = "blogscope/0.1 (+https://example.org/blogscope; research crawler)"
    contact: str = ""
    obey_robots: bool = True
    concurrency_per_domain: int = 1
    download_delay: float = 0.0
    autothrottle: bool = True
    max_pages_per_site: int = 5000
    max_depth: int = 8
    max_response_bytes: int = 10 * 1024 * 1024
    timeout_s: float = 30.0
    retry_times: int = 3
    # Revisit posts this many days after publication to collect late comments.
    revisit_after_days: tuple[int, ...] = (1, 3, 7, 30)
    allow_private: bool = False


@dataclass(frozen=True)
class ProcessSettings:
    workers: int = 0  # 0: all cores
    timeout_s: float = 30.0
    max_html_bytes: int = 8 * 1024 * 1024
    languages: tuple[str, ...] = ("en",)  # sentiment and topics run on these


@dataclass(frozen=True)
class TopicSettings:
    k: int | None = None  # None: chosen by a sweep
    k_min: int = 4
    k_max: int = 12
    seed: int = 42
    model: str = "auto"  # auto | nmf | lda (the classic backend)
    # classic: NMF / LDA over terms; embeddings: k-means over sentence vectors (optional extra,
    # `make install-embeddings`; README "Choosing a topic backend")
    backend: str = "classic"
    # [topics.names]: editors' names for topics, keyed by the stable topic id that alignment keeps
    # across refits (``"3" = "Sleep and insomnia"``); the report and v_current_topics use them.
    names: tuple[tuple[int, str], ...] = ()

    @property
    def names_by_id(self) -> dict[int, str]:
        return dict(self.names)


@dataclass(frozen=True)
class PrivacySettings:
    # Key for commenter pseudonyms. Kept outside the database; generated into HOME/secret.key
    # when empty, so pseudonyms stay stable across runs of one home.
    pseudonym_key: str = ""
    report_comment_text: bool = False  # verbatim comment text in the report
    # Days to keep the raw WARC archive (the only place raw names stay); 0 keeps it forever.
    # Older archive files are deleted after each successful load.
    keep_raw_days: int = 0


@dataclass(frozen=True)
class ScheduleSettings:
    crawl_cron: str = "0 3 * * *"
    topics_cron: str = "0 4 * * 0"
    timezone: str = "UTC"


@dataclass(frozen=True)
class WarehouseSettings:
    # Empty: the single DuckDB file under home (the default on one machine). A PostgreSQL URL
    # (postgresql://user@host:port/db): a DuckLake warehouse, catalog in that database and
    # Parquet data files under data_path (a folder every worker and analyst sees: NFS, or
    # s3://... with credentials from the environment). See warehouse/lake.py.
    catalog: str = ""
    data_path: str = ""


@dataclass(frozen=True)
class Settings:
    home: Path = Path("blogscope-home")
    sites: tuple[SiteConfig, ...] = ()
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    process: ProcessSettings = field(default_factory=ProcessSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)

    # -- paths under home -------------------------------------------------------------
    @property
    def published_db(self) -> Path:
        return self.home / "blogscope.duckdb"

    @property
    def working_db(self) -> Path:
        return self.home / "work" / "warehouse.duckdb"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def report_path(self) -> Path:
        return self.home / "report.html"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id


_SECTIONS = {
    "crawl": CrawlSettings,
    "process": ProcessSettings,
    "topics": TopicSettings,
    "privacy": PrivacySettings,
    "schedule": ScheduleSettings,
    "warehouse": WarehouseSettings,
}


LOGGER = logging.getLogger(__name__)

# Settings no release reads any more: an old config that still has one loads, with a warning,
# instead of failing as an unknown setting would. (section class, key) -> what to tell the user.
_RETIRED = {
    ("PrivacySettings", "redact_exports"): "[privacy] redact_exports is no longer read (exports are always "
                                           "redacted); remove it",
}


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to change."""


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
            tuple: "a list"}.get(kind, kind.__name__)


# Numeric settings that must be at least this (the rest of the numbers must be 0 or more).
_MINIMUM = {"max_pages": 1, "max_posts": 1, "max_pages_per_site": 1, "max_depth": 1, "max_response_bytes": 1,
            "max_html_bytes": 1, "concurrency_per_domain": 1, "k": 1, "k_min": 1, "k_max": 1}
# Settings that are seconds: finite and over 0.
_POSITIVE_SECONDS = frozenset(("timeout_s",))


def _field_kind(f: dataclasses.Field, default: Any) -> type | None:
    """The Python type a setting holds (from its default, or its annotation when the default is None)."""
    if default is not None:
        return type(default)
    annotation = str(f.type)
    for name, kind in (("int", int), ("float", float), ("str", str), ("bool", bool)):
        if annotation.startswith(name + " |") or annotation == name:
            return kind
    return None


def _check_value(name: str, value: Any, kind: type | None, where: str) -> None:
    """Refuse a setting of the wrong type or out of range, naming the key and what it takes."""
    import math

    if kind is None or value is None:
        return
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is tuple:
        ok = isinstance(value, tuple)
    elif kind in (int, float):
        ok = isinstance(value, kind) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ConfigError(f"{where}: {name} = {value!r} must be {_type_name(kind)}")
    if kind is tuple:
        if any(not isinstance(v, (int, str)) or isinstance(v, bool) or (isinstance(v, int) and v < 0)
               for v in value):
            raise ConfigError(f"{where}: {name} = {list(value)!r} must be a list of values of 0 or more")
        return
    if kind in (int, float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where}: {name} = {value!r} must be a finite number")
        if name in _POSITIVE_SECONDS and value <= 0:
            raise ConfigError(f"{where}: {name} = {value!r} must be a number of seconds over 0")
        minimum = _MINIMUM.get(name, 0)
        if value < minimum:
            raise ConfigError(f"{where}: {name} = {value!r} must be {minimum} or more")


def _coerce(cls: type, name: str, value: Any, where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"{where}: unknown setting {name!r} (known: {known})")
    f = fields[name]
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        default = f.default_factory()  # type: ignore[misc]
    else:
        default = None
    kind = _field_kind(f, default)
    if isinstance(value, str) and kind not in (None, str):
        # From the environment: parse as TOML scalar/array.
        try:
            value = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: {name} = {value!r} must be {_type_name(kind)}") from exc
    if isinstance(default, tuple) and isinstance(value, list):
        value = tuple(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    _check_value(name, value, kind, where)
    return value


def _topic_names(table: Any, where: str) -> tuple[tuple[int, str], ...]:
    """``[topics.names]`` as sorted (topic id, name) pairs; keys are topic ids, values non-empty text."""
    if not isinstance(table, dict):
        raise ConfigError(f'{where}: [topics.names] must be a table of topic id = "name", e.g. 3 = "Sleep"')
    out: dict[int, str] = {}
    for key, value in table.items():
        if not str(key).strip().isdigit():
            raise ConfigError(f"{where}: [topics.names] key {key!r} is not a topic id: use the number the report "
                              'shows as "T3", e.g. 3 = "Sleep and insomnia"')
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: [topics.names] {key} = {value!r} must be a non-empty string")
        out[int(str(key).strip())] = " ".join(value.split())
    return tuple(sorted(out.items()))


def _section(cls: type, data: dict[str, Any], where: str) -> Any:
    kwargs = {}
    for key, value in data.items():
        retired = _RETIRED.get((cls.__name__, key))
        if retired:
            LOGGER.warning("%s: %s", where, retired)
            continue
        if (cls, key) == (TopicSettings, "names") and isinstance(value, tuple):
            kwargs[key] = value  # already read by the [topics.names] table reader
            continue
        kwargs[key] = _coerce(cls, key, value, f"{where} [{cls.__name__}]")
    return cls(**kwargs)


def url_problem(url: Any) -> str | None:
    """Why ``url`` cannot be a blog's start URL (not http(s), no host, bad port or brackets), or None."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return f"{url!r} is not an http(s) URL"
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # .port raises for a port over 65535 or not a number
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    if not host:
        return f"{url!r} has no host name"
    if port == 0:
        return f"{url!r}: port 0 is not a port"
    return None


def check_unique_ids(sites: Iterable[SiteConfig], where: str) -> None:
    """Refuse two sites with one id (the second would silently replace the first's state and rows)."""
    seen: dict[str, str] = {}
    for site in sites:
        if site.id in seen:
            raise ConfigError(f"{where}: two sites have the id {site.id!r} ({seen[site.id]} and {site.url}); "
                              "give each [[sites]] entry its own id")
        seen[site.id] = site.url


def load_sites(data: list[dict[str, Any]], where: str) -> tuple[SiteConfig, ...]:
    from pipeline.ids import site_id_for

    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise ConfigError(f"{where}: sites must be [[sites]] tables (id, url, platform, ...)")
    sites = []
    for i, entry in enumerate(data):
        if "url" not in entry:
            raise ConfigError(f"{where}: site #{i + 1} has no url")
        problem = url_problem(entry["url"])
        if problem:
            raise ConfigError(f"{where}: site #{i + 1}: {problem}")
        entry = dict(entry)
        entry.setdefault("id", site_id_for(entry["url"]))
        if not isinstance(entry["id"], str) or not entry["id"].strip():
            raise ConfigError(f"{where}: site #{i + 1}: id = {entry['id']!r} must be a non-empty string, "
                              'e.g. id = "my-blog"')
        if entry.get("platform", "auto") not in ("auto", "wordpress", "blogger", "generic"):
            raise ConfigError(f"{where}: site {entry['id']}: platform must be auto, wordpress, blogger or generic")
        sites.append(_section(SiteConfig, entry, where))
    check_unique_ids(sites, where)
    return tuple(sites)


def load_settings(home: Path | str | None = None, config: Path | str | None = None,
                  env: dict[str, str] | None = None) -> Settings:
    """Defaults < config file < environment. ``home`` given here wins over the file's."""
    env = dict(os.environ if env is None else env)
    data: dict[str, Any] = {}
    home_path = Path(home or env.get("BLOGSCOPE_HOME") or "blogscope-home")
    if home_path.exists() and not home_path.is_dir():
        raise ConfigError(f"home {home_path} is a file, not a folder: give --home a folder (it is created when missing)")
    cfg_path = Path(config) if config else home_path / "blogscope.toml"
    if config and not cfg_path.exists():
        raise ConfigError(f"config file {cfg_path} does not exist")
    if cfg_path.exists():
        data = read_toml(cfg_path)
    where = str(cfg_path)
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        raw = dict(data.get(name, {}))
        if name == "topics" and "names" in raw:
            raw["names"] = _topic_names(raw.pop("names"), where)
        prefix = f"BLOGSCOPE_{name.upper()}_"
        for key, value in env.items():
            if key.startswith(prefix):
                raw[key[len(prefix):].lower()] = value
        sections[name] = _section(cls, raw, where)
    if sections["topics"].backend not in ("classic", "embeddings"):
        raise ConfigError(f"{where}: [topics] backend must be \"classic\" or \"embeddings\" "
                          f"(got {sections['topics'].backend!r})")
    unknown = set(data) - set(_SECTIONS) - {"sites", "home"}
    if unknown:
        raise ConfigError(f"{where}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)} and sites")
    sites = load_sites(data.get("sites", []), where)
    if home is None and "home" in data:
        home_path = Path(data["home"])
    return Settings(home=home_path, sites=sites, **sections)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; ``ConfigError`` (one line) when it cannot be read, is not UTF-8 or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from exc


def with_sites(settings: Settings, sites: tuple[SiteConfig, ...]) -> Settings:
    return dataclasses.replace(settings, sites=sites)
