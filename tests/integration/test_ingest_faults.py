"""The database fails in the middle of an ingest: the client gets a 503 OperationOutcome with Retry-After, nothing
partial is stored (shared store and linkage vault), the audit chain still verifies, and the same request
succeeds once the database is back.

On SQLite another connection holds the write lock (``BEGIN EXCLUSIVE``) of the store or of the vault, with a
short busy timeout. On PostgreSQL the ingest's own backend is killed (``pg_terminate_backend``) from another
connection right after a chosen statement of the unit of work, with the other half's transaction still open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.services.audit import verify_chain
from app.store.tables import audit_events, store_versions
from app.store.vault_tables import patient_links, report_links
from tests.api.fhir_client import counts, post
from tests.api.lab_bundles import BRCA1_A, BRCA2_A, lab_report
from tests.conftest import LiveServer, empty_all_tables, settings_for

REPORT = lab_report([(BRCA1_A, "P"), (BRCA2_A, "LP")], report_id="fault-report-1", patient_mrn="MRN-FAULT-1")


@pytest.fixture
def served(migrated_target, tmp_path) -> Iterator[tuple[LiveServer, str]]:
    application = create_app(settings_for(migrated_target, tmp_path, sqlite_busy_timeout_ms=200))
    services = application.extensions["varshare"]
    empty_all_tables(services.store)
    token = services.tenants.add("Fault Lab", "lab")[1]
    server = LiveServer(application).start()
    # something already stored, so "nothing partial" compares against a non-empty store
    assert post(server, "/fhir/Bundle", lab_report([(BRCA1_A, "LP")], report_id="fault-report-0"),
                token).status_code == 201
    yield server, token
    server.stop()
    services.store.dispose()


def _state(store) -> dict[str, int]:
    with store.reading() as conn:
        extra = {"store_versions": conn.execute(select(func.count()).select_from(store_versions)).scalar(),
                 "audit_events": conn.execute(select(func.count()).select_from(audit_events)).scalar()}
    with store.reading_vault() as vault:
        extra["patient_links"] = vault.execute(select(func.count()).select_from(patient_links)).scalar()
        extra["report_links"] = vault.execute(select(func.count()).select_from(report_links)).scalar()
    return {**counts(store), **extra}


def _assert_unavailable_then_recovered(server: LiveServer, token: str, fail) -> None:
    store = server.app.extensions["varshare"].store
    before = _state(store)
    with fail():
        response = post(server, "/fhir/Bundle", REPORT, token)
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "transient" and "nothing was stored" in outcome["issue"][0]["diagnostics"]
    assert int(response.headers["Retry-After"]) > 0
    assert _state(store) == before, "a failed ingest left rows behind"
    assert verify_chain(store).intact
    again = post(server, "/fhir/Bundle", REPORT, token)
    assert again.status_code == 201, again.text
    after = _state(store)
    assert after["reports"] == before["reports"] + 1 and after["patient_links"] == before["patient_links"] + 1
    assert verify_chain(store).intact


@contextmanager
def _sqlite_write_lock(url: str) -> Iterator[None]:
    holder = sqlite3.connect(make_url(url).database, isolation_level=None, timeout=5)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("database", ["store", "vault"])
def test_a_locked_sqlite_database_answers_503_and_stores_nothing(migrated_target, served, database):
    if migrated_target.engine != "sqlite":
        pytest.skip("the SQLite fault")
    server, token = served
    url = migrated_target.database_url if database == "store" else migrated_target.linkage_database_url
    _assert_unavailable_then_recovered(server, token, lambda: _sqlite_write_lock(url))


@contextmanager
def _terminate_after(engine, statement_prefix: str, victim_engine, admin_url: str) -> Iterator[list[int]]:
    """Kill the backend of ``victim_engine``'s connection checked out by the same thread, right after the first
    statement starting with ``statement_prefix`` runs on ``engine``."""
    killed: list[int] = []
    victims: dict[int, int] = {}  # thread id -> backend pid of the victim's current connection
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def remember(conn, _cursor, _statement, _parameters, _context, _executemany):
        victims[threading.get_ident()] = conn.connection.dbapi_connection.info.backend_pid

    def strike(_conn, _cursor, statement, _parameters, _context, _executemany):
        if killed or not statement.lstrip().upper().startswith(statement_prefix):
            return
        pid = victims[threading.get_ident()]
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        killed.append(pid)

    event.listen(victim_engine, "before_cursor_execute", remember)
    event.listen(engine, "after_cursor_execute", strike)
    try:
        yield killed
    finally:
        event.remove(engine, "after_cursor_execute", strike)
        event.remove(victim_engine, "before_cursor_execute", remember)
        admin.dispose()


@pytest.mark.parametrize(("after", "on", "kill"), [
    ("INSERT INTO VARIANTS", "store", "store"),  # the store connection dies halfway through the report
    ("INSERT INTO PATIENT_LINKS", "vault", "store"),  # ... with the vault's links written, not committed
    ("INSERT INTO PATIENT_LINKS", "vault", "vault"),  # the vault connection dies with the store's rows pending
])
def test_a_lost_postgresql_connection_answers_503_and_stores_nothing(migrated_target, served, after, on, kill):
    if migrated_target.engine != "postgresql":
        pytest.skip("the PostgreSQL fault")
    server, token = served
    store = server.app.extensions["varshare"].store
    engines = {"store": store.engine, "vault": store.vault_engine}
    admin_url = migrated_target.database_url
    killed: list[int] = []

    @contextmanager
    def fail() -> Iterator[None]:
        with _terminate_after(engines[on], after, engines[kill], admin_url) as pids:
            yield
        killed.extend(pids)

    _assert_unavailable_then_recovered(server, token, fail)
    assert len(killed) == 1, "the fault was never injected"


def test_refusals_that_cannot_be_audited_answer_503_not_500(migrated_target, served):
    if migrated_target.engine != "sqlite":
        pytest.skip("the SQLite fault")
    server, token = served
    store = server.app.extensions["varshare"].store
    before = _state(store)
    preliminary = lab_report([(BRCA1_A, "P")], report_id="fault-report-2", status="preliminary")
    with _sqlite_write_lock(migrated_target.database_url):
        rejected = post(server, "/fhir/Bundle", preliminary, token)  # a 422 whose audit event cannot be written
        anonymous = post(server, "/fhir/Bundle", REPORT, None)  # a 401 whose audit event cannot be written
    for response in (rejected, anonymous):
        assert response.status_code == 503, response.text
        assert response.json()["resourceType"] == "OperationOutcome" and response.headers["Retry-After"]
    assert _state(store) == before and verify_chain(store).intact
    assert post(server, "/fhir/Bundle", preliminary, token).status_code == 422
    assert post(server, "/fhir/Bundle", REPORT, None).status_code == 401
    assert _state(store)["audit_events"] == before["audit_events"] + 2
