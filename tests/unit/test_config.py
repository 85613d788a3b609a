"""Settings precedence and fail-fast validation."""

import pytest

from app.config import DEMO_LINKAGE_KEY, ConfigError, load_settings

KEY = "k" * 40


def test_defaults_then_environment_then_overrides():
    env = {"VARSHARE_LINKAGE_KEY": KEY, "VARSHARE_LOG_LEVEL": "DEBUG", "VARSHARE_MAX_BUNDLE_ENTRIES": "10"}
    settings = load_settings({"log_level": "WARNING"}, environ=env)
    assert settings.log_level == "WARNING"  # override beats environment
    assert settings.max_bundle_entries == 10  # environment beats default, coerced to int
    assert settings.db_pool_size == 5  # default


def test_default_databases_are_two_sqlite_files_in_the_data_dir():
    settings = load_settings({"data_dir": "/tmp/x"}, environ={"VARSHARE_LINKAGE_KEY": KEY})
    assert settings.database_url == "sqlite:////tmp/x/varshare.db"
    assert settings.linkage_database_url == "sqlite:////tmp/x/linkage-vault.db"


def test_production_without_linkage_key_fails_fast_naming_the_variable():
    with pytest.raises(ConfigError, match="VARSHARE_LINKAGE_KEY"):
        load_settings(environ={})


def test_short_linkage_key_is_refused():
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(environ={"VARSHARE_LINKAGE_KEY": "short"})


@pytest.mark.parametrize("mode", ["sandbox", "test"])
def test_sandbox_and_test_modes_run_on_the_demo_key(mode):
    settings = load_settings({"mode": mode}, environ={})
    assert settings.effective_linkage_key == DEMO_LINKAGE_KEY


def test_unknown_mode_and_unknown_setting_are_refused():
    with pytest.raises(ConfigError, match="VARSHARE_MODE"):
        load_settings({"mode": "staging"}, environ={})
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"mode": "test", "no_such_thing": 1}, environ={})


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="VARSHARE_CHECK_SCHEMA_ON_START"):
        load_settings(environ={"VARSHARE_MODE": "test", "VARSHARE_CHECK_SCHEMA_ON_START": "perhaps"})


def test_vault_must_be_a_separate_database():
    with pytest.raises(ConfigError, match="different database"):
        load_settings({"mode": "test", "database_url": "sqlite:///a.db", "linkage_database_url": "sqlite:///a.db"},
                      environ={})


def test_linkage_key_is_not_in_repr():
    settings = load_settings(environ={"VARSHARE_LINKAGE_KEY": KEY})
    assert KEY not in repr(settings)


def test_privacy_k_defaults_to_5_and_production_refuses_less():
    assert load_settings(environ={"VARSHARE_LINKAGE_KEY": KEY}).privacy_k == 5
    assert load_settings({"privacy_k": 11}, environ={"VARSHARE_LINKAGE_KEY": KEY}).privacy_k == 11
    with pytest.raises(ConfigError, match="VARSHARE_PRIVACY_K"):
        load_settings(environ={"VARSHARE_LINKAGE_KEY": KEY, "VARSHARE_PRIVACY_K": "3"})
    assert load_settings({"mode": "sandbox", "privacy_k": 2}, environ={}).privacy_k == 2
    with pytest.raises(ConfigError, match="at least 2"):
        load_settings({"mode": "test", "privacy_k": 1}, environ={})


def test_aggregation_rules_must_be_a_json_object():
    with pytest.raises(ConfigError, match="VARSHARE_AGGREGATION_RULES"):
        load_settings({"mode": "test", "aggregation_rules": "{nope"}, environ={})
    with pytest.raises(ConfigError, match="JSON object"):
        load_settings({"mode": "test", "aggregation_rules": "[1]"}, environ={})
    assert load_settings({"mode": "test", "aggregation_rules": '{"wording": "legacy"}'}, environ={}).aggregation_rules


def test_the_audit_search_window_has_a_floor():
    assert load_settings({"mode": "test"}, environ={"VARSHARE_AUDIT_SEARCH_WINDOW": "100"}).audit_search_window == 100
    with pytest.raises(ConfigError, match="VARSHARE_AUDIT_SEARCH_WINDOW"):
        load_settings({"mode": "test", "audit_search_window": 99}, environ={})
