"""Settings: where the store is, how the web service runs, optional map keys.

Settings come, in increasing priority, from defaults, environment variables (``GEOCIV_*``) and
explicit overrides (CLI options or a Flask ``test_config``).

Examples
--------
>>> s = Settings.from_env({"store": "/tmp/demo.gpkg"}, environ={})
>>> s.store
'/tmp/demo.gpkg'
>>> s.port
5000
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from geociv.errors import ConfigError

#: Environment variable for each setting.
ENV_VARS: dict[str, str] = {
    "store": "GEOCIV_STORE",
    "secret_key": "GEOCIV_SECRET_KEY",
    "host": "GEOCIV_HOST",
    "port": "GEOCIV_PORT",
    "tianditu_key": "GEOCIV_TIANDITU_KEY",
    "jurisdiction": "GEOCIV_JURISDICTION",
    "instance": "GEOCIV_INSTANCE",
    "session_cookie_secure": "GEOCIV_SESSION_COOKIE_SECURE",
}

DEFAULT_STORE = "instance/geociv.gpkg"


@dataclass(frozen=True)
class Settings:
    """Typed geociv settings.

    Parameters
    ----------
    store
        Path of the embedded GeoPackage store, or a database URL (``sqlite:///path`` or
        ``postgresql://user@host:port/db`` for a PostGIS database). Default
        ``instance/geociv.gpkg``.
    secret_key
        Flask session-signing key. When empty a generated one is kept in the file
        ``geociv-session.key`` of the instance folder (never in the store).
    host, port
        Where ``geociv serve`` listens.
    tianditu_key
        Key for 天地图 basemap tiles; without it only the OSM basemap is offered.
    jurisdiction
        Adcode of the jurisdiction the map opens on (the demo: 411700 驻马店市).
    instance
        Instance folder (holds the generated session key file). Default: the folder of the store
        file (``instance`` for a database URL).
    session_cookie_secure
        Send the session cookie only over HTTPS (``GEOCIV_SESSION_COOKIE_SECURE=1``). Off by
        default so that the plain-http demo works; turn it on behind TLS.
    """

    store: str = DEFAULT_STORE
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 5000
    tianditu_key: str = ""
    jurisdiction: str = "411700"
    instance: str = ""
    session_cookie_secure: bool = False

    @classmethod
    def from_env(
        cls,
        overrides: Mapping[str, object] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Build settings from ``environ`` (default ``os.environ``) and ``overrides``.

        ``None`` values in ``overrides`` are ignored, so CLI options that were not given do not
        mask environment variables. Unknown keys and invalid values raise :class:`ConfigError`.
        """
        environ = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        values: dict[str, object] = {}
        for name, var in ENV_VARS.items():
            if environ.get(var):
                values[name] = environ[var]
        for key, value in (overrides or {}).items():
            if key not in known:
                raise ConfigError(f"未知配置项 {key!r}；可用：{', '.join(sorted(known))}")
            if value is not None:
                values[key] = value
        settings = replace(cls(), **_coerce(values))
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming every invalid value."""
        problems = []
        if not 0 < self.port < 65536:
            problems.append(f"端口 port={self.port} 应在 1–65535 之间")
        if not self.store:
            problems.append("存储位置 store 不能为空（GEOCIV_STORE 或 --store）")
        if not (self.jurisdiction.isdigit() and len(self.jurisdiction) == 6):
            problems.append(f"辖区代码 jurisdiction={self.jurisdiction!r} 应为 6 位行政区划代码")
        if problems:
            raise ConfigError("；".join(problems))

    @property
    def store_path(self) -> Path | None:
        """The GeoPackage path when the store is a file, else ``None``."""
        if self.store.startswith("sqlite:///"):
            return Path(self.store.removeprefix("sqlite:///"))
        if "://" in self.store:
            return None
        return Path(self.store)

    @property
    def instance_path(self) -> Path:
        """The instance folder: ``instance`` if set, else the store file's folder."""
        if self.instance:
            return Path(self.instance)
        path = self.store_path
        return path.parent if path is not None else Path("instance")


def _coerce(values: dict[str, object]) -> dict[str, object]:
    out = dict(values)
    if "port" in out:
        try:
            out["port"] = int(out["port"])  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ConfigError(f"端口 port={out['port']!r} 不是整数") from None
    for key in ("store", "secret_key", "host", "tianditu_key", "jurisdiction", "instance"):
        if key in out:
            out[key] = str(out[key])
    if "session_cookie_secure" in out:
        out["session_cookie_secure"] = _flag(out["session_cookie_secure"])
    return out


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(
        f"开关 session_cookie_secure={value!r} 应为 1/0、true/false、yes/no 或 on/off"
    )
