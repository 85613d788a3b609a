"""Settings: documented defaults, then ``VARSHARE_*`` environment variables, then the caller's overrides.

Every limit, threshold and URL the service uses lives here. ``load_settings`` fails fast with a message
that names the variable to set when a production deployment lacks a required secret.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

MODES = ("production", "sandbox", "test")
# Used only in sandbox/test mode when no linkage key is configured: clearly not a secret.
DEMO_LINKAGE_KEY = "varshare-demo-linkage-key-NOT-SECRET-sandbox-and-tests-only"

MIN_PRIVACY_K = 2  # sandbox and test: below 2 every count would be shown, which is no protection
MIN_PRIVACY_K_PRODUCTION = 5  # the documented default is the floor in production; raise it (e.g. 11), never lower


class ConfigError(RuntimeError):
    """The configuration cannot run: the message says which setting to fix."""


@dataclass(frozen=True)
class Settings:
    """All runtime settings. Environment names are ``VARSHARE_`` + the upper-cased field name."""

    mode: str = "production"  # production | sandbox | test
    data_dir: str = "var"  # where the embedded SQLite files live
    database_url: str = ""  # default: sqlite file in data_dir
    linkage_database_url: str = ""  # default: a second sqlite file in data_dir
    linkage_key: str = field(default="", repr=False)  # secret; required in production
    release_dir: str = ""  # default: data_dir/releases; release files are written here, read-only
    public_base_url: str = "http://127.0.0.1:8080"  # used for absolute links and JWT audiences
    log_level: str = "INFO"
    db_pool_size: int = 5
    db_pool_timeout_s: float = 10.0
    sqlite_busy_timeout_ms: int = 5000
    check_schema_on_start: bool = True
    # Request limits (enforced by the API layer).
    max_body_bytes: int = 10 * 1024 * 1024
    max_bundle_entries: int = 5000
    max_json_depth: int = 100
    # Aggregation points ClinVar does not document, as a JSON object of overrides (see README), e.g.
    # {"top_tier_conflict": "most-recent", "wording": "legacy"}. Empty: the documented defaults.
    aggregation_rules: str = ""
    accept_preliminary_reports: bool = False  # preliminary/registered/partial reports are not shared by default
    # Proxy handling: number of trusted reverse proxies in front of the service (0 = none).
    trusted_proxies: int = 0
    # Small-cell threshold: case-level counts below k are shown as "<k". Production refuses k < 5.
    privacy_k: int = 5

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def effective_linkage_key(self) -> str:
        return self.linkage_key or DEMO_LINKAGE_KEY


def _coerce(value: str, target: Any) -> Any:
    if isinstance(target, bool):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"expected a boolean (true/false), got {value!r}")
    if isinstance(target, int):
        return int(value)
    if isinstance(target, float):
        return float(value)
    return value


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from defaults, then VARSHARE_* variables, then ``overrides``; validate them."""
    environ = os.environ if environ is None else environ
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        env_name = f"VARSHARE_{f.name.upper()}"
        if env_name in environ:
            try:
                values[f.name] = _coerce(environ[env_name], getattr(defaults, f.name))
            except (ValueError, ConfigError) as exc:
                raise ConfigError(f"{env_name}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    for key, value in (overrides or {}).items():
        name = key.lower().removeprefix("varshare_")
        if name not in known:
            raise ConfigError(f"unknown setting {key!r}; known settings: {', '.join(sorted(known))}")
        values[name] = value
    settings = dataclasses.replace(defaults, **values)
    return _complete(settings)


def _complete(settings: Settings) -> Settings:
    if settings.mode not in MODES:
        raise ConfigError(f"VARSHARE_MODE must be one of {', '.join(MODES)}, not {settings.mode!r}")
    data_dir = Path(settings.data_dir)
    database_url = settings.database_url or f"sqlite:///{data_dir / 'varshare.db'}"
    linkage_url = settings.linkage_database_url or f"sqlite:///{data_dir / 'linkage-vault.db'}"
    if settings.is_production and not settings.linkage_key:
        raise ConfigError(
            "VARSHARE_LINKAGE_KEY is not set. A production deployment needs a secret linkage key "
            "(at least 32 random characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
            "to pseudonymise patient links; set VARSHARE_MODE=sandbox to try varshare with demo keys."
        )
    if settings.linkage_key and len(settings.linkage_key) < 32:
        raise ConfigError("VARSHARE_LINKAGE_KEY must be at least 32 characters long")
    minimum_k = MIN_PRIVACY_K_PRODUCTION if settings.is_production else MIN_PRIVACY_K
    if settings.privacy_k < minimum_k:
        raise ConfigError(f"VARSHARE_PRIVACY_K must be at least {minimum_k} in {settings.mode} mode "
                          f"(small-cell protection; {MIN_PRIVACY_K_PRODUCTION} is the production floor)")
    if settings.aggregation_rules:
        try:
            parsed = json.loads(settings.aggregation_rules)
        except ValueError as exc:
            raise ConfigError(f"VARSHARE_AGGREGATION_RULES is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise ConfigError("VARSHARE_AGGREGATION_RULES must be a JSON object of rule overrides")
    if database_url == linkage_url:
        raise ConfigError("VARSHARE_LINKAGE_DATABASE_URL must name a different database than VARSHARE_DATABASE_URL")
    release_dir = settings.release_dir or str(data_dir / "releases")
    return dataclasses.replace(settings, database_url=database_url, linkage_database_url=linkage_url,
                               release_dir=release_dir)
