"""Migrations run up, down and up again on both engines, and the model matches the migrations."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from app import create_app
from app.audit.events import SEARCH, AuditEvent, entity, submitter
from app.services.audit import record_disclosure, verify_chain
from app.store import counters, schema
from app.store.audit import EventFilter, search_events
from app.store.database import Store
from app.store.tables import audit_event_subjects, metadata
from app.store.vault_tables import vault_metadata
from tests.api.lab_bundles import BRCA1_A, BRCA1_B, BRCA2_A, lab_report
from tests.conftest import ENGINES, settings_for


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


def test_the_audit_subjects_are_one_b_tree_keyed_by_event(migrated_target):
    """An audit append writes its subjects into one B-tree keyed by event: no index by institution, and on SQLite
    the key is the table (WITHOUT ROWID); the chain hash has no unique index (each one cost the append a random
    page)."""
    store = Store(migrated_target.database_url, migrated_target.linkage_database_url)
    try:
        found = inspect(store.engine)
        assert found.get_pk_constraint("audit_event_subjects")["constrained_columns"] == ["event_id", "submitter_id"]
        assert found.get_indexes("audit_event_subjects") == []
        assert found.get_unique_constraints("audit_events") == []
        assert all(index["column_names"] != ["hash"] for index in found.get_indexes("audit_events"))
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as connection:
                sql = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'audit_event_subjects'").scalar()
            assert sql.rstrip().endswith("WITHOUT ROWID")
    finally:
        store.dispose()


def _disclosure(number: int, subjects: list[str]) -> AuditEvent:
    return AuditEvent.of(SEARCH, "E", submitter_id="ehr-1", client="Client Hospital", entities=[
        entity("hook", "genomic-variant-review", variantsLookedUp=number), *(submitter(s) for s in subjects)])


@pytest.mark.parametrize("engine", ENGINES)
def test_migrations_that_rebuild_tables_keep_a_populated_store(new_target, engine):
    """Rebuilding a table that others reference (SQLite's batch rebuild drops and renames it) works on a store that
    has rows, keeps them, and leaves the foreign keys checked afterwards."""
    target = new_target(engine)
    store = Store(target.database_url, target.linkage_database_url)
    try:
        schema.upgrade(store.engine, "shared", "0005_shared")
        schema.upgrade(store.vault_engine, "vault")
        for number in range(12):
            record_disclosure(store, _disclosure(number, [f"lab-{i}" for i in range(number % 5)]))
        wanted = sorted((f"lab-{i}", number + 1) for number in range(12) for i in range(number % 5))  # ids from 1

        def subjects() -> list[tuple[str, int]]:
            with store.reading() as conn:
                return sorted(conn.execute(select(audit_event_subjects.c.submitter_id,
                                                  audit_event_subjects.c.event_id)).all())

        for step in ("head", "0005_shared", "head"):
            (schema.upgrade if step == "head" else schema.downgrade)(store.engine, "shared", step)
            assert subjects() == wanted
            report = verify_chain(store)
            assert report.intact and report.events == 12
        record_disclosure(store, _disclosure(12, ["lab-1"]))  # appends go on after the rebuild
        with store.reading() as conn:
            page = search_events(conn, EventFilter(visible_to=("lab-3",)), 50, window=1000)
        assert page.total == 2 and [row["id"] for row in page.rows] == [10, 5]
        if engine == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()


def test_a_sqlite_migration_that_breaks_a_foreign_key_is_rolled_back(new_target):
    """Foreign keys are off while a migration runs on SQLite (its table-rebuild procedure), so they are checked
    before the commit: a run that leaves a dangling reference is refused and rolled back, and the connection gets
    its checks back."""
    target = new_target("sqlite")
    store = Store(target.database_url, target.linkage_database_url)
    try:
        store.upgrade()
        with (pytest.raises(schema.BrokenForeignKeys, match="audit_event_subjects"),
              schema._migrating(store.engine) as connection):
            connection.exec_driver_sql("INSERT INTO audit_event_subjects (event_id, submitter_id) VALUES (9, 'lab')")
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM audit_event_subjects").scalar() == 0
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_counts_migration_fills_them_from_a_populated_store(new_target, engine, tmp_path):
    """0007 adds the kept headline counts to a store that already has variants, submissions and conflicts, filled
    from its tables; taking it down and up again gives the same counts."""
    target = new_target(engine)
    app = create_app(settings_for(target, tmp_path, check_schema_on_start=False))
    services = app.extensions["varshare"]
    try:
        services.store.upgrade()
        for name in ("Lab A", "Lab B"):
            services.tenants.add(name, "lab")
        services.ingest.submit(services.tenants.caller_named("Lab A"),
                               lab_report([(BRCA1_A, "P"), (BRCA2_A, "B")], report_id="a-1"))
        services.ingest.submit(services.tenants.caller_named("Lab B"),
                               lab_report([(BRCA1_A, "B"), (BRCA1_B, "VUS")], report_id="b-1"))
        lab_a, lab_b = (services.tenants.caller_named(name).submitter_id for name in ("Lab A", "Lab B"))
        with services.store.reading() as conn:
            expected = counters.recount(conn)
            assert counters.kept(conn) == expected
        assert expected == {counters.VARIANTS: 3, counters.CURRENT_SUBMISSIONS: 4, counters.CONFLICTS: 1,
                            counters.submitter_submissions(lab_a): 2, counters.submitter_variants(lab_a): 2,
                            counters.submitter_submissions(lab_b): 2, counters.submitter_variants(lab_b): 2}
        schema.downgrade(services.store.engine, "shared", "0006_shared")
        assert "store_counters" not in inspect(services.store.engine).get_table_names()
        schema.upgrade(services.store.engine, "shared")
        with services.store.reading() as conn:
            assert counters.kept(conn) == expected
    finally:
        services.store.dispose()
