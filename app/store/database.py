"""The store handle: both engines (shared store and linkage vault), units of work and health probes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.store import audit, schema
from app.store.engines import checkpoint_wal, create_store_engine, is_sqlite
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("varshare.store")
CHECKPOINT_EVERY_S = 0.5
INDEX_EVERY_S = 1.0
INDEX_BATCH = 5_000  # audit events whose subjects one indexing step copies (about 60,000 rows for hook calls)


class _Periodic:
    """A housekeeping step run after answers: at most once every ``every()`` seconds per process (read at each
    call), by one thread at a time, never raising (a locked or unreachable database or an exhausted pool is logged
    as ``failure`` and left to the next call)."""

    def __init__(self, every: Callable[[], float], failure: str) -> None:
        self._every = every
        self._failure = failure
        self._lock = threading.Lock()
        self._last = 0.0

    def run(self, step: Callable[[], object]) -> None:
        if time.monotonic() - self._last < self._every() or not self._lock.acquire(blocking=False):
            return
        try:
            self._last = time.monotonic()
            step()
        except SQLAlchemyError as exc:
            reason = type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__
            log.warning(self._failure, extra={"fields": {"error": reason}})
        finally:
            self._lock.release()


class Store:
    """Owns the engines; every read and write goes through a connection or unit of work it hands out."""

    def __init__(self, database_url: str, linkage_database_url: str, *, pool_size: int = 5,
                 pool_timeout_s: float = 10.0, busy_timeout_ms: int = 5000) -> None:
        options = {"pool_size": pool_size, "pool_timeout_s": pool_timeout_s, "busy_timeout_ms": busy_timeout_ms}
        self.engine: Engine = create_store_engine(database_url, **options)
        self.vault_engine: Engine = create_store_engine(linkage_database_url, **options)
        self._sqlite = tuple(e for e in (self.engine, self.vault_engine) if is_sqlite(e))
        self._checkpoints = _Periodic(lambda: CHECKPOINT_EVERY_S, "wal checkpoint failed")
        self._indexing = _Periodic(lambda: INDEX_EVERY_S, "audit indexing failed")

    def unit_of_work(self) -> UnitOfWork:
        """A write transaction over the shared store (and, when used, the vault) that commits once."""
        return UnitOfWork(self.engine, self.vault_engine)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only connection to the shared store (see ``_for_reading``: never write through it)."""
        with self.engine.connect() as connection:
            yield _for_reading(connection)

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state of the shared store throughout (exports)."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    @contextmanager
    def reading_vault(self) -> Iterator[Connection]:
        """A read-only connection to the linkage vault (see ``_for_reading``)."""
        with self.vault_engine.connect() as connection:
            yield _for_reading(connection)

    def upgrade(self) -> None:
        """Migrate both databases to the newest schema."""
        schema.upgrade(self.engine, "shared")
        schema.upgrade(self.vault_engine, "vault")

    def downgrade(self, revision: str = "base") -> None:
        """Migrate both databases down (``base`` drops every table)."""
        schema.downgrade(self.vault_engine, "vault", revision)
        schema.downgrade(self.engine, "shared", revision)

    def schema_states(self) -> list[schema.SchemaState]:
        """Current against head revision of both databases."""
        return [schema.schema_state(self.engine, "shared"), schema.schema_state(self.vault_engine, "vault")]

    def checkpoint_after_response(self) -> None:
        """Checkpoint the SQLite WALs when the last checkpoint of this process is CHECKPOINT_EVERY_S old; called
        once an answer has been sent, so no request waits for it (SQLite's own checkpoint runs inside the commit
        that crosses its threshold: ~15 ms per 1,000 pages on the benchmark machine, every ~50 hook calls)."""
        if self._sqlite:
            self._checkpoints.run(self._checkpoint_wals)

    def _checkpoint_wals(self) -> None:
        for engine in self._sqlite:
            checkpoint_wal(engine)

    def index_audit_after_response(self) -> None:
        """Index the subjects of the newest audit events by institution (``audit.index_subjects``, up to
        INDEX_BATCH events) when this process last did it INDEX_EVERY_S ago, once an answer has been sent
        (searches walk what is not indexed yet by id)."""
        self._indexing.run(self.index_audit)

    def index_audit(self, batch: int = INDEX_BATCH) -> int:
        """One indexing step of the audit subjects (``audit.index_subjects``): the id through which they are
        indexed now."""
        with self.unit_of_work() as uow:
            uow.lock_audit_index()
            return audit.index_subjects(uow.conn, batch)

    def after_response(self) -> None:
        """Housekeeping once an answer has left (never inside a request): WAL checkpoints, audit indexing."""
        self.checkpoint_after_response()
        self.index_audit_after_response()

    def ping(self) -> None:
        """Raise if either database cannot answer a trivial query."""
        for engine in (self.engine, self.vault_engine):
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close pooled connections (tests, shutdown, after fork)."""
        self.engine.dispose()
        self.vault_engine.dispose()


def _for_reading(connection: Connection) -> Connection:
    """The connection as reads use it. On PostgreSQL each statement runs on its own (autocommit), as it would see
    its own snapshot inside a READ COMMITTED transaction anyway, without the BEGIN and ROLLBACK round trips (a hook
    call reads both databases: four of its round trips). Reads that need one state throughout use ``snapshot``. On
    SQLite a read transaction is a snapshot and costs no round trip, so it stays."""
    if connection.dialect.name == "postgresql":
        return connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection
