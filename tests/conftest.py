"""Shared fixtures: database targets (SQLite always, PostgreSQL when configured), apps and live servers.

PostgreSQL runs whenever VARSHARE_TEST_DATABASE_URL is set (CI sets it). If it is set but unreachable, the
run fails instead of skipping. Each test session creates its own fresh PostgreSQL databases and drops them
at the end; each test starts from empty tables.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from app.sandbox.demo_tenants import seed_demo_tenants
from app.sandbox.seeding import seed_world
from app.store import audit, counters
from app.store.database import Store
from app.store.tables import metadata
from app.store.vault_tables import vault_metadata

# Property tests judge correctness, not speed: no per-example deadline (a loaded CI machine is slow).
settings.register_profile("varshare", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("varshare")

PG_URL = os.environ.get("VARSHARE_TEST_DATABASE_URL", "").strip()
REQUIRE_PG = os.environ.get("VARSHARE_TEST_REQUIRE_POSTGRES", "") == "1"
ENGINES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_PG and not PG_URL:
        pytest.exit("VARSHARE_TEST_REQUIRE_POSTGRES=1 but VARSHARE_TEST_DATABASE_URL is not set", returncode=3)
    if PG_URL:
        try:
            engine = create_engine(PG_URL)
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # any driver error means the tier cannot run: fail loudly
            pytest.exit(f"PostgreSQL at VARSHARE_TEST_DATABASE_URL is unreachable ({type(exc).__name__}); "
                        "the PostgreSQL tier must run when it is configured", returncode=3)


@dataclass(frozen=True)
class DatabaseTarget:
    """A pair of database URLs (shared store, linkage vault) on one engine."""

    engine: str
    database_url: str
    linkage_database_url: str


def _create_pg_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[tuple[str, str] | None]:
    """Two fresh PostgreSQL databases for this test session (None when PostgreSQL is not configured)."""
    if not PG_URL:
        yield None
        return
    suffix = uuid.uuid4().hex[:10]
    names = (f"varshare_test_{suffix}", f"varshare_vault_{suffix}")
    urls = tuple(_create_pg_database(PG_URL, name) for name in names)
    try:
        yield urls  # type: ignore[misc]
    finally:
        for name in names:
            _drop_pg_database(PG_URL, name)


@pytest.fixture(scope="session")
def new_target(tmp_path_factory, pg_databases):
    """Factory: fresh, empty database URLs on an engine (SQLite files, or new PostgreSQL databases)."""
    created: list[str] = []

    def make(engine: str) -> DatabaseTarget:
        if engine == "sqlite":
            folder = tmp_path_factory.mktemp("sqlite")
            return DatabaseTarget("sqlite", f"sqlite:///{folder / 'store.db'}", f"sqlite:///{folder / 'vault.db'}")
        suffix = uuid.uuid4().hex[:10]
        names = (f"varshare_t_{suffix}", f"varshare_v_{suffix}")
        created.extend(names)
        store_url, vault_url = (_create_pg_database(PG_URL, name) for name in names)
        return DatabaseTarget("postgresql", store_url, vault_url)

    yield make
    for name in created:
        _drop_pg_database(PG_URL, name)


@pytest.fixture(scope="session", params=ENGINES)
def migrated_target(request, tmp_path_factory, pg_databases) -> Iterator[DatabaseTarget]:
    """One migrated database pair per engine for the whole session; tests clean tables via ``store``."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("store")
        target = DatabaseTarget("sqlite", f"sqlite:///{folder / 'store.db'}", f"sqlite:///{folder / 'vault.db'}")
    else:
        target = DatabaseTarget("postgresql", *pg_databases)
    store = Store(target.database_url, target.linkage_database_url)
    store.upgrade()
    store.dispose()
    yield target


def empty_all_tables(store: Store) -> None:
    """Delete every row of both databases (children first)."""
    with store.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    with store.vault_engine.begin() as connection:
        for table in reversed(vault_metadata.sorted_tables):
            connection.execute(table.delete())


def assert_counts_kept(store: Store) -> None:
    """The headline counts kept with the changes equal what the tables hold (checked after every test that wrote
    through the store, so no write path can leave them behind unnoticed)."""
    with store.reading() as conn:
        kept, counted = counters.kept(conn), counters.recount(conn)
        events, length = audit.event_count(conn), audit.chain_length(conn)
    assert kept == counted, f"store_counters drifted from the tables: kept {kept}, counted {counted}"
    assert events == length, f"the audit event count drifted: kept {events}, counted {length}"


# Rate limits high enough never to trip in tests, whatever the mode; tests of the limits set their own.
TEST_RATE_LIMITS = {f"rate_limit_{group}": "100000/minute"
                    for group in ("hooks", "discovery", "ingest", "read", "unauthenticated")}


def settings_for(target: DatabaseTarget, tmp_path: Path, **overrides) -> dict:
    """Test-mode settings pointing at ``target``."""
    return {"mode": "test", "data_dir": str(tmp_path), "database_url": target.database_url,
            "linkage_database_url": target.linkage_database_url, **TEST_RATE_LIMITS, **overrides}


@pytest.fixture
def store(migrated_target) -> Iterator[Store]:
    """A Store over the session's migrated databases, emptied before the test."""
    handle = Store(migrated_target.database_url, migrated_target.linkage_database_url)
    empty_all_tables(handle)
    yield handle
    try:
        assert_counts_kept(handle)
    finally:
        handle.dispose()


@pytest.fixture
def app(migrated_target, tmp_path):
    """A test-mode app over the session's migrated databases, emptied before the test."""
    application = create_app(settings_for(migrated_target, tmp_path))
    empty_all_tables(application.extensions["varshare"].store)
    yield application
    try:
        assert_counts_kept(application.extensions["varshare"].store)
    finally:
        application.extensions["varshare"].store.dispose()


class LiveServer:
    """A real HTTP server (werkzeug, threaded) around an app, on a free loopback port."""

    def __init__(self, application) -> None:
        self.app = application
        self._server = make_server("127.0.0.1", 0, application, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live(app) -> Iterator[LiveServer]:
    """The test app served over real HTTP."""
    server = LiveServer(app).start()
    yield server
    server.stop()


class _ForwardingApp:
    """A WSGI app that forwards to the app set later: the sandbox app's public base URL (JWT audiences, card
    links) must be the live server's URL, which is known only once the server has bound its port."""

    def __init__(self) -> None:
        self.target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


@pytest.fixture
def sandbox_live(migrated_target, tmp_path) -> Iterator[LiveServer]:
    """A sandbox-mode app holding the seeded synthetic world, served over real HTTP at its public base URL."""
    forwarding = _ForwardingApp()
    server = LiveServer(forwarding)
    application = create_app(settings_for(migrated_target, tmp_path, mode="sandbox", public_base_url=server.url))
    services = application.extensions["varshare"]
    empty_all_tables(services.store)
    seed_demo_tenants(services.tenants)
    seed_world(application)
    forwarding.target = application
    server.app = application
    server.start()
    yield server
    server.stop()
    services.store.dispose()

