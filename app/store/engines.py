"""Database engines for the shared store and the linkage vault (SQLite embedded default, PostgreSQL).

SQLite runs in WAL mode with synchronous=NORMAL, foreign keys on, a busy timeout and temporary storage in
memory; PostgreSQL uses a pre-pinged connection pool. Engines are created by the app factory or the CLI, never at
import time.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

AUTOCHECKPOINT_PAGES = 4000  # 16 MB of WAL with 4 KiB pages; SQLite's default is 1000


def checkpoint_wal(engine: Engine) -> None:
    """Copy what the WAL holds into the database file without waiting for anyone (SQLite PASSIVE checkpoint:
    frames that readers still need stay for the next one). No-op on PostgreSQL."""
    if not is_sqlite(engine):
        return
    connection = engine.raw_connection()
    try:
        connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def create_store_engine(url: str, *, pool_size: int = 5, pool_timeout_s: float = 10.0,
                        busy_timeout_ms: int = 5000) -> Engine:
    """Create an engine for ``url`` with the engine-specific settings the store relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every sqlite test
            # Let SQLAlchemy issue BEGIN itself so that transactions are explicit and atomic.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            # Temporary tables and indexes (IN lists, sorts) in memory: on disk every hook call created and
            # unlinked a temporary file (six system calls on the request path).
            cursor.execute("PRAGMA temp_store=MEMORY")
            # The API checkpoints the WAL after answers have left (Store.checkpoint_after_response); SQLite's own
            # checkpoint inside a commit stays as the safety net for work outside requests and for bursts.
            cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # pragma: no cover - exercised by every sqlite test
            # IMMEDIATE takes the write lock up front, so concurrent writers wait instead of failing late.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=pool_timeout_s,
                             pool_pre_ping=True)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql+psycopg://")


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"
