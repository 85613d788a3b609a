"""Migrations run up, down and up again on both engines, and the model matches the migrations."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.store.database import Store
from app.store.tables import metadata
from app.store.vault_tables import vault_metadata
from tests.conftest import ENGINES


@pytest.mark.parametrize("engine", ENGINES)
def test_migrations_up_down_up(new_target, engine):
    target = new_target(engine)
    store = Store(target.database_url, target.linkage_database_url)
    try:
        assert [s.is_current for s in store.schema_states()] == [False, False]
        store.upgrade()
        assert all(s.is_current for s in store.schema_states())
        tables = set(inspect(store.engine).get_table_names())
        assert {"variants", "variant_aliases", "submitters", "submissions", "aggregates", "case_facts",
                "store_versions", "change_events", "releases", "audit_events", "cds_feedback"} <= tables
        assert {"patient_links", "report_links"} <= set(inspect(store.vault_engine).get_table_names())
        # The vault holds no shared-store table and vice versa.
        assert "submissions" not in inspect(store.vault_engine).get_table_names()
        assert "patient_links" not in tables

        store.downgrade("base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        assert set(inspect(store.vault_engine).get_table_names()) <= {"alembic_version"}
        store.upgrade()
        assert all(s.is_current for s in store.schema_states())
    finally:
        store.dispose()


def test_migrations_match_the_table_definitions(migrated_target):
    store = Store(migrated_target.database_url, migrated_target.linkage_database_url)
    try:
        for engine, meta in ((store.engine, metadata), (store.vault_engine, vault_metadata)):
            with engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), meta)
            assert diff == [], f"tables and migrations disagree: {diff}"
    finally:
        store.dispose()
