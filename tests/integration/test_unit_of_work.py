"""The unit of work commits once or rolls back both databases; versions are monotonic and gap-free."""

import datetime as dt
import sqlite3
import threading
import uuid

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.store import database
from app.store.tables import store_versions
from app.store.vault_tables import patient_links


def _versions(store) -> list[int]:
    with store.reading() as conn:
        return list(conn.execute(select(store_versions.c.version).order_by(store_versions.c.version)).scalars())


def _links(store) -> int:
    with store.reading_vault() as conn:
        return conn.execute(select(func.count()).select_from(patient_links)).scalar()


def _link_row(case_id: str) -> dict:
    return {"link_hash": case_id * 8, "submitter_id": "s", "case_id": case_id, "created_at": dt.datetime.now(dt.UTC)}


def test_commit_writes_both_databases(store):
    with store.unit_of_work() as uow:
        version = uow.bump_version("test", None, {"n": 1})
        assert uow.bump_version("test", None, {"n": 2}) == version  # one version per unit of work
        uow.vault.execute(insert(patient_links).values(**_link_row("abcdefgh")))
    assert _versions(store) == [version]
    assert _links(store) == 1


def test_an_error_rolls_back_both_databases(store):
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.bump_version("test", None, {})
        uow.vault.execute(insert(patient_links).values(**_link_row("abcdefgh")))
        raise RuntimeError("fail in the middle")
    assert _versions(store) == []
    assert _links(store) == 0


def test_versions_stay_monotonic_and_gap_free_under_concurrent_writers(store):
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(10):
                with store.unit_of_work() as uow:
                    uow.bump_version("test", None, {})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _versions(store) == list(range(1, 41))


def test_sqlite_connections_carry_the_store_settings(store):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite connection settings")
    for engine in (store.engine, store.vault_engine):
        with engine.connect() as connection:
            pragma = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                      for name in ("journal_mode", "synchronous", "foreign_keys", "temp_store")}
        assert pragma == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "temp_store": 2}


def _in_main_file(store, marker: str) -> bool:
    """Whether ``marker`` is in the database file itself (not only in its WAL)."""
    with open(make_url(store.engine.url).database, "rb") as main:
        return marker.encode() in main.read()


def test_wal_checkpoint_after_response_copies_the_wal_at_most_every_interval(store, monkeypatch):
    if store.engine.dialect.name != "sqlite":
        store.checkpoint_after_response()  # a no-op on PostgreSQL
        pytest.skip("SQLite WAL checkpoints")
    store.checkpoint_after_response()  # the first call of a process checkpoints at once
    marker = f"wal-marker-{uuid.uuid4().hex}"
    with store.unit_of_work() as uow:
        uow.conn.execute(insert(store_versions).values(version=1, committed_at=dt.datetime.now(dt.UTC),
                                                       submitter_id=None, kind="test", summary={"m": marker}))
    assert not _in_main_file(store, marker)  # committed to the WAL only
    store.checkpoint_after_response()  # within CHECKPOINT_EVERY_S of the last one: nothing yet
    assert not _in_main_file(store, marker)
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_S", 0.0)
    store.checkpoint_after_response()
    assert _in_main_file(store, marker)


def test_a_failed_checkpoint_is_logged_and_left_for_the_next_call(store, monkeypatch, caplog):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite WAL checkpoints")
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_S", 0.0)
    real = database.checkpoint_wal

    def locked(engine):
        raise OperationalError("PRAGMA wal_checkpoint(PASSIVE)", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(database, "checkpoint_wal", locked)
    with caplog.at_level("WARNING", logger="varshare.store"):
        store.checkpoint_after_response()  # never raises into the closing response
    assert [r.getMessage() for r in caplog.records] == ["wal checkpoint failed"]
    calls = []
    monkeypatch.setattr(database, "checkpoint_wal", lambda engine: (calls.append(engine), real(engine)))
    store.checkpoint_after_response()  # nothing stuck: the next call runs
    assert calls == [store.engine, store.vault_engine]


def test_reads_open_no_transaction_on_postgresql(store):
    """A read connection leaves no transaction open on PostgreSQL (each statement on its own, no BEGIN/ROLLBACK round
    trips); on SQLite it reads inside one transaction (a snapshot, at no cost). Connections used for writing still
    open a transaction, also after the pool has handed them out for reading."""
    for reading, table in ((store.reading, store_versions), (store.reading_vault, patient_links)):
        with reading() as conn:
            conn.execute(select(func.count()).select_from(table)).scalar()
            if conn.dialect.name == "postgresql":
                assert conn.connection.driver_connection.info.transaction_status == TransactionStatus.IDLE
            else:
                assert conn.in_transaction()
    with store.unit_of_work() as uow:
        uow.bump_version("test", None, {})
        if uow.conn.dialect.name == "postgresql":
            assert uow.conn.connection.driver_connection.info.transaction_status == TransactionStatus.INTRANS
    assert _versions(store) == [1]
