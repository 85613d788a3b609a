"""Tenant registration, tokens stored hashed, rotation and disabling, on every configured engine."""

import pytest
from sqlalchemy import select

from app.config import load_settings
from app.services.tenants import TenantError, Tenants
from app.store.tables import submitters


@pytest.fixture
def tenants(store, migrated_target, tmp_path):
    settings = load_settings({"mode": "test", "data_dir": str(tmp_path), "database_url": migrated_target.database_url,
                              "linkage_database_url": migrated_target.linkage_database_url}, environ={})
    return Tenants(store, settings)


def test_add_returns_a_token_that_is_stored_only_as_a_hash(tenants, store):
    row, token = tenants.add("Genome Lab", "lab")
    assert row.role == "lab" and not row.disabled
    with store.reading() as conn:
        stored = conn.execute(select(submitters)).mappings().one()
    assert token not in {str(v) for v in stored.values()}
    assert stored["token_hash"] != token and len(stored["token_hash"]) == 64
    caller = tenants.authenticate(token)
    assert caller is not None and caller.name == "Genome Lab" and caller.role == "lab"


def test_unknown_and_malformed_tokens_do_not_authenticate(tenants):
    tenants.add("Genome Lab", "lab")
    assert tenants.authenticate("vs_" + "x" * 43) is None
    assert tenants.authenticate("nope") is None


def test_duplicate_names_bad_roles_and_bad_urls_are_refused(tenants):
    tenants.add("Genome Lab", "lab")
    with pytest.raises(TenantError, match="already exists"):
        tenants.add("Genome Lab", "lab")
    with pytest.raises(TenantError, match="role must be one of"):
        tenants.add("Other", "superuser")
    with pytest.raises(TenantError, match="URL"):
        tenants.add("EHR", "ehr", jwks_url="file:///etc/passwd")
    with pytest.raises(TenantError, match="name must be"):
        tenants.add("", "lab")


def test_rotation_invalidates_the_old_token(tenants):
    _, old = tenants.add("Genome Lab", "lab")
    new = tenants.rotate_token("Genome Lab")
    assert tenants.authenticate(old) is None
    assert tenants.authenticate(new).name == "Genome Lab"


def test_a_disabled_tenant_is_refused_and_can_be_enabled_again(tenants):
    _, token = tenants.add("Genome Lab", "lab")
    tenants.set_disabled("Genome Lab", True)
    assert tenants.authenticate(token) is None
    tenants.set_disabled("Genome Lab", False)
    assert tenants.authenticate(token) is not None


def test_demo_tokens_work_only_in_sandbox_and_test_modes(store, migrated_target, tmp_path):
    base = {"data_dir": str(tmp_path), "database_url": migrated_target.database_url,
            "linkage_database_url": migrated_target.linkage_database_url}
    sandbox = Tenants(store, load_settings({**base, "mode": "sandbox"}, environ={}))
    sandbox.add("Demo Lab", "lab", demo_token="vs_demo_lab_PUBLIC_DEMO_TOKEN")
    assert sandbox.authenticate("vs_demo_lab_PUBLIC_DEMO_TOKEN") is not None
    production = Tenants(store, load_settings({**base, "mode": "production", "linkage_key": "k" * 40}, environ={}))
    assert production.authenticate("vs_demo_lab_PUBLIC_DEMO_TOKEN") is None


def test_list_reports_every_tenant_with_counts(tenants):
    tenants.add("B Lab", "lab")
    tenants.add("A Panel", "expert-panel")
    listed = tenants.list()
    assert [(row.name, count) for row, count in listed] == [("A Panel", 0), ("B Lab", 0)]


def test_linkage_keys_are_per_tenant(tenants):
    a, _ = tenants.add("A Lab", "lab")
    b, _ = tenants.add("B Lab", "lab")
    assert tenants.linkage_key(a.id) != tenants.linkage_key(b.id)
    assert tenants.linkage_key(a.id) == tenants.linkage_key(a.id)
