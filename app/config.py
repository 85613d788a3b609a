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
from urllib.parse import urlsplit

MODES = ("production", "sandbox", "test")
# Used only in sandbox/test mode when no linkage key is configured: clearly not a secret.
DEMO_LINKAGE_KEY = "varshare-demo-linkage-key-NOT-SECRET-sandbox-and-tests-only"

# Default rate limits (security-and-performance.md A6). Sandbox mode allows ten times as much (every integrator
# shares the demo tenants and the demo EHR's client); test mode keeps them out of the way of the test suite.
RATE_LIMIT_DEFAULTS = {"hooks": "20/second", "discovery": "10/minute", "ingest": "60/minute", "read": "600/minute",
                       "unauthenticated": "60/minute"}
RATE_LIMIT_SANDBOX_DEFAULTS = {"hooks": "200/second", "discovery": "100/minute", "ingest": "600/minute",
                               "read": "6000/minute", "unauthenticated": "600/minute"}
RATE_LIMIT_TEST_DEFAULT = "100000/minute"

DEFAULT_FHIR_PROFILES_DIR = Path(__file__).resolve().parents[1] / "fhir_profiles"  # the source tree's

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
    # The Genomics Reporting profiles and value sets submissions are checked against (README "fhir_profiles").
    # Default: the fhir_profiles/ directory of the source tree this app runs from.
    fhir_profiles_dir: str = ""
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
    max_api_body_bytes: int = 64 * 1024  # JSON bodies of the /api write endpoints (flag, unflag)
    # Aggregation points ClinVar does not document, as a JSON object of overrides (see README), e.g.
    # {"top_tier_conflict": "most-recent", "wording": "legacy"}. Empty: the documented defaults.
    aggregation_rules: str = ""
    accept_preliminary_reports: bool = False  # preliminary/registered/partial reports are not shared by default
    # Proxy handling: number of trusted reverse proxies in front of the service (0 = none).
    trusted_proxies: int = 0
    # Small-cell threshold: case-level counts below k are shown as "<k". Production refuses k < 5.
    privacy_k: int = 5
    # Audit search: event ids one `GET /fhir/AuditEvent` request examines at most (README "Audit access").
    audit_search_window: int = 50_000
    # CDS Hooks services (README "CDS Hooks").
    cds_max_body_bytes: int = 5 * 1024 * 1024  # hook and feedback bodies (413 beyond it)
    cds_max_variants: int = 1000  # variants per hook call (400 beyond it)
    cds_smart_app_url: str = ""  # SMART app launch URL added as a card link; empty: no SMART link
    # fhirServer fallback: only the URL of the request, https outside sandbox/test mode, no redirects.
    cds_fhir_connect_timeout_s: float = 1.0
    cds_fhir_read_timeout_s: float = 2.0
    cds_fhir_budget_s: float = 4.0  # total time for all fallback queries of one hook call
    cds_fhir_max_pages: int = 5  # `next` pages followed per query
    cds_fhir_max_bytes: int = 5 * 1024 * 1024  # per response
    # fhirServer URL prefixes that may be queried without fhirAuthorization (comma-separated; open test servers).
    # Unset in sandbox mode: the sandbox's own EHR FHIR server ({public_base_url}/sandbox/fhir).
    cds_open_fhir_servers: str = ""
    # Genetic test orders: JSON {"system|code": ["GENE", ...]} merged over the defaults (README); an empty gene
    # list means "the genes the order itself names" (HGNC codings).
    cds_genetic_test_codes: str = ""
    # CDS Hooks client JWTs (README "CDS Hooks client authentication").
    jwt_leeway_s: int = 30  # clock skew allowed on exp/iat/nbf
    jwt_max_lifetime_s: int = 300  # longest accepted exp - iat; at most 3600 (CDS Hooks best practice)
    jwt_extra_alg_issuers: str = ""  # comma-separated exact issuers that may also sign RS256 or ES256
    jwks_cache_s: int = 300  # how long a fetched client JWK Set is reused before it is fetched again
    # Origins allowed to call /cds-services from a browser, comma separated ("*" = any; refused in
    # production). Unset: "*" in sandbox mode, none otherwise.
    cds_allowed_origins: str | None = None
    cds_cors_private_network: bool = False  # answer Chromium's Private Network Access preflights (dev only)
    # Rate limits (README "Operations and security"): ``limits`` limit strings ("20/second", "60 per minute",
    # several separated by ";"), per authenticated tenant or CDS client, or per address before authentication.
    # Empty: the documented default of the mode (RATE_LIMIT_DEFAULTS; very high in test mode).
    rate_limit_enabled: bool = True
    rate_limit_storage: str = "memory://"  # per process; redis://host:6379/0 shares the counts across workers
    rate_limit_hooks: str = ""  # CDS hook calls and feedback, per client (iss + tenant)
    rate_limit_discovery: str = ""  # CDS discovery, per client
    rate_limit_ingest: str = ""  # submissions (POST /fhir...), per submitter
    rate_limit_read: str = ""  # every other authenticated call (read API, audit search, metrics), per tenant
    rate_limit_unauthenticated: str = ""  # calls without valid credentials and public API calls, per address

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def effective_linkage_key(self) -> str:
        return self.linkage_key or DEMO_LINKAGE_KEY

    @property
    def cds_origins(self) -> tuple[str, ...]:
        """The browser origins allowed on /cds-services ("*" means any)."""
        return tuple(o.strip() for o in (self.cds_allowed_origins or "").split(",") if o.strip())


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
    _check_cds_settings(settings)
    if settings.cds_genetic_test_codes:
        try:
            codes = json.loads(settings.cds_genetic_test_codes)
        except ValueError as exc:
            raise ConfigError(f"VARSHARE_CDS_GENETIC_TEST_CODES is not valid JSON: {exc}") from exc
        if not isinstance(codes, dict) or not all(
                isinstance(k, str) and "|" in k and isinstance(v, list) and all(isinstance(g, str) for g in v)
                for k, v in codes.items()):
            raise ConfigError('VARSHARE_CDS_GENETIC_TEST_CODES must map "system|code" to a list of gene symbols')
    if settings.audit_search_window < 100:
        raise ConfigError("VARSHARE_AUDIT_SEARCH_WINDOW must be at least 100 events")
    if settings.cds_max_variants < 1 or settings.cds_fhir_max_pages < 1:
        raise ConfigError("VARSHARE_CDS_MAX_VARIANTS and VARSHARE_CDS_FHIR_MAX_PAGES must be at least 1")
    if database_url == linkage_url:
        raise ConfigError("VARSHARE_LINKAGE_DATABASE_URL must name a different database than VARSHARE_DATABASE_URL")
    release_dir = settings.release_dir or str(data_dir / "releases")
    profiles_dir = settings.fhir_profiles_dir or str(DEFAULT_FHIR_PROFILES_DIR)
    if not Path(profiles_dir).is_dir():
        raise ConfigError(f"VARSHARE_FHIR_PROFILES_DIR: {profiles_dir} is not a directory; point it at the "
                          "fhir_profiles/ directory of the varshare source (the Docker image sets it)")
    origins = settings.cds_allowed_origins
    if origins is None:
        origins = "*" if settings.mode == "sandbox" else ""
    open_servers = settings.cds_open_fhir_servers
    if not open_servers and settings.mode == "sandbox":  # the sandbox's own synthetic, open EHR FHIR server
        open_servers = settings.public_base_url.rstrip("/") + "/sandbox/fhir"
    return dataclasses.replace(settings, database_url=database_url, linkage_database_url=linkage_url,
                               release_dir=release_dir, fhir_profiles_dir=profiles_dir,
                               cds_allowed_origins=origins,
                               cds_open_fhir_servers=open_servers, **_rate_limits(settings))


