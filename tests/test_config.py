"""Settings from defaults, environment and overrides."""

from __future__ import annotations

import pytest

from geociv.config import DEFAULT_STORE, Settings
from geociv.errors import ConfigError


def test_defaults() -> None:
    s = Settings.from_env(environ={})
    assert (s.store, s.host, s.port, s.jurisdiction) == (DEFAULT_STORE, "127.0.0.1", 5000, "411700")


def test_environment_then_overrides() -> None:
    env = {"GEOCIV_STORE": "/data/a.gpkg", "GEOCIV_PORT": "8080", "GEOCIV_TIANDITU_KEY": "k"}
    s = Settings.from_env(environ=env)
    assert (s.store, s.port, s.tianditu_key) == ("/data/a.gpkg", 8080, "k")
    s = Settings.from_env({"store": "/b.gpkg", "port": None}, environ=env)
    assert (s.store, s.port) == ("/b.gpkg", 8080)


def test_store_path_from_path_or_url() -> None:
    assert (
        str(Settings.from_env({"store": "sqlite:///x/y.gpkg"}, environ={}).store_path) == "x/y.gpkg"
    )
    assert Settings.from_env({"store": "postgresql://h/db"}, environ={}).store_path is None


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"port": "eighty"}, "不是整数"),
        ({"port": 70000}, "1–65535"),
        ({"jurisdiction": "4117"}, "6 位"),
        ({"colour": "red"}, "未知配置项"),
    ],
)
def test_invalid_settings(overrides: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        Settings.from_env(overrides, environ={})
