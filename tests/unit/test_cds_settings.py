"""Settings of CDS client authentication and CORS: defaults per mode and fail-fast validation."""

import pytest

from app.config import ConfigError, load_settings

KEY = "k" * 40


def test_defaults():
    production = load_settings(environ={"VARSHARE_LINKAGE_KEY": KEY})
    assert (production.jwt_leeway_s, production.jwt_max_lifetime_s, production.jwks_cache_s) == (30, 300, 300)
    assert production.cds_origins == ()
    assert load_settings({"mode": "sandbox"}, environ={}).cds_origins == ("*",)
    assert load_settings({"mode": "test"}, environ={}).cds_origins == ()


def test_origins_from_the_environment():
    env = {"VARSHARE_LINKAGE_KEY": KEY, "VARSHARE_CDS_ALLOWED_ORIGINS": "https://sandbox.cds-hooks.org, http://localhost:3000"}
    assert load_settings(environ=env).cds_origins == ("https://sandbox.cds-hooks.org", "http://localhost:3000")
    assert load_settings({"mode": "sandbox", "cds_allowed_origins": ""}, environ={}).cds_origins == ()


@pytest.mark.parametrize("overrides, message", [
    ({"cds_allowed_origins": "*"}, "production"),
    ({"cds_allowed_origins": "https://ehr.example/path"}, "not an origin"),
    ({"cds_allowed_origins": "ehr.example"}, "not an origin"),
    ({"jwt_max_lifetime_s": 3601}, "3600"),
    ({"jwt_max_lifetime_s": 0}, "3600"),
    ({"jwt_leeway_s": -1}, "LEEWAY"),
    ({"jwks_cache_s": -5}, "JWKS_CACHE"),
])
def test_invalid_values_fail_fast(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides, environ={"VARSHARE_LINKAGE_KEY": KEY})


def test_the_sandbox_ehr_is_an_open_fhir_server_in_sandbox_mode_only():
    sandbox = load_settings({"mode": "sandbox", "public_base_url": "http://127.0.0.1:9000/"}, environ={})
    assert sandbox.cds_open_fhir_servers == "http://127.0.0.1:9000/sandbox/fhir"
    assert load_settings({"mode": "test"}, environ={}).cds_open_fhir_servers == ""
    assert load_settings(environ={"VARSHARE_LINKAGE_KEY": KEY}).cds_open_fhir_servers == ""
    chosen = load_settings({"mode": "sandbox", "cds_open_fhir_servers": "https://open.example/fhir"}, environ={})
    assert chosen.cds_open_fhir_servers == "https://open.example/fhir"
