"""Settings that no release reads any more: an old config that still has one keeps loading."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipeline.settings import ConfigError, PrivacySettings, load_settings


def test_an_old_config_with_redact_exports_loads_with_a_warning(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "blogscope.toml").write_text("[privacy]\nredact_exports = false\nkeep_raw_days = 7\n",
                                             encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pipeline.settings"):
        settings = load_settings(home=tmp_path, env={})
    assert settings.privacy.keep_raw_days == 7  # the rest of the section is still read
    assert not hasattr(settings.privacy, "redact_exports")
    assert "redact_exports" not in {f for f in PrivacySettings.__dataclass_fields__}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "redact_exports is no longer read" in warnings[0] and "remove it" in warnings[0]


def test_the_retired_setting_from_the_environment_is_ignored_too(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.settings"):
        settings = load_settings(home=tmp_path, env={"BLOGSCOPE_PRIVACY_REDACT_EXPORTS": "true"})
    assert settings.privacy == PrivacySettings()
    assert any("redact_exports" in r.getMessage() for r in caplog.records)


def test_unknown_settings_are_still_refused(tmp_path: Path) -> None:
    (tmp_path / "blogscope.toml").write_text("[privacy]\nredact_export = false\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'redact_export'"):
        load_settings(home=tmp_path, env={})
