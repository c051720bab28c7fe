from __future__ import annotations

import re
from pathlib import Path

import pytest

from storyline.config import default_values, load_settings
from storyline.errors import ConfigError

from .conftest import ROOT


def test_config_defaults_load() -> None:
    settings = load_settings()
    assert settings.store.path == "storyline.db"
    assert settings.pipeline.batch_size > 0
    assert isinstance(settings.ingest.furniture_patterns, tuple)


def test_config_user_file_overrides_key_by_key(tmp_path: Path) -> None:
    user = tmp_path / "custom.toml"
    user.write_text('[store]\npath = "x.db"\n[nlp]\nlanguages = ["en", "de"]\n')
    settings = load_settings(user)
    assert settings.store.path == "x.db"
    assert settings.nlp.languages == ("en", "de")
    assert settings.nlp.language_min_chars == default_values()["nlp"]["language_min_chars"]


def test_config_storyline_toml_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "storyline.toml").write_text("[pipeline]\nbatch_size = 7\n")
    assert load_settings().pipeline.batch_size == 7


def test_config_flags_override_the_file(tmp_path: Path) -> None:
    (tmp_path / "storyline.toml").write_text('[store]\npath = "file.db"\n')
    assert load_settings(overrides={"store": {"path": "flag.db"}}).store.path == "flag.db"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[nope]\nx = 1\n", "unknown section [nope]"),
        ("[store]\ncolour = 'red'\n", "unknown key 'colour' in [store]"),
        ("[pipeline]\nbatch_size = 'many'\n", "batch_size must be int, got str"),
        ("[pipeline]\nbatch_size = true\n", "batch_size must be int, got bool"),
        ("this is = = not toml", "E013"),
    ],
)
def test_config_bad_user_file_is_a_precise_error(tmp_path: Path, content: str, message: str) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(content)
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        load_settings(user)
    assert str(user) in str(raised.value)


def test_config_every_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "settings.md").read_text()
    for section, values in default_values().items():
        assert f"## [{section}]" in documented, section
        for key in values:
            assert f"| `{key}` |" in documented, f"[{section}] {key} is not in docs/settings.md"