def _rate_limits(settings: Settings) -> dict[str, str]:
    """Every rate limit filled in with its mode's default and checked; fails naming the variable."""
    from limits import parse_many

    found = {}
    for group, default in RATE_LIMIT_DEFAULTS.items():
        name = f"rate_limit_{group}"
        value = getattr(settings, name) or (RATE_LIMIT_TEST_DEFAULT if settings.mode == "test" else
                                            RATE_LIMIT_SANDBOX_DEFAULTS[group] if settings.mode == "sandbox"
                                            else default)
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(f"VARSHARE_{name.upper()} must be a rate limit like '20/second' or "
                              f"'60 per minute;1000 per day', not {value!r}") from None
        found[name] = value
    if "://" not in settings.rate_limit_storage:
        raise ConfigError("VARSHARE_RATE_LIMIT_STORAGE must be a storage URI: memory:// (per process) or "
                          "redis://host:6379/0 (shared by every worker)")
    return found


def _check_cds_settings(settings: Settings) -> None:
    if not 0 <= settings.jwt_leeway_s <= 300:
        raise ConfigError("VARSHARE_JWT_LEEWAY_S must be between 0 and 300 seconds")
    if not 1 <= settings.jwt_max_lifetime_s <= 3600:
        raise ConfigError("VARSHARE_JWT_MAX_LIFETIME_S must be between 1 and 3600 seconds (CDS Hooks: at most an hour)")
    if settings.jwks_cache_s < 0:
        raise ConfigError("VARSHARE_JWKS_CACHE_S must not be negative")
    origins = [o.strip() for o in (settings.cds_allowed_origins or "").split(",") if o.strip()]
    for origin in origins:
        if origin == "*":
            if settings.is_production:
                raise ConfigError("VARSHARE_CDS_ALLOWED_ORIGINS may not be '*' in production: list the browser "
                                  "clients' origins, e.g. https://sandbox.cds-hooks.org")
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path or parts.query:
            raise ConfigError(f"VARSHARE_CDS_ALLOWED_ORIGINS: {origin!r} is not an origin like https://ehr.example")
