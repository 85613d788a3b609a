"""One unit of work: everything a use case writes commits once, or nothing does.

Store versions are allocated inside the transaction under a lock (SQLite's write lock via BEGIN IMMEDIATE,
a transaction-scoped advisory lock on PostgreSQL), so version order is commit order. The vault transaction
commits just before the shared store's: a vault row pointing at a case that was never committed is harmless
(random id, nothing behind it), while the reverse would orphan a case.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text

from app.store.tables import store_versions

VERSION_LOCK_KEY = 7_261_530_001  # arbitrary constant naming varshare's store-version advisory lock
AUDIT_LOCK_KEY = 7_261_530_002  # the audit chain's own lock: reads append events without blocking writers
AUDIT_INDEX_LOCK_KEY = 7_261_530_003  # one audit indexer at a time (appends never wait for it)


class UnitOfWork:
    """Context manager holding the write transaction(s); use ``conn`` and ``vault`` inside it."""

    def __init__(self, engine: Engine, vault_engine: Engine) -> None:
        self._engine = engine
        self._vault_engine = vault_engine
        self._conn: Connection | None = None
        self._vault: Connection | None = None
        self._transactions: list[Any] = []
        self.version: int | None = None
        self._locked = False
        self._audit_locked = False

    def __enter__(self) -> UnitOfWork:
        self._conn = self._open(self._engine)
        return self

    def _open(self, engine: Engine) -> Connection:
        connection = engine.connect()
        connection.info["write"] = True
        try:
            self._transactions.append(connection.begin())
        except BaseException:
            with suppress(Exception):  # an invalidated connection has no info left to clean
                connection.info.pop("write", None)
            connection.close()  # a locked or lost database: give the connection back to the pool, not to the GC
            raise
        connection.info.pop("write", None)
        return connection

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "unit of work not entered"
        return self._conn

    @property
    def vault(self) -> Connection:
        """The vault connection, opened on first use within this unit of work."""
        if self._vault is None:
            self._vault = self._open(self._vault_engine)
        return self._vault

    def lock_writes(self) -> None:
        """Serialise with every other writer until commit (SQLite already holds its write lock)."""
        if not self._locked and self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": VERSION_LOCK_KEY})
        self._locked = True

    def lock_audit_chain(self) -> None:
        """Serialise appends to the audit chain until commit (SQLite already holds its write lock)."""
        if not self._audit_locked and self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
        self._audit_locked = True

    def lock_audit_index(self) -> None:
        """Serialise audit indexers until commit (SQLite already holds its write lock)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_INDEX_LOCK_KEY})

    def bump_version(self, kind: str, submitter_id: str | None, summary: dict[str, Any]) -> int:
        """Allocate the next store version for this unit of work (once) and record why."""
        if self.version is not None:
            return self.version
        self.lock_writes()
        current = self.conn.execute(select(func.max(store_versions.c.version))).scalar()
        self.version = (current or 0) + 1
        self.conn.execute(insert(store_versions).values(
            version=self.version, committed_at=dt.datetime.now(dt.UTC), submitter_id=submitter_id,
            kind=kind, summary=summary,
        ))
        return self.version

    def __exit__(self, exc_type, exc, tb) -> None:
        vault_transaction = self._transactions[1] if len(self._transactions) > 1 else None
        store_transaction = self._transactions[0] if self._transactions else None
        try:
            if exc_type is None:
                if vault_transaction is not None:
                    vault_transaction.commit()
                if store_transaction is not None:
                    store_transaction.commit()
            else:
                for transaction in reversed(self._transactions):
                    if transaction.is_active:
                        transaction.rollback()
        finally:
            for transaction in self._transactions:
                if transaction.is_active:
                    transaction.rollback()
            for connection in (self._vault, self._conn):
                if connection is not None:
                    connection.close()
